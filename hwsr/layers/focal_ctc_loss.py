"""Focal CTC loss (Feng et al. 2019), with plain CTC as ``gamma = 0``."""

from __future__ import annotations

import keras
import tensorflow as tf


def ctc_loss(labels, logits, logit_lengths, label_lengths=None):
    """Per-example CTC negative log-likelihood with class 0 as the blank.

    Args:
        labels: ``[B, U]`` int codes padded with 0 (0 never occurs inside a label).
        logits: ``[B, T, C]`` unnormalised scores.
        logit_lengths: ``[B]`` valid frames per example.
        label_lengths: ``[B]`` valid codes per label; codes past it are ignored (default:
            every non-zero code counts).

    Uses TensorFlow's sparse-label CTC kernel, which on CPU is about 12x faster than the
    dense-label path of ``tf.nn.ctc_loss`` (measured: 0.22 s vs 2.64 s for 32 lines x 300
    frames, same values). A label that cannot fit in its frames gets loss 0 (and no
    gradient) instead of stopping training; callers should filter such lines.
    """
    logits = tf.cast(logits, tf.float32)
    labels = tf.cast(labels, tf.int32)
    if label_lengths is not None:
        labels = labels * tf.sequence_mask(label_lengths, tf.shape(labels)[1], dtype=tf.int32)
    sparse = tf.sparse.from_dense(labels)
    # The kernel wants the blank last: rotate class 0 to the end and shift the labels down.
    rotated = tf.concat([logits[..., 1:], logits[..., :1]], axis=-1)
    shifted = tf.SparseTensor(sparse.indices, sparse.values - 1, sparse.dense_shape)
    loss = tf.compat.v1.nn.ctc_loss(
        labels=shifted,
        inputs=rotated,
        sequence_length=tf.cast(logit_lengths, tf.int32),
        time_major=False,
        ignore_longer_outputs_than_inputs=True,
    )
    # No valid alignment (e.g. repeated letters without room for blanks): the kernel
    # returns inf with a zero gradient; count such lines as 0 so the batch mean stays finite.
    return tf.where(tf.math.is_finite(loss), loss, tf.zeros_like(loss))


@keras.saving.register_keras_serializable(package="hwsr")
class FocalCTCLoss(keras.losses.Loss):
    """``alpha * (1 - exp(-L_ctc)) ** gamma * L_ctc`` per example.

    Focal CTC (Feng et al., "Focal CTC Loss for Chinese Optical Character Recognition on
    Unbalanced Datasets", 2019) down-weights lines the model already reads well. With
    ``gamma = 0`` and ``alpha = 1`` it is plain CTC (``tf.nn.ctc_loss``).

    ``y_true`` is ``{"labels": [B, U] int (0-padded), "label_lengths": [B]}`` and ``y_pred``
    is ``{"logits": [B, T, C], "logit_lengths": [B]}``; class 0 is the CTC blank (the
    alphabet's padding code, which never occurs in a label).

    Args:
        gamma: focusing parameter (0: plain CTC).
        alpha: scale.

    Example:

    >>> loss = FocalCTCLoss(gamma=0.5)
    >>> y_true = {"labels": np.array([[3, 4]]), "label_lengths": np.array([2])}
    >>> y_pred = {"logits": np.zeros((1, 6, 10), "float32"), "logit_lengths": np.array([6])}
    >>> float(loss(y_true, y_pred)) > 0.0
    True
    """

    def __init__(self, gamma: float = 0.0, alpha: float = 1.0, name="focal_ctc_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = float(gamma)
        self.alpha = float(alpha)

    def call(self, y_true, y_pred):
        ctc = ctc_loss(
            y_true["labels"], y_pred["logits"], y_pred["logit_lengths"], y_true["label_lengths"]
        )
        if self.gamma == 0.0:
            return self.alpha * ctc
        p = tf.exp(-ctc)
        return self.alpha * tf.pow(1.0 - p, self.gamma) * ctc

    def get_config(self):
        config = super().get_config()
        config.update({"gamma": self.gamma, "alpha": self.alpha})
        return config
