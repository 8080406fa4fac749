"""Bidirectional LSTM stack with residual connections and optional time subsampling."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="hwsr")
class ResidualLSTMStack(keras.layers.Layer):
    """``num_layers`` bidirectional LSTMs; each adds its input back (a projection when the
    widths differ), then layer norm (optional) and dropout. After the layers listed in
    ``subsample_after`` the time axis is halved by averaging pairs of frames, which cuts the
    cost of the layers above on CPU (the encoder still sees every frame once).

    Padding is handled through lengths: the backward LSTMs start at each sequence's true end.

    Args:
        units: LSTM cells per direction.
        num_layers: number of bidirectional layers.
        subsample_after: 0-based layer indices after which time is halved.
        dropout: dropout rate after each layer.
        layer_norm: normalise each layer's residual sum.

    Example:

    >>> stack = ResidualLSTMStack(units=8, num_layers=2, subsample_after=(0,))
    >>> outputs, lengths = stack(np.zeros((2, 9, 3), "float32"), np.array([9, 4]))
    >>> tuple(outputs.shape), np.asarray(lengths).tolist()  # [B, ceil(T / 2), 2 * units]
    ((2, 5, 16), [5, 2])
    """

    def __init__(self, units: int = 128, num_layers: int = 3, subsample_after=(0,), dropout: float = 0.0,
                 layer_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.subsample_after = tuple(int(i) for i in subsample_after)
        self.dropout = float(dropout)
        self.layer_norm = bool(layer_norm)
        self.rnns = [
            keras.layers.Bidirectional(
                keras.layers.LSTM(self.units, return_sequences=True), name=f"blstm_{i + 1}"
            )
            for i in range(self.num_layers)
        ]
        self.norms = [
            keras.layers.LayerNormalization(name=f"norm_{i + 1}")
            if self.layer_norm
            else keras.layers.Identity(name=f"norm_{i + 1}")
            for i in range(self.num_layers)
        ]
        self.input_projection = keras.layers.Dense(2 * self.units, name="input_projection")
        self.drop = keras.layers.Dropout(self.dropout)

    def build(self, input_shape):
        width = input_shape[-1]
        for rnn, norm in zip(self.rnns, self.norms):
            rnn.build((None, None, width))
            norm.build((None, None, 2 * self.units))
            width = 2 * self.units
        self.input_projection.build(input_shape)
        self.built = True

    @staticmethod
    def halve_time(x, lengths):
        steps = tf.shape(x)[1]
        x = tf.pad(x, [[0, 0], [0, steps % 2], [0, 0]])
        pairs = tf.reshape(x, [tf.shape(x)[0], -1, 2, x.shape[-1]])
        new_lengths = (lengths + 1) // 2
        # Average the valid frames of each pair (the last pair may hold one).
        count = tf.reduce_sum(
            tf.reshape(tf.cast(tf.sequence_mask(lengths, tf.shape(x)[1]), x.dtype),
                       [tf.shape(x)[0], -1, 2]),
            axis=-1,
            keepdims=True,
        )
        return tf.reduce_sum(pairs, axis=2) / tf.maximum(count, 1.0), new_lengths

    def call(self, inputs, lengths, training=False, run_rnn=None):
        """``(outputs, lengths)``.

        ``run_rnn(rnn, x, lengths)``, if given, replaces the masked call of each
        `Bidirectional` layer at inference: `hwsr.layers.block_lstm.block_bidirectional`
        (fused kernels, what `hwsr.Recognizer` and the SavedModel use), or one the TFLite
        converter fuses (``hwsr.export``). Training always runs the Keras layers.
        """
        if run_rnn is not None and training:
            raise ValueError("run_rnn replaces the LSTMs at inference only (training=False)")
        x = inputs
        for i, (rnn, norm) in enumerate(zip(self.rnns, self.norms)):
            mask = tf.sequence_mask(lengths, tf.shape(x)[1])
            y = rnn(x, mask=mask, training=training) if run_rnn is None else run_rnn(rnn, x, lengths)
            residual = self.input_projection(x) if i == 0 else x
            y = norm(y + residual)
            y = self.drop(y, training=training)
            y = y * tf.cast(mask, y.dtype)[..., tf.newaxis]
            if i in self.subsample_after:
                y, lengths = self.halve_time(y, lengths)
            x = y
        return x, lengths

    def get_config(self):
        config = super().get_config()
        config.update(
            {"units": self.units, "num_layers": self.num_layers,
             "subsample_after": list(self.subsample_after), "dropout": self.dropout,
             "layer_norm": self.layer_norm}
        )
        return config
