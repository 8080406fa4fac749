"""`Recognizer`: pen strokes in, text out (the Python API behind ``hwsr recognize``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hwsr.decoding import (
    DEFAULT_BEAM_WIDTH,
    DEFAULT_CANDIDATES,
    DEFAULT_LM_WEIGHT,
    DEFAULT_OOV_PENALTY,
    DEFAULT_WORD_BONUS,
    METHODS,
    Candidate,
    LMScorer,
    decode,
)
from hwsr.inference.recognition_io import pad_lines, prepare_line
from hwsr.layers.block_lstm import block_bidirectional
from hwsr.line_segments import MAX_SEGMENT_POINTS, read_in_segments, space_code
from hwsr.model_dir import PRETRAINED_DIR, ModelBundle, ModelDirError, load_model_dir
from hwsr.strokes.device import REFERENCE_FILE, InkReference, adapt_ink

DEFAULT_BATCH_SIZE = 16
#: ``Recognizer(lm=SHIPPED_LM)``: the shipped character language model, when installed.
SHIPPED_LM = "shipped"
#: ``recognize(lm=...)`` default: the language model the recogniser was built with.
_RECOGNIZER_LM = object()


@dataclasses.dataclass(frozen=True)
class RecognitionResult:
    """The reading of one line.

    Attributes:
        text: the recognised text.
        score: ``log P(text | ink)`` under the model's CTC output, summed over alignments
            (<= 0; closer to 0 is more confident; it grows more negative with line length).
        codes: the alphabet codes of ``text``.
        frames: output frames the line was decoded from.
        candidates: the N best readings, best first (as ML Kit Digital Ink gives them), each
            a `hwsr.decoding.Candidate` with ``text`` and ``score`` (the decoder's ranking
            score: CTC log-likelihood plus the language-model terms); ``candidates[0].text``
            is ``text``.
    """

    text: str
    score: float
    codes: list[int]
    frames: int
    candidates: tuple[Candidate, ...] = ()

    @property
    def mean_log_prob(self) -> float:
        """``score`` per output frame: comparable across lines of different lengths."""
        return self.score / max(self.frames, 1)

    def to_dict(self) -> dict:
        return {"text": self.text, "score": self.score, "mean_log_prob": self.mean_log_prob,
                "candidates": [{"text": c.text, "score": c.score} for c in self.candidates]}


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
    own graph. For ink from another device, ``adapt_ink=True`` first brings every line to
    the training ink's size and point density (`hwsr.strokes.device`, with the model dir's
    ``ink_reference.json``; the shipped recogniser has one). It is off by default so that the
    API, the exports and the server read the same strokes the same way. Lines are batched, padded
    together (shortest-first to limit padding). Lines
    longer than ``segment_points`` are read in pieces cut at pen-ups and joined
    (`hwsr.line_segments`), so memory grows linearly with a line's length.

    Example:

    >>> rec = Recognizer.from_pretrained()
    >>> rec.recognize(strokes).text
    'A MOVE to stop Mr. Gaitskell'
    >>> [r.text for r in rec.recognize([line_a, line_b], method="beam", beam_width=16)]
    >>> [(c.text, c.score) for c in rec.recognize(strokes).candidates]  # N best, best first

    The shipped recogniser (`from_pretrained`) reads by default with a beam search and the
    shipped character language model (`hwsr.language_model`, ``hwsr/pretrained/lm/lm.npz``,
    tuned with it); ``lm=None`` (here or per `recognize` call) reads without it. A recogniser
    of your own takes ``lm=SHIPPED_LM`` or a path to use one.
    """

    #: Longest piece of a line read in one model call (`hwsr.line_segments.MAX_SEGMENT_POINTS`).
    segment_points: int = MAX_SEGMENT_POINTS

    def __init__(self, bundle: ModelBundle, batch_size: int = DEFAULT_BATCH_SIZE, lm=None,
                 adapt_ink: bool = False):
        if bundle.task != "recognition":
            raise ModelDirError(f"{bundle.path}: holds a {bundle.task!r} model, not a recogniser")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.bundle = bundle
        self.model = bundle.model
        self.alphabet = bundle.alphabet
        self.batch_size = int(batch_size)
        self.lm = self._load_lm(lm)
        #: The `InkReference` other devices' ink is adapted to (None: lines are read as given).
        self.ink_reference = None
        if adapt_ink:
            reference = bundle.path / REFERENCE_FILE
            if not reference.exists():
                raise ModelDirError(f"{bundle.path}: adapt_ink needs an {REFERENCE_FILE} "
                                    "(scripts/measure_ink_reference.py writes one)")
            self.ink_reference = InkReference.load(reference)
        self._scorers: dict[tuple, LMScorer] = {}
        self._forward = tf.function(
            self._forward_graph,
            input_signature=[
                tf.TensorSpec([None, None, 3], tf.float32),
                tf.TensorSpec([None], tf.int32),
            ],
        )

    @classmethod
    def from_pretrained(cls, name: str = "recognition", **kwargs) -> Recognizer:
        """The shipped default model (``hwsr/pretrained/recognition``; no download), with the
        shipped language model unless ``lm`` says otherwise."""
        path = PRETRAINED_DIR / name
        if not (path / "model.json").exists():
            raise ModelDirError(
                f"no shipped recognition model {name!r} is installed (looked in {path}); "
                "load a model dir trained by hwsr-train instead (Recognizer.from_dir, or --model-dir)"
            )
        kwargs.setdefault("lm", SHIPPED_LM)
        return cls(load_model_dir(path, task="recognition"), **kwargs)

    @classmethod
    def from_dir(cls, path: str | os.PathLike, **kwargs) -> Recognizer:
        """A recogniser from a model dir written by ``hwsr-train --task recognition``."""
        return cls(load_model_dir(path, task="recognition"), **kwargs)

    @staticmethod
    def _load_lm(lm):
        """A `CharNgramLM` from ``lm``: `SHIPPED_LM` (the shipped model, None where it is not
        installed), a file path, a loaded model, or None / False (no language model)."""
        from hwsr.language_model import CharNgramLM, shipped_path

        if lm is None or lm is False:
            return None
        if isinstance(lm, CharNgramLM):
            return lm
        if isinstance(lm, str) and lm == SHIPPED_LM:
            path = shipped_path(PRETRAINED_DIR)
            return CharNgramLM.load(path) if path.exists() else None
        if isinstance(lm, (str, os.PathLike)):
            return CharNgramLM.load(lm)
        raise TypeError(f"lm must be a path, a CharNgramLM, {SHIPPED_LM!r} or None, got {type(lm).__name__}")

    def _scorer(self, lm, lm_weight: float, word_bonus: float, oov_penalty: float) -> LMScorer | None:
        """The beam search's language-model term (kept per setting: it caches LM rows)."""
        lm = self.lm if lm is _RECOGNIZER_LM else self._load_lm(lm)
        if lm is None:
            return None
        key = (id(lm), float(lm_weight), float(word_bonus), float(oov_penalty))
        if key not in self._scorers:
            self._scorers[key] = LMScorer(lm, self.alphabet, lm_weight, word_bonus,
                                          oov_penalty if lm.lexicon is not None else 0.0)
        return self._scorers[key]

    def _forward_graph(self, strokes, lengths):
        out = self.model({"strokes": strokes, "lengths": lengths}, training=False,
                         run_rnn=block_bidirectional)
        return out["logits"], out["logit_lengths"]

    @staticmethod
    def prepare(strokes, source: str = "strokes") -> np.ndarray:
        """Validates one line and moves its first point to the origin (row 0 ``dx, dy = 0``),
        as in the training data, so the absolute position of the ink does not matter."""
        return prepare_line(strokes, source)

    def logits(self, lines: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Runs the model on prepared lines padded into one batch: ``(logits, logit_lengths)``."""
        batch, lengths = pad_lines(lines)
        logits, logit_lengths = self._forward(tf.constant(batch), tf.constant(lengths))
        return logits.numpy(), logit_lengths.numpy()

    def recognize(self, strokes, method: str | None = None, beam_width: int = DEFAULT_BEAM_WIDTH,
                  batch_size: int | None = None, lm=_RECOGNIZER_LM, lm_weight: float = DEFAULT_LM_WEIGHT,
                  word_bonus: float = DEFAULT_WORD_BONUS, oov_penalty: float = DEFAULT_OOV_PENALTY,
                  candidates: int = DEFAULT_CANDIDATES):
        """Reads one line or a list of lines.

        Args:
            strokes: one ``[T, 3]`` raw-unit ``[eos, dx, dy]`` array, or a list of them.
            method: ``"greedy"`` (best path, fastest, no language model) or ``"beam"`` (CTC
                prefix beam search, with the language model when there is one). Default:
                ``"beam"`` when a language model is in use, else ``"greedy"``.
            beam_width: beam width for ``method="beam"``.
            batch_size: lines per model call (default: the recogniser's ``batch_size``).
            lm: the language model for this call: the recogniser's by default; None or False
                for none; a path or a `hwsr.language_model.CharNgramLM`.
            lm_weight, word_bonus, oov_penalty: the language-model terms of the beam search's
                score (`hwsr.decoding.LMScorer`; the defaults were tuned on the validation split
                with the shipped models, ``bench/lm_decoding.py``).
            candidates: N-best readings kept per line (beam search; greedy gives one).

        Returns:
            A `RecognitionResult` for one array, a list of them (in input order) for a list.

        Raises:
            hwsr.strokes.InvalidStrokesError: for a malformed line, naming its index.
        """
        explicit_lm = lm is not _RECOGNIZER_LM and lm is not None and lm is not False
        scorer = None if method == "greedy" and not explicit_lm else \
            self._scorer(lm, lm_weight, word_bonus, oov_penalty)
        method = method or ("beam" if scorer is not None else "greedy")
        if method not in METHODS:
            raise ValueError(f"method={method!r}: expected one of {METHODS}")
        if int(candidates) < 1:
            raise ValueError(f"candidates must be >= 1, got {candidates}")
        top_paths = min(int(candidates), int(beam_width)) if method == "beam" else 1
        single = _is_single_line(strokes)
        items = [strokes] if single else list(strokes)
        lines = [self.prepare(s, source="strokes" if single else f"line {i}") for i, s in enumerate(items)]
        if self.ink_reference is not None:
            lines = [adapt_ink(line, self.ink_reference) for line in lines]
        size = int(batch_size or self.batch_size)
        if size < 1:
            raise ValueError(f"batch_size must be >= 1, got {size}")
        order = np.argsort([len(s) for s in lines], kind="stable")
        results: list[RecognitionResult | None] = [None] * len(lines)
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            logits, logit_lengths = read_in_segments(self.logits, [lines[i] for i in idx], size,
                                                     space_code(self.alphabet), self.segment_points)
            decoded = decode(logits, logit_lengths, self.alphabet, method=method, beam_width=beam_width,
                             scorer=scorer, top_paths=top_paths)
            for i, d in zip(idx, decoded):
                results[i] = RecognitionResult(text=d.text, score=d.score, codes=d.codes, frames=d.frames,
                                               candidates=d.candidates)
        return results[0] if single else results
