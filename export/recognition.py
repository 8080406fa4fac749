"""Serving functions of the recogniser: strokes in, text out (SavedModel and TFLite)."""

from __future__ import annotations

import tensorflow as tf

from hwsr.export.ctc_greedy import ctc_greedy_decode
from hwsr.export.limits import ExportLimits
from hwsr.export.text_graph import decode_labels
from hwsr.export.tflite_lstm import fused_bidirectional
from hwsr.layers.block_lstm import block_bidirectional
from hwsr.model_dir import ModelBundle

#: Input signature of the SavedModel endpoints (raw-unit ``[eos, dx, dy]`` strokes).
SERVING_SIGNATURE = [
    tf.TensorSpec([None, None, 3], tf.float32, name="strokes"),
    tf.TensorSpec([None], tf.int32, name="lengths"),
]


def check_strokes(strokes, lengths, limits: ExportLimits, max_batch: bool = True):
    """Graph assertions on a batch of strokes; returns the control dependencies."""
    batch, steps = tf.shape(strokes)[0], tf.shape(strokes)[1]
    checks = [
        tf.debugging.Assert(tf.equal(tf.shape(lengths)[0], batch),
                            ["lengths must have one entry per line of strokes; got", tf.shape(lengths)[0],
                             "lengths for", batch, "lines"]),
        tf.debugging.Assert(steps <= limits.max_points,
                            [f"strokes longer than the limit of {limits.max_points} points (cut longer "
                             "lines at pen-ups, hwsr.line_segments.split_at_pen_ups, or export with "
                             "a larger --max-points):", steps]),
        tf.debugging.Assert(tf.reduce_all((lengths >= 1) & (lengths <= steps)),
                            ["every length must be between 1 and the padded stroke length", steps,
                             "; got", lengths]),
        tf.debugging.Assert(tf.reduce_all(tf.math.is_finite(strokes)),
                            ["strokes hold NaN or infinite values"]),
    ]
    if max_batch:
        checks.append(tf.debugging.Assert(
            batch <= limits.max_batch, [f"more than {limits.max_batch} lines in one request:", batch]))
    return checks


def ctc_log_likelihood(labels, label_lengths, logits, logit_lengths):
    """``[B]`` ``log P(labels | logits)`` summed over all CTC alignments: the score of
    `hwsr.Recognizer` (`hwsr.decoding.ctc_log_likelihood`), as graph ops."""
    # Sparse labels run TensorFlow's fused CTC kernel; dense ones a step-by-step scan in
    # graph ops, 100x slower on CPU (170 ms against 1.7 ms for a 600-point line). The kernel
    # refuses empty labels: an empty reading's likelihood is that of the all-blank path.
    logits = tf.cast(logits, tf.float32)
    empty = tf.equal(label_lengths, 0)
    width = tf.shape(labels)[1]
    labels = tf.cast(labels, tf.int32) * tf.sequence_mask(label_lengths, width, tf.int32)
    labels = tf.where(empty[:, tf.newaxis] & tf.equal(tf.range(width), 0)[tf.newaxis], 1, labels)
    fused = -tf.nn.ctc_loss(tf.sparse.from_dense(labels), logits, None, logit_lengths,
                            logits_time_major=False, blank_index=0)
    frames = tf.sequence_mask(logit_lengths, tf.shape(logits)[1], tf.float32)
    all_blank = tf.reduce_sum(tf.nn.log_softmax(logits)[..., 0] * frames, axis=1)
    return tf.where(empty, all_blank, fused)


def recognition_functions(bundle: ModelBundle, limits: ExportLimits) -> dict:
    """The SavedModel endpoints: ``{name: (fn, input_signature)}``, ``recognize`` first.

    ``recognize(strokes [B, T, 3] float32, lengths [B] int32)`` returns ``text [B]`` (string,
    greedy decoding), ``scores [B]`` (``log P(text | ink)`` summed over CTC alignments, the
    score `hwsr.Recognizer` gives), ``labels [B, T']`` and
    ``label_lengths [B]``; ``recognize_logits`` adds ``logits [B, T', C]`` and
    ``logit_lengths [B]``.
    """
    model, alphabet = bundle.model, bundle.alphabet

    def run(strokes, lengths):
        with tf.control_dependencies(check_strokes(strokes, lengths, limits)):
            strokes = tf.identity(strokes)
        out = model({"strokes": strokes, "lengths": lengths}, training=False, run_rnn=block_bidirectional)
        labels, label_lengths, _ = ctc_greedy_decode(out["logits"], out["logit_lengths"])
        result = {
            "text": decode_labels(labels, alphabet),
            "scores": ctc_log_likelihood(labels, label_lengths, out["logits"], out["logit_lengths"]),
            "labels": labels,
            "label_lengths": label_lengths,
        }
        return result, out

    def recognize(strokes, lengths):
        return run(strokes, lengths)[0]

    def recognize_logits(strokes, lengths):
        result, out = run(strokes, lengths)
        return {**result, "logits": tf.cast(out["logits"], tf.float32),
                "logit_lengths": out["logit_lengths"]}

    return {"recognize": (recognize, SERVING_SIGNATURE),
            "recognize_logits": (recognize_logits, SERVING_SIGNATURE)}


def tflite_recognize_function(bundle: ModelBundle, limits: ExportLimits):
    """``(fn, input_signature)`` for the TFLite recogniser: one line of any length.

    ``recognize(strokes [1, N, 3], lengths [1])`` -> ``labels [1, N']`` int32 (alphabet codes,
    0-padded), ``label_lengths [1]``, ``scores [1]`` (best path: CTC's forward sum needs a
    loop TFLite builtins lack), ``logits [1, N', C]`` and ``logit_lengths [1]`` (from which
    the host computes `hwsr.Recognizer`'s text and score). ``N`` is free (the interpreter
    resizes the input); a host may still pad to ``limits.tflite_points``, the length it
    promises to accept. The BLSTMs run as the converter's fused LSTM kernels
    (`hwsr.export.tflite_lstm`), not as step-by-step ``WHILE`` loops.
    """
    model = bundle.model
    signature = [tf.TensorSpec([1, None, 3], tf.float32, name="strokes"),
                 tf.TensorSpec([1], tf.int32, name="lengths")]

    def recognize(strokes, lengths):
        lengths = tf.clip_by_value(lengths, 1, tf.shape(strokes)[1])
        # One line: the features hold exactly its kept points (padding after `lengths` is
        # dropped with the points), so the LSTMs need no mask and fuse.
        features, feature_lengths = model.features(strokes, lengths)
        h, logit_lengths = model.encoder(features, feature_lengths, training=False,
                                         run_rnn=fused_bidirectional)
        if model.attention is not None:
            h = model.attention(h, logit_lengths, training=False)
        logits = model.classifier(h)
        labels, label_lengths, scores = ctc_greedy_decode(logits, logit_lengths)
        return {"labels": labels, "label_lengths": label_lengths, "scores": scores,
                "logits": tf.cast(logits, tf.float32), "logit_lengths": logit_lengths}

    return recognize, signature
