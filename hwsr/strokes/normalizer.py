"""Offset normalisation with statistics fitted on a training set (Graves 2013, section 4)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Normalizer:
    """Scales ``dx, dy`` to zero mean and unit standard deviation; ``eos`` is untouched.

    Graves (2013) normalises the offsets this way over the training set; the statistics
    are saved beside every model (``stats.json``) so that inference uses the same ones.

    Example:

    >>> line = np.array([[0, 0, 0], [0, 3, 1], [1, 5, -2]], "float32")
    >>> norm = Normalizer.fit([line])
    >>> np.allclose(norm.denormalize(norm.normalize(line)), line)
    True
    """

    mean: tuple[float, float] = (0.0, 0.0)
    std: tuple[float, float] = (1.0, 1.0)
    count: int = 0

    @classmethod
    def fit(cls, sequences: Iterable[np.ndarray], skip_first_row: bool = True) -> Normalizer:
        """Fits mean/std of ``dx, dy`` over all rows (row 0, the origin, skipped by default)."""
        total = np.zeros(2)
        total_sq = np.zeros(2)
        count = 0
        for seq in sequences:
            seq = np.asarray(seq, dtype=np.float64)
            rows = seq[1:] if skip_first_row else seq
            total += rows[:, 1:3].sum(axis=0)
            total_sq += np.square(rows[:, 1:3]).sum(axis=0)
            count += len(rows)
        if count == 0:
            raise ValueError("cannot fit a Normalizer on no points")
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean**2, 1e-12))
        return cls(tuple(mean.tolist()), tuple(std.tolist()), count)

    def normalize(self, strokes) -> np.ndarray:
        out = np.array(strokes, dtype=np.float32, copy=True)
        out[:, 1:3] = (out[:, 1:3] - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return out

    def denormalize(self, strokes) -> np.ndarray:
        out = np.array(strokes, dtype=np.float32, copy=True)
        out[..., 1:3] = out[..., 1:3] * np.asarray(self.std, np.float32) + np.asarray(self.mean, np.float32)
        return out

    def to_dict(self) -> dict:
        return {"format": "hwsr.normalizer/1", "mean": list(self.mean), "std": list(self.std),
                "count": self.count}

    @classmethod
    def from_dict(cls, data: dict) -> Normalizer:
        try:
            mean, std = tuple(map(float, data["mean"])), tuple(map(float, data["std"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not hwsr normaliser statistics: {e}") from None
        if len(mean) != 2 or len(std) != 2 or min(std) <= 0:
            raise ValueError(f"bad normaliser statistics: mean={mean} std={std}")
        return cls(mean, std, int(data.get("count", 0)))

    def save(self, path: str | os.PathLike) -> None:
        from hwsr.io_utils import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Normalizer:
        with open(path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: not valid JSON ({e})") from None
        try:
            return cls.from_dict(data)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
