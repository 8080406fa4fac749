"""Graves' stacked LSTM with skip connections and an optional Gaussian window."""

from __future__ import annotations

import keras
import tensorflow as tf

from hwsr.layers.gaussian_window import GaussianWindow


@keras.saving.register_keras_serializable(package="hwsr")
class GravesLSTMStack(keras.layers.Layer):
    """The recurrent core of Graves' prediction and synthesis networks (sections 4 and 5).

    Every layer sees the pen input (skip connections from the input) and the layer below;
    the output concatenates every layer's hidden state (skip connections to the output).
    With ``vocabulary_size`` set, a `GaussianWindow` driven by layer 1 reads the text:
    the window vector feeds layers 2.. at step t and layer 1 at step t + 1 (eqs. 52-53).

    The same `step` function runs the training scan and the graph-compiled sampler, so
    they cannot drift apart.

    Paper: https://arxiv.org/abs/1308.0850

    Args:
        units: LSTM cells per layer (Graves: 400).
        num_layers: number of stacked layers (Graves: 3).
        vocabulary_size: number of character codes; None builds the unconditional
            prediction network (no window).
        num_window_components: Gaussians in the window (Graves: 10).
        kappa_scale: see `GaussianWindow`.

    Example:

    >>> stack = GravesLSTMStack(units=256, vocabulary_size=83)
    >>> hidden, window = stack(strokes, chars)   # [B, T, 768], dict of [B, T, K]
    """

    def __init__(
        self,
        units: int = 400,
        num_layers: int = 3,
        vocabulary_size: int | None = None,
        num_window_components: int = 10,
        kappa_scale: float = 10.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.vocabulary_size = None if vocabulary_size is None else int(vocabulary_size)
        self.num_window_components = int(num_window_components)
        self.kappa_scale = float(kappa_scale)
        self.cells = [
            keras.layers.LSTMCell(self.units, name=f"lstm_{i + 1}") for i in range(self.num_layers)
        ]
        self.window = (
            GaussianWindow(self.num_window_components, self.kappa_scale, name="window")
            if self.conditional
            else None
        )

    @property
    def conditional(self) -> bool:
        return self.vocabulary_size is not None

    @property
    def output_units(self) -> int:
        return self.units * self.num_layers

    def build(self, strokes_shape, chars_shape=None):
        point_dim = strokes_shape[-1]
        window_dim = self.vocabulary_size or 0
        for i, cell in enumerate(self.cells):
            below = 0 if i == 0 else self.units
            cell.build((None, point_dim + below + window_dim))
        if self.window is not None:
            self.window.build((None, self.units))
        self.built = True

    # State --------------------------------------------------------------------------------------

    def initial_state(self, batch_size, dtype="float32"):
        """Zero state: ``(h, c)`` per layer, then ``kappa [B, K]`` and ``w [B, V]`` if conditional."""
        zeros = lambda n: tf.zeros([batch_size, n], dtype)  # noqa: E731
        state = []
        for _ in self.cells:
            state += [zeros(self.units), zeros(self.units)]
        if self.conditional:
            state += [zeros(self.num_window_components), zeros(self.vocabulary_size)]
        return tuple(state)

    def step(self, point, state, chars_one_hot=None, char_mask=None):
        """Advances the stack by one pen point.

        Args:
            point: ``[B, 3]`` input point ``[eos, dx, dy]`` (normalised).
            state: a tuple from `initial_state` or a previous `step`.
            chars_one_hot: ``[B, U, V]`` (conditional only).
            char_mask: ``[B, U]`` (conditional only).

        Returns:
            ``(hidden [B, L * units], new_state, window)``; ``window`` is a dict with
            ``kappa, alpha, beta [B, K]`` and ``phi [B, U + 1]`` (empty if unconditional).
        """
        state = list(state)
        new_state, hiddens, window = [], [], {}
        w_prev = state[-1] if self.conditional else None
        below = None
        w = None
        for i, cell in enumerate(self.cells):
            parts = [point]
            if below is not None:
                parts.append(below)
            if self.conditional:
                parts.append(w_prev if i == 0 else w)
            h, (h, c) = cell(tf.concat(parts, axis=-1), [state[2 * i], state[2 * i + 1]])
            new_state += [h, c]
            hiddens.append(h)
            below = h
            if i == 0 and self.conditional:
                w, kappa, alpha, beta, phi = self.window(h, state[-2], chars_one_hot, char_mask)
                window = {"kappa": kappa, "alpha": alpha, "beta": beta, "phi": phi}
        if self.conditional:
            new_state += [window["kappa"], w]
        return tf.concat(hiddens, axis=-1), tuple(new_state), window

    def call(self, strokes, chars_one_hot=None, char_mask=None, initial_state=None):
        """Runs the stack over whole sequences (teacher forcing).

        Args:
            strokes: ``[B, T, 3]`` input points.
            chars_one_hot: ``[B, U, V]`` one-hot text (conditional only).
            char_mask: ``[B, U]`` (conditional only).
            initial_state: optional start state (priming continues from it).

        Returns:
            ``(hidden [B, T, L * units], window)`` where ``window`` holds ``kappa, alpha,
            beta`` as ``[B, T, K]`` (empty dict if unconditional), and ``final_state``.
        """
        if self.conditional and (chars_one_hot is None or char_mask is None):
            raise ValueError("a conditional GravesLSTMStack needs chars_one_hot and char_mask")
        batch = tf.shape(strokes)[0]
        steps = tf.shape(strokes)[1]
        state = initial_state or self.initial_state(batch, strokes.dtype)
        inputs = tf.transpose(strokes, [1, 0, 2])
        names = ("kappa", "alpha", "beta") if self.conditional else ()
        hidden_ta = tf.TensorArray(strokes.dtype, size=steps)
        window_tas = tuple(tf.TensorArray(strokes.dtype, size=steps) for _ in names)

        def body(t, state, hidden_ta, window_tas):
            hidden, state, window = self.step(inputs[t], state, chars_one_hot, char_mask)
            hidden_ta = hidden_ta.write(t, hidden)
            window_tas = tuple(ta.write(t, window[n]) for ta, n in zip(window_tas, names))
            return t + 1, state, hidden_ta, window_tas

        _, final_state, hidden_ta, window_tas = tf.while_loop(
            lambda t, *_: t < steps,
            body,
            (tf.constant(0), tuple(state), hidden_ta, window_tas),
        )
        hidden = tf.transpose(hidden_ta.stack(), [1, 0, 2])
        window = {n: tf.transpose(ta.stack(), [1, 0, 2]) for n, ta in zip(names, window_tas)}
        return hidden, window, final_state

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "num_layers": self.num_layers,
                "vocabulary_size": self.vocabulary_size,
                "num_window_components": self.num_window_components,
                "kappa_scale": self.kappa_scale,
            }
        )
        return config
