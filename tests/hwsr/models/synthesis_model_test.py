import numpy as np
import tensorflow as tf

from hwsr.models.synthesis_model import HandwritingSynthesisModel


def tiny(conditional=True):
    model = HandwritingSynthesisModel(
        vocabulary_size=9 if conditional else None, units=8, num_layers=2,
        num_window_components=2, num_mixture_components=3,
    )
    model.build()
    return model


def batch():
    rng = np.random.default_rng(0)
    strokes = rng.normal(size=(2, 7, 3)).astype(np.float32)
    strokes[..., 0] = rng.integers(0, 2, size=(2, 7))
    x = {"strokes": strokes[:, :-1], "chars": np.array([[2, 3, 4], [5, 0, 0]], np.int32)}
    mask = np.ones((2, 6), np.float32)
    mask[1, 4:] = 0
    return x, {"targets": strokes[:, 1:], "mask": mask}


def test_outputs_and_loss_is_nats_per_line():
    model = tiny()
    x, y = batch()
    out = model(x)
    assert out["params"].shape == (2, 6, 19)
    per_line = model.per_line_nll(y, out).numpy()
    loss = model.compute_loss(x, y, out).numpy()
    np.testing.assert_allclose(loss, per_line.mean(), rtol=1e-6)


def test_masked_steps_do_not_count():
    model = tiny()
    x, y = batch()
    out = model(x)
    before = model.per_line_nll(y, out).numpy()
    y2 = {"targets": y["targets"].copy(), "mask": y["mask"]}
    y2["targets"][1, 4:] = 1e3  # garbage under the mask
    after = model.per_line_nll(y2, out).numpy()
    np.testing.assert_allclose(before, after)


def test_weights_round_trip(tmp_path):
    model = tiny()
    x, _ = batch()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    clone = HandwritingSynthesisModel.from_config(model.get_config())
    clone.build()
    clone.load_weights(path)
    np.testing.assert_allclose(clone(x)["params"], model(x)["params"], atol=1e-6)


def test_keras_file_round_trip(tmp_path):
    model = tiny(conditional=False)
    x = {"strokes": np.zeros((1, 4, 3), np.float32)}
    path = tmp_path / "m.keras"
    model.save(path)
    import keras

    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x)["params"], model(x)["params"], atol=1e-6)


def test_a_few_fit_steps_reduce_the_loss():
    model = tiny()
    x, y = batch()
    model.compile(optimizer="adam")
    ds = tf.data.Dataset.from_tensors((x, y)).repeat(30)
    history = model.fit(ds, epochs=1, verbose=0)
    first = model.compute_loss(x, y, model(x)).numpy()
    assert np.isfinite(history.history["loss"][0])
    model.fit(ds, epochs=2, verbose=0)
    assert model.compute_loss(x, y, model(x)).numpy() < first
