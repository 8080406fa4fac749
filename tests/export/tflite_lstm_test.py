"""The TFLite recogniser's LSTMs: fused by the converter, any line length, Keras' outputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr.export.recognition import tflite_recognize_function
from hwsr.export.tflite import convert
from hwsr.export.tflite_lstm import fused_bidirectional

pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (requirements-serving.txt) is not installed")


def test_fused_bidirectional_is_the_keras_layer_on_unpadded_input():
    keras.utils.set_random_seed(3)
    rnn = keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True))
    x = tf.random.stateless_normal([1, 9, 4], [1, 2])
    expected = rnn(x)
    np.testing.assert_allclose(fused_bidirectional(rnn, x).numpy(), expected.numpy(), atol=1e-6)


@pytest.fixture(scope="module")
def recognizer_tflite(bundles, limits):
    from ai_edge_litert.interpreter import Interpreter

    bundle = bundles["recognition"]
    fn, signature = tflite_recognize_function(bundle, limits)
    return Interpreter(model_content=convert(bundle, "recognize", fn, signature))


def test_recogniser_lstms_are_fused_kernels_not_loops(recognizer_tflite):
    ops = {op["op_name"] for op in recognizer_tflite._get_ops_details()}
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in ops
    assert "WHILE" not in ops


def test_fused_lstms_do_not_clip_the_cell_state(bundles, limits):
    from tensorflow.lite.tools import flatbuffer_utils

    bundle = bundles["recognition"]
    fn, signature = tflite_recognize_function(bundle, limits)
    model = flatbuffer_utils.convert_bytearray_to_object(
        bytearray(convert(bundle, "recognize", fn, signature)))
    clips = [op.builtinOptions.cellClip for g in model.subgraphs for op in g.operators
             if hasattr(op.builtinOptions, "cellClip")]
    assert clips and not any(clips)


def test_any_length_padded_or_not_gives_the_keras_logits(recognizer_tflite, bundles, ink, limits):
    model = bundles["recognition"].model
    runner = recognizer_tflite.get_signature_runner("recognize")
    strokes, lengths = ink(3, 200, seed=4)
    for i, n in enumerate([int(v) for v in lengths]):
        line = strokes[i : i + 1, :n]
        expected = model({"strokes": tf.constant(line), "lengths": tf.constant([n])})
        padded = np.zeros((1, limits.tflite_points, 3), np.float32)
        padded[0, :n] = line[0]
        for inputs in (line, padded):
            out = runner(strokes=inputs, lengths=np.array([n], np.int32))
            assert out["logits"].shape == tuple(expected["logits"].shape)
            np.testing.assert_allclose(out["logits"], expected["logits"].numpy(), atol=1e-4)
            # Greedy labels agree wherever the best class leads by more than that tolerance.
            top2 = np.sort(expected["logits"].numpy()[0], axis=-1)[:, -2:]
            clear = top2[:, 1] - top2[:, 0] > 1e-3
            np.testing.assert_array_equal(out["logits"][0].argmax(-1)[clear],
                                          expected["logits"].numpy()[0].argmax(-1)[clear])
