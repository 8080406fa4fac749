"""Serving functions of the synthesis network: text in, pen strokes out (SavedModel and TFLite)."""

from __future__ import annotations

import tensorflow as tf

from hwsr.export.limits import ExportLimits
from hwsr.export.text_graph import encode_text
from hwsr.inference.synthesis_graph import SynthesisGraph
from hwsr.inference.synthesis_io import SynthesisIO
from hwsr.layers.mixture_density_head import split_mixture_params
from hwsr.model_dir import ModelBundle

#: Inputs of ``synthesize``; every input is batched (one row per line), so both REST
#: formats (``instances`` and ``inputs``) can express a request.
SYNTHESIS_SIGNATURE = [
    tf.TensorSpec([None], tf.string, name="text"),
    tf.TensorSpec([None], tf.float32, name="bias"),
    tf.TensorSpec([None], tf.int32, name="seed"),
    tf.TensorSpec([None], tf.int32, name="max_steps"),
]
#: ``synthesize_primed`` adds a priming line (raw-unit strokes and their text).
PRIMED_SIGNATURE = [
    *SYNTHESIS_SIGNATURE,
    tf.TensorSpec([None, None, 3], tf.float32, name="prime_strokes"),
    tf.TensorSpec([None], tf.int32, name="prime_lengths"),
    tf.TensorSpec([None], tf.string, name="prime_text"),
]


def _check(condition, *message):
    return tf.debugging.Assert(condition, list(message))


class _Synthesizer:
    """Graph pieces shared by the two synthesis endpoints: the checks of
    `hwsr.inference.sampling_args` as graph assertions, then the path of
    `hwsr.Synthesizer.generate` (`hwsr.inference.synthesis_graph.SynthesisGraph`)."""

    def __init__(self, bundle: ModelBundle, limits: ExportLimits):
        if not bundle.model.conditional:
            raise ValueError(f"{bundle.path}: only conditional synthesis models (text -> strokes) "
                             "can be exported")
        self.alphabet = bundle.alphabet
        self.limits = limits
        self.graph = SynthesisGraph(bundle.model,
                                    SynthesisIO.from_bundle(bundle, max_text_length=limits.max_text_length))

    def batch_checks(self, text, bias, seed, max_steps):
        batch = tf.shape(text)[0]
        same = [tf.equal(tf.shape(t)[0], batch) for t in (bias, seed, max_steps)]
        return [
            _check(batch >= 1, "a request needs at least one line of text"),
            _check(batch <= self.limits.max_batch,
                   f"more than {self.limits.max_batch} lines in one request:", batch),
            _check(tf.reduce_all(tf.stack(same)),
                   "text, bias, seed and max_steps must have one entry per line"),
            _check(tf.reduce_all(tf.math.is_finite(bias)), "bias must be a finite number"),
            _check(tf.reduce_all((bias >= 0.0) & (bias <= self.limits.max_bias)),
                   f"bias must be between 0 and {self.limits.max_bias:g}; got", bias),
            _check(tf.reduce_all(max_steps >= 1), "max_steps must be at least 1; got", max_steps),
            _check(tf.reduce_all(tf.strings.length(tf.strings.strip(text)) > 0),
                   "text is empty: there is nothing to write"),
        ]

    def run(self, text, bias, seed, max_steps, prime=None, prime_chars=None):
        chars, lengths = encode_text(text, self.alphabet, self.limits.max_text_length)
        with tf.control_dependencies([_check(tf.reduce_all(lengths > 0),
                                             "text is empty: there is nothing to write")]):
            chars = tf.identity(chars)
        steps = tf.minimum(max_steps, self.limits.max_steps)
        strokes, lengths = self.graph.sample(chars, bias, tf.constant(1.0), self.graph.seed_pair(seed[0]),
                                             tf.reduce_max(steps), prime, prime_chars)
        return self.graph.finish(strokes, lengths, steps)


def synthesis_functions(bundle: ModelBundle, limits: ExportLimits) -> dict:
    """The SavedModel endpoints: ``{name: (fn, input_signature)}``, ``synthesize`` first.

    ``synthesize(text [B] string, bias [B] float32, seed [B] int32, max_steps [B] int32)``
    returns ``strokes [B, T, 3]`` (raw-unit ``[eos, dx, dy]`` at the training data's point
    density, zero after each line's length) and ``lengths [B]`` int32: the strokes
    `hwsr.Synthesizer.generate` returns for the same texts, bias, seed and max steps. All
    rows of one request draw from the random stream of ``seed[0]``; ``max_steps`` (the
    sampled points, at least 1) is capped to ``limits.max_steps``; ``bias`` must lie in
    ``[0, limits.max_bias]``. ``synthesize_primed`` also takes ``prime_strokes [B, P, 3]``
    (raw units), ``prime_lengths [B]`` and ``prime_text [B]``, which must be the same line in
    every row: the network reads it first and writes in its style (Graves, section 5.5),
    as ``generate(style=(strokes, text))`` does.
    """
    synth = _Synthesizer(bundle, limits)

    def synthesize(text, bias, seed, max_steps):
        with tf.control_dependencies(synth.batch_checks(text, bias, seed, max_steps)):
            text = tf.identity(text)
        return synth.run(text, bias, seed, max_steps)

    def synthesize_primed(text, bias, seed, max_steps, prime_strokes, prime_lengths, prime_text):
        batch = tf.shape(text)[0]
        checks = [
            *synth.batch_checks(text, bias, seed, max_steps),
            _check(tf.equal(tf.shape(prime_strokes)[0], batch)
                   & tf.equal(tf.shape(prime_lengths)[0], batch)
                   & tf.equal(tf.shape(prime_text)[0], batch),
                   "prime_strokes, prime_lengths and prime_text must have one entry per line"),
            _check(tf.shape(prime_strokes)[1] <= limits.max_prime_points,
                   f"priming strokes longer than the limit of {limits.max_prime_points} points"),
            _check(tf.reduce_all((prime_lengths >= 2) & (prime_lengths <= tf.shape(prime_strokes)[1])),
                   "every prime_length must be between 2 and the padded priming length"),
            _check(tf.reduce_all(tf.math.is_finite(prime_strokes)),
                   "prime_strokes hold NaN or infinite values"),
            _check(tf.reduce_all(tf.equal(prime_strokes, prime_strokes[:1]))
                   & tf.reduce_all(tf.equal(prime_lengths, prime_lengths[0]))
                   & tf.reduce_all(tf.equal(prime_text, prime_text[0])),
                   "all rows of a request must share one priming line (send separate requests "
                   "to prime with different lines)"),
        ]
        with tf.control_dependencies(checks):
            text = tf.identity(text)
        prime_codes, prime_len = encode_text(SynthesisGraph.prime_text(prime_text[:1]), synth.alphabet,
                                             limits.max_text_length + 1)
        prime = synth.graph.prime(prime_strokes[:1], prime_lengths[:1])
        return synth.run(text, bias, seed, max_steps, prime, prime_codes[0, : prime_len[0]])

    return {"synthesize": (synthesize, SYNTHESIS_SIGNATURE),
            "synthesize_primed": (synthesize_primed, PRIMED_SIGNATURE)}


def state_layout(model) -> list[tuple[str, int]]:
    """Names and widths of the parts of the packed decode-step state, in order."""
    stack = model.stack
    parts = []
    for i in range(stack.num_layers):
        parts += [(f"h{i + 1}", stack.units), (f"c{i + 1}", stack.units)]
    parts += [("kappa", stack.num_window_components), ("w", stack.vocabulary_size)]
    return parts


def tflite_decode_step_function(bundle: ModelBundle, limits: ExportLimits):
    """``(fn, input_signature)`` of one sampling step for on-device generation.

    ``decode_step(state [1, S], point [1, 3], chars [1, U] int32, bias [1])`` -> the new
    packed state, the raw MDN ``params [1, 1 + 6M]``, the constrained mixture with the
    sampling bias applied (``eos_prob [1]``, ``log_pi, mu_x, mu_y, sigma_x, sigma_y, rho
    [1, M]``), the window ``phi [1, U + 1]`` and ``kappa [1, K]``. ``S`` is the sum of the
    widths in `state_layout` (zeros to start), ``U = limits.tflite_text_length``, ``point``
    is normalised. `hwsr.export.tflite_sampler` drives it.
    """
    model = bundle.model
    widths = [w for _, w in state_layout(model)]
    size = sum(widths)
    u = limits.tflite_text_length
    signature = [
        tf.TensorSpec([1, size], tf.float32, name="state"),
        tf.TensorSpec([1, 3], tf.float32, name="point"),
        tf.TensorSpec([1, u], tf.int32, name="chars"),
        tf.TensorSpec([1], tf.float32, name="bias"),
    ]

    def decode_step(state, point, chars, bias):
        one_hot, mask = model.encode_chars(chars)
        params, new_state, window = model.step(point, tuple(tf.split(state, widths, axis=-1)),
                                               one_hot, mask)
        p = split_mixture_params(params, bias)
        return {
            "new_state": tf.concat(new_state, axis=-1),
            "params": params,
            "eos_prob": tf.sigmoid(p["eos_logit"]),
            "log_pi": p["log_pi"],
            "mu_x": p["mu_x"],
            "mu_y": p["mu_y"],
            "sigma_x": tf.exp(p["log_sigma_x"]),
            "sigma_y": tf.exp(p["log_sigma_y"]),
            "rho": p["rho"],
            "phi": window["phi"],
            "kappa": window["kappa"],
        }

    return decode_step, signature
