"""Loss reduction shared by the models."""

from __future__ import annotations

import tensorflow as tf


def reduce_per_example_loss(per_example, extra_losses=()):
    """Mean over the local batch plus layer losses, scaled for ``tf.distribute``.

    Under a strategy with N replicas, each replica sees ``global_batch / N`` examples
    and the gradients are summed across replicas, so each replica's mean (and each
    replica's copy of the layer losses, e.g. weight regularisers) is divided by N. The
    result is the mean over the *global* batch, independent of N. A replica that got no
    examples contributes 0 rather than NaN.

    Args:
        per_example: ``[B]`` loss of each example.
        extra_losses: scalar losses added once per step (``model.losses``).
    """
    per_example = tf.convert_to_tensor(per_example)
    loss = tf.math.divide_no_nan(
        tf.reduce_sum(per_example), tf.cast(tf.size(per_example), per_example.dtype)
    )
    if extra_losses:
        loss = loss + tf.cast(tf.add_n(list(extra_losses)), loss.dtype)
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1:
        loss = loss / tf.cast(replicas, loss.dtype)
    return loss
