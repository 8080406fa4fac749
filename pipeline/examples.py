"""Turns a `LineCorpus` into model-ready arrays: downsampling, normalisation, encoding."""

from __future__ import annotations

import dataclasses

import numpy as np

from hwsr.alphabet import Alphabet
from hwsr.pipeline.corpus import LineCorpus
from hwsr.strokes import Normalizer, drop_points, validate_strokes


@dataclasses.dataclass
class Examples:
    strokes: list[np.ndarray]
    codes: list[np.ndarray]
    line_ids: list[str]

    def __len__(self):
        return len(self.strokes)

    @property
    def num_points(self) -> int:
        return int(sum(len(s) for s in self.strokes))


def downsample_corpus(corpus: LineCorpus, factor: int) -> list[np.ndarray]:
    return [
        drop_points(validate_strokes(s, source=i), factor)
        for s, i in zip(corpus.strokes, corpus.line_ids)
    ]


def make_examples(
    strokes: list[np.ndarray],
    corpus: LineCorpus,
    alphabet: Alphabet,
    normalizer: Normalizer | None = None,
    clip: float | None = None,
    max_points: int | None = None,
) -> Examples:
    """Encodes texts and (optionally) normalises and clips offsets. Lines longer than
    ``max_points`` or with an empty text are left out."""
    out = Examples([], [], [])
    for s, text, line_id in zip(strokes, corpus.texts, corpus.line_ids):
        if max_points and len(s) > max_points:
            continue
        codes = alphabet.encode(text, source=line_id)
        if len(codes) == 0:
            continue
        if normalizer is not None:
            s = normalizer.normalize(s)
        if clip:
            s = s.copy()
            s[:, 1:] = np.clip(s[:, 1:], -clip, clip)
        out.strokes.append(s.astype(np.float32))
        out.codes.append(codes)
        out.line_ids.append(line_id)
    return out
