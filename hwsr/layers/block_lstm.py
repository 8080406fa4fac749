"""Forward-only fused LSTMs for inference: a Keras LSTM run as one ``BlockLSTMV2`` kernel.

On CPU a Keras ``LSTM`` runs a ``tf.while_loop`` whose body dispatches a dozen small ops per
step; for the recogniser (128 cells, a few hundred steps, batch 1) that dispatch, not the
arithmetic, is most of a line's 45 ms. TensorFlow's ``BlockLSTMV2`` kernel runs the whole
sequence in C++ with the same gate layout as Keras (input, forget, cell, output; sigmoid and
tanh; no peepholes), so the recogniser reads a 600-point line in about a third of the time,
with no compilation and in any SavedModel (it is a core TensorFlow op).

Only the forward pass is used: the kernel's registered gradient does not match Keras' LSTM
(measured), so training keeps the Keras layers, and `block_bidirectional` refuses to run under
``training=True`` through `hwsr.layers.residual_lstm_stack.ResidualLSTMStack`.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def block_lstm(lstm: keras.layers.LSTM, inputs: tf.Tensor) -> tf.Tensor:
    """``lstm`` (``return_sequences=True``, default activations) over time-major ``inputs``.

    Args:
        lstm: a built Keras LSTM whose weights are used.
        inputs: ``[T, B, F]``; each sequence starts at step 0 and runs to ``T``.

    Returns:
        ``[T, B, units]``, the LSTM's outputs, from zero initial states.
    """
    cell = lstm.cell
    if cell.activation is not keras.activations.tanh or \
            cell.recurrent_activation is not keras.activations.sigmoid or not cell.use_bias:
        raise ValueError("block_lstm needs an LSTM with tanh, sigmoid and a bias (the defaults)")
    weights = tf.concat([cell.kernel, cell.recurrent_kernel], axis=0)
    zeros = tf.zeros([tf.shape(inputs)[1], cell.units], inputs.dtype)
    no_peephole = tf.zeros([cell.units], inputs.dtype)
    outputs = tf.raw_ops.BlockLSTMV2(
        seq_len_max=tf.cast(tf.shape(inputs)[0], tf.int64), x=inputs, cs_prev=zeros, h_prev=zeros,
        w=tf.cast(weights, inputs.dtype), wci=no_peephole, wcf=no_peephole, wco=no_peephole,
        b=tf.cast(cell.bias, inputs.dtype), cell_clip=0.0, use_peephole=False)
    return outputs[6]  # (i, cs, f, o, ci, co, h): the outputs are h.


def block_bidirectional(rnn: keras.layers.Bidirectional, inputs: tf.Tensor,
                        lengths: tf.Tensor) -> tf.Tensor:
    """A masked ``Bidirectional(LSTM(..., return_sequences=True))`` as two fused kernels.

    The backward LSTM reads each line from its own end (``tf.reverse_sequence``), as the
    masked Keras layer does, so the outputs equal the layer's on every step before
    ``lengths``; steps after it hold arbitrary values (the caller masks them).

    Args:
        rnn: the Keras layer (``merge_mode="concat"``), whose weights are used.
        inputs: ``[B, T, F]``, padded after ``lengths``.
        lengths: ``[B]`` int, the valid steps of each line.

    Returns:
        ``[B, T, 2 * units]``.

    Example:

    >>> rnn = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> lengths = np.array([5, 3], "int32")
    >>> rnn.build((None, None, 3))
    >>> fused = block_bidirectional(rnn, x, lengths)
    >>> masked = rnn(x, mask=np.arange(5) < lengths[:, None])
    >>> bool(np.allclose(fused[1, :3], masked[1, :3], atol=1e-5))
    True
    """
    if rnn.merge_mode != "concat":
        raise ValueError(f"only merge_mode='concat' is supported, not {rnn.merge_mode!r}")
    time_major = tf.transpose(inputs, [1, 0, 2])
    lengths = tf.cast(lengths, tf.int64)
    forward = block_lstm(rnn.forward_layer, time_major)
    reversed_inputs = tf.reverse_sequence(time_major, lengths, seq_axis=0, batch_axis=1)
    backward = tf.reverse_sequence(block_lstm(rnn.backward_layer, reversed_inputs), lengths,
                                   seq_axis=0, batch_axis=1)
    return tf.transpose(tf.concat([forward, backward], axis=-1), [1, 0, 2])
