"""The shared layer-test helper must fail for a layer that breaks the contract."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from hwsr.testing import run_layer_test


@keras.saving.register_keras_serializable(package="hwsr_test")
class _Scale(keras.layers.Layer):
    def __init__(self, factor: float = 2.0, forget_factor: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.factor, self.forget_factor = factor, forget_factor

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        config = super().get_config()
        if not self.forget_factor:
            config["factor"] = self.factor
        config["forget_factor"] = self.forget_factor
        return config


def test_a_conforming_layer_passes():
    layer = run_layer_test(_Scale, {"factor": 3.0}, np.ones((2, 4), np.float32), expected_output_shape=(2, 4))
    assert layer.factor == 3.0


def test_a_config_that_drops_an_argument_fails():
    with pytest.raises(AssertionError, match="lacks the argument 'factor'"):
        run_layer_test(_Scale, {"factor": 3.0, "forget_factor": True}, np.ones((2, 4), np.float32))


def test_a_wrong_shape_fails():
    with pytest.raises(AssertionError, match="shapes"):
        run_layer_test(_Scale, {"factor": 3.0}, np.ones((2, 4), np.float32), expected_output_shape=(2, 5))
