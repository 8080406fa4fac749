"""Tests for hwsr/layers/block_lstm.py: the fused kernels equal the Keras layers they replace."""

import keras
import numpy as np
import pytest

from hwsr.layers.block_lstm import block_bidirectional, block_lstm
from hwsr.layers.residual_lstm_stack import ResidualLSTMStack


def _bidirectional(units=5, width=3, **kwargs):
    keras.utils.set_random_seed(1)
    rnn = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True, **kwargs))
    rnn.build((None, None, width))
    # Non-zero biases, so a gate order mix-up shows.
    for layer in (rnn.forward_layer, rnn.backward_layer):
        layer.cell.bias.assign(np.random.default_rng(2).normal(size=layer.cell.bias.shape))
    return rnn


def test_block_lstm_equals_the_keras_lstm():
    rnn = _bidirectional()
    x = np.random.default_rng(0).normal(size=(4, 9, 3)).astype(np.float32)
    expected = rnn.forward_layer(x)
    got = np.transpose(block_lstm(rnn.forward_layer, np.transpose(x, (1, 0, 2))), (1, 0, 2))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_block_bidirectional_equals_the_masked_layer_on_every_valid_step():
    rnn = _bidirectional()
    x = np.random.default_rng(0).normal(size=(3, 10, 3)).astype(np.float32)
    lengths = np.array([10, 6, 1], np.int32)
    x[1, 6:] = 99.0  # Padding must not reach the valid steps of the backward direction.
    x[2, 1:] = -99.0
    mask = np.arange(10)[None] < lengths[:, None]
    expected = np.asarray(rnn(x, mask=mask))
    got = np.asarray(block_bidirectional(rnn, x, lengths))
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(got[i, :n], expected[i, :n], atol=1e-5)


def test_the_stack_gives_the_same_outputs_through_the_fused_kernels():
    keras.utils.set_random_seed(0)
    stack = ResidualLSTMStack(units=4, num_layers=3, subsample_after=(0,))
    stack.build((None, None, 3))
    x = np.random.default_rng(3).normal(size=(2, 13, 3)).astype(np.float32)
    lengths = np.array([13, 8], np.int32)
    plain, plain_lengths = stack(x, lengths)
    fused, fused_lengths = stack(x, lengths, run_rnn=block_bidirectional)
    np.testing.assert_array_equal(fused_lengths, plain_lengths)
    np.testing.assert_allclose(fused, plain, atol=1e-5)  # Padded frames are zero in both.


def test_training_refuses_the_inference_only_kernels():
    stack = ResidualLSTMStack(units=4, num_layers=1)
    stack.build((None, None, 3))
    with pytest.raises(ValueError, match="inference only"):
        stack(np.zeros((1, 4, 3), np.float32), np.array([4]), training=True, run_rnn=block_bidirectional)


def test_other_activations_and_merge_modes_are_refused():
    with pytest.raises(ValueError, match="tanh, sigmoid"):
        block_lstm(_bidirectional(activation="relu").forward_layer, np.zeros((2, 1, 3), np.float32))
    rnn = keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True), merge_mode="sum")
    rnn.build((None, None, 3))
    with pytest.raises(ValueError, match="merge_mode"):
        block_bidirectional(rnn, np.zeros((1, 2, 3), np.float32), np.array([2]))
