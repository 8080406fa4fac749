"""The rules of `hwsr.inference.synthesis_io` as TensorFlow ops, around `sample_strokes`.

`hwsr.Synthesizer` samples through `SynthesisGraph.sample`; the exported SavedModel
(`hwsr.export.synthesis`) adds `seed_pair`, `prime` and `finish`, which compute in the
graph exactly what `SynthesisIO` computes on the host, so TensorFlow Serving and
``hwsr serve`` return the strokes `Synthesizer.generate` returns (checked by
``tests/export/parity_test.py``).
"""

from __future__ import annotations

import tensorflow as tf

from hwsr.inference.sampling_args import SEED_SALT
from hwsr.inference.synthesis_io import SynthesisIO
from hwsr.layers.mixture_density_head import sample_mixture
from hwsr.sampling import sample_strokes
from hwsr.strokes import graph_transforms

#: The stateless RNG algorithm of the sampler's per-step seeds.
STEP_SEED_ALG = "philox"


def draw_point(params, seed, t: int, bias, temperature=1.0):
    """The point `sample_strokes` draws at step ``t`` from raw MDN ``params [B, 1 + 6M]``
    (``seed`` the pair of `seed_pair`), as a numpy ``[eos, dx, dy]`` row of the first line.

    For host loops that compute the step elsewhere (the TFLite driver) and want the API's
    random numbers: the sampler folds ``t`` into the seed and calls `sample_mixture`.
    """
    step_seed = tf.random.experimental.stateless_fold_in(tf.constant(seed, tf.int32), t,
                                                         alg=STEP_SEED_ALG)
    return sample_mixture(tf.constant(params, tf.float32), step_seed, bias, temperature).numpy()[0]


class SynthesisGraph:
    """Graph-side pre/post-processing of one synthesis model.

    Args:
        model: a `HandwritingSynthesisModel`.
        io: its host-side rules (`SynthesisIO.from_bundle`).
    """

    def __init__(self, model, io: SynthesisIO):
        self.model = model
        self.io = io
        self.mean = tf.constant(io.normalizer.mean, tf.float32)
        self.std = tf.constant(io.normalizer.std, tf.float32)

    def sample(self, chars, bias, temperature, seed, max_steps, prime_strokes=None, prime_chars=None,
               batch_size=None, return_window=False):
        """`hwsr.sampling.sample_strokes` from the model's start point; ``seed`` is the pair
        of `seed_pair`. Returns normalised ``(strokes [B, T, 3], lengths [B])`` (and, with
        ``return_window``, the window positions ``[B, T]``)."""
        return sample_strokes(
            self.model,
            chars,
            bias=bias,
            seed=seed,
            max_steps=max_steps,
            temperature=temperature,
            batch_size=batch_size,
            start_point=self.io.start_point,
            prime_strokes=prime_strokes,
            prime_chars=prime_chars,
            return_window=return_window,
        )

    @staticmethod
    def seed_pair(seed):
        """``[2]`` int32 ``[seed & 0x7FFFFFFF, 0x5EED]`` of an int32 scalar seed."""
        seed = tf.cast(seed, tf.int32)
        return tf.stack([tf.bitwise.bitwise_and(seed, 0x7FFFFFFF), tf.constant(SEED_SALT, tf.int32)])

    @staticmethod
    def prime_text(text):
        """``tf.string`` version of `hwsr.inference.synthesis_io.prime_text`."""
        return tf.strings.strip(text) + " "

    def prime(self, strokes, lengths):
        """``[P', 3]`` normalised priming points from raw ``strokes [1, P, 3]`` and
        ``lengths [1]``: point-dropped, normalised and clipped like `SynthesisIO.prime`."""
        dropped, n = graph_transforms.drop_points(strokes, lengths, self.io.downsample)
        line = dropped[0, : n[0]]
        dxdy = (line[:, 1:] - self.mean) / self.std
        if self.io.clip:
            dxdy = tf.clip_by_value(dxdy, -self.io.clip, self.io.clip)
        return tf.concat([line[:, :1], dxdy], axis=-1)

    def finish(self, strokes, lengths, max_steps=None, dense: bool = True):
        """`SynthesisIO.finish` on the padded batch: ``{"strokes": [B, T', 3] raw units,
        zero-padded, "lengths": [B]}``. ``max_steps [B]`` cuts rows to their own bound."""
        lengths = tf.cast(lengths, tf.int32)
        if max_steps is not None:
            lengths = tf.minimum(lengths, max_steps)
        steps = tf.shape(strokes)[1]
        lengths = tf.minimum(tf.maximum(lengths, 1), steps)
        last = tf.one_hot(lengths - 1, steps, on_value=True, off_value=False)
        eos = tf.where(last, 1.0, strokes[..., 0])
        valid = tf.sequence_mask(lengths, steps, dtype=tf.float32)[..., tf.newaxis]
        raw = tf.concat([eos[..., tf.newaxis], strokes[..., 1:] * self.std + self.mean], axis=-1) * valid
        if dense:
            raw, lengths = graph_transforms.interpolate_points(raw, lengths, self.io.downsample)
        return {"strokes": raw, "lengths": lengths}
