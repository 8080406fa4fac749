"""Tests for hwsr/layers/focal_ctc_loss.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr.layers.focal_ctc_loss import FocalCTCLoss


@pytest.fixture
def data():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=[4, 10, 6]).astype(np.float32)
    logit_lengths = np.array([10, 8, 6, 3], np.int32)
    labels = np.array([[1, 2, 3, 3], [5, 4, 0, 0], [2, 0, 0, 0], [1, 1, 0, 0]], np.int32)
    label_lengths = np.array([4, 2, 1, 2], np.int32)
    y_true = {"labels": labels, "label_lengths": label_lengths}
    y_pred = {"logits": logits, "logit_lengths": logit_lengths}
    ctc = tf.nn.ctc_loss(labels, logits, label_lengths, logit_lengths, logits_time_major=False,
                         blank_index=0).numpy()
    return y_true, y_pred, ctc


def test_gamma_zero_is_plain_ctc(data):
    y_true, y_pred, ctc = data
    np.testing.assert_allclose(FocalCTCLoss().call(y_true, y_pred), ctc, rtol=1e-6)
    np.testing.assert_allclose(FocalCTCLoss(alpha=0.5).call(y_true, y_pred), 0.5 * ctc, rtol=1e-6)
    # Called as a Keras loss it is averaged over the batch.
    np.testing.assert_allclose(FocalCTCLoss()(y_true, y_pred), ctc.mean(), rtol=1e-6)


@pytest.mark.parametrize(("gamma", "alpha"), [(0.5, 1.0), (2.0, 0.25)])
def test_focal_formula(data, gamma, alpha):
    y_true, y_pred, ctc = data
    want = alpha * (1.0 - np.exp(-ctc)) ** gamma * ctc
    got = FocalCTCLoss(gamma=gamma, alpha=alpha).call(y_true, y_pred).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert (got < alpha * ctc).all()  # Focal weighting only ever down-weights.


def test_padding_frames_and_label_padding_are_ignored(data):
    y_true, y_pred, ctc = data
    logits = y_pred["logits"].copy()
    logits[1, 8:] = 100.0  # Beyond logit_lengths[1].
    labels = y_true["labels"].copy()
    labels[2, 1:] = 4  # Beyond label_lengths[2].
    got = FocalCTCLoss().call({**y_true, "labels": labels}, {**y_pred, "logits": logits})
    np.testing.assert_allclose(got, ctc, rtol=1e-6)


def test_gradients_are_finite(data):
    y_true, y_pred, _ = data
    logits = tf.Variable(y_pred["logits"])
    with tf.GradientTape() as tape:
        loss = FocalCTCLoss(gamma=1.0)(y_true, {**y_pred, "logits": logits})
    grad = tape.gradient(loss, logits).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0
    np.testing.assert_array_equal(grad[3, 3:], 0.0)  # Frames past the length get none.


def test_get_config_round_trip():
    loss = FocalCTCLoss(gamma=0.5, alpha=0.75, name="focal")
    config = loss.get_config()
    assert (config["gamma"], config["alpha"], config["name"]) == (0.5, 0.75, "focal")
    assert FocalCTCLoss.from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, FocalCTCLoss) and restored.get_config() == config
