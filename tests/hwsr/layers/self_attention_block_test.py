"""Tests for hwsr/layers/self_attention_block.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr.layers.self_attention_block import SelfAttentionBlock
from hwsr.testing import run_layer_test


def make_block(**kwargs):
    keras.utils.set_random_seed(0)
    block = SelfAttentionBlock(**{"num_heads": 2, "key_dim": 4, "dropout": 0.0, **kwargs})
    block.build((None, None, 6))
    return block


@pytest.fixture
def batch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=[3, 8, 6]).astype(np.float32)
    lengths = np.array([8, 5, 1], np.int32)
    for i, n in enumerate(lengths):
        x[i, n:] = -50.0  # Garbage padding: must be neither attended to nor returned.
    return x, lengths


def test_shape_is_preserved_and_padding_is_zeroed(batch):
    x, lengths = batch
    y = make_block()(x, lengths).numpy()
    assert y.shape == x.shape
    for i, n in enumerate(lengths):
        np.testing.assert_array_equal(y[i, n:], 0.0)
        assert np.abs(y[i, :n]).sum() > 0


def test_padding_does_not_change_real_frames(batch):
    x, lengths = batch
    block = make_block()
    y = block(x, lengths).numpy()
    for i, n in enumerate(lengths):
        alone = block(x[i : i + 1, :n], np.array([n], np.int32)).numpy()
        np.testing.assert_allclose(y[i, :n], alone[0], rtol=1e-5, atol=1e-5)


def test_frames_attend_to_each_other(batch):
    # Changing one real frame changes the outputs of the other real frames (attention mixes
    # them), unlike changing a padded frame.
    x, lengths = batch
    block = make_block()
    y = block(x, lengths).numpy()
    x2 = x.copy()
    x2[0, 0, 0] += 3.0  # One feature: a shift of all of them would vanish in the layer norm.
    y2 = block(x2, lengths).numpy()
    assert not np.allclose(y[0, 1:], y2[0, 1:])
    np.testing.assert_array_equal(y[1:], y2[1:])


def test_attention_scores_are_row_stochastic_over_valid_frames(batch):
    x, lengths = batch
    scores = make_block().attention_scores(x, lengths).numpy()
    assert scores.shape == (3, 2, 8, 8)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(scores[i, :, :n, :n].sum(axis=-1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(scores[i, :, :n, n:], 0.0)  # Padding is never attended.


def test_variable_structure_is_stable():
    block = make_block()
    names = {v.path.split("/")[-2] for v in block.weights}
    assert {"norm_1", "norm_2", "ffn_1", "ffn_2"} <= names
    assert any("attention" in v.path for v in block.weights)
    assert block.ffn_1.kernel.shape == (6, 12) and block.ffn_2.kernel.shape == (12, 6)


def test_get_config_round_trip_and_weights(batch):
    x, lengths = batch
    block = make_block(num_heads=3, key_dim=5, dropout=0.1)
    config = block.get_config()
    assert (config["num_heads"], config["key_dim"], config["dropout"]) == (3, 5, 0.1)
    again = SelfAttentionBlock.from_config(config)
    again.build((None, None, 6))
    assert again.get_config() == config
    again.set_weights(block.get_weights())
    np.testing.assert_allclose(again(x, lengths), block(x, lengths), atol=1e-6)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(block))
    assert isinstance(restored, SelfAttentionBlock) and restored.get_config() == config


def test_gradients_are_finite(batch):
    x, lengths = batch
    block = make_block(dropout=0.1)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(tf.square(block(xt, lengths, training=True)))
    grads = tape.gradient(loss, [*block.trainable_variables, xt])
    for g in grads:
        assert g is not None
        assert np.isfinite(tf.convert_to_tensor(g).numpy()).all()
    np.testing.assert_array_equal(grads[-1].numpy()[1, 5:], 0.0)  # Padding gets no gradient.


def test_layer_contract(batch):
    x, lengths = batch
    run_layer_test(SelfAttentionBlock, {"num_heads": 2, "key_dim": 4, "dropout": 0.1}, (x, lengths),
                   expected_output_shape=(3, 8, 6))
