"""Host-side drivers for the exported ``.tflite`` files (what a device app does), on LiteRT.

`TFLiteRecognizer` prepares a line (`hwsr.inference.recognition_io`), runs ``recognize``
and decodes its logits with `hwsr.decoding`, as `hwsr.Recognizer` does (same text, same
score). `TFLiteSynthesizer` runs ``decode_step`` in a loop with the host-side rules of
`hwsr.Synthesizer.generate` (`hwsr.inference.synthesis_io`: text checks, start point,
priming, stopping, de-normalisation and point density): it draws each point from the
mixture the step returns, feeds it back, and stops with Graves' rule (section 5.3): the
window has moved past the last character and the pen is up.

Random numbers: TFLite builtins have no stateless RNG, so the draws run on the host. With
``noise="numpy"`` (the default, what an app without TensorFlow does) they come from
``numpy.random.default_rng(seed)``: the same distribution as the Python API, other draws.
With ``noise="tensorflow"`` they are the API's own stateless draws, so the strokes are
`Synthesizer.generate`'s up to the float rounding of the TFLite kernels
(``tests/export/parity_test.py`` states the tolerance).

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
from hwsr.decoding import decode
from hwsr.defaults import DEFAULT_BIAS
from hwsr.inference.recognition_io import prepare_line
from hwsr.inference.sampling_args import check_sampling_args, seed_pair
from hwsr.inference.synthesis_io import SynthesisIO, past_end, text_end_length
from hwsr.strokes import Normalizer

NOISES = ("numpy", "tensorflow")


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
        line = prepare_line(strokes)
        if len(line) > self.points:
            raise ValueError(f"strokes have {len(line)} points; this .tflite recogniser takes at "
                             f"most {self.points} (downsample the line or export with a larger size)")
        # The exact line, not padded to `points`: the interpreter resizes its input.
        out = self.runner(strokes=line[np.newaxis], lengths=np.array([len(line)], np.int32))
        [result] = decode(out["logits"], out["logit_lengths"], self.alphabet)
        return result.text, result.score


class TFLiteSynthesizer:
    """Runs ``hwsr_synthesis_step*.tflite`` in a host loop: text -> raw ``[T, 3]`` strokes."""

    def __init__(self, path: str | os.PathLike):
        self.meta, self.alphabet, self.runner = _load(path, "decode_step")
        self.text_length = int(self.meta["text_length"])
        self.state_size = sum(width for _, width in self.meta["state_layout"])
        self.normalizer = Normalizer.from_dict(self.meta["normalizer"])
        self.io = SynthesisIO.from_parts(self.alphabet, self.normalizer, self.meta.get("preprocessing", {}))
        self.max_steps = int(self.meta["max_steps"])

    def encode(self, text: str) -> tuple[np.ndarray, int]:
        """``(chars [1, U] int32, number of codes)`` of the text the step reads."""
        codes = self.alphabet.encode(text)
        return self._chars(codes), len(codes)

    def _chars(self, codes: np.ndarray) -> np.ndarray:
        if len(codes) > self.text_length:
            raise ValueError(f"text has {len(codes)} characters; this .tflite model takes at most "
                             f"{self.text_length} (priming text included)")
        chars = np.zeros((1, self.text_length), np.int32)
        chars[0, : len(codes)] = codes
        return chars

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

    def _sampler(self, noise: str, seed: int, bias: float):
        """``draw(step_output, t) -> [eos, dx, dy]`` for ``noise``."""
        if noise not in NOISES:
            raise ValueError(f"noise={noise!r}: expected one of {NOISES}")
        if noise == "numpy":
            rng = np.random.default_rng(seed & 0x7FFFFFFF)
            return lambda out, t: self.sample_point(out, rng)
        from hwsr.inference.synthesis_graph import draw_point

        pair = seed_pair(seed)
        return lambda out, t: draw_point(out["params"], pair, t, bias)

    def synthesize(self, text: str, bias: float = DEFAULT_BIAS, max_steps: int | None = None,
                   seed: int = 0, style=None, dense: bool = True, noise: str = "numpy") -> np.ndarray:
        """Writes one line as `hwsr.Synthesizer.generate` does; returns raw-unit ``[T, 3]``.

        Args:
            text: one line.
            bias, seed, dense: as in `Synthesizer.generate` (temperature 1).
            max_steps: bound on sampled points (default scaled to the text, at most the
                export's ``max_steps``).
            style: ``(strokes, text)`` of a writer to imitate (raw units).
            noise: ``"numpy"`` or ``"tensorflow"`` random numbers (see the module notes).
        """
        args = check_sampling_args(bias=bias, seed=seed, max_steps=max_steps)
        [text] = self.io.check_texts([text])
        codes = self.alphabet.encode(text, unknown="map")
        steps = min(args.get("max_steps") or self.io.default_max_steps([text]), self.max_steps)
        draw = self._sampler(noise, args["seed"], args["bias"])
        state = np.zeros((1, self.state_size), np.float32)
        point = self.io.start_point[np.newaxis]
        if style is not None:
            # The network reads the writer's line first (Graves section 5.5), after the start
            # point; sampling goes on from the line's last point.
            prime, prime_codes = self.io.prime(*style)
            codes = np.concatenate([prime_codes, codes])
            for row in np.concatenate([point, prime[:-1]]):
                state = self.step(state, row[np.newaxis], self._chars(codes), args["bias"])["new_state"]
            point = prime[-1:]
        chars = self._chars(codes)
        points, positions = [], []
        for t in range(steps):
            out = self.step(state, point, chars, args["bias"])
            state = out["new_state"]
            new = draw(out, t)
            points.append(new)
            positions.append(int(np.argmax(out["phi"][0])))
            point = new[np.newaxis]
            if new[0] > 0.5 and past_end(out["phi"][0], len(codes)):
                break
        points = np.stack(points)
        kept = text_end_length(points[:, 0], np.array(positions), len(codes))
        [line] = self.io.finish(points[np.newaxis, :kept], [kept], dense)
        return line
