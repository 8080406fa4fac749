"""What the REST and gRPC clients share: errors and the hwsr-level calls (text <-> strokes)."""

from __future__ import annotations

import numpy as np

from hwsr.defaults import DEFAULT_BIAS
from hwsr.inference.recognition_io import pad_lines, prepare_lines
from hwsr.inference.sampling_args import check_sampling_args
from hwsr.strokes import validate_strokes

SYNTHESIS_MODEL = "hwsr_synthesis"
RECOGNITION_MODEL = "hwsr_recognition"


class ServingError(RuntimeError):
    """A failed call: unreachable server, timeout, HTTP/gRPC error (with the server's message)."""

    def __init__(self, message: str, status: int | str | None = None):
        super().__init__(message)
        self.status = status


class PredictClient:
    """Adds `synthesize` and `recognize` to a client's ``predict(model, inputs, ...)``."""

    def predict(self, model: str, inputs: dict, signature_name: str | None = None,
                version: int | None = None) -> dict:
        raise NotImplementedError

    def synthesize(self, texts, bias: float = DEFAULT_BIAS, seed: int = 0, max_steps: int = 1000,
                   style=None, model: str = SYNTHESIS_MODEL,
                   version: int | None = None) -> list[np.ndarray]:
        """Text lines to raw-unit ``[T, 3]`` strokes (one array per line), as
        `hwsr.Synthesizer.generate` writes them for the same texts, bias, seed, max steps
        and style.

        Args:
            texts: one line or a list (one request).
            bias, seed: as in `hwsr.Synthesizer.generate`.
            max_steps: bound on sampled points (the server caps it to its export's bound).
            style: ``(strokes, text)`` of a writer to imitate (raw-unit strokes, e.g. from
                `hwsr.ink.read_ink`): calls ``synthesize_primed``.

        Raises:
            hwsr.inference.sampling_args.SamplingArgumentError: a bad value, before any call.
            ServingError: the server refused or failed.
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        check_sampling_args(bias=bias, seed=seed, max_steps=max_steps)
        n = len(texts)
        inputs = {
            "text": np.array([t.encode("utf-8") for t in texts], dtype=object),
            "bias": np.full(n, bias, np.float32),
            "seed": np.full(n, seed, np.int32),
            "max_steps": np.full(n, max_steps, np.int32),
        }
        signature = "serving_default"
        if style is not None:
            strokes, text = style
            (prime,), (length,) = pad_lines([validate_strokes(strokes, source="style strokes")])
            inputs.update(prime_strokes=np.repeat(prime[np.newaxis], n, 0),
                          prime_lengths=np.full(n, length, np.int32),
                          prime_text=np.array([text.encode("utf-8")] * n, dtype=object))
            signature = "synthesize_primed"
        out = self.predict(model, inputs, signature, version)
        strokes = np.asarray(out["strokes"], np.float32).reshape(n, -1, 3)
        lengths = np.asarray(out["lengths"], np.int64).reshape(n)
        return [strokes[i, : lengths[i]] for i in range(n)]

    def recognize(self, strokes_list, model: str = RECOGNITION_MODEL,
                  version: int | None = None) -> list[tuple[str, float]]:
        """Raw-unit ``[T, 3]`` strokes (one array per line) to ``(text, score)`` pairs."""
        batch, lengths = pad_lines(prepare_lines(list(strokes_list)))
        out = self.predict(model, {"strokes": batch, "lengths": lengths}, "serving_default", version)
        texts = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in np.ravel(out["text"])]
        return list(zip(texts, np.asarray(out["scores"], np.float64).ravel().tolist()))
