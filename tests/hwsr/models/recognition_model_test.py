"""Tests for hwsr/models/recognition_model.py: shapes, padding, saving, gradients, training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr.layers.focal_ctc_loss import FocalCTCLoss
from hwsr.models.recognition_model import HandwritingRecognitionModel

VOCABULARY = 7
TINY = {"vocabulary_size": VOCABULARY, "offset_scale": (3.0, 4.0), "downsample": 2, "units": 6,
        "num_layers": 2, "subsample_after": (0,), "dropout": 0.0, "attention_heads": 1,
        "attention_key_dim": 4}


def make_model(**kwargs):
    keras.utils.set_random_seed(0)
    model = HandwritingRecognitionModel(**{**TINY, **kwargs})
    model.build()
    return model


def make_lines(lengths, seed=0):
    rng = np.random.default_rng(seed)
    lines = []
    for n in lengths:
        s = np.zeros([n, 3], np.float32)
        s[1:, 1:] = rng.normal(0, 5, [n - 1, 2]).round()
        s[:, 0] = rng.random(n) < 0.15
        s[-1, 0] = 1
        lines.append(s)
    return lines


def pad(lines, garbage=0.0):
    lengths = np.array([len(s) for s in lines], np.int32)
    batch = np.full([len(lines), lengths.max(), 3], garbage, np.float32)
    for i, s in enumerate(lines):
        batch[i, : len(s)] = s
    return {"strokes": batch, "lengths": lengths}


@pytest.fixture(scope="module")
def model():
    return make_model()


@pytest.fixture(scope="module")
def lines():
    return make_lines([31, 12, 20])


def test_output_shapes(model, lines):
    out = model(pad(lines))
    lengths = out["logit_lengths"].numpy()
    # 31 points -> 16 kept or more (stroke ends are kept too) -> halved once.
    for n, m in zip([31, 12, 20], lengths):
        assert (n + 1) // 2 // 2 <= m <= (n + 1) // 2
    assert out["logits"].shape == (3, lengths.max(), VOCABULARY)


def test_padded_batch_equals_unpadded_single_examples(model, lines):
    batch = pad(lines, garbage=123.0)  # Garbage after each line's end.
    out = model(batch)
    logits, lengths = out["logits"].numpy(), out["logit_lengths"].numpy()
    for i, s in enumerate(lines):
        alone = model({"strokes": s[np.newaxis], "lengths": np.array([len(s)], np.int32)})
        n = int(alone["logit_lengths"][0])
        assert n == lengths[i]
        np.testing.assert_allclose(logits[i, :n], alone["logits"][0].numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("variant", [{"attention_heads": 0}, {"curvature_features": True},
                                     {"layer_norm": False}, {"downsample": 1, "subsample_after": ()}])
def test_variants_build_and_run(lines, variant):
    model = make_model(**variant)
    out = model(pad(lines))
    assert out["logits"].shape[-1] == VOCABULARY
    assert np.isfinite(out["logits"].numpy()).all()
    if variant.get("attention_heads") == 0:
        assert model.attention is None
    if "downsample" in variant:
        np.testing.assert_array_equal(out["logit_lengths"], [31, 12, 20])


def test_get_config_round_trip(model):
    config = model.get_config()
    for key, value in TINY.items():
        assert config[key] == (list(value) if isinstance(value, tuple) else value), key
    again = HandwritingRecognitionModel.from_config(config)
    assert again.get_config() == config


def test_weights_save_load_round_trip(model, lines, tmp_path):
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    again = HandwritingRecognitionModel.from_config(model.get_config())
    again.build()
    again.load_weights(path)
    np.testing.assert_allclose(again(pad(lines))["logits"], model(pad(lines))["logits"], atol=1e-6)


def test_keras_file_save_load_round_trip(model, lines, tmp_path):
    path = tmp_path / "recogniser.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert isinstance(again, HandwritingRecognitionModel)
    assert again.get_config() == model.get_config()
    np.testing.assert_allclose(again(pad(lines))["logits"], model(pad(lines))["logits"], atol=1e-6)


def test_variable_structure_is_stable(model):
    # The background training's checkpoints depend on these layer names.
    names = {layer.name for layer in model.layers}
    assert {"features", "encoder", "self_attention", "ctc_logits"} <= names
    assert model.classifier.kernel.shape == (2 * TINY["units"], VOCABULARY)
    assert len(model.weights) == 18 + 16 + 2  # Encoder, attention block, classifier.


def test_loss_is_focal_ctc_and_gradients_are_finite(lines):
    model = make_model(focal_gamma=0.5, dropout=0.1)
    x = pad(lines)
    y = {"labels": np.array([[2, 3, 4], [5, 0, 0], [6, 6, 0]], np.int32),
         "label_lengths": np.array([3, 1, 2], np.int32)}
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred)
    want = FocalCTCLoss(gamma=0.5).call(y, y_pred)
    np.testing.assert_allclose(loss, tf.reduce_mean(want), rtol=1e-5)
    grads = tape.gradient(loss, model.trainable_variables)
    assert len(grads) == len(model.trainable_variables)
    for g, v in zip(grads, model.trainable_variables):
        assert g is not None, v.path
        assert np.isfinite(tf.convert_to_tensor(g).numpy()).all(), v.path


def test_a_few_training_steps_reduce_the_loss():
    model = make_model()
    lines = make_lines([24, 24], seed=5)
    x = pad(lines)
    y = {"labels": np.array([[2, 3], [4, 5]], np.int32), "label_lengths": np.array([2, 2], np.int32)}
    model.compile(optimizer=keras.optimizers.Adam(0.02), run_eagerly=True)
    first = float(model.train_on_batch(x, y))
    for _ in range(10):
        last = float(model.train_on_batch(x, y))
    assert np.isfinite(first) and last < first
