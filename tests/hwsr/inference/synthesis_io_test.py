"""The host rules (numpy) and their graph version agree exactly: priming, output, stopping."""

import numpy as np
import pytest
import tensorflow as tf

from hwsr.alphabet import Alphabet
from hwsr.inference.synthesis_graph import SynthesisGraph
from hwsr.inference.synthesis_io import SynthesisIO, past_end, prime_text, text_end_length
from hwsr.sampling import window_passed_end
from hwsr.strokes import Normalizer, drop_points, interpolate_points
from hwsr.testing import random_lines


@pytest.fixture(scope="module")
def io():
    return SynthesisIO(Alphabet.iam_ondb(), Normalizer(mean=(0.5, -0.2), std=(2.0, 3.0)), downsample=2,
                       clip=1.5)


@pytest.fixture(scope="module")
def graph(io):
    return SynthesisGraph(model=None, io=io)


def test_start_point_is_a_zero_raw_offset(io):
    np.testing.assert_allclose(io.normalizer.denormalize(io.start_point[None])[0], [0, 0, 0], atol=1e-6)


def test_priming_is_the_same_on_the_host_and_in_the_graph(io, graph):
    lines, _ = random_lines(2, seed=5)
    for line in lines:
        host, codes = io.prime(line, "  a text ")
        inside = graph.prime(tf.constant(line[None]), tf.constant([len(line)]))
        np.testing.assert_array_equal(inside.numpy(), host)
        assert len(host) == len(drop_points(line, 2)) and np.abs(host[:, 1:]).max() <= 1.5
    assert io.alphabet.decode(codes) == prime_text("  a text ") == "a text "
    assert graph.prime_text(tf.constant("  a text ")).numpy().decode() == "a text "


@pytest.mark.parametrize("dense", [True, False])
def test_output_is_the_same_on_the_host_and_in_the_graph(io, graph, dense):
    rng = np.random.default_rng(0)
    strokes = rng.normal(size=(3, 20, 3)).astype(np.float32)
    strokes[..., 0] = rng.random((3, 20)) < 0.2
    lengths = np.array([20, 7, 1], np.int32)
    host = io.finish(strokes, lengths, dense)
    out = graph.finish(tf.constant(strokes), tf.constant(lengths), dense=dense)
    for i, line in enumerate(host):
        n = out["lengths"].numpy()[i]
        np.testing.assert_array_equal(out["strokes"].numpy()[i, :n], line)
        assert line[-1, 0] == 1.0
    raw = io.normalizer.denormalize(strokes[0])
    raw[-1, 0] = 1.0
    np.testing.assert_array_equal(host[0], interpolate_points(raw, 2) if dense else raw)


def test_per_row_max_steps_cut_rows_and_lift_the_pen(graph):
    strokes = np.zeros((2, 6, 3), np.float32)
    out = graph.finish(tf.constant(strokes), tf.constant([6, 6]), tf.constant([6, 3]), dense=False)
    assert out["lengths"].numpy().tolist() == [6, 3]
    assert out["strokes"].numpy()[1, 2, 0] == 1.0 and not out["strokes"].numpy()[1, 3:].any()


def test_stopping_rule_matches_the_graph():
    rng = np.random.default_rng(1)
    phi = rng.random((50, 6)).astype(np.float32)
    lengths = rng.integers(0, 6, 50).astype(np.int32)
    graph = window_passed_end(tf.constant(phi), tf.constant(lengths)).numpy()
    assert [past_end(p, n) for p, n in zip(phi, lengths)] == graph.tolist()


def test_text_checks_and_default_steps(io):
    assert io.check_texts(["hi"]) == ["hi"]
    with pytest.raises(ValueError, match="empty"):
        io.check_texts([" "])
    with pytest.raises(ValueError, match="too long"):
        io.check_texts(["x" * 201])
    assert io.default_max_steps(["abcd"]) == 2 * 25 // 2 * 4 + 40


def test_text_end_rule_matches_the_graph():
    from hwsr.sampling import end_at_text_end

    rng = np.random.default_rng(2)
    eos = (rng.random((200, 12)) < 0.3).astype(np.float32)
    positions = np.sort(rng.integers(0, 6, (200, 12)), axis=1)  # The window moves forward.
    text_lengths = rng.integers(1, 6, 200).astype(np.int32)
    lengths = rng.integers(1, 13, 200).astype(np.int32)
    points = np.stack([eos, eos, eos, positions.astype(np.float32)], axis=-1)
    graph = end_at_text_end(tf.constant(points), tf.constant(lengths), tf.constant(text_lengths)).numpy()
    host = [text_end_length(e[:n], p[:n], u) for e, p, n, u in zip(eos, positions, lengths, text_lengths)]
    assert host == graph.tolist()
    assert (graph < lengths).any()  # Some lines are cut.
