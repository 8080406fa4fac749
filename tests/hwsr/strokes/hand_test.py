"""Tests for hwsr/strokes/hand.py: the lines of a page at one size and one slant."""

import numpy as np
import pytest

from hwsr.strokes import estimate_slant, from_points, stroke_spans, to_points
from hwsr.strokes.hand import MAX_SCALE, match_hand, writing_size


def cursive_line(x_height: float, slant: float, seed: int = 0, loops: int = 14) -> np.ndarray:
    """Looping ink of a given x-height and slant: letter bodies, every 4th with an
    ascender twice as tall, a pen lift after every 3 letters."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi * loops, 24 * loops)
    letter = (t // (2 * np.pi)).astype(int)
    body = 0.5 * x_height * (1 - np.cos(t))
    y = np.where(letter % 4 == 3, 2.2 * body, body) + rng.normal(0, 0.02 * x_height, len(t))
    x = 0.6 * x_height * t / (2 * np.pi) + 0.25 * x_height * np.sin(t)
    eos = np.zeros(len(t))
    eos[np.flatnonzero(np.diff(letter // 3))] = 1
    eos[-1] = 1
    return from_points(np.stack([x + slant * y, y, eos], axis=1))


def median_stroke_height(line):
    points = to_points(line)
    return float(np.median([np.ptp(points[a:b, 1]) for a, b in stroke_spans(line)]))


def test_writing_size_follows_the_x_height_not_the_ascenders():
    small, large = cursive_line(10, 0.0), cursive_line(20, 0.0, seed=1)
    assert writing_size(large) == pytest.approx(2 * writing_size(small), rel=0.05)
    # A rising baseline or a slant does not change it much.
    rising = to_points(small)
    rising[:, 1] += 0.3 * rising[:, 0]
    assert writing_size(from_points(rising)) == pytest.approx(writing_size(small), rel=0.1)
    assert writing_size(cursive_line(10, 0.4)) == pytest.approx(writing_size(small), rel=0.1)
    assert writing_size(np.array([[1, 0, 0]], np.float32)) is None


def test_lines_of_one_page_come_out_at_one_size_and_slant():
    lines = [cursive_line(10, 0.3, 0), cursive_line(16, -0.1, 1), cursive_line(7, 0.1, 2),
             cursive_line(12, 0.5, 3)]
    before = [median_stroke_height(line) for line in lines]
    assert max(before) / min(before) > 2
    matched = match_hand(lines)
    sizes = [writing_size(line) for line in matched]
    assert max(sizes) / min(sizes) < 1.02
    assert np.median(sizes) == pytest.approx(np.median([writing_size(line) for line in lines]), rel=0.1)
    # Another measure of the size, which match_hand does not look at, agrees too.
    heights = [median_stroke_height(line) for line in matched]
    assert max(heights) / min(heights) < 1.1
    slants = [estimate_slant(line) for line in matched]
    assert np.ptp(slants) < 0.02
    assert np.median(slants) == pytest.approx(np.median([estimate_slant(line) for line in lines]), abs=0.05)
    for line, out in zip(lines, matched):
        assert out.shape == line.shape and out.dtype == np.float32
        np.testing.assert_array_equal(out[:, 0], line[:, 0])


def test_one_line_is_unchanged_and_scaling_is_bounded():
    line = cursive_line(10, 0.3)
    (out,) = match_hand([line])
    np.testing.assert_array_equal(out, line)
    assert match_hand([]) == []
    tiny, big, mid = cursive_line(1, 0.0), cursive_line(40, 0.0), cursive_line(10, 0.0)
    sizes = [writing_size(line) for line in match_hand([tiny, big, mid])]
    assert sizes[0] == pytest.approx(MAX_SCALE * writing_size(tiny), rel=1e-4)


def test_a_page_written_by_the_shipped_model_is_one_hand():
    from hwsr.synthesizer import Synthesizer

    synth = Synthesizer.from_pretrained()
    text = ("hwsr writes any text you give it. Long text is wrapped into lines, and every line "
            "is written in one batch with the same style and seed.")
    # The free hand (no priming), whose lines differ most (the default style evens them out
    # already: spread 1.19 unmatched).
    page = synth.write(text, width=45, seed=1, style="free")
    loose = synth.generate(_wrap(text, 45), seed=1, style="free")
    assert len(page) == len(loose) == 4
    spread = [max(v) / min(v) for v in ([writing_size(x) for x in page], [writing_size(x) for x in loose])]
    assert spread[0] < 1.03 < 1.3 < spread[1]
    slants = [estimate_slant(x) for x in page]
    assert np.ptp(slants) < 0.03 < np.ptp([estimate_slant(x) for x in loose])


def _wrap(text, width):
    from hwsr.synthesizer import wrap_text

    return wrap_text(text, width)
