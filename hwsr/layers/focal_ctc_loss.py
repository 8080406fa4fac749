"""Focal CTC loss (Feng et al. 2019), with plain CTC as ``gamma = 0``."""

from __future__ import annotations

import keras
import tensorflow as tf


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
    >>> value = loss({"labels": labels, "label_lengths": n},
    ...              {"logits": logits, "logit_lengths": t})
    """

    def __init__(self, gamma: float = 0.0, alpha: float = 1.0, reduction="sum_over_batch_size",
                 name="focal_ctc_loss", **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self.gamma = float(gamma)
        self.alpha = float(alpha)

    def call(self, y_true, y_pred):
        logits = tf.cast(y_pred["logits"], tf.float32)
        ctc = tf.nn.ctc_loss(
            labels=tf.cast(y_true["labels"], tf.int32),
            logits=logits,
            label_length=tf.cast(y_true["label_lengths"], tf.int32),
            logit_length=tf.cast(y_pred["logit_lengths"], tf.int32),
            logits_time_major=False,
            blank_index=0,
        )
        if self.gamma == 0.0:
            return self.alpha * ctc
        p = tf.exp(-ctc)
        return self.alpha * tf.pow(1.0 - p, self.gamma) * ctc

    def get_config(self):
        config = super().get_config()
        config.update({"gamma": self.gamma, "alpha": self.alpha})
        return config
