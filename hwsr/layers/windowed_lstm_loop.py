"""The step-by-step part of the synthesis network in training: layer 1 and the window.

Graves' synthesis network (https://arxiv.org/abs/1308.0850, section 5) cannot run its first
LSTM layer over the whole sequence at once: each step reads the window vector of the step
before, and the window is driven by the layer's own hidden state. `windowed_lstm_loop`
runs that recurrence as a loop of XLA-compiled steps (one call per step instead of some
sixty small ops) with a hand-rolled backward pass (backpropagation through time): the
backward loop runs the vector-Jacobian product of one step per iteration (also compiled)
and keeps the gate and window-parameter gradients, so the weight gradients are one large
matmul over the whole sequence after the loop, not an outer product per step.

Same maths as the Keras cells (`GravesLSTMStack.call_step_by_step`); tests hold outputs
and gradients to float tolerance.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from hwsr.layers.gaussian_window import padded_text_length, window_from_params


def lstm_update(z, c):
    """The gate maths of `keras.layers.LSTMCell` (gate order i, f, c, o).

    Args:
        z: ``[..., 4H]`` gate pre-activations (``x @ kernel + h @ recurrent_kernel + bias``).
        c: ``[..., H]`` previous cell state.

    Returns:
        ``(h, c)``, the new hidden and cell states.
    """
    i, f, g, o = tf.split(z, 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    return tf.sigmoid(o) * tf.tanh(c), c


def _previous(initial, sequence):
    """``[T, ...]`` the value each step started from: ``initial``, then step ``t - 1``'s."""
    return tf.concat([initial[tf.newaxis], sequence[:-1]], axis=0)


def _or_zeros(gradient, like):
    """An output's upstream gradient, zeros where it has none (the output is unused)."""
    return tf.zeros_like(like) if gradient is None else gradient


def _lstm_backward(z, c_prev, c, dh, dc):
    """The LSTM update's vector-Jacobian product: ``(dz, dc_prev)`` from the gradients of
    its outputs ``h, c`` (``z`` its gates, ``c_prev`` and ``c`` the cell before and after)."""
    i, f, g, o = tf.split(z, 4, axis=-1)
    i, f, o, g = tf.sigmoid(i), tf.sigmoid(f), tf.sigmoid(o), tf.tanh(g)
    tanh_c = tf.tanh(c)
    dc = dc + dh * o * (1.0 - tf.square(tanh_c))
    dz = tf.concat([dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f),
                    dc * i * (1.0 - tf.square(g)), dh * tanh_c * o * (1.0 - o)], axis=-1)
    return dz, dc * f


def _lstm_backward_step(z, c_prev, c, dh, dc, recurrent_kernel):
    """One step of `sequence_lstm`'s backward pass: ``(dz, dh_prev, dc_prev)``."""
    dz, dc_prev = _lstm_backward(z, c_prev, c, dh, dc)
    return dz, tf.matmul(dz, recurrent_kernel, transpose_b=True), dc_prev


#: `_lstm_backward_step` in one compiled call.
_compiled_lstm_backward = tf.function(_lstm_backward_step, jit_compile=True, reduce_retracing=True)


def sequence_lstm(inputs, h0, c0, kernel, recurrent_kernel, bias):
    """An `LSTMCell` over a whole sequence whose inputs are all known in advance.

    The input share of the gates is one matmul for the whole sequence; the loop does only
    the recurrent matmul and the gate maths, one compiled call per step, and so does the
    hand-rolled backward pass, whose weight gradients are one matmul over the sequence.
    (TensorFlow's fused ``BlockLSTM`` kernels are slower on CPU, and the gradient
    registered for ``BlockLSTMV2`` is V1's, wrong for its gate order.)

    Args:
        inputs: ``[T, B, I]`` time-major inputs.
        h0, c0: ``[B, H]`` initial states.
        kernel, recurrent_kernel, bias: the cell's ``[I, 4H]``, ``[H, 4H]``, ``[4H]``.

    Returns:
        ``(h [T, B, H], c [T, B, H])`` after every step.

    Example:

    >>> inputs = tf.ones([7, 2, 3])  # T = 7 steps, batch 2, 3 inputs
    >>> zeros = tf.zeros([2, 4])
    >>> h, c = sequence_lstm(inputs, zeros, zeros, tf.ones([3, 16]) * 0.1, tf.ones([4, 16]) * 0.1,
    ...                      tf.zeros([16]))
    >>> tuple(h.shape), bool(tf.reduce_all(tf.abs(h) < 1))
    ((7, 2, 4), True)
    """
    dtype = inputs.dtype

    @tf.custom_gradient
    def run(inputs, h0, c0, kernel, recurrent_kernel, bias):
        steps = tf.shape(inputs)[0]
        gates = tf.TensorArray(dtype, size=steps).unstack(tf.einsum("tbi,ig->tbg", inputs, kernel) + bias)
        tas = tuple(tf.TensorArray(dtype, size=steps) for _ in range(3))  # z, h, c

        def body(t, h, c, tas):
            z = gates.read(t) + tf.matmul(h, recurrent_kernel)
            h, c = lstm_update(z, c)
            return t + 1, h, c, tuple(ta.write(t, v) for ta, v in zip(tas, (z, h, c)))

        *_, tas = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(0), h0, c0, tas))
        z, h, c = (ta.stack() for ta in tas)

        def grad(dh, dc):
            dh, dc = _or_zeros(dh, h), _or_zeros(dc, c)
            c_prev = _previous(c0, c)
            dz_ta = tf.TensorArray(dtype, size=steps)

            def back(t, dh_c, dc_c, dz_ta):
                dz_t, dh_p, dc_p = _compiled_lstm_backward(z[t], c_prev[t], c[t], dh[t] + dh_c,
                                                           dc[t] + dc_c, recurrent_kernel)
                return t - 1, dh_p, dc_p, dz_ta.write(t, dz_t)

            _, dh0, dc0, dz_ta = tf.while_loop(lambda t, *_: t >= 0, back,
                                               (steps - 1, tf.zeros_like(h0), tf.zeros_like(c0), dz_ta))
            dz = dz_ta.stack()
            return (tf.einsum("tbg,ig->tbi", dz, kernel), dh0, dc0, tf.einsum("tbi,tbg->ig", inputs, dz),
                    tf.einsum("tbh,tbg->hg", _previous(h0, h), dz), tf.reduce_sum(dz, axis=[0, 1]))

        return (h, c), grad

    return run(*(tf.convert_to_tensor(v) for v in (inputs, h0, c0, kernel, recurrent_kernel, bias)))


def _window_step(z, c_prev, kappa_prev, window_kernel, window_bias, chars, mask, kappa_scale):
    """Gates to ``(h, c, w, kappa, alpha, beta, params)`` of one step."""
    h, c = lstm_update(z, c_prev)
    params = tf.matmul(h, window_kernel) + window_bias
    w, kappa, alpha, beta, _ = window_from_params(params, kappa_prev, kappa_scale, chars, mask)
    return h, c, w, kappa, alpha, beta, params


@functools.cache
def _compiled_steps(kappa_scale: float):
    """``(forward, backward)`` XLA-compiled single steps for one ``kappa_scale``."""

    def forward(z, c, kappa, window_kernel, window_bias, chars, mask):
        return _window_step(z, c, kappa, window_kernel, window_bias, chars, mask, kappa_scale)[:-1]

    def backward(z, c_prev, kappa_prev, recurrent, window_kernel, window_bias, chars, mask,
                 dh, dc, dw, dkappa, dalpha, dbeta):
        with tf.GradientTape() as tape:
            tape.watch([z, c_prev, kappa_prev])
            h, c, w, kappa, alpha, beta, params = _window_step(
                z, c_prev, kappa_prev, window_kernel, window_bias, chars, mask, kappa_scale)
        dz, dc_prev, dkappa_prev, dparams = tape.gradient(
            [h, c, w, kappa, alpha, beta], [z, c_prev, kappa_prev, params],
            output_gradients=[dh, dc, dw, dkappa, dalpha, dbeta],
            unconnected_gradients=tf.UnconnectedGradients.ZERO)
        d_inputs = tf.matmul(dz, recurrent, transpose_b=True)  # d [w_prev, h_prev]
        vocab = tf.shape(chars)[-1]
        return dz, dparams, d_inputs[:, vocab:], dc_prev, dkappa_prev, d_inputs[:, :vocab]

    return (tf.function(forward, jit_compile=True, reduce_retracing=True),
            tf.function(backward, jit_compile=True, reduce_retracing=True))


def windowed_lstm_loop(point_gates, h0, c0, kappa0, w0, recurrent, window_kernel, window_bias,
                       chars_one_hot, char_mask, kappa_scale: float):
    """Layer 1 of the synthesis network and its Gaussian window over a whole sequence.

    Step t computes ``z_t = point_gates[t] + [w_{t-1}, h_{t-1}] @ recurrent``, the LSTM
    update, and the window from ``h_t`` (`hwsr.layers.gaussian_window.window_from_params`).

    Args:
        point_gates: ``[T, B, 4H]`` the point's share of the gates plus the bias, computed
            for every step at once.
        h0, c0: ``[B, H]`` initial LSTM state; kappa0 ``[B, K]``, w0 ``[B, V]`` the window's.
        recurrent: ``[V + H, 4H]`` the cell's kernel rows for ``w`` stacked over its
            recurrent kernel.
        window_kernel, window_bias: ``[H, 3K]``, ``[3K]`` of the window's dense layer.
        chars_one_hot: ``[B, U, V]``; char_mask: ``[B, U]`` (no gradient flows to either).
        kappa_scale: see `hwsr.layers.gaussian_window.GaussianWindow`.

    Returns:
        ``(h, c [T, B, H], w [T, B, V], kappa, alpha, beta [T, B, K], kappa_T [B, K],
        w_T [B, V])``.
    """
    dtype = point_gates.dtype
    width = tf.shape(char_mask)[1]
    pad = padded_text_length(width) - width
    chars = tf.stop_gradient(tf.pad(tf.cast(chars_one_hot, dtype), [[0, 0], [0, pad], [0, 0]]))
    mask = tf.stop_gradient(tf.pad(tf.cast(char_mask, dtype), [[0, 0], [0, pad]]))
    forward, backward = _compiled_steps(float(kappa_scale))

    @tf.custom_gradient
    def run(point_gates, h0, c0, kappa0, w0, recurrent, window_kernel, window_bias):
        steps = tf.shape(point_gates)[0]
        tas = tuple(tf.TensorArray(dtype, size=steps) for _ in range(7))  # z, h, c, w, kappa, alpha, beta

        def body(t, h, c, kappa, w, tas):
            z = point_gates[t] + tf.matmul(tf.concat([w, h], axis=-1), recurrent)
            out = (z, *forward(z, c, kappa, window_kernel, window_bias, chars, mask))
            _, h, c, w, kappa, _, _ = out
            return t + 1, h, c, kappa, w, tuple(ta.write(t, v) for ta, v in zip(tas, out))

        _, _, _, kappa_T, w_T, tas = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), h0, c0, kappa0, w0, tas))
        z, h, c, w, kappa, alpha, beta = (ta.stack() for ta in tas)

        def grad(dh, dc, dw, dkappa, dalpha, dbeta, dkappa_T, dw_T):
            upstream = [_or_zeros(g, ref) for g, ref in
                        zip((dh, dc, dw, dkappa, dalpha, dbeta), (h, c, w, kappa, alpha, beta))]
            c_prev, kappa_prev = _previous(c0, c), _previous(kappa0, kappa)
            dz_ta, dparams_ta = tf.TensorArray(dtype, size=steps), tf.TensorArray(dtype, size=steps)

            def back(t, carry, dz_ta, dparams_ta):
                dh_t, dc_t, dw_t, dk_t, da_t, db_t = (g[t] for g in upstream)
                dh_c, dc_c, dk_c, dw_c = carry
                dz_t, dparams_t, dh_p, dc_p, dk_p, dw_p = backward(
                    z[t], c_prev[t], kappa_prev[t], recurrent, window_kernel, window_bias,
                    chars, mask, dh_t + dh_c, dc_t + dc_c, dw_t + dw_c, dk_t + dk_c, da_t, db_t)
                return t - 1, (dh_p, dc_p, dk_p, dw_p), dz_ta.write(t, dz_t), dparams_ta.write(t, dparams_t)

            carry = (tf.zeros_like(h0), tf.zeros_like(c0), _or_zeros(dkappa_T, kappa0),
                     _or_zeros(dw_T, w0))
            _, (dh0, dc0, dkappa0, dw0), dz_ta, dparams_ta = tf.while_loop(
                lambda t, *_: t >= 0, back, (steps - 1, carry, dz_ta, dparams_ta))
            dz, dparams = dz_ta.stack(), dparams_ta.stack()
            inputs = tf.concat([_previous(w0, w), _previous(h0, h)], axis=-1)  # [w_prev, h_prev]
            d_recurrent = tf.einsum("tbi,tbg->ig", inputs, dz)
            d_window_kernel = tf.einsum("tbh,tbp->hp", h, dparams)
            d_window_bias = tf.reduce_sum(dparams, axis=[0, 1])
            return dz, dh0, dc0, dkappa0, dw0, d_recurrent, d_window_kernel, d_window_bias

        return (h, c, w, kappa, alpha, beta, kappa_T, w_T), grad

    return run(*(tf.convert_to_tensor(v) for v in (point_gates, h0, c0, kappa0, w0, recurrent,
                                                    window_kernel, window_bias)))
