"""Mixture density output layer for pen offsets (Graves 2013, eqs. 18-26, section 5.4)."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from hwsr import stateless_random

# Clamps that keep the log-density finite for any network output.
MIN_LOG_SIGMA = -5.0  # sigma >= 6.7e-3 in normalised units (raw data is integer: ~0.02)
MAX_LOG_SIGMA = 5.0
MAX_ABS_RHO = 0.999
LOG_2PI = math.log(2.0 * math.pi)


@keras.saving.register_keras_serializable(package="hwsr")
class MixtureDensityHead(keras.layers.Layer):
    """Maps hidden states to a bivariate Gaussian mixture plus an end-of-stroke Bernoulli.

    The output is the unconstrained parameter vector of Graves (2013), eq. 17, laid out as
    ``[e_hat, pi_hat (M), mu_x (M), mu_y (M), sigma_hat_x (M), sigma_hat_y (M), rho_hat (M)]``,
    so ``1 + 6M`` values per step. `split_mixture_params` applies eqs. 18-22 (with the
    sampling bias of section 5.4), `mixture_nll` the loss of eqs. 23-26.

    Paper: https://arxiv.org/abs/1308.0850

    Note: ``e = sigmoid(e_hat)`` here; Graves writes ``1 / (1 + exp(e_hat))``, which is the
    same family with the sign of ``e_hat`` flipped.

    Args:
        num_components: number of mixture components M (Graves uses 20).

    Example:

    >>> head = MixtureDensityHead(num_components=20)
    >>> params = head(np.zeros((2, 7, 64), "float32"))
    >>> tuple(params.shape)  # 1 + 6 * 20
    (2, 7, 121)
    >>> tuple(mixture_nll(params, np.zeros((2, 7, 3), "float32")).shape)
    (2, 7)
    """

    def __init__(self, num_components: int = 20, **kwargs):
        super().__init__(**kwargs)
        self.num_components = int(num_components)
        self.dense = keras.layers.Dense(1 + 6 * self.num_components, name="params")

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.built = True

    def call(self, inputs):
        return self.dense(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1 + 6 * self.num_components)

    def get_config(self):
        config = super().get_config()
        config.update({"num_components": self.num_components})
        return config


def split_mixture_params(params, bias=0.0, temperature=1.0):
    """Constrains raw MDN parameters (eqs. 18-22), with Graves' sampling bias (section 5.4).

    Args:
        params: ``[..., 1 + 6M]`` output of `MixtureDensityHead`.
        bias: the probability bias ``b >= 0``: ``sigma = exp(sigma_hat - b)`` and
            ``pi = softmax(pi_hat * (1 + b))``. 0 for training.
        temperature: an extra softening (> 1) or sharpening (< 1) of the mixture weights,
            the variances and the end-of-stroke logit. 1 leaves them as they are.

    Returns:
        A dict of ``eos_logit [...]``, ``log_pi, mu_x, mu_y, log_sigma_x, log_sigma_y, rho``
        (each ``[..., M]``).
    """
    params = tf.convert_to_tensor(params)
    bias = tf.cast(bias, params.dtype)
    temperature = tf.cast(temperature, params.dtype)
    e_hat = params[..., 0]
    pi_hat, mu_x, mu_y, s_x, s_y, rho_hat = tf.split(params[..., 1:], 6, axis=-1)
    bias_e = tf.expand_dims(bias, -1) if bias.shape.rank else bias
    temp_e = tf.expand_dims(temperature, -1) if temperature.shape.rank else temperature
    log_pi = tf.nn.log_softmax(pi_hat * (1.0 + bias_e) / temp_e, axis=-1)
    half_log_t = 0.5 * tf.math.log(temp_e)
    log_sigma_x = tf.clip_by_value(s_x - bias_e, MIN_LOG_SIGMA, MAX_LOG_SIGMA) + half_log_t
    log_sigma_y = tf.clip_by_value(s_y - bias_e, MIN_LOG_SIGMA, MAX_LOG_SIGMA) + half_log_t
    rho = tf.clip_by_value(tf.tanh(rho_hat), -MAX_ABS_RHO, MAX_ABS_RHO)
    return {
        "eos_logit": e_hat / temperature,
        "log_pi": log_pi,
        "mu_x": mu_x,
        "mu_y": mu_y,
        "log_sigma_x": log_sigma_x,
        "log_sigma_y": log_sigma_y,
        "rho": rho,
    }


def mixture_nll(params, targets):
    """Per-step negative log-likelihood of ``targets`` (Graves eqs. 23-26), in nats.

    Args:
        params: ``[..., 1 + 6M]`` raw MDN parameters.
        targets: ``[..., 3]`` rows of ``[eos, dx, dy]`` (normalised offsets).

    Returns:
        ``[...]`` NLL per step: ``-log sum_j pi_j N(x | mu_j, sigma_j, rho_j) - log Bern(eos)``,
        computed with log-sum-exp and clamped sigma/rho, so finite for any input.
    """
    p = split_mixture_params(params)
    targets = tf.cast(targets, p["mu_x"].dtype)
    eos = targets[..., 0]
    x = tf.expand_dims(targets[..., 1], -1)
    y = tf.expand_dims(targets[..., 2], -1)
    zx = (x - p["mu_x"]) * tf.exp(-p["log_sigma_x"])
    zy = (y - p["mu_y"]) * tf.exp(-p["log_sigma_y"])
    rho = p["rho"]
    one_minus_rho2 = 1.0 - tf.square(rho)
    z = tf.square(zx) + tf.square(zy) - 2.0 * rho * zx * zy
    log_normal = (
        -LOG_2PI
        - p["log_sigma_x"]
        - p["log_sigma_y"]
        - 0.5 * tf.math.log(one_minus_rho2)
        - z / (2.0 * one_minus_rho2)
    )
    log_density = tf.reduce_logsumexp(p["log_pi"] + log_normal, axis=-1)
    eos_nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=eos, logits=p["eos_logit"])
    return eos_nll - log_density


def sample_mixture(params, seed, bias=0.0, temperature=1.0):
    """Draws one ``[eos, dx, dy]`` point per row from raw MDN parameters.

    Args:
        params: ``[batch, 1 + 6M]`` raw parameters.
        seed: an int32 ``[2]`` stateless seed (identical seed, identical sample, with or
            without XLA: see `hwsr.stateless_random`).
        bias: per-row ``[batch]`` or scalar sampling bias (section 5.4).
        temperature: per-row or scalar temperature.

    Returns:
        ``[batch, 3]`` float32 samples.
    """
    p = split_mixture_params(params, bias, temperature)
    seeds = tf.random.experimental.stateless_split(seed, 3, alg=stateless_random.ALG)
    batch = tf.shape(params)[0]
    component = stateless_random.categorical(p["log_pi"], seeds[0])
    pick = lambda t: tf.gather(t, component, axis=1, batch_dims=1)  # noqa: E731
    mu_x, mu_y = pick(p["mu_x"]), pick(p["mu_y"])
    sx, sy = tf.exp(pick(p["log_sigma_x"])), tf.exp(pick(p["log_sigma_y"]))
    rho = pick(p["rho"])
    n = tf.cast(stateless_random.normal(batch, seeds[1]), params.dtype)
    dx = mu_x + sx * n[:, 0]
    dy = mu_y + sy * (rho * n[:, 0] + tf.sqrt(1.0 - tf.square(rho)) * n[:, 1])
    u = tf.cast(stateless_random.uniform(batch, seeds[2]), params.dtype)
    eos = tf.cast(u < tf.sigmoid(p["eos_logit"]), params.dtype)
    return tf.stack([eos, dx, dy], axis=-1)
