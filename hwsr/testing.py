"""Test helpers: tiny random-weight model dirs and random ink (no real data needed).

Used by hwsr's own tests and handy for testing code built on hwsr.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hwsr import model_dir as md
from hwsr.alphabet import Alphabet
from hwsr.strokes import Normalizer


def write_tiny_synthesis_dir(path: Path, alphabet: Alphabet | None = None) -> Path:
    import keras

    from hwsr.models.synthesis_model import HandwritingSynthesisModel

    keras.utils.set_random_seed(1)
    alphabet = alphabet or Alphabet.iam_ondb(unknown="drop")
    model = HandwritingSynthesisModel(vocabulary_size=len(alphabet), units=16, num_layers=2,
                                      num_window_components=2, num_mixture_components=3)
    model.build()
    normalizer = Normalizer(mean=(0.5, -0.2), std=(2.0, 3.0), count=10)
    md.write_model_files(path, "conditional_handwriting", model, alphabet, normalizer,
                         {"downsample": 2, "clip_offset_std": 15.0})
    return path


def write_tiny_recognition_dir(path: Path, alphabet: Alphabet | None = None) -> Path:
    import keras

    from hwsr.models.recognition_model import HandwritingRecognitionModel

    keras.utils.set_random_seed(2)
    alphabet = alphabet or Alphabet.iam_ondb(unknown="drop")
    model = HandwritingRecognitionModel(vocabulary_size=len(alphabet), offset_scale=(2.0, 3.0),
                                        downsample=2, units=8, num_layers=2, attention_heads=1,
                                        attention_key_dim=8, dropout=0.0)
    model.build()
    # Random weights rarely emit non-blank labels; a bias towards a few characters makes the
    # decoded text non-trivial, so that parity checks compare real strings.
    kernel, bias = model.classifier.get_weights()
    bias = bias.copy()
    bias[[0, 40, 50, 60]] += [0.3, 0.8, 0.8, 0.8]
    model.classifier.set_weights([kernel * 4.0, bias])
    normalizer = Normalizer(mean=(0.0, 0.0), std=(2.0, 3.0), count=10)
    md.write_model_files(path, "recognition", model, alphabet, normalizer, {"downsample": 2})
    return path


def random_strokes(batch: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``([batch, steps, 3] float32, lengths [batch] int32)``: raw-unit ink with pen lifts."""
    rng = np.random.default_rng(seed)
    strokes = np.zeros((batch, steps, 3), np.float32)
    strokes[..., 1:] = rng.normal(0.0, 3.0, (batch, steps, 2))
    strokes[..., 0] = rng.random((batch, steps)) < 0.08
    lengths = np.array([steps - (i * 7) % max(steps // 2, 1) for i in range(batch)], np.int32)
    for i, n in enumerate(lengths):
        strokes[i, n - 1, 0] = 1.0
        strokes[i, n:] = 0.0
    return strokes, lengths


WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "Line", "pen", "ink")


def random_lines(n_lines: int, seed: int = 0, texts=None) -> tuple[list[np.ndarray], list[str]]:
    """``(strokes, texts)``: programmatic lines of looping ink with whole-unit offsets (so they
    fit the int16 npz layout), about 6 points per character, a pen lift every 7 points.

    ``texts`` (optional, ``n_lines`` of them) fixes the texts; by default they are random words.
    """
    rng = np.random.default_rng(seed)
    if texts is not None and len(texts) != n_lines:
        raise ValueError(f"{len(texts)} texts for {n_lines} lines")
    lines, out_texts = [], []
    for i in range(n_lines):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4)))) if texts is None else texts[i]
        n = 6 * len(text) + 10
        t = np.linspace(0, len(text) * np.pi, n)
        points = np.stack([np.zeros(n), np.round(6 + 4 * np.cos(t) + rng.normal(0, 1, n)),
                           np.round(12 * np.sin(2 * t) + rng.normal(0, 1, n))], axis=1)
        points[6::7, 0] = 1
        points[-1, 0] = 1
        points[0] = 0
        lines.append(points.astype(np.float32))
        out_texts.append(text)
    return lines, out_texts
