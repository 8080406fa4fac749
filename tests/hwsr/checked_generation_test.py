"""Tests for hwsr/checked_generation.py: candidates, re-sampling rounds, window checks."""

import types

import numpy as np
import pytest

from hwsr.checked_generation import (
    ROUNDS,
    CheckedLines,
    WindowFailures,
    generate_checked,
    read_in_turns,
    window_failures,
)
from hwsr.recognizer import RecognitionResult
from hwsr.synthesizer import Synthesizer
from hwsr.testing import write_tiny_synthesis_dir

TEXTS = ["ab cd", "ef gh", "ij kl"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return Synthesizer.from_dir(write_tiny_synthesis_dir(tmp_path_factory.mktemp("syn")))


class FakeReader:
    """Reads ``text`` for lines ``good(line)`` holds for, garbage for the others; records
    the size of every batch it reads."""

    def __init__(self, text, good):
        self.text, self.good, self.batches = text, good, []
        self.bundle = types.SimpleNamespace(path="fake-recognizer")

    def recognize(self, lines, method="greedy", **kwargs):
        assert method == "greedy"
        self.batches.append(len(lines))
        return [RecognitionResult(self.text if self.good(line) else "zz", 0.0, [], 1) for line in lines]


def pen_lifts(line):
    return int(line[:, 0].sum())


def spy_on_generate(synth, monkeypatch):
    calls = []
    sample = synth.sample_with_window

    def spy(texts, **kwargs):
        calls.append({"lines": len(texts), **kwargs})
        return sample(texts, **kwargs)

    monkeypatch.setattr(synth, "sample_with_window", spy)
    return calls


def test_the_best_candidate_is_kept_and_failures_are_written_again(synth, monkeypatch):
    reader = FakeReader("ab cd", lambda line: pen_lifts(line) % 2 == 0)
    calls = spy_on_generate(synth, monkeypatch)
    lines = generate_checked(synth, ["ab cd"] * 4, 3, reader, seed=5, bias=0.5, max_steps=40)
    assert isinstance(lines, CheckedLines) and len(lines) == 4
    report = lines.report
    # Round 1 writes 3 candidates of every line in one batch (later rounds only the
    # failures) and reads one candidate of each line in its first turn.
    assert calls[0]["lines"] == 12 and reader.batches[0] == 4
    assert report.reads == sum(reader.batches)
    assert [c["lines"] for c in calls[1:]] == [3 * n for n in
                                             [sum(c.round >= k or not c.passed for c in report.lines)
                                              for k in range(2, report.rounds + 1)]]
    for line, check in zip(lines, report.lines):
        assert check.passed == (pen_lifts(line) % 2 == 0)
        assert check.reading == ("ab cd" if check.passed else "zz")
        assert check.cer == (0.0 if check.passed else 1.0)
    assert report.second_round_lines == sum(c.round > 1 or not c.passed for c in report.lines)
    assert report.to_dict()["lines"] == 4 and report.recognizer == "fake-recognizer"


def test_a_line_that_never_reads_is_tried_with_a_new_seed_then_a_higher_bias(synth, monkeypatch):
    reader = FakeReader("", lambda line: False)
    calls = spy_on_generate(synth, monkeypatch)
    lines = generate_checked(synth, TEXTS, 2, reader, seed=5, bias=0.5, max_steps=30)
    assert len(calls) == len(ROUNDS) and all(c["lines"] == 6 for c in calls)
    assert len({c["seed"] for c in calls}) == len(ROUNDS)
    assert [c["bias"] for c in calls] == [0.5 + extra for _, extra in ROUNDS]
    report = lines.report
    assert report.rounds == len(ROUNDS) and report.failed_lines == 3
    assert report.second_round_lines == 3 and report.second_round_rate == 1.0
    assert [c.text for c in report.lines] == TEXTS
    assert all(c.round == 1 for c in report.lines)  # No later candidate read better.


def test_every_line_passing_needs_one_round(synth, monkeypatch):
    calls = spy_on_generate(synth, monkeypatch)
    lines = generate_checked(synth, ["ab"], 4, FakeReader("ab", lambda line: True), max_steps=30)
    assert len(calls) == 1 and lines.report.rounds == 1 and lines.report.second_round_lines == 0
    assert lines.report.lines[0].passed


def test_synthesizer_generate_with_candidates(synth):
    reader = FakeReader("ab cd", lambda line: True)
    lines = synth.generate(["ab cd", "ab cd"], seed=1, candidates=2, recognizer=reader, max_steps=30,
                           one_hand=True)
    assert len(lines) == 2 and lines.report.candidates == 2
    assert all(line.dtype == np.float32 and line[-1, 0] == 1 for line in lines)
    plain = synth.generate(["ab cd"], seed=1, max_steps=30)
    assert not hasattr(plain, "report")
    with pytest.raises(ValueError, match="candidates must be >= 1"):
        synth.generate(["ab"], candidates=-1, recognizer=reader)


class ReaderOfMarks:
    """Reads the text a candidate was marked with (its first dx), recording every batch."""

    def __init__(self, readings):
        self.readings, self.batches = readings, []

    def recognize(self, lines, method="greedy", **kwargs):
        self.batches.append([int(line[0, 1]) for line in lines])
        return [RecognitionResult(self.readings[int(line[0, 1])], 0.0, [], 1) for line in lines]


def test_candidates_are_read_in_turns_until_one_reads_exactly():
    # Three lines of three candidates (candidate j is marked j). Line 0's first candidate
    # reads exactly; line 1's never does; line 2's first has a stalled window, so its second
    # is read first, and reads exactly.
    texts = ["ab"] * 3 + ["cd"] * 3 + ["ef"] * 3
    readings = ["ab", "xx", "ab", "cx", "cd", "cd", "ef", "ef", "ex"]
    lines = [np.array([[0.0, j, 0.0], [1.0, 1.0, 0.0]], np.float32) for j in range(9)]
    windows = [WindowFailures()] * 9
    windows[6] = WindowFailures(stalled=("ef",))
    reader = ReaderOfMarks(readings)
    checks = read_in_turns(reader, lines, texts, windows, 3)
    assert reader.batches == [[0, 3, 7], [4]]
    assert [list(c) for c in checks] == [[0], [3, 4], [7]]
    assert checks[1][3].cer == 0.5 and checks[1][4].passed and checks[2][7].window == windows[7]
    # Of line 1's candidates, the exact one is the best; line 2 kept the one that passed.
    assert min(checks[1], key=lambda j: checks[1][j].sort_key()) == 4


def test_a_line_without_an_exact_reading_has_every_candidate_read():
    texts = ["abcdefghij"] * 3
    readings = ["abcdefghix", "abcdefghij", "zz"]  # The second passes only when read.
    lines = [np.array([[0.0, j, 0.0], [1.0, 1.0, 0.0]], np.float32) for j in range(3)]
    windows = [WindowFailures(skipped=("abcdefghij",))] + [WindowFailures()] * 2
    reader = ReaderOfMarks(readings)
    (checks,) = read_in_turns(reader, lines, texts, windows, 3)
    assert reader.batches == [[1]]  # Window-passing candidates first; it reads exactly.
    reader = ReaderOfMarks(["abcdefghix", "abcdefghiy", "zz"])
    (checks,) = read_in_turns(reader, lines, texts, windows, 3)
    assert reader.batches == [[1], [2], [0]] and len(checks) == 3
    best = min(checks, key=lambda j: checks[j].sort_key())
    assert best == 1 and checks[1].passed and not checks[0].passed  # 0's window skipped.


def test_window_failures_find_stalls_and_skips():
    text = "the cat sat"

    def positions(steps):
        return np.repeat(np.arange(len(steps)), steps)

    even = [10] * len(text) + [2]
    assert not window_failures(positions(even), text)
    stall = list(even)
    stall[5] = 60  # The "a" of "cat".
    assert window_failures(positions(stall), text).stalled == ("cat",)
    skip = list(even)
    skip[8:11] = [0, 1, 0]  # "sat" passed in one step.
    failures = window_failures(positions(skip), text)
    assert failures.skipped == ("sat",) and failures.stalled == ()


@pytest.mark.parametrize("style", [None, 1])
def test_sampled_window_positions_follow_the_text(style):
    """With the shipped model: the window the sampler records (one position per sampled
    point) ends on the last character or past the text (a line ends with the stroke that was
    under way when the window left the text), moves forward and visits the text's
    characters; the lines are those `generate` writes."""
    synth = Synthesizer.from_pretrained()
    texts = ["hello world", "pen"]
    lines, positions = synth.sample_with_window(texts, seed=2, style=style)
    for line, same in zip(lines, synth.generate(texts, seed=2, style=style)):
        np.testing.assert_array_equal(line, same)
    sampled, _ = synth.sample_with_window(texts, seed=2, style=style, dense=False)
    for line, text, where in zip(sampled, texts, positions):
        assert len(where) == len(line)
        assert where[-1] >= len(text) - 1
        assert np.mean(np.diff(where) < 0) < 0.05
        assert len(set(where.tolist())) >= 0.8 * len(text)
        assert not window_failures(where, text).skipped


def test_a_stalled_window_fails_a_line_that_reads_well(synth, monkeypatch):
    import hwsr.checked_generation as checked

    monkeypatch.setattr(checked, "window_failures",
                        lambda where, text: checked.WindowFailures(stalled=(text,)))
    lines = generate_checked(synth, ["ab"], 2, FakeReader("ab", lambda line: True), max_steps=30)
    (check,) = lines.report.lines
    assert lines.report.rounds == len(ROUNDS) and not check.passed and check.cer == 0.0
    assert check.window.stalled == ("ab",) and lines.report.failed_lines == 1
