import numpy as np
import pytest
import tensorflow as tf

from hwsr.layers.graves_lstm_stack import GravesLSTMStack
from hwsr.testing import run_layer_test


def _inputs(batch=2, steps=6, vocab=9):
    rng = np.random.default_rng(0)
    strokes = rng.normal(size=(batch, steps, 3)).astype(np.float32)
    chars = np.array([[2, 3, 4], [5, 6, 0]])[:batch]
    return strokes, tf.one_hot(chars, vocab), tf.cast(chars > 0, tf.float32)


def test_conditional_shapes_and_sequence_equals_steps():
    stack = GravesLSTMStack(units=8, num_layers=3, vocabulary_size=9, num_window_components=2)
    strokes, one_hot, mask = _inputs()
    stack.build(strokes.shape)
    hidden, window, final = stack(strokes, one_hot, mask)
    assert hidden.shape == (2, 6, 24)
    assert window["kappa"].shape == (2, 6, 2)
    # Running step by step gives the same outputs as the whole-sequence call.
    state = stack.initial_state(2)
    for t in range(6):
        h, state, _ = stack.step(strokes[:, t], state, one_hot, mask)
        np.testing.assert_allclose(h.numpy(), hidden[:, t].numpy(), atol=1e-5)
    for a, b in zip(state, final):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)


def test_unconditional_has_no_window():
    stack = GravesLSTMStack(units=4, num_layers=2)
    strokes = np.zeros((1, 3, 3), np.float32)
    stack.build(strokes.shape)
    hidden, window, _ = stack(strokes)
    assert hidden.shape == (1, 3, 8) and window == {}
    assert len(stack.initial_state(1)) == 4


def test_future_padding_does_not_change_past_outputs():
    stack = GravesLSTMStack(units=8, num_layers=2, vocabulary_size=9, num_window_components=2)
    strokes, one_hot, mask = _inputs(batch=1)
    stack.build(strokes.shape)
    full, _, _ = stack(strokes, one_hot, mask)
    padded = np.concatenate([strokes, np.zeros((1, 4, 3), np.float32)], axis=1)
    out, _, _ = stack(padded, one_hot, mask)
    np.testing.assert_allclose(out[:, :6].numpy(), full.numpy(), atol=1e-6)


def test_skip_connections_input_reaches_every_layer():
    stack = GravesLSTMStack(units=4, num_layers=3, vocabulary_size=5, num_window_components=1)
    stack.build((None, None, 3))
    # Layer i's kernel input width: point (3) + layer below (4, not for layer 1) + window (5).
    widths = [cell.kernel.shape[0] for cell in stack.cells]
    assert widths == [3 + 5, 3 + 4 + 5, 3 + 4 + 5]


def test_conditional_needs_chars():
    stack = GravesLSTMStack(units=4, num_layers=1, vocabulary_size=5)
    with pytest.raises(ValueError, match="chars"):
        stack(np.zeros((1, 2, 3), np.float32))


def test_config_round_trip():
    stack = GravesLSTMStack(units=5, num_layers=2, vocabulary_size=7, num_window_components=3,
                            kappa_scale=4.0)
    clone = GravesLSTMStack.from_config(stack.get_config())
    assert clone.get_config() == stack.get_config()


@pytest.mark.parametrize("vocab", [9, None])
def test_fused_step_equals_the_keras_cells_step(vocab):
    stack = GravesLSTMStack(units=8, num_layers=3, vocabulary_size=vocab, num_window_components=2)
    strokes, one_hot, mask = _inputs()
    if vocab is None:
        one_hot = mask = None
    stack.build(strokes.shape)
    weights = stack.fused_weights()
    state = fused_state = stack.initial_state(2)
    for t in range(4):
        h, state, window = stack.step(strokes[:, t], state, one_hot, mask)
        fh, fused_state, fused_window = stack.fused_step(weights, strokes[:, t], fused_state,
                                                         one_hot, mask)
        np.testing.assert_allclose(fh.numpy(), h.numpy(), atol=1e-6)
        for a, b in zip(fused_state, state):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
        assert sorted(fused_window) == sorted(window)


def test_layer_contract():
    strokes, one_hot, mask = _inputs()
    run_layer_test(GravesLSTMStack, {"units": 5, "num_layers": 2, "vocabulary_size": 9,
                                     "num_window_components": 3, "kappa_scale": 4.0},
                   (strokes, one_hot, mask), build_shapes=(strokes.shape,),
                   expected_output_shape=None)


@pytest.mark.parametrize("vocab", [9, None])
def test_fast_call_equals_step_by_step_outputs_and_gradients(vocab):
    stack = GravesLSTMStack(units=8, num_layers=3, vocabulary_size=vocab, num_window_components=2)
    strokes, one_hot, mask = _inputs(steps=7)
    if vocab is None:
        one_hot = mask = None
    stack.build(strokes.shape)
    start = tuple(tf.random.stateless_normal(s.shape, [i, 1]) * 0.3
                  for i, s in enumerate(stack.initial_state(2)))
    results = []
    for run in (stack.call, stack.call_step_by_step):
        with tf.GradientTape() as tape:
            hidden, window, final = run(strokes, one_hot, mask, initial_state=start)
            loss = tf.reduce_sum(tf.sin(hidden)) + sum(tf.reduce_sum(v) for v in window.values())
        results.append((hidden, window, final, tape.gradient(loss, stack.trainable_weights)))
    (hidden, window, final, grads), (ref_hidden, ref_window, ref_final, ref_grads) = results
    np.testing.assert_allclose(hidden.numpy(), ref_hidden.numpy(), atol=1e-5)
    assert sorted(window) == sorted(ref_window)
    for name in window:
        np.testing.assert_allclose(window[name].numpy(), ref_window[name].numpy(), atol=1e-5)
    for a, b in zip(final, ref_final, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    for a, b in zip(grads, ref_grads, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
