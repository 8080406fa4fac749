"""The runnable examples in the docstrings run, and show what they say (doctest).

Every module listed here has its examples executed with ``np``, ``tf`` and ``keras`` in
scope; examples that need files or a running server are written for the reader and run by
the module's own tests instead, so they are not listed.
"""

from __future__ import annotations

import doctest
import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf

MODULES = (
    "hwsr.alphabet",
    "hwsr.metrics",
    "hwsr.decoding",
    "hwsr.strokes.normalizer",
    "hwsr.testing",
    "hwsr.pipeline.oversampling",
    "hwsr.layers.focal_ctc_loss",
    "hwsr.layers.block_lstm",
    "hwsr.layers.gaussian_window",
    "hwsr.layers.graves_lstm_stack",
    "hwsr.layers.mixture_density_head",
    "hwsr.layers.residual_lstm_stack",
    "hwsr.layers.self_attention_block",
    "hwsr.layers.stroke_features",
    "hwsr.layers.windowed_lstm_loop",
    "hwsr.models.recognition_model",
    "hwsr.models.synthesis_model",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    keras.utils.set_random_seed(0)
    result = doctest.testmod(module, extraglobs={"np": np, "tf": tf, "keras": keras}, report=True,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples: take it off the list"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (see above)"
