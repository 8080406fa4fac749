import numpy as np
import pytest
import tensorflow as tf

from hwsr import stateless_random

SEED = tf.constant([7, -3])


def _both(fn):
    """fn's outputs in the TF graph and XLA-compiled."""
    return tf.function(fn)(), tf.function(fn, jit_compile=True)()


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_uniform_is_tf_stateless_uniform_bit_for_bit_with_and_without_xla(dtype):
    expected = tf.random.stateless_uniform([17], SEED, dtype=dtype).numpy()
    for got in _both(lambda: stateless_random.uniform(17, SEED, dtype)):
        np.testing.assert_array_equal(got.numpy(), expected)


def test_normal_is_tf_stateless_normal_to_float_rounding():
    expected = tf.random.stateless_normal([9, 2], SEED).numpy()
    graph, xla = _both(lambda: stateless_random.normal(9, SEED))
    np.testing.assert_allclose(graph.numpy(), expected, atol=2e-6)
    np.testing.assert_allclose(xla.numpy(), graph.numpy(), atol=2e-6)


@pytest.mark.parametrize("batch", [1, 5, 32])
def test_categorical_is_tf_stateless_categorical_with_and_without_xla(batch):
    rng = np.random.default_rng(batch)
    for i in range(20):
        logits = tf.constant(rng.normal(size=(batch, 12)) * 3, tf.float32)
        seed = tf.constant([i, batch])
        expected = tf.random.stateless_categorical(logits, 1, seed, dtype=tf.int32)[:, 0].numpy()
        for got in _both(lambda lg=logits, s=seed: stateless_random.categorical(lg, s)):
            np.testing.assert_array_equal(got.numpy(), expected)
