"""`Synthesizer`: text in, handwriting out (the Python API behind ``hwsr generate``)."""

from __future__ import annotations

import functools
import json
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from hwsr.defaults import DEFAULT_BIAS, DEFAULT_STYLE, FREE_HAND
from hwsr.inference.sampling_args import check_sampling_args, seed_pair
from hwsr.inference.synthesis_graph import SynthesisGraph
from hwsr.inference.synthesis_io import MAX_TEXT_LENGTH, RAW_POINTS_PER_CHAR, SynthesisIO
from hwsr.model_dir import PRETRAINED_DIR, ModelBundle, ModelDirError, load_model_dir
from hwsr.strokes.hand import match_hand

#: The file of a model dir's ``styles/`` that names its default style.
DEFAULT_STYLE_FILE = "default.json"

__all__ = ["MAX_TEXT_LENGTH", "RAW_POINTS_PER_CHAR", "Synthesizer", "scribble", "wrap_text"]


class Synthesizer:
    """Writes text in handwriting with a trained Graves synthesis network.

    Example:

    >>> synth = Synthesizer.from_pretrained()
    >>> lines = synth.write("Hello world. This is hwsr.", bias=0.75, seed=1)
    >>> hwsr.render.save(lines, "hello.svg")
    """

    def __init__(self, bundle: ModelBundle):
        if bundle.task != "conditional_handwriting":
            raise ModelDirError(f"{bundle.path}: a {bundle.task!r} model cannot write text")
        self.bundle = bundle
        self.model = bundle.model
        self.alphabet = bundle.alphabet
        self.normalizer = bundle.normalizer
        # Text checks, start point, priming and output rules shared with the exports and server.
        self.io = SynthesisIO.from_bundle(bundle)
        self.downsample = self.io.downsample
        self.clip = self.io.clip
        self._start_point = self.io.start_point
        self._graph = SynthesisGraph(self.model, self.io)
        # One graph each for plain and primed sampling, whatever the batch, text length and
        # priming length: every call with new shapes would otherwise trace the loop again.
        plain = (
            tf.TensorSpec([None, None], tf.int32, name="chars"),
            tf.TensorSpec([], tf.float32, name="bias"),
            tf.TensorSpec([], tf.float32, name="temperature"),
            tf.TensorSpec([2], tf.int32, name="seed"),
            tf.TensorSpec([], tf.int32, name="max_steps"),
        )
        primed = (*plain, tf.TensorSpec([None, 3], tf.float32, name="prime_strokes"),
                  tf.TensorSpec([None], tf.int32, name="prime_chars"))
        self._sample_plain = tf.function(self._sample_graph, input_signature=plain)
        self._sample_primed = tf.function(self._sample_graph, input_signature=primed)

    @classmethod
    def from_pretrained(cls, name: str = "synthesis") -> Synthesizer:
        """The shipped default model (no download)."""
        path = PRETRAINED_DIR / name
        if not (path / "model.json").exists():
            raise ModelDirError(f"no shipped model {name!r} is installed (looked in {path})")
        return cls(load_model_dir(path))

    @classmethod
    def from_dir(cls, path: str | os.PathLike) -> Synthesizer:
        return cls(load_model_dir(path))

    # Styles ----------------------------------------------------------------------------------

    @property
    def style_dir(self) -> Path:
        return self.bundle.path / "styles"

    def styles(self) -> list[int]:
        """Ids of the bundled priming styles."""
        if not self.style_dir.is_dir():
            return []
        return sorted(int(p.stem.split("-")[1]) for p in self.style_dir.glob("style-*.npz"))

    @functools.cached_property
    def default_style(self) -> int | None:
        """The bundled style written when no style is given: the id in the model dir's
        ``styles/default.json`` (``{"style": N, ...}``, chosen by `scripts/choose_default_style.py`
        for its legibility), or None (a free hand: no priming) when the model names none.
        Read once per `Synthesizer`, not on every call."""
        path = self.style_dir / DEFAULT_STYLE_FILE
        if not path.exists():
            return None
        try:
            style = json.loads(path.read_text(encoding="utf-8"))["style"]
        except (ValueError, KeyError, TypeError) as e:
            raise ModelDirError(f"{path}: not a default style file ({type(e).__name__}: {e})") from None
        if style not in self.styles():
            raise ModelDirError(f"{path}: names style {style!r}, which {self.style_dir} does not hold")
        return int(style)

    def resolve_style(self, style):
        """What ``style=`` means: `DEFAULT_STYLE` -> `default_style`, `FREE_HAND` (or None)
        -> None, anything else as given (a bundled id or ``(strokes, text)``)."""
        if isinstance(style, str):
            if style == DEFAULT_STYLE:
                return self.default_style
            if style == FREE_HAND:
                return None
            raise ValueError(f"style={style!r}: give a bundled style id, (strokes, text), "
                             f"{DEFAULT_STYLE!r} or {FREE_HAND!r}")
        return style

    def load_style(self, style: int) -> tuple[np.ndarray, str]:
        path = self.style_dir / f"style-{int(style)}.npz"
        if not path.exists():
            raise ValueError(f"unknown style {style}; available: {self.styles() or 'none'}")
        with np.load(path, allow_pickle=False) as z:
            return z["strokes"].astype(np.float32), str(z["text"])

    def _prime(self, style):
        """``(prime_strokes normalised, prime codes)`` or ``(None, None)``."""
        style = self.resolve_style(style)
        if style is None:
            return None, None
        if isinstance(style, (int, np.integer)):
            # Bundled styles are stored at the model's density.
            return self.io.prime(*self.load_style(int(style)), at_model_density=True)
        strokes, text = style
        return self.io.prime(strokes, text)

    # Generation ------------------------------------------------------------------------------

    def _sample_graph(self, chars, bias, temperature, seed, max_steps, prime_strokes=None, prime_chars=None):
        return self._graph.sample(chars, bias, temperature, seed, max_steps, prime_strokes, prime_chars,
                                  return_window=True)

    def unwritable_characters(self, texts: Sequence[str]) -> list[str]:
        """The characters of ``texts`` outside the model's alphabet, sorted."""
        return self.io.unwritable_characters(texts)

    def check_texts(self, texts: Sequence[str], unknown: str | None = None) -> list[str]:
        """Applies the alphabet's unknown-character policy and checks every line (non-blank,
        at most `MAX_TEXT_LENGTH` characters); errors list every bad character."""
        return self.io.check_texts(texts, unknown)

    def max_steps_for(self, texts: Sequence[str]) -> int:
        """The default bound on sampled points for ``texts``."""
        return self.io.default_max_steps(texts)

    def generate(
        self,
        texts: Sequence[str] | str,
        bias: float = DEFAULT_BIAS,
        seed: int = 0,
        temperature: float = 1.0,
        style=DEFAULT_STYLE,
        unknown: str | None = None,
        max_steps: int | None = None,
        dense: bool = True,
        candidates: int = 0,
        recognizer=None,
        one_hand: bool = False,
    ) -> list[np.ndarray]:
        """Writes each text as one line; returns raw-unit ``[eos, dx, dy]`` arrays.

        Args:
            texts: one text or a list (generated together, in one batch).
            bias: sampling bias (Graves 5.4): 0 is the full variety, 1 (the default) neat and
                legible, 2+ very regular.
            seed: same seed, same texts -> same strokes.
            temperature: extra softening (>1) or sharpening (<1).
            style: a bundled style id (`styles()`), or ``(strokes, text)`` of the writer to
                imitate (raw-unit ``[eos, dx, dy]``, e.g. from `hwsr.ink.read_ink`). The
                default, ``"default"``, is the model's `default_style` (the shipped model's
                most legible bundled style); ``"free"`` (or None) primes nothing, so each seed
                draws a new hand.
            unknown: ``"error"`` (default), ``"drop"`` or ``"map"`` for characters outside the
                alphabet.
            max_steps: bound on sampled points per line (default: scaled to the text length).
            dense: return ink at the point density of the training data (the model samples
                every ``downsample``-th point; pen-down steps are interpolated back), as
                recognisers and other consumers of IAM-like ink expect.
            candidates: 0 (the default) writes each line once. N >= 1 writes N candidates of
                each line in one batch, reads them back with ``recognizer`` and keeps the
                best; a line that still reads badly (or drops or repeats a word) is written
                again with a new seed, then a higher bias (`hwsr.checked_generation`). The
                result then also carries a ``.report`` (`CheckReport`).
            recognizer: the `hwsr.recognizer.Recognizer` that checks candidates (default: the
                shipped one).
            one_hand: write the lines as one page: the same writing size and slant for all
                (`hwsr.strokes.hand.match_hand`; `write` does this by default).
        """
        if isinstance(texts, str):
            texts = [texts]
        if not texts:
            return []
        check_sampling_args(bias=bias, temperature=temperature, seed=seed, max_steps=max_steps)
        if candidates:
            from hwsr.checked_generation import generate_checked

            return generate_checked(self, texts, candidates, recognizer, bias=bias, seed=seed,
                                    temperature=temperature, style=style, unknown=unknown,
                                    max_steps=max_steps, dense=dense, one_hand=one_hand)
        out, _ = self.sample_with_window(texts, bias=bias, seed=seed, temperature=temperature,
                                         style=style, unknown=unknown, max_steps=max_steps,
                                         dense=dense)
        return match_hand(out) if one_hand else out

    def sample_with_window(self, texts: Sequence[str], bias: float = DEFAULT_BIAS, seed: int = 0,
                           temperature: float = 1.0, style=DEFAULT_STYLE, unknown: str | None = None,
                           max_steps: int | None = None, dense: bool = True):
        """`generate` (one candidate per line, no hand matching) that also says where the
        attention window was on each line's text while it was written.

        Returns:
            ``(lines, positions)``: the raw-unit ``[eos, dx, dy]`` arrays, and per line a
            ``[steps]`` int array (one entry per sampled point, at the model's density) of
            the text position (0-based; ``len(text)``: past the end) of the largest window
            weight phi.
        """
        check_sampling_args(bias=bias, temperature=temperature, seed=seed, max_steps=max_steps)
        texts = self.check_texts(list(texts), unknown)
        chars = self.io.encode(texts)
        prime_strokes, prime_chars = self._prime(style)
        steps = max_steps or self.max_steps_for(texts)
        args = [chars, np.float32(bias), np.float32(temperature), seed_pair(seed), np.int32(steps)]
        if prime_strokes is None:
            strokes, lengths, window = self._sample_plain(*args)
        else:
            strokes, lengths, window = self._sample_primed(*args, prime_strokes.astype(np.float32),
                                                           prime_chars.astype(np.int32))
        lengths = lengths.numpy()
        offset = 0 if prime_chars is None else len(prime_chars)
        positions = [np.clip(row[: max(int(n), 1)] - offset, 0, len(text))
                     for row, n, text in zip(window.numpy(), lengths, texts)]
        return self.io.finish(strokes.numpy(), lengths, dense), positions

    def write(self, text: str, width: int = 40, **kwargs) -> list[np.ndarray]:
        """Wraps ``text`` into lines of at most ``width`` characters and writes them all in
        one batch with the same style and seed, as one page (``one_hand=True`` unless
        given); returns one stroke array per line. ``kwargs`` are those of `generate`."""
        lines = wrap_text(text, width)
        if not lines:
            raise ValueError("cannot write an empty text")
        return self.generate(lines, **{"one_hand": True, **kwargs})


def wrap_text(text: str, width: int = 40) -> list[str]:
    """Splits text into lines at word boundaries (paragraph breaks kept)."""
    lines = []
    for paragraph in text.splitlines():
        lines += textwrap.wrap(paragraph, width=width, break_long_words=True) or []
    return [line for line in lines if line.strip()]


def scribble(
    bundle_or_dir=None,
    num_lines: int = 1,
    steps: int = 700,
    bias: float = 0.0,
    seed: int = 0,
    temperature: float = 1.0,
) -> list[np.ndarray]:
    """Free handwriting from the unconditional *prediction network* (Graves section 4).

    Args:
        bundle_or_dir: a loaded `ModelBundle`, a model dir, or None for the shipped
            ``prediction`` model.
        num_lines: lines sampled in one batch.
        steps: points sampled per line (at the model's density).
        bias, seed, temperature: as in `Synthesizer.generate`.

    Returns:
        Raw-unit ``[eos, dx, dy]`` arrays at the training data's point density.
    """
    if bundle_or_dir is None:
        bundle_or_dir = PRETRAINED_DIR / "prediction"
    bundle = bundle_or_dir if isinstance(bundle_or_dir, ModelBundle) else load_model_dir(bundle_or_dir)
    if bundle.task != "unconditional_handwriting":
        raise ModelDirError(f"{bundle.path}: a {bundle.task!r} model is not a prediction network")
    args = check_sampling_args(bias=bias, temperature=temperature, seed=seed, max_steps=steps)
    if int(num_lines) < 1:
        raise ValueError(f"num_lines must be at least 1, got {num_lines!r}")
    io = SynthesisIO.from_bundle(bundle)
    graph = SynthesisGraph(bundle.model, io)
    strokes, lengths = tf.function(graph.sample)(
        None, np.float32(args["bias"]), np.float32(args["temperature"]), seed_pair(seed),
        np.int32(args["max_steps"]), batch_size=int(num_lines))
    return io.finish(strokes.numpy(), lengths.numpy())
