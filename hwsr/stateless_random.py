"""Stateless random draws that give the same numbers with and without XLA.

TensorFlow's stateless random kernels and their XLA versions turn the same Philox bits into
different numbers (and `tf.random.stateless_categorical` uses another algorithm under XLA),
so a sampler compiled with ``jit_compile=True`` would not reproduce the graph sampler for a
seed. The functions here draw the raw Philox bits (identical on both, ``alg="philox"``) and
turn them into numbers exactly as TensorFlow's CPU kernels do:

- `uniform` equals `tf.random.stateless_uniform` (float32 and float64) bit for bit;
- `categorical` equals `tf.random.stateless_categorical(..., num_samples=1)` for the batch
  sizes one CPU shard covers (the CPU kernel draws row b's double from the same stream);
- `normal` equals `tf.random.stateless_normal` to about 1 ulp (Box-Muller with the graph's
  own sin/cos/log rather than libm's).
"""

from __future__ import annotations

import math

import tensorflow as tf

ALG = "philox"


def _bits(shape, seed):
    return tf.random.stateless_uniform(shape, seed, dtype=tf.uint32, minval=None, maxval=None,
                                       alg=ALG)


def _bits_to_float(x):
    """TF's ``Uint32ToFloat``: 23 random mantissa bits, in ``[0, 1)``."""
    one = tf.bitwise.bitwise_or(tf.bitwise.bitwise_and(x, 0x7FFFFF), 0x3F800000)
    return tf.bitcast(one, tf.float32) - 1.0


def _bits_to_double(x0, x1):
    """TF's ``Uint64ToDouble``: 52 random mantissa bits, in ``[0, 1)``."""
    high = tf.cast(tf.bitwise.bitwise_and(x0, 0xFFFFF), tf.uint64)
    mantissa = tf.bitwise.bitwise_or(tf.bitwise.left_shift(high, tf.constant(32, tf.uint64)),
                                     tf.cast(x1, tf.uint64))
    one = tf.bitwise.bitwise_or(mantissa, tf.constant(1023 << 52, tf.uint64))
    return tf.bitcast(one, tf.float64) - 1.0


def uniform(size, seed, dtype=tf.float32):
    """``[size]`` uniform numbers in ``[0, 1)``, as ``tf.random.stateless_uniform``."""
    if dtype == tf.float64:
        pairs = tf.reshape(_bits([2 * size], seed), [-1, 2])
        return _bits_to_double(pairs[:, 0], pairs[:, 1])
    return _bits_to_float(_bits([size], seed))


def normal(rows, seed, columns=2):
    """``[rows, columns]`` standard normal numbers, as ``tf.random.stateless_normal``.

    ``rows * columns`` must be even (Box-Muller makes pairs).
    """
    pairs = tf.reshape(_bits([rows * columns], seed), [-1, 2])
    u1 = tf.maximum(_bits_to_float(pairs[:, 0]), 1e-7)
    v1 = (2.0 * math.pi) * _bits_to_float(pairs[:, 1])
    radius = tf.sqrt(-2.0 * tf.math.log(u1))
    return tf.reshape(tf.stack([tf.sin(v1) * radius, tf.cos(v1) * radius], axis=-1),
                      [rows, columns])


def categorical(logits, seed):
    """``[B]`` int32 class per row of ``[B, C]`` logits, as ``stateless_categorical``.

    Inverse CDF in float64 on one uniform double per row, the CPU kernel's algorithm.
    """
    logits = tf.cast(logits, tf.float64)
    cdf = tf.cumsum(tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True)), axis=-1)
    target = uniform(tf.shape(logits)[0], seed, tf.float64)[:, tf.newaxis] * cdf[:, -1:]
    count = tf.reduce_sum(tf.cast(cdf <= target, tf.int32), axis=-1)
    return tf.minimum(count, tf.shape(logits)[1] - 1)
