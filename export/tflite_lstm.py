"""LSTMs that the TFLite converter turns into its fused ``UNIDIRECTIONAL_SEQUENCE_LSTM`` kernel.

Keras 3's LSTM reaches the converter as a ``while`` loop, which TFLite runs op by op and step
by step (hundreds of milliseconds for one line). The converter still fuses any function that
carries Keras 2's marker: a ``tf.function`` whose ``api_implements`` attribute starts with
``lstm_``, taking ``(inputs, init_h, init_c, kernel, recurrent_kernel, bias)`` and returning
``(last_output, outputs, new_h, new_c, runtime)``. Its body (here the plain LSTM of
`hwsr.layers.windowed_lstm_loop.sequence_lstm`) runs in TensorFlow and is replaced by the
fused kernel in the ``.tflite`` file (only where the batch size is static, as in the
recogniser's ``[1, N, 3]`` signature). There is no mask: the TFLite recogniser reads one line
of its own length, so every step is real.
"""

from __future__ import annotations

import tensorflow as tf

from hwsr.layers.windowed_lstm_loop import sequence_lstm


def _keras_lstm(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
    h, c = sequence_lstm(tf.transpose(inputs, [1, 0, 2]), init_h, init_c, kernel,
                         recurrent_kernel, bias)
    return h[-1], tf.transpose(h, [1, 0, 2]), h[-1], c[-1], tf.constant(0.0)


fusable_lstm = tf.function(
    _keras_lstm,
    autograph=False,
    experimental_attributes={
        "api_implements": "lstm_hwsr_tflite_recognizer",
        "api_preferred_device": "CPU",
        "time_major": False,
        "go_backwards": False,
    },
)


def _run(cell, inputs):
    # The converter fuses only LSTMs whose initial states have a static shape.
    batch = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
    zeros = tf.zeros([batch, cell.units], inputs.dtype)
    return fusable_lstm(inputs, zeros, zeros, tf.convert_to_tensor(cell.kernel),
                        tf.convert_to_tensor(cell.recurrent_kernel),
                        tf.convert_to_tensor(cell.bias))[1]


def fused_bidirectional(rnn, inputs, lengths=None):
    """A ``keras.layers.Bidirectional(LSTM(..., return_sequences=True))`` on unpadded inputs.

    Args:
        rnn: the Keras layer (concat merge), whose weights are used.
        inputs: ``[B, T, F]`` with no padding.
        lengths: unused (every line fills ``T``); the `ResidualLSTMStack` ``run_rnn`` hook passes it.

    Returns:
        ``[B, T, 2H]``: the forward and the (re-reversed) backward outputs.
    """
    if rnn.merge_mode != "concat":
        raise ValueError(f"only merge_mode='concat' is supported, not {rnn.merge_mode!r}")
    forward = _run(rnn.forward_layer.cell, inputs)
    backward = tf.reverse(_run(rnn.backward_layer.cell, tf.reverse(inputs, [1])), [1])
    return tf.concat([forward, backward], axis=-1)
