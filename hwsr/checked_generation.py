"""Recogniser-checked generation: write several candidates of every line, keep one that reads.

`generate_checked` (behind ``Synthesizer.generate(..., candidates=N)`` and
``hwsr generate --candidates N``) writes ``N`` candidates of every line in one batch, reads
them back with a recogniser (greedy CTC decoding, no language model) and keeps the best
of each line. A line whose best candidate still fails is written again, in a second round
with a new seed and, if it fails again, in a third at a higher bias (`ROUNDS`).

A candidate fails when

* its reading is more than ``max_cer`` off its text (character error rate), or
* the reading drops a word of the text or repeats one (`hwsr.alignment.word_failures`), or
* the attention window skips a word or stalls on a character (`window_failures`): the
  sampler records where its window weights phi peaked on the text at every step
  (`Synthesizer.sample_with_window`), so the check costs nothing extra.

Reading back costs about half as much per line as writing, so candidates are read in turns
(`read_in_turns`): first one candidate of every line (those whose window passed first), then
another of each line that has no exact reading yet, and so on. A candidate that passes and
reads exactly (CER 0) cannot be beaten on the checker's terms, so its line's other
candidates are never read. Of the candidates read, the best is the first by (fails, CER,
recogniser confidence), and it is kept unless an earlier round's is better.
The `CheckReport` says what was read, which round each line came from, how often a line
needed a second round and how many candidates were read back.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from hwsr.alignment import WordFailures, word_failures
from hwsr.defaults import DEFAULT_BIAS, DEFAULT_STYLE
from hwsr.evaluation import decoding_options
from hwsr.metrics import edit_distance
from hwsr.strokes.hand import match_hand

#: A candidate reading more than this far off its text (character error rate) fails.
DEFAULT_MAX_CER = 0.1
#: The rounds: ``(seed offset, bias increase)``. Round 1 is the call's seed and bias; a
#: line that fails it is written again with a new seed, then at a higher bias.
ROUNDS = ((0, 0.0), (1, 0.0), (2, 0.5))
#: The decoding the checker reads with: greedy, no language model (fixed, so a check means
#: the same every time).
CHECK_DECODING = decoding_options(0)
#: A character holding the window this many times the line's median steps per character
#: is a stall (a letter or word written over and over).
STALL_FACTOR = 3.5
#: A word the window passes in under this fraction of its expected steps is skipped.
SKIP_FRACTION = 0.25


@dataclasses.dataclass(frozen=True)
class WindowFailures:
    """Words of the text the attention window stalled on or skipped."""

    stalled: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.stalled or self.skipped)


@dataclasses.dataclass(frozen=True)
class LineCheck:
    """The check of the candidate kept for one line.

    Attributes:
        text: the line's text.
        reading: what the recogniser read.
        cer: character error rate of ``reading`` against ``text``.
        words: dropped and repeated words of the reading.
        window: words the attention window stalled on or skipped.
        round: the round (1, 2, ...) the kept candidate was written in.
        bias: the sampling bias it was written at.
        confidence: the recogniser's mean log probability per output frame.
        max_cer: the CER above which the line fails.
    """

    text: str
    reading: str
    cer: float
    words: WordFailures
    window: WindowFailures
    round: int
    bias: float
    confidence: float
    max_cer: float

    @property
    def passed(self) -> bool:
        return self.cer <= self.max_cer and not self.words and not self.window

    @property
    def exact(self) -> bool:
        """Passed with a reading equal to the text: no other candidate can beat it."""
        return self.passed and self.cer == 0

    def sort_key(self) -> tuple:
        return (not self.passed, self.cer, -self.confidence)

    def to_dict(self) -> dict:
        return {"text": self.text, "read": self.reading, "cer": self.cer, "passed": self.passed,
                "round": self.round, "bias": self.bias, "dropped_words": list(self.words.dropped),
                "repeated_words": list(self.words.repeated),
                "window_stalled": list(self.window.stalled),
                "window_skipped": list(self.window.skipped)}


@dataclasses.dataclass(frozen=True)
class CheckReport:
    """What recogniser-checked generation did, line by line.

    Attributes:
        candidates: candidates written per line and round.
        rounds: rounds run (1 when every line passed at once).
        lines: the check of each kept line, in input order.
        recognizer: the checking recogniser's model dir.
        reads: candidates read back, all rounds together (at most ``candidates`` per line
            and round; fewer when a line's candidate read exactly).
    """

    candidates: int
    rounds: int
    lines: tuple[LineCheck, ...]
    recognizer: str
    reads: int = 0

    @property
    def second_round_lines(self) -> int:
        """Lines whose first round had no passing candidate."""
        return sum(line.round > 1 or not line.passed for line in self.lines)

    @property
    def second_round_rate(self) -> float:
        return self.second_round_lines / max(len(self.lines), 1)

    @property
    def failed_lines(self) -> int:
        """Lines with no passing candidate after the last round."""
        return sum(not line.passed for line in self.lines)

    def to_dict(self) -> dict:
        return {"candidates": self.candidates, "rounds": self.rounds, "recognizer": self.recognizer,
                "reads": self.reads,
                "check_decoding": dict(CHECK_DECODING), "lines": len(self.lines),
                "second_round_lines": self.second_round_lines,
                "second_round_rate": self.second_round_rate, "failed_lines": self.failed_lines,
                "checks": [line.to_dict() for line in self.lines]}


class CheckedLines(list):
    """The kept lines (a list of ``[eos, dx, dy]`` arrays) with their `CheckReport` as
    ``.report``."""

    def __init__(self, lines, report: CheckReport):
        super().__init__(lines)
        self.report = report


@functools.lru_cache(maxsize=1)
def shipped_recognizer():
    """The shipped recogniser, loaded once per process."""
    from hwsr.recognizer import Recognizer

    return Recognizer.from_pretrained()


def window_failures(positions: np.ndarray, text: str) -> WindowFailures:
    """Stalls and skips of the window positions of one line (`Synthesizer.sample_with_window`).

    A word stalls when one of its characters holds the window more than `STALL_FACTOR`
    times the line's median steps per character; it is skipped when the window spends
    under `SKIP_FRACTION` of its expected steps (its length times that median) on it.
    """
    counts = np.bincount(positions, minlength=len(text) + 1)[: len(text)]
    ink = np.array([not c.isspace() for c in text])
    if not ink.any():
        return WindowFailures()
    median = float(np.median(counts[ink]))
    stalled, skipped = [], []
    start = 0
    for word in text.split():
        start = text.index(word, start)
        steps = counts[start : start + len(word)]
        if steps.max() > STALL_FACTOR * max(median, 1.0):
            stalled.append(word)
        if steps.sum() < SKIP_FRACTION * len(word) * median:
            skipped.append(word)
        start += len(word)
    return WindowFailures(tuple(stalled), tuple(skipped))


def read_back(recognizer, lines, texts, windows, *, round_: int = 1, bias: float = DEFAULT_BIAS,
              max_cer: float = DEFAULT_MAX_CER) -> list[LineCheck]:
    """Reads ``lines`` back and checks each reading against its text; ``windows`` are the
    lines' `window_failures`, checked from the sampler's record."""
    checks = []
    readings = recognizer.recognize(list(lines), **CHECK_DECODING)
    for text, reading, window in zip(texts, readings, windows):
        cer = edit_distance(text, reading.text) / max(len(text), 1)
        checks.append(LineCheck(text=text, reading=reading.text, cer=cer,
                                words=word_failures(text, reading.text), window=window,
                                round=round_, bias=float(bias), confidence=reading.mean_log_prob,
                                max_cer=max_cer))
    return checks


def read_in_turns(recognizer, lines, texts, windows, candidates: int, *, round_: int = 1,
                  bias: float = DEFAULT_BIAS, max_cer: float = DEFAULT_MAX_CER
                  ) -> list[dict[int, LineCheck]]:
    """Reads the candidates of each line in turns until one reads exactly.

    ``lines``, ``texts`` and ``windows`` (`window_failures` of each) hold ``candidates``
    consecutive candidates per line. Each turn reads, in one call, the next candidate of every
    line that has no passing exact reading (CER 0) yet, those whose window passed first.

    Returns:
        Per line, ``{index into lines: check}`` of the candidates read, in reading order
        (window failures included).
    """
    n = int(candidates)
    order = [sorted(range(k * n, (k + 1) * n), key=lambda j: bool(windows[j]))
             for k in range(len(lines) // n)]
    checks: list[dict[int, LineCheck]] = [{} for _ in order]
    for turn in range(n):
        todo = [k for k, read in enumerate(checks) if not any(c.exact for c in read.values())]
        if not todo:
            break
        picks = [order[k][turn] for k in todo]
        readings = read_back(recognizer, [lines[j] for j in picks], [texts[j] for j in picks],
                             [windows[j] for j in picks], round_=round_, bias=bias, max_cer=max_cer)
        for k, j, check in zip(todo, picks, readings):
            checks[k][j] = check
    return checks


def generate_checked(synth, texts: Sequence[str], candidates: int, recognizer=None, *,
                     bias: float = DEFAULT_BIAS, seed: int = 0, style=DEFAULT_STYLE,
                     unknown: str | None = None, max_cer: float = DEFAULT_MAX_CER, rounds: int = len(ROUNDS),
                     one_hand: bool = False, **sampling) -> CheckedLines:
    """Writes ``candidates`` candidates of each text per round and keeps the best one.

    Args:
        synth: a `hwsr.synthesizer.Synthesizer`.
        texts: the lines to write.
        candidates: candidates per line and round (all lines' candidates in one batch).
        recognizer: a `hwsr.recognizer.Recognizer` to read with (None: the shipped one).
        bias, seed, style, unknown: as in ``Synthesizer.generate``.
        max_cer: a candidate reading more than this far off fails.
        rounds: how many of `ROUNDS` to run at most (1: no re-sampling).
        one_hand: match the kept lines in size and slant, as one page
            (`hwsr.strokes.hand.match_hand`; the checks read the lines as sampled).
        **sampling: further ``Synthesizer.generate`` arguments (temperature, max_steps, dense).

    Returns:
        The kept lines, with the `CheckReport` as ``.report``.
    """
    if int(candidates) < 1:
        raise ValueError(f"candidates must be >= 1, got {candidates}")
    if not 1 <= int(rounds) <= len(ROUNDS):
        raise ValueError(f"rounds must be 1 to {len(ROUNDS)}, got {rounds}")
    if not max_cer >= 0:
        raise ValueError(f"max_cer must be >= 0, got {max_cer}")
    recognizer = recognizer or shipped_recognizer()
    texts = synth.check_texts(list(texts), unknown)
    best: list[LineCheck | None] = [None] * len(texts)
    kept: list[np.ndarray | None] = [None] * len(texts)
    pending = list(range(len(texts)))
    done = reads = 0
    for done, (seed_offset, extra_bias) in enumerate(ROUNDS[: int(rounds)], 1):
        batch = [texts[i] for i in pending for _ in range(int(candidates))]
        round_bias = bias + extra_bias
        lines, positions = synth.sample_with_window(
            batch, bias=round_bias, seed=(int(seed) + 7919 * seed_offset), style=style, **sampling)
        windows = [window_failures(where, text) for where, text in zip(positions, batch)]
        read = read_in_turns(recognizer, lines, batch, windows, candidates, round_=done,
                             bias=round_bias, max_cer=max_cer)
        reads += sum(map(len, read))
        for i, checks in zip(pending, read):
            j = min(checks, key=lambda j: checks[j].sort_key())
            if best[i] is None or checks[j].sort_key() < best[i].sort_key():
                best[i], kept[i] = checks[j], lines[j]
        pending = [i for i in pending if not best[i].passed]
        if not pending:
            break
    report = CheckReport(candidates=int(candidates), rounds=done, lines=tuple(best),
                         recognizer=str(recognizer.bundle.path), reads=reads)
    return CheckedLines(match_hand(kept) if one_hand else kept, report)
