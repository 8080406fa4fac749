"""Graves' handwriting prediction and synthesis networks (arXiv:1308.0850, sections 4-5)."""

from __future__ import annotations

import keras
import tensorflow as tf

from hwsr.layers.graves_lstm_stack import GravesLSTMStack
from hwsr.layers.mixture_density_head import MixtureDensityHead, mixture_nll
from hwsr.models.losses import reduce_per_example_loss


@keras.saving.register_keras_serializable(package="hwsr")
class HandwritingSynthesisModel(keras.Model):
    """Stacked LSTM + optional Gaussian window + mixture density head.

    With ``vocabulary_size=None`` this is the unconditional *prediction network*
    (Graves section 4); with a vocabulary it is the *synthesis network* (section 5),
    which reads the text through a Gaussian window.

    Inputs are a dict: ``strokes`` ``[B, T, 3]`` normalised ``[eos, dx, dy]`` points
    (the sequence shifted right, teacher forcing) and, when conditional, ``chars``
    ``[B, U]`` int32 codes padded with 0. The output dict holds ``params``
    ``[B, T, 1 + 6M]`` (raw MDN parameters for the next point) and the window
    parameters ``kappa, alpha, beta`` ``[B, T, K]`` for plots.

    The loss is the NLL of the next points summed over each line (nats per line),
    averaged over lines, with padding masked out. Training data comes as
    ``(x, {"targets": [B, T, 3], "mask": [B, T]})``.

    Paper: https://arxiv.org/abs/1308.0850

    Args:
        vocabulary_size: number of character codes, or None for the unconditional model.
        units: LSTM cells per layer.
        num_layers: number of LSTM layers.
        num_window_components: Gaussians in the attention window.
        num_mixture_components: Gaussians in the output mixture.
        kappa_scale: see `GaussianWindow`.

    Example:

    >>> model = HandwritingSynthesisModel(vocabulary_size=83, units=32)
    >>> out = model({"strokes": np.zeros((2, 10, 3), "float32"), "chars": np.array([[3, 4, 5], [6, 7, 0]])})
    >>> tuple(out["params"].shape)  # [B, T, 1 + 6 * 20]
    (2, 10, 121)
    """

    def __init__(
        self,
        vocabulary_size: int | None = None,
        units: int = 400,
        num_layers: int = 3,
        num_window_components: int = 10,
        num_mixture_components: int = 20,
        kappa_scale: float = 10.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.units = units
        self.num_layers = num_layers
        self.num_window_components = num_window_components
        self.num_mixture_components = num_mixture_components
        self.kappa_scale = kappa_scale
        self.stack = GravesLSTMStack(
            units=units,
            num_layers=num_layers,
            vocabulary_size=vocabulary_size,
            num_window_components=num_window_components,
            kappa_scale=kappa_scale,
            name="lstm_stack",
        )
        self.head = MixtureDensityHead(num_mixture_components, name="mdn")

    @property
    def conditional(self) -> bool:
        return self.vocabulary_size is not None

    def build(self, input_shape=None):
        self.stack.build((None, None, 3))
        self.head.build((None, None, self.stack.output_units))
        self.built = True

    def encode_chars(self, chars):
        """``[B, U]`` codes to ``(one_hot [B, U, V], mask [B, U])``."""
        chars = tf.cast(chars, tf.int32)
        return tf.one_hot(chars, self.vocabulary_size), tf.cast(chars > 0, tf.float32)

    def call(self, inputs, initial_state=None):
        strokes = tf.cast(inputs["strokes"], tf.float32)
        one_hot = mask = None
        if self.conditional:
            one_hot, mask = self.encode_chars(inputs["chars"])
        hidden, window, _ = self.stack(strokes, one_hot, mask, initial_state=initial_state)
        return {"params": self.head(hidden), **window}

    def step(self, point, state, chars_one_hot=None, char_mask=None):
        """One sampling step: ``(params [B, 1 + 6M], new_state, window)``."""
        hidden, state, window = self.stack.step(point, state, chars_one_hot, char_mask)
        return self.head(hidden), state, window

    def initial_state(self, batch_size):
        return self.stack.initial_state(batch_size)

    def per_line_nll(self, y, y_pred):
        """``[B]`` NLL of each line in nats (padding masked out)."""
        nll = mixture_nll(y_pred["params"], y["targets"])
        return tf.reduce_sum(nll * tf.cast(y["mask"], nll.dtype), axis=-1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return reduce_per_example_loss(self.per_line_nll(y, y_pred), self.losses)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "units": self.units,
                "num_layers": self.num_layers,
                "num_window_components": self.num_window_components,
                "num_mixture_components": self.num_mixture_components,
                "kappa_scale": self.kappa_scale,
            }
        )
        return config
