"""What the REST and gRPC clients share: errors and the hwsr-level calls (text <-> strokes)."""

from __future__ import annotations

import numpy as np

SYNTHESIS_MODEL = "hwsr_synthesis"
RECOGNITION_MODEL = "hwsr_recognition"


class ServingError(RuntimeError):
    """A failed call: unreachable server, timeout, HTTP/gRPC error (with the server's message)."""

    def __init__(self, message: str, status: int | str | None = None):
        super().__init__(message)
        self.status = status


def pad_strokes(strokes_list) -> tuple[np.ndarray, np.ndarray]:
    """A list of ``[T_i, 3]`` strokes to ``([B, max T, 3] float32, lengths [B] int32)``."""
    from hwsr.strokes import validate_strokes

    arrays = [validate_strokes(s, source=f"line {i}") for i, s in enumerate(strokes_list)]
    if not arrays:
        raise ValueError("no strokes to recognise")
    lengths = np.array([len(a) for a in arrays], np.int32)
    batch = np.zeros((len(arrays), int(lengths.max()), 3), np.float32)
    for i, a in enumerate(arrays):
        batch[i, : len(a)] = a
    return batch, lengths


class PredictClient:
    """Adds `synthesize` and `recognize` to a client's ``predict(model, inputs, ...)``."""

    def predict(self, model: str, inputs: dict, signature_name: str | None = None,
                version: int | None = None) -> dict:
        raise NotImplementedError

    def synthesize(self, texts, bias: float = 0.5, seed: int = 0, max_steps: int = 1000,
                   model: str = SYNTHESIS_MODEL, version: int | None = None) -> list[np.ndarray]:
        """Text lines to raw-unit ``[T, 3]`` strokes (one array per line)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        n = len(texts)
        out = self.predict(model, {
            "text": np.array([t.encode("utf-8") for t in texts], dtype=object),
            "bias": np.full(n, bias, np.float32),
            "seed": np.full(n, seed, np.int32),
            "max_steps": np.full(n, max_steps, np.int32),
        }, "serving_default", version)
        strokes = np.asarray(out["strokes"], np.float32).reshape(n, -1, 3)
        lengths = np.asarray(out["lengths"], np.int64).reshape(n)
        return [strokes[i, : lengths[i]] for i in range(n)]

    def recognize(self, strokes_list, model: str = RECOGNITION_MODEL,
                  version: int | None = None) -> list[tuple[str, float]]:
        """Raw-unit ``[T, 3]`` strokes (one array per line) to ``(text, score)`` pairs."""
        batch, lengths = pad_strokes(strokes_list)
        out = self.predict(model, {"strokes": batch, "lengths": lengths}, "serving_default", version)
        texts = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in np.ravel(out["text"])]
        return list(zip(texts, np.asarray(out["scores"], np.float64).ravel().tolist()))
