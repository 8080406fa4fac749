"""Tests for hwsr/plots.py with tiny random-weight model dirs: each plot is written to a file
and its figure holds what was computed (shapes, labels, counts)."""

import types

import matplotlib
import numpy as np
import pytest
from PIL import Image

from hwsr import plots
from hwsr.decoding import greedy_decode
from hwsr.recognizer import Recognizer
from hwsr.strokes import drop_points, to_stroke_list
from hwsr.synthesizer import Synthesizer
from hwsr.testing import random_lines, write_tiny_recognition_dir, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return Synthesizer.from_dir(write_tiny_synthesis_dir(tmp_path_factory.mktemp("models") / "synthesis"))


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    return Recognizer.from_dir(write_tiny_recognition_dir(tmp_path_factory.mktemp("models") / "recognition"))


@pytest.fixture(scope="module")
def lines():
    return random_lines(3, seed=5)


def saved_image(path, fig):
    """The written file opens as an image of the figure's size."""
    with Image.open(path) as image:
        width, height = image.size
    expected = fig.get_size_inches() * 120
    assert abs(width - expected[0]) <= 2 and abs(height - expected[1]) <= 2
    return width, height


def images(ax):
    return [im.get_array() for im in ax.get_images()]


def test_plot_lines_draws_every_line_under_its_title(lines, tmp_path):
    strokes, texts = lines
    titles = [f"{t}\nread: ?" if i == 1 else t for i, t in enumerate(texts)]
    fig = plots.plot_lines(strokes, titles, tmp_path / "lines.png")
    saved_image(tmp_path / "lines.png", fig)
    assert len(fig.axes) == len(strokes)
    for ax, line, title in zip(fig.axes, strokes, titles):
        assert ax.get_title(loc="left") == title
        assert len(ax.get_lines()) == len(to_stroke_list(line))  # One curve per pen stroke.
    assert len({ax.get_xlim() for ax in fig.axes}) == 1  # One scale for all lines.


def test_plot_lines_takes_one_array_and_checks_titles(lines):
    one = lines[0][0]
    assert len(plots.plot_lines(one).axes) == 1
    with pytest.raises(ValueError, match="2 titles for 3 lines"):
        plots.plot_lines(lines[0], ["a", "b"])


def test_plots_leave_pyplot_and_the_backend_alone(lines, synth):
    import matplotlib.pyplot as plt

    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    strokes, texts = lines
    plots.plot_lines(strokes)
    plots.plot_window(synth, strokes[0], texts[0])
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == figures


def test_teacher_forced_shapes(synth, lines):
    strokes, texts = lines
    phi, params, norm = plots.teacher_forced(synth, strokes[0], texts[0])
    steps = len(drop_points(strokes[0], synth.downsample))
    assert norm.shape == (steps, 3)
    assert phi.shape == (steps, len(texts[0]) + 1)
    assert params.shape == (steps, 1 + 6 * synth.model.num_mixture_components)
    assert np.all(np.isfinite(phi)) and np.all(phi >= 0)


def test_plot_window_shows_phi_per_character(synth, lines, tmp_path):
    strokes, texts = lines
    fig = plots.plot_window(synth, strokes[0], texts[0], tmp_path / "window.png")
    saved_image(tmp_path / "window.png", fig)
    ink_ax, phi_ax = fig.axes
    phi, _, norm = plots.teacher_forced(synth, strokes[0], texts[0])
    (image,) = images(phi_ax)
    np.testing.assert_allclose(image, phi.T, rtol=1e-6)
    assert [t.get_text() for t in phi_ax.get_yticklabels()] == [*texts[0], "<end>"]
    assert len(ink_ax.get_lines()) == len(to_stroke_list(norm))


def test_mixture_density_grid_and_plot(synth, lines, tmp_path):
    strokes, texts = lines
    _, params, norm = plots.teacher_forced(synth, strokes[1], texts[1])
    density, (x0, x1, y0, y1) = plots.mixture_density_grid(params, norm, synth.normalizer, grid=60)
    assert density.shape[1] == 60 and density.shape[0] >= 8
    assert np.all(np.isfinite(density)) and density.min() >= 0 and density.max() > 0
    assert x0 < x1 and y0 < y1
    fig = plots.plot_mixture_density(synth, strokes[1], texts[1], tmp_path / "density.svg")
    assert (tmp_path / "density.svg").read_text().lstrip().startswith("<?xml")
    (image,) = images(fig.axes[0])
    assert image.shape == plots.mixture_density_grid(params, norm, synth.normalizer)[0].shape


def test_ctc_alignment_matches_the_recognizer(reader, lines):
    line = lines[0][2]
    alignment = plots.ctc_alignment(reader, line)
    logits, logit_lengths = reader.logits([reader.prepare(line)])
    frames = int(logit_lengths[0])
    assert alignment.log_probs.shape == (frames, len(reader.alphabet))
    np.testing.assert_allclose(np.exp(alignment.log_probs).sum(axis=-1), 1.0, rtol=1e-5)
    # Every frame is fed by some points, in order; the points are the ones the model keeps.
    np.testing.assert_array_equal(np.unique(alignment.frame_of_point), np.arange(frames))
    assert np.all(np.diff(alignment.frame_of_point) >= 0)
    assert len(alignment.points) == len(alignment.pen_up) == len(alignment.frame_of_point)
    assert 1 < len(alignment.points) < len(line)
    assert alignment.pen_up.sum() == line[:, 0].sum()  # Point dropping keeps every stroke end.
    # The best path is what greedy decoding reads.
    codes = [code for _, code in alignment.emissions]
    assert codes == greedy_decode(logits, logit_lengths)[0]
    assert reader.alphabet.decode(codes) == reader.recognize(line).text


def test_plot_ctc_alignment_shows_ink_emissions_and_posteriors(reader, lines, tmp_path):
    line = lines[0][2]
    fig = plots.plot_ctc_alignment(reader, line, tmp_path / "ctc.png")
    saved_image(tmp_path / "ctc.png", fig)
    alignment = plots.ctc_alignment(reader, line)
    ink_ax, post_ax = fig.axes
    (scatter,) = ink_ax.collections
    assert len(scatter.get_offsets()) == len(alignment.points)
    assert len(ink_ax.texts) == len(alignment.emissions)
    assert ink_ax.get_title(loc="left") == f"greedy: {reader.recognize(line).text}"
    distinct = {code for _, code in alignment.emissions}
    (image,) = images(post_ax)
    assert image.shape == (1 + len(distinct), len(alignment.log_probs))
    np.testing.assert_allclose(image[0], np.exp(alignment.log_probs[:, 0]), rtol=1e-6)  # The blank.


def test_self_attention_weights_are_distributions_over_frames(reader, lines):
    line = lines[0][1]
    weights = plots.self_attention_weights(reader, line)
    frames = int(reader.logits([reader.prepare(line)])[1][0])
    assert weights.shape == (reader.model.attention_heads, frames, frames)
    assert weights.min() >= 0
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    other = plots.self_attention_weights(reader, lines[0][2])
    assert other.shape[1] != frames or not np.allclose(other, weights)  # Depends on the ink.


def test_self_attention_weights_need_an_attention_block():
    no_attention = types.SimpleNamespace(model=types.SimpleNamespace(attention=None))
    with pytest.raises(ValueError, match="no self-attention"):
        plots.self_attention_weights(no_attention, np.zeros((4, 3), np.float32))


def test_plot_self_attention_one_map_per_head(reader, lines, tmp_path):
    line = lines[0][1]
    fig = plots.plot_self_attention(reader, line, tmp_path / "attention.png")
    saved_image(tmp_path / "attention.png", fig)
    weights = plots.self_attention_weights(reader, line)
    assert len(fig.axes) == len(weights)
    for ax, w in zip(fig.axes, weights):
        (image,) = images(ax)
        np.testing.assert_allclose(image, w)
