"""Tests for hwsr/layers/windowed_lstm_loop.py: the hand-rolled backward passes equal
TensorFlow's autodiff of the same maths, for every input and output."""

import numpy as np
import pytest
import tensorflow as tf

from hwsr.layers.gaussian_window import window_from_params
from hwsr.layers.windowed_lstm_loop import lstm_update, sequence_lstm, windowed_lstm_loop

B, H, K, V = 3, 5, 2, 7


def normal(shape, seed, scale=0.5):
    return tf.random.stateless_normal(shape, [seed, 7]) * scale


def reference_sequence_lstm(inputs, h, c, kernel, recurrent_kernel, bias):
    hs, cs = [], []
    for x in tf.unstack(inputs):
        h, c = lstm_update(tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias, c)
        hs.append(h)
        cs.append(c)
    return tf.stack(hs), tf.stack(cs)


def reference_windowed_loop(point_gates, h, c, kappa, w, recurrent, window_kernel, window_bias,
                            chars, mask, kappa_scale):
    outs = []
    for gates in tf.unstack(point_gates):
        h, c = lstm_update(gates + tf.matmul(tf.concat([w, h], -1), recurrent), c)
        w, kappa, alpha, beta, _ = window_from_params(tf.matmul(h, window_kernel) + window_bias,
                                                      kappa, kappa_scale, chars, mask)
        outs.append((h, c, w, kappa, alpha, beta))
    return (*(tf.stack(v) for v in zip(*outs)), kappa, w)


def grads_of(fn, args, weights):
    """Outputs and the gradient of a loss on every output with respect to every arg."""
    with tf.GradientTape() as tape:
        tape.watch(args)
        outs = fn(*args)
        loss = sum(tf.reduce_sum(tf.sin(o) * w) for o, w in zip(outs, weights))
    return outs, tape.gradient(loss, args)


def assert_same(got, want):
    """Outputs and gradients (`grads_of`) equal to float tolerance."""
    for a, b in zip(got[0], want[0], strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    for a, b in zip(got[1], want[1], strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("steps", [1, 6])
def test_sequence_lstm_gradients_equal_autodiff(steps):
    args = [normal([steps, B, 4], 0), normal([B, H], 1), normal([B, H], 2), normal([4, 4 * H], 3),
            normal([H, 4 * H], 4), normal([4 * H], 5)]
    weights = [1.0, 0.7]
    assert_same(grads_of(sequence_lstm, args, weights), grads_of(reference_sequence_lstm, args, weights))


@pytest.mark.parametrize(("steps", "chars"), [(1, 3), (6, 17)])  # 17 pads to 32 characters
def test_windowed_loop_gradients_equal_autodiff(steps, chars):
    codes = tf.random.stateless_uniform([B, chars], [1, 2], 1, V, tf.int32)
    one_hot = tf.one_hot(codes, V)
    mask = tf.sequence_mask([chars, chars - 1, 1], chars, tf.float32)
    args = [normal([steps, B, 4 * H], 0), normal([B, H], 1), normal([B, H], 2),
            tf.abs(normal([B, K], 3)), normal([B, V], 4), normal([V + H, 4 * H], 5),
            normal([H, 3 * K], 6), normal([3 * K], 7)]
    weights = [1.0, 0.5, 0.8, 0.3, 0.2, 0.4, 0.9, 0.6]  # every output, the final state too

    def fast(*a):
        return windowed_lstm_loop(*a, one_hot, mask, 10.0)

    def ref(*a):
        return reference_windowed_loop(*a, one_hot, mask, 10.0)

    assert_same(grads_of(fast, args, weights), grads_of(ref, args, weights))


def test_unused_outputs_get_no_gradient_from_nowhere():
    """A loss on ``h`` alone: the other outputs' gradients arrive as None and count as zero."""
    args = [normal([4, B, 4], 0), normal([B, H], 1), normal([B, H], 2), normal([4, 4 * H], 3),
            normal([H, 4 * H], 4), normal([4 * H], 5)]
    assert_same(grads_of(lambda *a: sequence_lstm(*a)[:1], args, [1.0]),
                grads_of(lambda *a: reference_sequence_lstm(*a)[:1], args, [1.0]))
