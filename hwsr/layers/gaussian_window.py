"""Gaussian window attention over a character sequence (Graves 2013, eqs. 46-51)."""

from __future__ import annotations

import keras
import tensorflow as tf

MAX_EXP_ARG = 10.0  # Keeps exp() of the window parameters finite for any input.
#: Compiled loops over the text (the XLA sampler, the training recurrence) pad it to a
#: multiple of this many characters (padding is masked out), so that a few compiled shapes
#: serve every text length.
TEXT_STEP = 16


def padded_text_length(length):
    """``length`` (a scalar int32 tensor, at least 1) rounded up to a multiple of `TEXT_STEP`."""
    length = tf.maximum(tf.cast(length, tf.int32), 1)
    return (length + TEXT_STEP - 1) // TEXT_STEP * TEXT_STEP


def window_weights(alpha, beta, kappa, num_positions):
    """Window weights ``phi(t, u) = sum_k alpha_k exp(-beta_k (kappa_k - u)^2)`` (eq. 46).

    Args:
        alpha, beta, kappa: ``[..., K]`` window parameters.
        num_positions: number of character positions ``u = 0 .. num_positions - 1``.

    Returns:
        ``[..., num_positions]`` weights.
    """
    u = tf.cast(tf.range(num_positions), kappa.dtype)
    dist = tf.expand_dims(kappa, -1) - u  # [..., K, U]
    return tf.reduce_sum(
        tf.expand_dims(alpha, -1) * tf.exp(-tf.expand_dims(beta, -1) * tf.square(dist)), axis=-2
    )


def window_from_params(params, kappa_prev, kappa_scale, chars_one_hot, char_mask):
    """One window step from the raw ``[B, 3K]`` output of the window's dense layer (eqs. 47-51).

    Returns:
        ``(w [B, V], kappa [B, K], alpha [B, K], beta [B, K], phi [B, U + 1])``.
    """
    a_hat, b_hat, k_hat = tf.split(params, 3, axis=-1)
    alpha = tf.exp(tf.minimum(a_hat, MAX_EXP_ARG))
    beta = tf.exp(tf.minimum(b_hat, MAX_EXP_ARG))
    kappa = kappa_prev + tf.exp(tf.minimum(k_hat, MAX_EXP_ARG)) / kappa_scale
    num_chars = tf.shape(chars_one_hot)[1]
    phi = window_weights(alpha, beta, kappa, num_chars + 1)
    weights = phi[:, :num_chars] * tf.cast(char_mask, phi.dtype)
    w = tf.einsum("bu,buv->bv", weights, tf.cast(chars_one_hot, phi.dtype))
    return w, kappa, alpha, beta, phi


@keras.saving.register_keras_serializable(package="hwsr")
class GaussianWindow(keras.layers.Layer):
    """Soft window over one-hot characters, driven by a hidden state (eqs. 46-51).

    ``alpha = exp(alpha_hat)`` weights each of the K Gaussians, ``beta = exp(beta_hat)``
    sets its width and ``kappa = kappa_prev + exp(kappa_hat) / kappa_scale`` its position,
    so the window can only move forward. The window vector is
    ``w_t = sum_u phi(t, u) c_u``. ``phi`` is returned for one position past the last
    character as well, for Graves' stopping rule (section 5.3): sampling ends once that
    position outweighs every real character.

    Paper: https://arxiv.org/abs/1308.0850

    Args:
        num_components: number of Gaussians K (Graves uses 10).
        kappa_scale: divides the position increment; > 1 slows the window at the start of
            training so that it does not run past the text before it has learnt to read.

    Example:

    >>> window = GaussianWindow(num_components=2)
    >>> chars = tf.one_hot([[3, 4, 5]], 10)
    >>> w, kappa, alpha, beta, phi = window(tf.zeros([1, 16]), tf.zeros([1, 2]), chars, tf.ones([1, 3]))
    >>> tuple(w.shape), tuple(kappa.shape), tuple(phi.shape)  # [B, V], [B, K], [B, U + 1]
    ((1, 10), (1, 2), (1, 4))
    """

    def __init__(self, num_components: int = 10, kappa_scale: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        self.num_components = int(num_components)
        self.kappa_scale = float(kappa_scale)
        self.dense = keras.layers.Dense(3 * self.num_components, name="window_params")

    def build(self, hidden_shape, *args, **kwargs):
        self.dense.build(hidden_shape)
        self.built = True

    def call(self, hidden, kappa_prev, chars_one_hot, char_mask):
        """One step.

        Args:
            hidden: ``[B, H]`` hidden state of the first LSTM layer.
            kappa_prev: ``[B, K]`` previous window positions.
            chars_one_hot: ``[B, U, V]`` one-hot characters.
            char_mask: ``[B, U]`` 1 for real characters, 0 for padding.

        Returns:
            ``(w [B, V], kappa [B, K], alpha [B, K], beta [B, K], phi [B, U + 1])``.
        """
        return window_from_params(self.dense(hidden), kappa_prev, self.kappa_scale, chars_one_hot,
                                  char_mask)

    def get_config(self):
        config = super().get_config()
        config.update({"num_components": self.num_components, "kappa_scale": self.kappa_scale})
        return config
