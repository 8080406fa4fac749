import math

import keras
import numpy as np
import tensorflow as tf

from hwsr.layers.mixture_density_head import (
    MixtureDensityHead,
    mixture_nll,
    sample_mixture,
    split_mixture_params,
)
from hwsr.testing import run_layer_test


def numpy_nll(params, targets):
    """Reference NLL written straight from Graves (2013) eqs. 18-26 (sigmoid eos convention)."""
    m = (params.shape[-1] - 1) // 6
    e_hat = params[..., 0]
    pi_hat, mu1, mu2, s1, s2, r = np.split(params[..., 1:], 6, axis=-1)
    pi = np.exp(pi_hat) / np.exp(pi_hat).sum(-1, keepdims=True)
    sig1, sig2, rho = np.exp(s1), np.exp(s2), np.tanh(r)
    x1, x2, eos = targets[..., 1:2], targets[..., 2:3], targets[..., 0]
    z1, z2 = (x1 - mu1) / sig1, (x2 - mu2) / sig2
    z = z1**2 + z2**2 - 2 * rho * z1 * z2
    n = np.exp(-z / (2 * (1 - rho**2))) / (2 * math.pi * sig1 * sig2 * np.sqrt(1 - rho**2))
    e = 1 / (1 + np.exp(-e_hat))
    assert m == pi.shape[-1]
    return -np.log((pi * n).sum(-1)) - np.where(eos == 1, np.log(e), np.log(1 - e))


def test_output_shape_and_config_round_trip():
    head = MixtureDensityHead(num_components=7)
    out = head(np.zeros((2, 5, 11), np.float32))
    assert out.shape == (2, 5, 43)
    clone = MixtureDensityHead.from_config(head.get_config())
    assert clone.num_components == 7


def test_nll_matches_numpy_reference_on_random_inputs():
    rng = np.random.default_rng(0)
    params = rng.normal(scale=0.7, size=(3, 4, 1 + 6 * 5)).astype(np.float32)
    targets = np.concatenate(
        [rng.integers(0, 2, size=(3, 4, 1)), rng.normal(size=(3, 4, 2))], axis=-1
    ).astype(np.float32)
    got = mixture_nll(params, targets).numpy()
    np.testing.assert_allclose(got, numpy_nll(params.astype(np.float64), targets), rtol=1e-4, atol=1e-4)


def test_gradients_finite_on_extreme_inputs():
    params = tf.Variable(
        np.array([[[80.0] + [1e4] * 5 + [-1e4] * 5 + [1e3] * 5 + [-60.0] * 5 + [60.0] * 5 + [50.0] * 5]],
                 np.float32)
    )
    targets = tf.constant([[[1.0, 1e3, -1e3]]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(mixture_nll(params, targets))
    grad = tape.gradient(loss, params)
    assert np.isfinite(loss.numpy())
    assert np.all(np.isfinite(grad.numpy()))


def test_bias_sharpens_mixture_and_shrinks_sigma():
    rng = np.random.default_rng(1)
    params = rng.normal(size=(1, 1 + 6 * 4)).astype(np.float32)
    plain = split_mixture_params(params, bias=0.0)
    biased = split_mixture_params(params, bias=2.0)
    np.testing.assert_allclose(biased["log_sigma_x"], plain["log_sigma_x"] - 2.0, atol=1e-6)
    entropy = lambda lp: -(np.exp(lp) * lp).sum()  # noqa: E731
    assert entropy(biased["log_pi"].numpy()) < entropy(plain["log_pi"].numpy())


def test_sampling_is_seeded_and_follows_the_mixture():
    # One component at (3, -2), tiny sigma, eos logit large: samples must sit there, pen up.
    m = 1
    params = np.zeros((500, 1 + 6 * m), np.float32)
    params[:, 0] = 20.0
    params[:, 2], params[:, 3] = 3.0, -2.0
    params[:, 4] = params[:, 5] = math.log(0.5)
    a = sample_mixture(params, tf.constant([1, 2])).numpy()
    b = sample_mixture(params, tf.constant([1, 2])).numpy()
    c = sample_mixture(params, tf.constant([1, 3])).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(a[:, 0] == 1.0)
    np.testing.assert_allclose(a[:, 1:].mean(axis=0), [3.0, -2.0], atol=0.1)
    np.testing.assert_allclose(a[:, 1:].std(axis=0), [0.5, 0.5], atol=0.07)


def test_serialises_inside_a_keras_model(tmp_path):
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, MixtureDensityHead(3)(inputs))
    x = np.random.default_rng(2).normal(size=(1, 2, 4)).astype(np.float32)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_layer_contract():
    run_layer_test(MixtureDensityHead, {"num_components": 4}, np.ones((2, 5, 11), np.float32),
                   expected_output_shape=(2, 5, 25))
