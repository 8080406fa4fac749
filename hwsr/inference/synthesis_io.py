"""What every synthesis path does around the sampling loop, host side (numpy, no TensorFlow).

One home for the rules that `hwsr.Synthesizer`, `hwsr.synthesizer.scribble`, the exported
SavedModel (`hwsr.inference.synthesis_graph`, the same rules as graph ops), ``hwsr serve``
and the TFLite host sampler share, so that they all write the same strokes for the same
text, seed, bias and style:

* text: the alphabet's unknown-character policy, non-blank lines, at most
  ``max_text_length`` characters; a priming text is stripped and gets one trailing space;
* the first input point ``[0, -mean/std]`` (a zero raw offset, normalised);
* the seed pair ``[seed & 0x7FFFFFFF, 0x5EED]`` (`hwsr.inference.sampling_args.seed_pair`);
* priming strokes: `hwsr.strokes.drop_points` to the model's density, normalised, clipped;
* stopping: Graves' rule (`past_end`), ``max_steps`` bounding the sampled points;
* output: the last point lifts the pen, offsets are de-normalised and, by default,
  interpolated back to the training data's density (`hwsr.strokes.interpolate_points`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from hwsr.alphabet import Alphabet, UnknownCharacterError
from hwsr.inference.sampling_args import check_text
from hwsr.strokes import Normalizer, drop_points, interpolate_points, validate_strokes

#: Raw IAM-OnDB points per character (median ~22); the default max steps allow twice that.
RAW_POINTS_PER_CHAR = 25
#: Longest line of text one call writes.
MAX_TEXT_LENGTH = 200


def prime_text(text: str) -> str:
    """The text of a priming line as the network reads it: stripped, one trailing space
    (the space separates it from the text to write, Graves section 5.5)."""
    return text.strip() + " "


def past_end(phi: np.ndarray, length: int) -> bool:
    """Graves' stopping rule for one line: the window weight one past the text's ``length``
    characters beats every real character (`hwsr.sampling.window_passed_end` in the graph)."""
    return bool(phi[length] > max(float(np.max(phi[:length], initial=0.0)), 0.0))


def text_end_length(eos: np.ndarray, positions: np.ndarray, length: int) -> int:
    """How many of one line's sampled points to keep: up to the pen lift closing the last
    stroke written while the window was on the text's ``length`` characters
    (`hwsr.sampling.end_at_text_end` in the graph).

    Args:
        eos: ``[T]`` pen lifts of the sampled points.
        positions: ``[T]`` position of the largest window weight at each point.
    """
    on_text = np.flatnonzero(np.asarray(positions) < length)
    if not len(on_text):
        return len(eos)
    lifts = np.flatnonzero(np.asarray(eos[on_text[-1]:]) > 0.5)
    return int(on_text[-1] + lifts[0] + 1) if len(lifts) else len(eos)


@dataclasses.dataclass(frozen=True)
class SynthesisIO:
    """The pre- and post-processing of one synthesis model.

    Args:
        alphabet: the model's alphabet.
        normalizer: the offset statistics the model was trained with.
        downsample: the model samples every ``downsample``-th point of the training ink.
        clip: priming offsets are clipped to ``[-clip, clip]`` after normalisation (None: no clip).
        max_text_length: longest line of text.
    """

    alphabet: Alphabet
    normalizer: Normalizer
    downsample: int = 1
    clip: float | None = None
    max_text_length: int = MAX_TEXT_LENGTH

    @classmethod
    def from_parts(cls, alphabet: Alphabet, normalizer: Normalizer, preprocessing: dict,
                   **kwargs) -> SynthesisIO:
        """From a model dir's parts (``preprocessing`` as in ``model.json``)."""
        clip = preprocessing.get("clip_offset_std")
        return cls(alphabet, normalizer, int(preprocessing.get("downsample", 1)),
                   None if clip is None else float(clip), **kwargs)

    @classmethod
    def from_bundle(cls, bundle, **kwargs) -> SynthesisIO:
        """From a loaded `hwsr.model_dir.ModelBundle`."""
        return cls.from_parts(bundle.alphabet, bundle.normalizer, bundle.preprocessing, **kwargs)

    @property
    def start_point(self) -> np.ndarray:
        """``[3]`` float32: the first input point, a zero raw offset in normalised units."""
        mean, std = np.asarray(self.normalizer.mean), np.asarray(self.normalizer.std)
        return np.array([0.0, *(-mean / std)], np.float32)

    # Text ------------------------------------------------------------------------------------

    def unwritable_characters(self, texts: Sequence[str]) -> list[str]:
        """The characters of ``texts`` outside the alphabet, sorted."""
        return sorted({c for t in texts for _, c in self.alphabet.unknown_characters(t)})

    def check_texts(self, texts: Sequence[str], unknown: str | None = None) -> list[str]:
        """Applies the unknown-character policy (``unknown`` or the alphabet's own) and checks
        every line (non-blank, not too long); errors list every bad character."""
        policy = unknown or self.alphabet.unknown
        bad = self.unwritable_characters(texts)
        if bad and policy == "error":
            first = next(t for t in texts if self.alphabet.unknown_characters(t))
            raise UnknownCharacterError(
                first, self.alphabet.unknown_characters(first),
                source=f"text has characters the model cannot write ({', '.join(map(repr, bad))})",
            )
        cleaned = [self.alphabet.clean(t, policy) for t in texts]
        for text in cleaned:
            check_text(text, self.max_text_length)
        return cleaned

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``[B, U]`` int32 codes of checked texts, padded with 0."""
        return self.alphabet.encode_batch(texts, unknown="map").astype(np.int32)

    def default_max_steps(self, texts: Sequence[str]) -> int:
        """The bound on sampled points when none is given: twice the typical length."""
        longest = max(len(t) for t in texts)
        return math.ceil(2 * RAW_POINTS_PER_CHAR / self.downsample * longest) + 40

    # Priming ---------------------------------------------------------------------------------

    def prime(self, strokes, text: str, at_model_density: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """A writer's line as the network reads it: ``(strokes [P, 3] normalised, codes [U])``.

        Args:
            strokes: raw-unit ``[eos, dx, dy]`` ink of the writer (at the training data's
                density, as `hwsr.ink.read_ink` gives it).
            text: what that ink says.
            at_model_density: the strokes are already point-dropped (the bundled styles).
        """
        strokes = validate_strokes(strokes, source="style strokes")
        if not at_model_density:
            strokes = drop_points(strokes, self.downsample)
        norm = self.normalizer.normalize(strokes)
        if self.clip:
            norm[:, 1:] = np.clip(norm[:, 1:], -self.clip, self.clip)
        codes = self.alphabet.encode(prime_text(text), source="style text")
        return norm.astype(np.float32), codes.astype(np.int32)

    # Output ----------------------------------------------------------------------------------

    def finish(self, strokes: np.ndarray, lengths: np.ndarray, dense: bool = True) -> list[np.ndarray]:
        """Sampled ``[B, T, 3]`` normalised points (valid up to ``lengths``) to one raw-unit
        ``[eos, dx, dy]`` array per line: the last point lifts the pen, offsets are
        de-normalised and, with ``dense``, interpolated to the training data's density."""
        raw = self.normalizer.denormalize(np.asarray(strokes, np.float32))
        out = []
        for line, n in zip(raw, np.asarray(lengths)):
            line = line[: max(int(n), 1)].copy()
            line[-1, 0] = 1.0
            out.append(interpolate_points(line, self.downsample) if dense else line)
        return out
