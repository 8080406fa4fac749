"""Host-side drivers for the exported ``.tflite`` files (what a device app does), on LiteRT.

`TFLiteRecognizer` pads a line to the fixed input length, runs ``recognize`` and decodes the
labels with the alphabet. `TFLiteSynthesizer` runs ``decode_step`` in a loop: it draws each
point from the mixture the step returns (with the app's own random numbers; TFLite builtins
have no stateless RNG), feeds it back, and stops with Graves' rule (section 5.3): the window
has moved past the last character and the pen is up.

Example:

>>> synth = TFLiteSynthesizer("export/tflite/hwsr_synthesis_step.tflite")
>>> strokes = synth.synthesize("hello", bias=0.75, seed=1)        # [T, 3] raw units
>>> TFLiteRecognizer("export/tflite/hwsr_recognition.tflite").recognize(strokes)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from hwsr.alphabet import Alphabet
from hwsr.strokes import Normalizer, validate_strokes


def _interpreter(path: Path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise ImportError("running .tflite files needs ai-edge-litert; install it with "
                          "'pip install --no-deps -r requirements-serving.txt'") from e
    return Interpreter(model_path=str(path))


def _load(path: str | os.PathLike, signature: str):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such .tflite file")
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{meta_path}: the JSON sidecar written with {path.name} is missing") from None
    if meta.get("signature") != signature:
        raise ValueError(f"{path}: holds signature {meta.get('signature')!r}, not {signature!r}")
    runner = _interpreter(path).get_signature_runner(signature)
    return meta, Alphabet.from_dict(meta["alphabet"]), runner


class TFLiteRecognizer:
    """Runs ``hwsr_recognition*.tflite``: raw ``[T, 3]`` strokes -> text."""

    def __init__(self, path: str | os.PathLike):
        self.meta, self.alphabet, self.runner = _load(path, "recognize")
        self.points = int(self.meta["points"])

    def recognize(self, strokes) -> tuple[str, float]:
        """``(text, score)`` of one line; lines longer than the fixed input are rejected."""
        strokes = validate_strokes(strokes)
        if len(strokes) > self.points:
            raise ValueError(f"strokes have {len(strokes)} points; this .tflite recogniser takes at "
                             f"most {self.points} (downsample the line or export with a larger size)")
        padded = np.zeros((1, self.points, 3), np.float32)
        padded[0, : len(strokes)] = strokes
        out = self.runner(strokes=padded, lengths=np.array([len(strokes)], np.int32))
        n = int(out["label_lengths"][0])
        return self.alphabet.decode(out["labels"][0, :n]), float(out["scores"][0])


class TFLiteSynthesizer:
    """Runs ``hwsr_synthesis_step*.tflite`` in a host loop: text -> raw ``[T, 3]`` strokes."""

    def __init__(self, path: str | os.PathLike):
        self.meta, self.alphabet, self.runner = _load(path, "decode_step")
        self.text_length = int(self.meta["text_length"])
        self.state_size = sum(width for _, width in self.meta["state_layout"])
        self.normalizer = Normalizer.from_dict(self.meta["normalizer"])
        self.max_steps = int(self.meta["max_steps"])

    def encode(self, text: str) -> tuple[np.ndarray, int]:
        codes = self.alphabet.encode(text)
        if len(codes) > self.text_length:
            raise ValueError(f"text has {len(codes)} characters; this .tflite model takes at most "
                             f"{self.text_length}")
        chars = np.zeros((1, self.text_length), np.int32)
        chars[0, : len(codes)] = codes
        return chars, len(codes)

    def step(self, state, point, chars, bias: float) -> dict:
        """One ``decode_step`` call (all arrays batch 1)."""
        return self.runner(state=state, point=point, chars=chars, bias=np.array([bias], np.float32))

    @staticmethod
    def sample_point(out: dict, rng: np.random.Generator) -> np.ndarray:
        """Draws ``[eos, dx, dy]`` (normalised) from one step's mixture."""
        log_pi = out["log_pi"][0].astype(np.float64)
        pi = np.exp(log_pi - log_pi.max())
        j = rng.choice(len(pi), p=pi / pi.sum())
        sx, sy, rho = out["sigma_x"][0, j], out["sigma_y"][0, j], out["rho"][0, j]
        n1, n2 = rng.standard_normal(2)
        dx = out["mu_x"][0, j] + sx * n1
        dy = out["mu_y"][0, j] + sy * (rho * n1 + np.sqrt(1.0 - rho * rho) * n2)
        eos = float(rng.random() < out["eos_prob"][0])
        return np.array([eos, dx, dy], np.float32)

    def synthesize(self, text: str, bias: float = 0.5, max_steps: int | None = None,
                   seed: int | None = None) -> np.ndarray:
        """Samples one line; returns raw-unit ``[T, 3]`` strokes (``T <= max_steps``)."""
        chars, length = self.encode(text)
        max_steps = min(int(max_steps or self.max_steps), self.max_steps)
        rng = np.random.default_rng(seed)
        state = np.zeros((1, self.state_size), np.float32)
        point = np.zeros((1, 3), np.float32)
        points = []
        for _ in range(max_steps):
            out = self.step(state, point, chars, bias)
            state = out["new_state"]
            new = self.sample_point(out, rng)
            points.append(new)
            point = new[np.newaxis]
            phi = out["phi"][0]
            past_end = phi[length] > (phi[:length].max() if length else 0.0)
            if past_end and new[0] > 0.5:
                break
        return self.normalizer.denormalize(np.stack(points))
