"""Graves' stacked LSTM with skip connections and an optional Gaussian window."""

from __future__ import annotations

import keras
import tensorflow as tf

from hwsr.layers.gaussian_window import GaussianWindow, window_from_params
from hwsr.layers.windowed_lstm_loop import lstm_update, sequence_lstm, windowed_lstm_loop


def _last(initial, h, c):
    """``[h, c]`` after the last step of ``[T, B, H]`` sequences (``initial`` if ``T = 0``)."""
    return [tf.concat([initial[0][tf.newaxis], h], axis=0)[-1],
            tf.concat([initial[1][tf.newaxis], c], axis=0)[-1]]


@keras.saving.register_keras_serializable(package="hwsr")
class GravesLSTMStack(keras.layers.Layer):
    """The recurrent core of Graves' prediction and synthesis networks (sections 4 and 5).

    Every layer sees the pen input (skip connections from the input) and the layer below;
    the output concatenates every layer's hidden state (skip connections to the output).
    With ``vocabulary_size`` set, a `GaussianWindow` driven by layer 1 reads the text:
    the window vector feeds layers 2.. at step t and layer 1 at step t + 1 (eqs. 52-53).

    `call` (training) runs the first layer and the window step by step and the layers above
    as fused whole-sequence kernels; `step` (Keras' cells) and `fused_step` (one matmul per
    layer, for the sampler) advance one point. Tests hold all of them to the same outputs.

    Paper: https://arxiv.org/abs/1308.0850

    Args:
        units: LSTM cells per layer (Graves: 400).
        num_layers: number of stacked layers (Graves: 3).
        vocabulary_size: number of character codes; None builds the unconditional
            prediction network (no window).
        num_window_components: Gaussians in the window (Graves: 10).
        kappa_scale: see `GaussianWindow`.

    Example:

    >>> stack = GravesLSTMStack(units=16, num_layers=3, vocabulary_size=10, num_window_components=2)
    >>> strokes = np.zeros((2, 7, 3), "float32")
    >>> chars = tf.one_hot([[3, 4, 5], [6, 7, 0]], 10)
    >>> stack.build(strokes.shape)
    >>> hidden, window, final_state = stack(strokes, chars, tf.cast(tf.reduce_max(chars, -1) > 0, "float32"))
    >>> tuple(hidden.shape), tuple(window["kappa"].shape)  # [B, T, layers * units], [B, T, K]
    ((2, 7, 48), (2, 7, 2))
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

    def fused_weights(self):
        """The stack's weights as plain tensors for `fused_step`, read once per sampling call.

        Returns:
            ``(layers, window)``: per layer ``(kernel [in + H, 4H], bias [4H])``, the input
            kernel stacked over the recurrent one (inputs ``[point, below, w, h]``), and the
            window's ``(kernel, bias)`` (None if unconditional).
        """
        layers = tuple(
            (tf.concat([cell.kernel, cell.recurrent_kernel], axis=0), tf.convert_to_tensor(cell.bias))
            for cell in self.cells
        )
        window = None
        if self.conditional:
            dense = self.window.dense
            window = (tf.convert_to_tensor(dense.kernel), tf.convert_to_tensor(dense.bias))
        return layers, window

    def fused_step(self, weights, point, state, chars_one_hot=None, char_mask=None):
        """`step` with one matmul per layer, on weights from `fused_weights`.

        Same maths and same return values as `step` (equal to float rounding: the input and
        recurrent products are summed inside one matmul); the sampler runs it, XLA-compiled.
        """
        layers, window_weights = weights
        state = list(state)
        new_state, hiddens, window = [], [], {}
        below = w = None
        for i, (kernel, bias) in enumerate(layers):
            parts = [point]
            if below is not None:
                parts.append(below)
            if self.conditional:
                parts.append(state[-1] if i == 0 else w)
            parts.append(state[2 * i])
            h, c = lstm_update(tf.matmul(tf.concat(parts, axis=-1), kernel) + bias, state[2 * i + 1])
            new_state += [h, c]
            hiddens.append(h)
            below = h
            if i == 0 and self.conditional:
                params = tf.matmul(h, window_weights[0]) + window_weights[1]
                w, kappa, alpha, beta, phi = window_from_params(
                    params, state[-2], self.kappa_scale, chars_one_hot, char_mask)
                window = {"kappa": kappa, "alpha": alpha, "beta": beta, "phi": phi}
        if self.conditional:
            new_state += [window["kappa"], w]
        return tf.concat(hiddens, axis=-1), tuple(new_state), window

    def call(self, strokes, chars_one_hot=None, char_mask=None, initial_state=None):
        """Runs the stack over whole sequences (teacher forcing).

        Only the first layer and the window run step by step (each step reads the window of
        the step before); the point's share of the first layer's gates is one matmul for the
        whole sequence, and the layers above run as whole-sequence fused LSTM kernels
        (`sequence_lstm`) once the window is known. `call_step_by_step` is the plain
        reference (the sampler's `step` in a loop); both give the same outputs to float
        rounding.

        Args:
            strokes: ``[B, T, 3]`` input points.
            chars_one_hot: ``[B, U, V]`` one-hot text (conditional only).
            char_mask: ``[B, U]`` (conditional only).
            initial_state: optional start state (priming continues from it).

        Returns:
            ``(hidden [B, T, L * units], window)`` where ``window`` holds ``kappa, alpha,
            beta`` as ``[B, T, K]`` (empty dict if unconditional), and ``final_state``.
        """
        self._check_chars(chars_one_hot, char_mask)
        state = list(initial_state or self.initial_state(tf.shape(strokes)[0], strokes.dtype))
        points = tf.transpose(strokes, [1, 0, 2])  # time-major from here on
        hiddens, final, window = [], [], {}
        first = 0
        if self.conditional:
            h, c, w, window, final_window = self._first_layer_and_window(
                points, state, chars_one_hot, char_mask)
            hiddens.append(h)
            final += _last(state[:2], h, c)
            first = 1
        for i in range(first, self.num_layers):
            parts = [points] + hiddens[-1:] + ([w] if self.conditional else [])
            cell = self.cells[i]
            h, c = sequence_lstm(tf.concat(parts, axis=-1), state[2 * i], state[2 * i + 1],
                                 cell.kernel, cell.recurrent_kernel, cell.bias)
            hiddens.append(h)
            final += _last(state[2 * i: 2 * i + 2], h, c)
        if self.conditional:
            final += final_window
        hidden = tf.transpose(tf.concat(hiddens, axis=-1), [1, 0, 2])
        window = {n: tf.transpose(v, [1, 0, 2]) for n, v in window.items()}
        return hidden, window, tuple(final)

    def _check_chars(self, chars_one_hot, char_mask):
        if self.conditional and (chars_one_hot is None or char_mask is None):
            raise ValueError("a conditional GravesLSTMStack needs chars_one_hot and char_mask")

    def _first_layer_and_window(self, points, state, chars_one_hot, char_mask):
        """The step-by-step part of `call`: layer 1 and the window over time-major points
        (`hwsr.layers.windowed_lstm_loop`: compiled steps, hand-rolled backward pass).

        Returns:
            ``(h1 [T, B, H], c1 [T, B, H], w [T, B, V], {kappa, alpha, beta: [T, B, K]},
            [kappa, w] after the last step)``.
        """
        cell = self.cells[0]
        point_dim = points.shape[-1]
        # Rows of the kernel for the point, then for [w_prev, h_prev]; the point's part of
        # the gates (and the bias) is computed for every step at once.
        point_gates = tf.einsum("tbi,ig->tbg", points, cell.kernel[:point_dim]) + cell.bias
        recurrent = tf.concat([cell.kernel[point_dim:], cell.recurrent_kernel], axis=0)
        dense = self.window.dense
        h, c, w, kappa, alpha, beta, kappa_last, w_last = windowed_lstm_loop(
            point_gates, state[0], state[1], state[-2], state[-1], recurrent,
            tf.convert_to_tensor(dense.kernel), tf.convert_to_tensor(dense.bias),
            chars_one_hot, char_mask, self.kappa_scale)
        return h, c, w, {"kappa": kappa, "alpha": alpha, "beta": beta}, [kappa_last, w_last]

    def call_step_by_step(self, strokes, chars_one_hot=None, char_mask=None, initial_state=None):
        """`call` as a loop of `step` (Keras' cells): the reference the fast `call` is tested on."""
        self._check_chars(chars_one_hot, char_mask)
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
