"""`Recognizer`: pen strokes in, text out (the Python API behind ``hwsr recognize``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hwsr.decoding import METHODS, decode
from hwsr.line_segments import MAX_SEGMENT_POINTS, read_in_segments, space_code
from hwsr.model_dir import PRETRAINED_DIR, ModelBundle, ModelDirError, load_model_dir
from hwsr.strokes import validate_strokes

DEFAULT_BATCH_SIZE = 16


@dataclasses.dataclass(frozen=True)
class RecognitionResult:
    """The reading of one line.

    Attributes:
        text: the recognised text.
        score: ``log P(text | ink)`` under the model's CTC output, summed over alignments
            (<= 0; closer to 0 is more confident; it grows more negative with line length).
        codes: the alphabet codes of ``text``.
        frames: output frames the line was decoded from.
    """

    text: str
    score: float
    codes: list[int]
    frames: int

    @property
    def mean_log_prob(self) -> float:
        """``score`` per output frame: comparable across lines of different lengths."""
        return self.score / max(self.frames, 1)

    def to_dict(self) -> dict:
        return {"text": self.text, "score": self.score, "mean_log_prob": self.mean_log_prob}


def _is_single_line(strokes) -> bool:
    if isinstance(strokes, np.ndarray):
        return strokes.ndim == 2
    if isinstance(strokes, tf.Tensor):
        return strokes.shape.rank == 2
    if isinstance(strokes, (list, tuple)) and strokes:
        return np.ndim(strokes[0]) == 1  # A nested list of [eos, dx, dy] rows.
    return False


class Recognizer:
    """Reads online handwriting with a trained `HandwritingRecognitionModel`.

    Input lines are raw-unit ``[eos, dx, dy]`` float arrays (as `hwsr.ink.read_ink` and
    `hwsr.Synthesizer.generate` give them); the model drops points and scales offsets in its
    own graph. Lines are batched, padded together (shortest-first to limit padding). Lines
    longer than ``segment_points`` are read in pieces cut at pen-ups and joined
    (`hwsr.line_segments`), so memory grows linearly with a line's length.

    Example:

    >>> rec = Recognizer.from_pretrained()
    >>> rec.recognize(strokes).text
    'A MOVE to stop Mr. Gaitskell'
    >>> [r.text for r in rec.recognize([line_a, line_b], method="beam", beam_width=16)]
    """

    #: Longest piece of a line read in one model call (`hwsr.line_segments.MAX_SEGMENT_POINTS`).
    segment_points: int = MAX_SEGMENT_POINTS

    def __init__(self, bundle: ModelBundle, batch_size: int = DEFAULT_BATCH_SIZE):
        if bundle.task != "recognition":
            raise ModelDirError(f"{bundle.path}: holds a {bundle.task!r} model, not a recogniser")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.bundle = bundle
        self.model = bundle.model
        self.alphabet = bundle.alphabet
        self.batch_size = int(batch_size)
        self._forward = tf.function(
            self._forward_graph,
            input_signature=[
                tf.TensorSpec([None, None, 3], tf.float32),
                tf.TensorSpec([None], tf.int32),
            ],
        )

    @classmethod
    def from_pretrained(cls, name: str = "recognition", **kwargs) -> Recognizer:
        """The shipped default model (``hwsr/pretrained/recognition``; no download)."""
        path = PRETRAINED_DIR / name
        if not (path / "model.json").exists():
            raise ModelDirError(
                f"no shipped recognition model {name!r} is installed (looked in {path}); "
                "load a model dir trained by hwsr-train instead (Recognizer.from_dir, or --model-dir)"
            )
        return cls(load_model_dir(path, task="recognition"), **kwargs)

    @classmethod
    def from_dir(cls, path: str | os.PathLike, **kwargs) -> Recognizer:
        """A recogniser from a model dir written by ``hwsr-train --task recognition``."""
        return cls(load_model_dir(path, task="recognition"), **kwargs)

    def _forward_graph(self, strokes, lengths):
        out = self.model({"strokes": strokes, "lengths": lengths}, training=False)
        return out["logits"], out["logit_lengths"]

    @staticmethod
    def prepare(strokes, source: str = "strokes") -> np.ndarray:
        """Validates one line and moves its first point to the origin (row 0 ``dx, dy = 0``),
        as in the training data, so the absolute position of the ink does not matter."""
        line = validate_strokes(strokes, source=source).copy()
        line[0, 1:] = 0.0
        return line

    def logits(self, lines: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Runs the model on prepared lines padded into one batch: ``(logits, logit_lengths)``."""
        lengths = np.array([len(s) for s in lines], np.int32)
        batch = np.zeros([len(lines), int(lengths.max()), 3], np.float32)
        for i, s in enumerate(lines):
            batch[i, : len(s)] = s
        logits, logit_lengths = self._forward(tf.constant(batch), tf.constant(lengths))
        return logits.numpy(), logit_lengths.numpy()

    def recognize(self, strokes, method: str = "greedy", beam_width: int = 16,
                  batch_size: int | None = None):
        """Reads one line or a list of lines.

        Args:
            strokes: one ``[T, 3]`` raw-unit ``[eos, dx, dy]`` array, or a list of them.
            method: ``"greedy"`` (best path, fastest) or ``"beam"`` (CTC prefix beam search).
            beam_width: beam width for ``method="beam"``.
            batch_size: lines per model call (default: the recogniser's ``batch_size``).

        Returns:
            A `RecognitionResult` for one array, a list of them (in input order) for a list.

        Raises:
            hwsr.strokes.InvalidStrokesError: for a malformed line, naming its index.
        """
        if method not in METHODS:
            raise ValueError(f"method={method!r}: expected one of {METHODS}")
        single = _is_single_line(strokes)
        items = [strokes] if single else list(strokes)
        lines = [self.prepare(s, source="strokes" if single else f"line {i}") for i, s in enumerate(items)]
        size = int(batch_size or self.batch_size)
        if size < 1:
            raise ValueError(f"batch_size must be >= 1, got {size}")
        order = np.argsort([len(s) for s in lines], kind="stable")
        results: list[RecognitionResult | None] = [None] * len(lines)
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            logits, logit_lengths = read_in_segments(self.logits, [lines[i] for i in idx], size,
                                                     space_code(self.alphabet), self.segment_points)
            decoded = decode(logits, logit_lengths, self.alphabet, method=method, beam_width=beam_width)
            for i, d in zip(idx, decoded):
                results[i] = RecognitionResult(text=d.text, score=d.score, codes=d.codes, frames=d.frames)
        return results[0] if single else results
