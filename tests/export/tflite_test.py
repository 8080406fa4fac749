"""The .tflite files: builtin ops only, run under ai-edge-litert, parity with the SavedModel."""

import numpy as np
import pytest
import tensorflow as tf

from hwsr.export.synthesis import state_layout
from hwsr.export.tflite import export_tflite
from hwsr.export.tflite_sampler import TFLiteRecognizer, TFLiteSynthesizer

pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (requirements-serving.txt) is not installed")


@pytest.fixture(scope="module")
def tflite_dir(limits, tmp_path_factory, bundles):
    out = tmp_path_factory.mktemp("tflite")
    for bundle in bundles.values():
        export_tflite(bundle, out, limits)
    return out


def test_files_and_builtin_ops_only(tflite_dir):
    from ai_edge_litert.interpreter import Interpreter

    for name in ("hwsr_recognition", "hwsr_synthesis_step"):
        path = tflite_dir / f"{name}.tflite"
        assert path.stat().st_size > 1000
        assert (tflite_dir / f"{name}.json").is_file()
        ops = {op["op_name"] for op in Interpreter(model_path=str(path))._get_ops_details()}
        assert "FULLY_CONNECTED" in ops
        assert not any(op.startswith("Flex") or op == "CUSTOM" for op in ops), ops


def test_recognition_parity_with_the_saved_model(tflite_dir, export_base, ink):
    saved = tf.saved_model.load(str(export_base / "hwsr_recognition" / "1")).signatures["recognize"]
    recognizer = TFLiteRecognizer(tflite_dir / "hwsr_recognition.tflite")
    strokes, lengths = ink(4, 200, seed=9)
    expected = saved(strokes=tf.constant(strokes), lengths=tf.constant(lengths))
    for i in range(4):
        text, score = recognizer.recognize(strokes[i, : lengths[i]])
        assert text == expected["text"].numpy()[i].decode()
        assert text
        np.testing.assert_allclose(score, expected["scores"].numpy()[i], rtol=1e-3, atol=1e-3)


def test_recognizer_rejects_too_long_lines(limits, tflite_dir, ink):
    strokes, _ = ink(1, limits.tflite_points + 1)
    with pytest.raises(ValueError, match=f"at most {limits.tflite_points}"):
        TFLiteRecognizer(tflite_dir / "hwsr_recognition.tflite").recognize(strokes[0])


def test_decode_step_parity_with_the_keras_step(tflite_dir, bundles):
    model, alphabet = bundles["synthesis"].model, bundles["synthesis"].alphabet
    synth = TFLiteSynthesizer(tflite_dir / "hwsr_synthesis_step.tflite")
    assert synth.state_size == sum(w for _, w in state_layout(model))
    chars, length = synth.encode("hello")
    one_hot, mask = model.encode_chars(chars)
    rng = np.random.default_rng(0)
    state = np.zeros((1, synth.state_size), np.float32)
    keras_state = model.initial_state(1)
    point = np.zeros((1, 3), np.float32)
    for _ in range(5):
        out = synth.step(state, point, chars, 0.0)
        params, keras_state, window = model.step(tf.constant(point), keras_state, one_hot, mask)
        np.testing.assert_allclose(out["params"], params.numpy(), atol=1e-4)
        np.testing.assert_allclose(out["phi"], window["phi"].numpy(), atol=1e-4)
        np.testing.assert_allclose(out["new_state"], tf.concat(keras_state, -1).numpy(), atol=1e-4)
        np.testing.assert_allclose(np.exp(out["log_pi"]).sum(), 1.0, rtol=1e-5)
        state = out["new_state"]
        point = synth.sample_point(out, rng)[np.newaxis]
    assert length == 5 and chars[0, :5].tolist() == alphabet.encode("hello").tolist()


def test_host_sampler_generates_a_line(limits, tflite_dir, bundles):
    synth = TFLiteSynthesizer(tflite_dir / "hwsr_synthesis_step.tflite")
    a = synth.synthesize("hi there", bias=1.0, max_steps=40, seed=5)
    b = synth.synthesize("hi there", bias=1.0, max_steps=40, seed=5)
    assert a.dtype == np.float32 and a.shape[1] == 3 and 1 <= len(a) <= 2 * 40  # dense output
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a[:, 0])) <= {0.0, 1.0}
    with pytest.raises(ValueError, match=f"at most {limits.tflite_text_length}"):
        synth.synthesize("x" * (limits.tflite_text_length + 1))


@pytest.mark.parametrize("quantization", ["dynamic", "float16"])
def test_quantised_files_run_and_stay_close(limits, tflite_dir, bundles, ink, quantization):
    path = export_tflite(bundles["recognition"], tflite_dir, limits, quantization)
    assert path.name == f"hwsr_recognition.{quantization}.tflite"
    assert path.stat().st_size <= (tflite_dir / "hwsr_recognition.tflite").stat().st_size
    float_model = TFLiteRecognizer(tflite_dir / "hwsr_recognition.tflite")
    quantised = TFLiteRecognizer(path)
    strokes, lengths = ink(2, 120, seed=3)
    for i in range(2):
        line = strokes[i, : lengths[i]]
        (_, s1), (_, s2) = float_model.recognize(line), quantised.recognize(line)
        assert np.isfinite(s2) and abs(s1 - s2) < 0.25 * abs(s1) + 1.0
