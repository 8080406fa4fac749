"""Tests for hwsr/layers/residual_lstm_stack.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr.layers.residual_lstm_stack import ResidualLSTMStack
from hwsr.testing import run_layer_test


def make_stack(**kwargs):
    keras.utils.set_random_seed(0)
    args = {"units": 4, "num_layers": 2, "subsample_after": (0,), "dropout": 0.0}
    stack = ResidualLSTMStack(**{**args, **kwargs})
    stack.build((None, None, 3))
    return stack


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=[3, 11, 3]).astype(np.float32)
    lengths = np.array([11, 7, 4], np.int32)
    for i, n in enumerate(lengths):
        x[i, n:] = 99.0  # Garbage padding: must not reach the real frames.
    return x, lengths


def test_output_shape_and_subsampled_lengths(batch):
    x, lengths = batch
    y, new_lengths = make_stack()(x, lengths)
    assert y.shape == (3, 6, 8)  # ceil(11 / 2) frames, 2 * units wide.
    np.testing.assert_array_equal(new_lengths, [6, 4, 2])
    y2, n2 = make_stack(subsample_after=())(x, lengths)
    assert y2.shape == (3, 11, 8)
    np.testing.assert_array_equal(n2, lengths)
    y3, n3 = make_stack(num_layers=3, subsample_after=(0, 2))(x, lengths)
    assert y3.shape == (3, 3, 8)
    np.testing.assert_array_equal(n3, [3, 2, 1])


@pytest.mark.parametrize("subsample_after", [(), (0,), (0, 1)])
def test_padding_does_not_change_real_frames(batch, subsample_after):
    x, lengths = batch
    stack = make_stack(subsample_after=subsample_after)
    y, new_lengths = stack(x, lengths)
    y, new_lengths = y.numpy(), new_lengths.numpy()
    for i, n in enumerate(lengths):
        alone, m = stack(x[i : i + 1, :n], np.array([n], np.int32))
        m = int(m[0])
        assert m == new_lengths[i]
        np.testing.assert_allclose(y[i, :m], alone[0].numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(y[i, m:], 0.0)


def test_halve_time_averages_valid_frames_of_each_pair():
    x = tf.constant([[[1.0], [3.0], [5.0], [0.0]], [[2.0], [4.0], [6.0], [8.0]]])
    y, n = ResidualLSTMStack.halve_time(x, tf.constant([3, 4]))
    np.testing.assert_allclose(y.numpy()[..., 0], [[2.0, 5.0], [3.0, 7.0]])
    np.testing.assert_array_equal(n, [2, 2])
    y, n = ResidualLSTMStack.halve_time(tf.constant([[[1.0], [3.0], [5.0]]]), tf.constant([3]))
    np.testing.assert_allclose(y.numpy()[..., 0], [[2.0, 5.0]])  # Odd length: last frame alone.
    np.testing.assert_array_equal(n, [2])


def test_variable_structure_is_stable():
    # Trained checkpoints depend on these names and shapes.
    stack = make_stack()
    paths = sorted(v.path for v in stack.weights)
    assert len(paths) == 2 * 2 * 3 + 2 * 2 + 2
    assert any("blstm_1" in p for p in paths) and any("blstm_2" in p for p in paths)
    assert any("norm_2" in p for p in paths) and any("input_projection" in p for p in paths)
    assert stack.input_projection.kernel.shape == (3, 8)


def test_get_config_round_trip_and_weights(batch, tmp_path):
    x, lengths = batch
    stack = make_stack(num_layers=2, subsample_after=(1,), dropout=0.25, layer_norm=False)
    config = stack.get_config()
    assert {k: config[k] for k in ("units", "num_layers", "subsample_after", "dropout", "layer_norm")} == {
        "units": 4, "num_layers": 2, "subsample_after": [1], "dropout": 0.25, "layer_norm": False}
    again = ResidualLSTMStack.from_config(config)
    again.build((None, None, 3))
    assert again.get_config() == config
    again.set_weights(stack.get_weights())
    np.testing.assert_allclose(again(x, lengths)[0], stack(x, lengths)[0], atol=1e-6)


def test_without_layer_norm_outputs_are_not_normalised(batch):
    x, lengths = batch
    plain = make_stack(layer_norm=False, subsample_after=())
    assert not any("norm" in v.path for v in plain.weights)
    y, n = plain(x, lengths)
    valid = tf.sequence_mask(n, tf.shape(y)[1]).numpy()
    frames = y.numpy()[valid]
    # A layer-normalised frame has mean 0 and variance 1 over its features; these do not.
    assert not np.allclose(frames.std(axis=-1), 1.0, atol=1e-2)
    normed, _ = make_stack(layer_norm=True, subsample_after=())(x, lengths)
    np.testing.assert_allclose(normed.numpy()[valid].std(axis=-1), 1.0, atol=1e-2)


def test_dropout_only_in_training(batch):
    x, lengths = batch
    stack = make_stack(dropout=0.5)
    a, _ = stack(x, lengths, training=False)
    b, _ = stack(x, lengths, training=False)
    np.testing.assert_array_equal(a, b)
    c, _ = stack(x, lengths, training=True)
    assert not np.allclose(a, c)


def test_gradients_are_finite(batch):
    x, lengths = batch
    stack = make_stack()
    with tf.GradientTape() as tape:
        y, _ = stack(x, lengths, training=True)
        loss = tf.reduce_sum(tf.square(y))
    grads = tape.gradient(loss, stack.trainable_variables)
    assert len(grads) == len(stack.trainable_variables) > 0
    for g, v in zip(grads, stack.trainable_variables):
        assert g is not None, v.path
        assert np.isfinite(tf.convert_to_tensor(g).numpy()).all(), v.path


def test_layer_contract(batch):
    x, lengths = batch
    run_layer_test(ResidualLSTMStack, {"units": 4, "num_layers": 2, "subsample_after": (0,),
                                       "dropout": 0.1, "layer_norm": True},
                   (x, lengths), expected_output_shape=((3, 6, 8), (3,)))
