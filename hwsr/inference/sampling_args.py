"""One validation of the sampling arguments (bias, temperature, seed, max steps, text).

Used by `hwsr.Synthesizer`, `hwsr.synthesizer.scribble`, ``hwsr generate``, the TFLite host
sampler and ``hwsr serve`` (which answers 400 / ``INVALID_ARGUMENT``), so that a bad value
gets the same one-line message everywhere instead of a graph error deep in the sampler.
The exported graphs assert the same bounds for servers that run them without hwsr
(TensorFlow Serving). Standard library and numpy only.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: Largest sampling bias: beyond ~10 every sigma is at its clamp and nothing changes.
MAX_BIAS = 10.0
#: Largest temperature (larger ones only add noise).
MAX_TEMPERATURE = 10.0
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: The second word of the stateless seed pair ``[seed, SEED_SALT]`` of every sampler.
SEED_SALT = 0x5EED


class SamplingArgumentError(ValueError):
    """A sampling argument that is not a usable value; the message names it and its range."""


def _number(name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise SamplingArgumentError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise SamplingArgumentError(f"{name} must be a finite number, got {value}")
    return value


def _integer(name: str, value, low: int, high: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise SamplingArgumentError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if not low <= value <= high:
        raise SamplingArgumentError(f"{name} must be between {low} and {high}, got {value}")
    return value


def check_bias(bias) -> float:
    """A finite bias in ``[0, MAX_BIAS]`` (0 = plain sampling; negative would blur the writing)."""
    bias = _number("bias", bias)
    if not 0.0 <= bias <= MAX_BIAS:
        raise SamplingArgumentError(f"bias must be between 0 and {MAX_BIAS:g}, got {bias:g}")
    return bias


def check_temperature(temperature) -> float:
    """A finite temperature in ``(0, MAX_TEMPERATURE]`` (1 = none)."""
    temperature = _number("temperature", temperature)
    if not 0.0 < temperature <= MAX_TEMPERATURE:
        raise SamplingArgumentError(
            f"temperature must be greater than 0 and at most {MAX_TEMPERATURE:g}, got {temperature:g}")
    return temperature


def check_seed(seed) -> int:
    """An integer seed in the int32 range."""
    return _integer("seed", seed, INT32_MIN, INT32_MAX)


def check_max_steps(max_steps) -> int:
    """A number of points from 1 to the int32 maximum (exports cap it to their own bound)."""
    return _integer("max_steps", max_steps, 1, INT32_MAX)


def check_text(text, max_length: int, name: str = "text") -> str:
    """A non-blank line of at most ``max_length`` characters."""
    if not isinstance(text, str):
        raise SamplingArgumentError(f"{name} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise SamplingArgumentError(f"{name} is empty: there is nothing to write")
    if len(text) > max_length:
        raise SamplingArgumentError(
            f"{name} is too long: {len(text)} characters, more than the limit of {max_length} "
            "characters; "
            "split it into lines (Synthesizer.write wraps long text)")
    return text


def check_sampling_args(bias=None, temperature=None, seed=None, max_steps=None) -> dict:
    """Checks the given arguments (None = not given) and returns them as Python numbers.

    Raises:
        SamplingArgumentError: naming the first bad argument and its allowed range.
    """
    checks = {"bias": check_bias, "temperature": check_temperature, "seed": check_seed,
              "max_steps": check_max_steps}
    values = {"bias": bias, "temperature": temperature, "seed": seed, "max_steps": max_steps}
    return {k: checks[k](v) for k, v in values.items() if v is not None}


def seed_pair(seed: int) -> np.ndarray:
    """The stateless RNG seed ``[seed & 0x7FFFFFFF, SEED_SALT]`` (int32) every sampler uses."""
    return np.array([int(seed) & 0x7FFFFFFF, SEED_SALT], np.int32)
