"""Tests for hwsr/line_segments.py: over-long lines are read in bounded pieces and joined."""

import numpy as np
import pytest

from hwsr.alphabet import Alphabet
from hwsr.line_segments import (
    MAX_SEGMENT_POINTS,
    cut_points,
    join_logits,
    read_in_segments,
    space_code,
    split_at_pen_ups,
)
from hwsr.recognizer import Recognizer
from hwsr.testing import write_tiny_recognition_dir


def walk(points: int, stroke: int = 10, seed: int = 0) -> np.ndarray:
    """A prepared line: pen-ups every ``stroke`` points, row 0 at the origin."""
    rng = np.random.default_rng(seed)
    line = np.zeros((points, 3), np.float32)
    line[:, 1:] = rng.normal(size=(points, 2))
    line[stroke - 1 :: stroke, 0] = 1.0
    line[-1, 0] = 1.0
    line[0, 1:] = 0.0
    return line


def test_cuts_fall_on_pen_ups_at_the_widest_gap_in_the_second_half_of_each_window():
    eos = np.zeros(100)
    eos[[9, 19, 29, 39, 44, 49]] = 1  # Strokes start after these: 10, 20, 30, 40, 45, 50.
    dx = np.zeros(100)
    dx[[10, 30, 45]] = [50.0, 9.0, 3.0]  # 10 is the widest, but in the first half of the window.
    assert cut_points(eos, dx, 50)[0] == 30
    for max_points in (7, 16, 50):
        cuts = cut_points(eos, dx, max_points)
        bounds = np.diff([0, *cuts, 100])
        assert bounds.max() <= max_points and bounds.min() >= 1


def test_one_stroke_longer_than_the_limit_is_cut_mid_stroke():
    eos = np.zeros(25)
    eos[-1] = 1
    assert cut_points(eos, np.zeros(25), 10) == [10, 20]
    with pytest.raises(ValueError, match="max_points must be >= 2"):
        cut_points(eos, np.zeros(25), 1)


def test_split_keeps_short_lines_whole_and_restarts_each_piece_at_the_origin():
    short = walk(MAX_SEGMENT_POINTS)
    assert split_at_pen_ups(short)[0] is short
    line = walk(1000, stroke=13)
    pieces = split_at_pen_ups(line, 100)
    assert all(len(p) <= 100 for p in pieces) and sum(map(len, pieces)) == 1000
    assert all(p[0, 1:].tolist() == [0.0, 0.0] for p in pieces)
    assert all(p[-1, 0] == 1.0 for p in pieces)  # Every cut is at a pen-up here.
    joined = np.concatenate(pieces)
    np.testing.assert_array_equal(joined[:, 0], line[:, 0])
    starts = np.cumsum([0, *map(len, pieces[:-1])])
    keep = np.setdiff1d(np.arange(1000), starts)
    np.testing.assert_array_equal(joined[keep], line[keep])
    assert line[starts[1], 1:].any()  # The caller's line is not changed.


def test_join_puts_one_separator_frame_between_pieces():
    a, b = np.zeros((3, 5), np.float32), np.ones((2, 5), np.float32)
    joined = join_logits([a, b], separator=4)
    assert joined.shape == (6, 5) and joined[3].argmax() == 4
    np.testing.assert_array_equal(joined[[0, 1, 2, 4, 5]], np.concatenate([a, b]))
    assert join_logits([a, b], separator=None).shape == (5, 5)
    assert space_code(Alphabet("ab c")) == Alphabet("ab c").encode(" ")[0]
    assert space_code(Alphabet("abc")) is None


class CountingForward:
    """A stand-in model: one frame per 2 points, logits = the piece's mean offset per class."""

    def __init__(self):
        self.calls = []

    def __call__(self, lines):
        self.calls.append([len(s) for s in lines])
        lengths = np.array([(len(s) + 1) // 2 for s in lines], np.int32)
        logits = np.zeros((len(lines), lengths.max(), 4), np.float32)
        for i, s in enumerate(lines):
            logits[i, : lengths[i]] = s[:, 1].mean()
        return logits, lengths


def test_lines_that_fit_go_to_the_model_unchanged_in_one_call():
    forward = CountingForward()
    lines = [walk(30), walk(50)]
    _, lengths = read_in_segments(forward, lines, batch_size=8, separator=3, max_points=50)
    assert forward.calls == [[30, 50]] and lengths.tolist() == [15, 25]


def test_long_lines_are_read_in_bounded_pieces_and_batches():
    forward = CountingForward()
    lines = [walk(20), walk(1001, stroke=7), walk(333, stroke=5)]
    logits, lengths = read_in_segments(forward, lines, batch_size=4, separator=3, max_points=64)
    assert max(max(c) for c in forward.calls) <= 64
    assert max(len(c) for c in forward.calls) <= 4
    pieces = [split_at_pen_ups(s, 64) for s in lines]
    expected = [sum((len(p) + 1) // 2 for p in ps) + len(ps) - 1 for ps in pieces]
    assert lengths.tolist() == expected and logits.shape == (3, max(expected), 4)
    assert sum(map(len, forward.calls)) == sum(map(len, pieces))


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    return Recognizer.from_dir(write_tiny_recognition_dir(tmp_path_factory.mktemp("m") / "rec"),
                               batch_size=4)


def test_recognizer_reads_a_long_line_in_pieces_and_short_ones_as_before(recognizer, monkeypatch):
    short, long = walk(60, stroke=9, seed=1), walk(900, stroke=11, seed=2)
    before = recognizer.recognize(short)
    seen = []
    logits = recognizer.logits
    monkeypatch.setattr(recognizer, "logits", lambda lines: seen.append([len(s) for s in lines])
                        or logits(lines))
    monkeypatch.setattr(recognizer, "segment_points", 100)
    after = recognizer.recognize(short)
    assert (after.text, after.score, after.frames) == (before.text, before.score, before.frames)
    result = recognizer.recognize(long)
    assert max(max(c) for c in seen) <= 100 and max(len(c) for c in seen) <= 4
    pieces = split_at_pen_ups(Recognizer.prepare(long), 100)
    frames = [int(logits([p])[1][0]) for p in pieces]
    assert result.frames == sum(frames) + len(pieces) - 1
    assert np.isfinite(result.score)
