"""Greedy (best path) CTC decoding with TFLite builtin ops only.

``tf.nn.ctc_greedy_decoder`` and ``tf.nn.ctc_beam_search_decoder`` have no TFLite builtin
kernel; this version (argmax, collapse repeats, drop blanks, compact with a scatter) runs
in TensorFlow, TensorFlow Serving and LiteRT alike and gives the same labels.
"""

from __future__ import annotations

import tensorflow as tf


def ctc_greedy_decode(logits, logit_lengths, blank: int = 0):
    """Best-path CTC decoding.

    Args:
        logits: ``[B, T, C]`` per-frame class scores.
        logit_lengths: ``[B]`` valid frames per line.
        blank: the blank class.

    Returns:
        ``(labels [B, T] int32 left-aligned and padded with 0, label_lengths [B] int32,
        scores [B] float32)``, the score being the log-probability of the best path.
    """
    logits = tf.cast(logits, tf.float32)
    steps = tf.shape(logits)[1]
    batch = tf.shape(logits)[0]
    log_probs = tf.nn.log_softmax(logits, axis=-1)
    best = tf.argmax(logits, axis=-1, output_type=tf.int32)
    valid = tf.sequence_mask(logit_lengths, steps)
    scores = tf.reduce_sum(tf.where(valid, tf.reduce_max(log_probs, axis=-1), 0.0), axis=1)
    previous = tf.pad(best[:, :-1], [[0, 0], [1, 0]], constant_values=-1)
    keep = valid & tf.not_equal(best, blank) & tf.not_equal(best, previous)
    slot = tf.cumsum(tf.cast(keep, tf.int32), axis=1) - 1
    label_lengths = tf.reduce_sum(tf.cast(keep, tf.int32), axis=1)
    rows = tf.broadcast_to(tf.range(batch)[:, tf.newaxis], tf.shape(best))
    # Dropped frames go to an overflow column that is cut off afterwards.
    index = tf.stack([rows, tf.where(keep, slot, steps)], axis=-1)
    labels = tf.scatter_nd(
        tf.reshape(index, [-1, 2]),
        tf.reshape(tf.where(keep, best, 0), [-1]),
        tf.stack([batch, steps + 1]),
    )[:, :steps]
    return labels, label_lengths, scores
