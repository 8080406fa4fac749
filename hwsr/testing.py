"""Test helpers: tiny random-weight model dirs and random ink (no real data needed).

Used by hwsr's own tests and handy for testing code built on hwsr.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hwsr import model_dir as md
from hwsr.alphabet import Alphabet
from hwsr.strokes import Normalizer


def write_tiny_synthesis_dir(path: Path, alphabet: Alphabet | None = None) -> Path:
    import keras

    from hwsr.models.synthesis_model import HandwritingSynthesisModel

    keras.utils.set_random_seed(1)
    alphabet = alphabet or Alphabet.iam_ondb(unknown="drop")
    model = HandwritingSynthesisModel(vocabulary_size=len(alphabet), units=16, num_layers=2,
                                      num_window_components=2, num_mixture_components=3)
    model.build()
    normalizer = Normalizer(mean=(0.5, -0.2), std=(2.0, 3.0), count=10)
    md.write_model_files(path, "conditional_handwriting", model, alphabet, normalizer,
                         {"downsample": 2, "clip_offset_std": 15.0})
    return path


def write_tiny_recognition_dir(path: Path, alphabet: Alphabet | None = None) -> Path:
    import keras

    from hwsr.models.recognition_model import HandwritingRecognitionModel

    keras.utils.set_random_seed(2)
    alphabet = alphabet or Alphabet.iam_ondb(unknown="drop")
    model = HandwritingRecognitionModel(vocabulary_size=len(alphabet), offset_scale=(2.0, 3.0),
                                        downsample=2, units=8, num_layers=2, attention_heads=1,
                                        attention_key_dim=8, dropout=0.0)
    model.build()
    # Random weights rarely emit non-blank labels; a bias towards a few characters makes the
    # decoded text non-trivial, so that parity checks compare real strings.
    kernel, bias = model.classifier.get_weights()
    bias = bias.copy()
    bias[[0, 40, 50, 60]] += [0.3, 0.8, 0.8, 0.8]
    model.classifier.set_weights([kernel * 4.0, bias])
    normalizer = Normalizer(mean=(0.0, 0.0), std=(2.0, 3.0), count=10)
    md.write_model_files(path, "recognition", model, alphabet, normalizer, {"downsample": 2})
    return path


def random_strokes(batch: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``([batch, steps, 3] float32, lengths [batch] int32)``: raw-unit ink with pen lifts."""
    rng = np.random.default_rng(seed)
    strokes = np.zeros((batch, steps, 3), np.float32)
    strokes[..., 1:] = rng.normal(0.0, 3.0, (batch, steps, 2))
    strokes[..., 0] = rng.random((batch, steps)) < 0.08
    lengths = np.array([steps - (i * 7) % max(steps // 2, 1) for i in range(batch)], np.int32)
    for i, n in enumerate(lengths):
        strokes[i, n - 1, 0] = 1.0
        strokes[i, n:] = 0.0
    return strokes, lengths


WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "Line", "pen", "ink")


def random_lines(n_lines: int, seed: int = 0, texts=None) -> tuple[list[np.ndarray], list[str]]:
    """``(strokes, texts)``: programmatic lines of looping ink with whole-unit offsets (so they
    fit the int16 npz layout), about 6 points per character, a pen lift every 7 points.

    ``texts`` (optional, ``n_lines`` of them) fixes the texts; by default they are random words.
    """
    rng = np.random.default_rng(seed)
    if texts is not None and len(texts) != n_lines:
        raise ValueError(f"{len(texts)} texts for {n_lines} lines")
    lines, out_texts = [], []
    for i in range(n_lines):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4)))) if texts is None else texts[i]
        n = 6 * len(text) + 10
        t = np.linspace(0, len(text) * np.pi, n)
        points = np.stack([np.zeros(n), np.round(6 + 4 * np.cos(t) + rng.normal(0, 1, n)),
                           np.round(12 * np.sin(2 * t) + rng.normal(0, 1, n))], axis=1)
        points[6::7, 0] = 1
        points[-1, 0] = 1
        points[0] = 0
        lines.append(points.astype(np.float32))
        out_texts.append(text)
    return lines, out_texts


def run_layer_test(layer_cls, init_kwargs: dict, inputs, call_kwargs: dict | None = None,
                   expected_output_shape=None, build_shapes: tuple | None = None,
                   run_gradient_check: bool = True):
    """The checks every hwsr layer must pass, in the style of keras-hub's ``run_layer_test``.

    1. ``get_config()`` echoes every constructor argument with the value it was given, and
       ``from_config`` builds a layer with the same config.
    2. Keras (de)serialisation by registered name (``register_keras_serializable``) gives
       back the same class and config.
    3. The outputs have ``expected_output_shape`` (a shape, or a nested structure of them),
       and a clone from the config with the same weights computes the same outputs.
    4. With ``run_gradient_check``, gradients of the outputs' sum are finite and reach every
       trainable weight.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments (every one must appear in the config).
        inputs: the positional input(s) of ``call``: one tensor/array, or a tuple of them.
        call_kwargs: keyword arguments of ``call``.
        expected_output_shape: the expected shape(s); None skips the shape check.
        build_shapes: arguments of an explicit ``build`` before the first call (for layers
            whose ``build`` takes other shapes than ``call``'s inputs).
        run_gradient_check: also check the gradients.

    Returns:
        The layer, built and called once.

    Example:

    >>> from hwsr.layers.mixture_density_head import MixtureDensityHead
    >>> layer = run_layer_test(MixtureDensityHead, {"num_components": 3},
    ...                        np.zeros((2, 4, 5), np.float32), expected_output_shape=(2, 4, 19))
    >>> layer.num_components
    3
    """
    import keras
    import tensorflow as tf

    call_kwargs = call_kwargs or {}
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    for name, value in init_kwargs.items():
        assert name in config, f"{layer_cls.__name__}.get_config() lacks the argument {name!r}"
        got = config[name]
        want = list(value) if isinstance(value, tuple) else value
        got = list(got) if isinstance(got, tuple) else got
        assert got == want, f"{layer_cls.__name__}.get_config()[{name!r}] is {got!r}, not {want!r}"
    assert layer_cls.from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is layer_cls and restored.get_config() == config

    if build_shapes is not None:
        layer.build(*build_shapes)
    outputs = layer(*args, **call_kwargs)
    if expected_output_shape is not None:
        shapes = _shapes(tf.nest.map_structure(lambda t: tuple(t.shape), outputs))
        want = _shapes(expected_output_shape)
        assert shapes == want, f"{layer_cls.__name__} outputs have shapes {shapes}, not {want}"
    clone = layer_cls.from_config(config)
    if build_shapes is not None:
        clone.build(*build_shapes)
    clone(*args, **call_kwargs)
    clone.set_weights(layer.get_weights())
    for a, b in zip(tf.nest.flatten(clone(*args, **call_kwargs)), tf.nest.flatten(outputs)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)

    if run_gradient_check and layer.trainable_weights:
        tensors = [tf.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        with tf.GradientTape() as tape:
            total = sum(tf.reduce_sum(tf.cast(o, tf.float32))
                        for o in tf.nest.flatten(layer(*tensors, **call_kwargs))
                        if o.dtype.is_floating)
        grads = tape.gradient(total, layer.trainable_weights)
        for weight, grad in zip(layer.trainable_weights, grads):
            assert grad is not None, f"no gradient reaches {weight.path}"
            assert np.all(np.isfinite(np.asarray(grad))), f"non-finite gradient for {weight.path}"
    return layer


def _shapes(value):
    """A shape, or a nested dict/sequence of shapes, with every shape and sequence a tuple."""
    if isinstance(value, dict):
        return {k: _shapes(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)) and all(isinstance(d, (int, type(None))) for d in value):
        return tuple(value)
    return tuple(_shapes(v) for v in value)
