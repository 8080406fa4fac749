"""Masked multi-head self-attention block over encoder states."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="hwsr")
class SelfAttentionBlock(keras.layers.Layer):
    """Pre-norm residual multi-head self-attention (Vaswani et al. 2017,
    https://arxiv.org/abs/1706.03762) followed by a position-wise feed-forward layer.
    Padded frames neither attend nor are attended to.

    Args:
        num_heads: attention heads.
        key_dim: size of each head.
        dropout: dropout on attention weights and block outputs.

    Example:

    >>> block = SelfAttentionBlock(num_heads=2, key_dim=8)
    >>> states = np.random.default_rng(0).normal(size=(2, 5, 16)).astype("float32")
    >>> tuple(block(states, np.array([5, 3])).shape)  # Same shape; frames past 3 are zero.
    (2, 5, 16)
    """

    def __init__(self, num_heads: int = 2, key_dim: int = 32, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.dropout = float(dropout)
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=self.key_dim, dropout=self.dropout, name="attention"
        )
        self.norm_1 = keras.layers.LayerNormalization(name="norm_1")
        self.norm_2 = keras.layers.LayerNormalization(name="norm_2")
        self.drop = keras.layers.Dropout(self.dropout)

    def build(self, input_shape):
        width = input_shape[-1]
        self.attention.build((None, None, width), (None, None, width))
        self.norm_1.build(input_shape)
        self.norm_2.build(input_shape)
        self.ffn_1 = keras.layers.Dense(2 * width, activation="gelu", name="ffn_1")
        self.ffn_2 = keras.layers.Dense(width, name="ffn_2")
        self.ffn_1.build(input_shape)
        self.ffn_2.build((None, None, 2 * width))
        self.built = True

    def _attend(self, x, lengths, training=False, return_scores=False):
        mask = tf.sequence_mask(lengths, tf.shape(x)[1])
        attention_mask = mask[:, tf.newaxis, :] & mask[:, :, tf.newaxis]
        h = self.norm_1(x)
        return mask, self.attention(h, h, attention_mask=attention_mask, training=training,
                                    return_attention_scores=return_scores)

    def attention_scores(self, x, lengths):
        """The attention weights ``[B, heads, T, T]`` that `call` uses (inference mode):
        row ``i`` of a head is how frame ``i`` mixes the valid frames."""
        return self._attend(x, lengths, return_scores=True)[1][1]

    def call(self, x, lengths, training=False):
        mask, h = self._attend(x, lengths, training=training)
        x = x + self.drop(h, training=training)
        h = self.ffn_2(self.ffn_1(self.norm_2(x)))
        x = x + self.drop(h, training=training)
        return x * tf.cast(mask, x.dtype)[..., tf.newaxis]

    def get_config(self):
        config = super().get_config()
        config.update({"num_heads": self.num_heads, "key_dim": self.key_dim, "dropout": self.dropout})
        return config
