"""Text <-> alphabet codes inside a TensorFlow graph, without lookup-table resources.

The tables are constants (a dense code-point -> code array and a code -> character array),
so the exported graphs need no asset files or table initialisers and run unchanged in
TensorFlow Serving.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hwsr.alphabet import Alphabet


def codepoint_table(alphabet: Alphabet) -> np.ndarray:
    """``table[cp]`` = the alphabet code of code point ``cp``; -1 for unknown code points.

    The last entry stands for every code point beyond the largest alphabet character.
    """
    top = max(ord(c) for c in alphabet.characters)
    table = np.full(top + 2, -1, dtype=np.int32)
    for c in alphabet.characters:
        table[ord(c)] = int(alphabet.encode(c)[0])
    return table


def encode_text(text, alphabet: Alphabet, max_length: int):
    """Encodes a ``[B]`` string tensor to codes, with the alphabet's unknown-character policy.

    Args:
        text: ``[B]`` tf.string, UTF-8 (invalid bytes count as unknown characters).
        alphabet: the model's alphabet; its ``unknown`` policy decides what happens to
            characters outside it (``error`` rejects the request, ``drop`` removes them,
            ``map`` encodes them as the unknown code).
        max_length: lines longer than this (after dropping) are rejected.

    Returns:
        ``(codes [B, U] int32 padded with 0, lengths [B] int32)``.
    """
    table = tf.constant(codepoint_table(alphabet))
    cps = tf.strings.unicode_decode(text, "UTF-8", errors="replace", replacement_char=0xFFFD)
    cps = tf.minimum(cps, tf.shape(table)[0] - 1)
    codes = tf.ragged.map_flat_values(tf.gather, table, tf.maximum(cps, 0))
    unknown = codes < 0
    if alphabet.unknown == "error":
        check = tf.debugging.Assert(
            ~tf.reduce_any(unknown.flat_values),
            ["text holds characters that are not in the model's alphabet"],
        )
        with tf.control_dependencies([check]):
            codes = tf.identity(codes)
    elif alphabet.unknown == "drop":
        codes = tf.ragged.boolean_mask(codes, ~unknown)
    else:
        codes = codes.with_flat_values(
            tf.where(unknown.flat_values, Alphabet.UNKNOWN, codes.flat_values))
    lengths = tf.cast(codes.row_lengths(), tf.int32)
    check = tf.debugging.Assert(
        tf.reduce_all(lengths <= max_length),
        [f"text longer than the limit of {max_length} characters; longest line has", tf.reduce_max(lengths)],
    )
    with tf.control_dependencies([check]):
        dense = codes.to_tensor(default_value=Alphabet.PAD)
    # At least one column, so that an all-empty batch still has a valid shape.
    dense = tf.pad(dense, [[0, 0], [0, tf.maximum(1 - tf.shape(dense)[1], 0)]])
    return dense, lengths


def decode_labels(labels, alphabet: Alphabet):
    """``[B, L]`` int codes (0 = padding) to a ``[B]`` UTF-8 string tensor."""
    chars = tf.constant(["", Alphabet.UNKNOWN_CHAR, *alphabet.characters])
    labels = tf.cast(labels, tf.int32)
    labels = tf.where((labels < 0) | (labels >= len(alphabet)), Alphabet.UNKNOWN, labels)
    return tf.strings.reduce_join(tf.gather(chars, labels), axis=-1)
