import numpy as np
import tensorflow as tf

from hwsr.layers.gaussian_window import GaussianWindow, window_weights
from hwsr.testing import run_layer_test


def test_window_weights_match_formula():
    alpha = np.array([[1.0, 0.5]], np.float32)
    beta = np.array([[2.0, 0.3]], np.float32)
    kappa = np.array([[1.2, 3.0]], np.float32)
    got = window_weights(alpha, beta, kappa, 5).numpy()
    u = np.arange(5)
    want = (alpha[0, :, None] * np.exp(-beta[0, :, None] * (kappa[0, :, None] - u) ** 2)).sum(0)
    np.testing.assert_allclose(got[0], want, rtol=1e-6)


def test_step_shapes_monotone_kappa_and_masking():
    window = GaussianWindow(num_components=3)
    h = tf.random.normal([2, 8], seed=1)
    chars = tf.constant([[3, 4, 5, 0], [6, 7, 0, 0]])
    one_hot = tf.one_hot(chars, 10)
    mask = tf.cast(chars > 0, tf.float32)
    kappa = tf.zeros([2, 3])
    for _ in range(4):
        w, new_kappa, alpha, _, phi = window(h, kappa, one_hot, mask)
        assert np.all(new_kappa.numpy() > kappa.numpy())
        kappa = new_kappa
    assert w.shape == (2, 10) and phi.shape == (2, 5) and alpha.shape == (2, 3)
    # Padding codes (0) and positions past each text's end get no weight in w.
    assert np.allclose(w.numpy()[:, 0], 0.0)
    assert np.allclose(w.numpy()[1, 3:6], 0.0)


def test_config_round_trip():
    window = GaussianWindow(num_components=4, kappa_scale=5.0)
    clone = GaussianWindow.from_config(window.get_config())
    assert (clone.num_components, clone.kappa_scale) == (4, 5.0)


def test_finite_for_extreme_hidden_states():
    window = GaussianWindow(num_components=2)
    h = tf.fill([1, 4], 1e6)
    w, kappa, *_ = window(h, tf.zeros([1, 2]), tf.one_hot([[2, 3]], 5), tf.ones([1, 2]))
    assert np.all(np.isfinite(w.numpy())) and np.all(np.isfinite(kappa.numpy()))


def test_layer_contract():
    one_hot = tf.one_hot([[1, 2, 0], [3, 0, 0]], 7)
    mask = tf.constant([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    run_layer_test(GaussianWindow, {"num_components": 3, "kappa_scale": 5.0},
                   (tf.random.normal([2, 8], seed=0), tf.zeros([2, 3]), one_hot, mask),
                   expected_output_shape=((2, 7), (2, 3), (2, 3), (2, 3), (2, 4)))
