"""Loss reduction shared by the models."""

from __future__ import annotations

import tensorflow as tf


def reduce_per_example_loss(per_example):
    """Mean over the local batch, scaled for ``tf.distribute``.

    Under a strategy with N replicas, each replica sees ``global_batch / N`` examples
    and the gradients are summed across replicas, so each replica's mean is divided
    by N. The result is the mean over the *global* batch, independent of N.
    """
    loss = tf.reduce_mean(per_example)
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1:
        loss = loss / tf.cast(replicas, loss.dtype)
    return loss
