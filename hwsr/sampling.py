"""Graph-compiled, batched sampling from the synthesis network (Graves 2013, section 5).

`sample_strokes` runs the whole generation as one `tf.while_loop` (wrap it in a
`tf.function` to compile it): many lines per call, stateless random numbers (the same seed
gives the same strokes), the sampling bias of section 5.4, a temperature, priming with a
writer's strokes (section 5.5), and Graves' stopping rule (section 5.3): a line ends once the
window weight one position past its last character outweighs every real character *and*
the pen is lifted, so words are never cut off.
"""

from __future__ import annotations

import tensorflow as tf

from hwsr.layers.mixture_density_head import sample_mixture


def window_passed_end(phi, char_lengths):
    """``[B]`` bool: phi at position ``len`` (one past the text) beats every real character."""
    positions = tf.range(tf.shape(phi)[1])[tf.newaxis, :]
    real = positions < char_lengths[:, tf.newaxis]
    best_real = tf.reduce_max(tf.where(real, phi, tf.zeros_like(phi)), axis=1)
    past = tf.gather(phi, char_lengths, axis=1, batch_dims=1)
    return past > best_real


def sample_strokes(
    model,
    chars=None,
    *,
    bias=0.0,
    seed=(0, 0),
    max_steps=1000,
    temperature=1.0,
    batch_size=None,
    start_point=None,
    prime_strokes=None,
    prime_chars=None,
):
    """Samples pen strokes from a `HandwritingSynthesisModel`.

    Args:
        model: a conditional (or, with ``chars=None``, unconditional) synthesis model.
        chars: ``[B, U]`` int32 character codes padded with 0 (conditional models).
        bias: scalar or ``[B]`` sampling bias (0 = plain sampling; larger is neater).
        seed: two int32 values; the same seed gives the same strokes for the same inputs.
        max_steps: hard bound on the number of points (scalar int32).
        temperature: scalar or ``[B]`` extra temperature (1 = none).
        batch_size: number of lines for an unconditional model (ignored when ``chars`` given).
        start_point: ``[3]`` first input point (normalised); default all zeros.
        prime_strokes: optional ``[P, 3]`` normalised strokes of a writer (same for all lines);
            the network reads them first, so its hidden state carries their style.
        prime_chars: ``[Up]`` codes of the priming line's text (conditional priming); it is
            put in front of every line's text, as in Graves section 5.5.

    Returns:
        ``(strokes [B, T, 3], lengths [B])``: normalised ``[eos, dx, dy]`` points, padded with
        zeros after each line's length. ``T <= max_steps``.
    """
    conditional = model.conditional
    if conditional and chars is None:
        raise ValueError("a conditional model needs chars")
    if conditional:
        chars = tf.cast(chars, tf.int32)
        batch = tf.shape(chars)[0]
        char_lengths = tf.reduce_sum(tf.cast(chars > 0, tf.int32), axis=1)
        if prime_chars is not None:
            prime_chars = tf.cast(prime_chars, tf.int32)
            prefix = tf.tile(prime_chars[tf.newaxis, :], [batch, 1])
            chars = tf.concat([prefix, chars], axis=1)
            char_lengths = char_lengths + tf.shape(prime_chars)[0]
        one_hot, char_mask = model.encode_chars(chars)
    else:
        batch = tf.constant(batch_size or 1)
        char_lengths = one_hot = char_mask = None
    state = model.initial_state(batch)
    point = tf.zeros([batch, 3]) if start_point is None else tf.tile(
        tf.reshape(tf.cast(start_point, tf.float32), [1, 3]), [batch, 1]
    )
    if prime_strokes is not None:
        prime = tf.cast(prime_strokes, tf.float32)
        prime = tf.tile(prime[tf.newaxis], [batch, 1, 1])
        prime_inputs = tf.concat([point[:, tf.newaxis], prime[:, :-1]], axis=1)
        _, _, state = model.stack(prime_inputs, one_hot, char_mask, initial_state=state)
        point = prime[:, -1]

    seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
    bias = tf.cast(bias, tf.float32)
    temperature = tf.cast(temperature, tf.float32)
    max_steps = tf.cast(max_steps, tf.int32)
    out = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[None, 3])

    def cond(t, point, state, finished, lengths, out):
        return (t < max_steps) & ~tf.reduce_all(finished)

    def body(t, point, state, finished, lengths, out):
        params, new_state, window = model.step(point, state, one_hot, char_mask)
        step_seed = tf.random.experimental.stateless_fold_in(seed, t)
        new_point = sample_mixture(params, step_seed, bias, temperature)
        live = ~finished
        new_point = tf.where(live[:, tf.newaxis], new_point, tf.zeros_like(new_point))
        out = out.write(t, new_point)
        lengths = lengths + tf.cast(live, tf.int32)
        pen_up = new_point[:, 0] > 0.5
        if conditional:
            done = window_passed_end(window["phi"], char_lengths) & pen_up
        else:
            done = tf.zeros_like(pen_up)
        finished = finished | done
        # Keep the state of finished lines frozen (their outputs are padding anyway).
        new_state = tuple(
            tf.where(live[:, tf.newaxis], n, s) for n, s in zip(new_state, state)
        )
        return t + 1, new_point, new_state, finished, lengths, out

    init = (
        tf.constant(0),
        point,
        tuple(state),
        tf.zeros([batch], tf.bool),
        tf.zeros([batch], tf.int32),
        out,
    )
    _, _, _, _, lengths, out = tf.while_loop(cond, body, init, maximum_iterations=max_steps)
    strokes = tf.transpose(out.stack(), [1, 0, 2])
    return strokes, lengths
