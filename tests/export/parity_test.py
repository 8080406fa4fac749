"""One inference path: every way to run a model gives the Python API's answer.

For the same text, seed, bias and style, `Synthesizer.generate` is the reference; the
SavedModel signatures (through ``tf.saved_model.load``), ``hwsr serve`` over REST (both
request formats) and gRPC must return the same strokes exactly, and the TFLite host sampler
(with the API's random numbers) within `TFLITE_ATOL` raw units. For recognition,
`Recognizer.recognize` is the reference for text and score. Tiny models built in code; the
shipped models are checked in ``tests/export/shipped_parity_test.py``.
"""

import numpy as np
import pytest
import tensorflow as tf

from hwsr.recognizer import Recognizer
from hwsr.synthesizer import Synthesizer
from hwsr.testing import random_lines

#: TFLite kernels round differently from TensorFlow's; strokes stay within this (raw units).
TFLITE_ATOL = 1e-3
#: Scores: the API's CTC forward sum runs in float64 numpy, the graphs' in float32.
SCORE_ATOL = 1e-3

TEXTS = ["hello world", "ab"]
CASES = [dict(bias=0.7, seed=11, max_steps=120), dict(bias=0.0, seed=-4, max_steps=60),
         dict(bias=2.5, seed=2**31 - 1, max_steps=90)]


@pytest.fixture(scope="module")
def synth(bundles):
    return Synthesizer(bundles["synthesis"])


@pytest.fixture(scope="module")
def recognizer(bundles):
    return Recognizer(bundles["recognition"])


@pytest.fixture(scope="module")
def style():
    lines, texts = random_lines(1, seed=2)
    return lines[0], texts[0]


@pytest.fixture(scope="module")
def saved(export_base):
    return {name: tf.saved_model.load(str(export_base / name / "1"))
            for name in ("hwsr_synthesis", "hwsr_recognition")}


@pytest.fixture(scope="module")
def bench(load_script):
    """``bench/parity_table.py``: the path runners the parity table uses."""
    return load_script("bench/parity_table.py")


def saved_model_strokes(bench, module, texts, style=None, **case):
    return bench.saved_model_synthesize(module, texts, style=style, **case)


def assert_same_lines(got, expected, atol=0.0, what=""):
    assert [len(g) for g in got] == [len(e) for e in expected], what
    for g, e in zip(got, expected):
        if atol:
            np.testing.assert_allclose(g, e, atol=atol, err_msg=what)
        else:
            np.testing.assert_array_equal(g, e, err_msg=what)


@pytest.mark.parametrize("case", CASES)
def test_saved_model_synthesize_equals_generate(bench, synth, saved, case):
    expected = synth.generate(TEXTS, **case)
    assert_same_lines(saved_model_strokes(bench, saved["hwsr_synthesis"], TEXTS, **case), expected)


def test_saved_model_primed_equals_generate_with_a_style(bench, synth, saved, style):
    case = CASES[0]
    expected = synth.generate(TEXTS, style=style, **case)
    assert_same_lines(saved_model_strokes(bench, saved["hwsr_synthesis"], TEXTS, style=style, **case),
                      expected)
    # The style changes the writing (so the check above compares primed output).
    plain = synth.generate(TEXTS, **case)
    assert any(len(a) != len(b) or not np.array_equal(a, b) for a, b in zip(plain, expected))


@pytest.fixture(scope="module")
def clients(bench, export_base):
    """REST (both formats) and, with tensorflow-serving-api, gRPC clients of `hwsr serve`."""
    with bench.serving(export_base) as clients:
        yield clients


@pytest.mark.parametrize("primed", [False, True], ids=["plain", "primed"])
def test_hwsr_serve_over_rest_and_grpc_equals_generate(synth, clients, style, primed):
    case = CASES[1]
    expected = synth.generate(TEXTS, style=style if primed else None, **case)
    for name, client in clients.items():
        got = client.synthesize(TEXTS, style=style if primed else None, **case)
        assert_same_lines(got, expected, what=name)


def test_recognition_paths_give_the_api_text_and_score(bench, recognizer, saved, clients, ink):
    strokes, lengths = ink(3, 150, seed=4)
    lines = [strokes[i, :n] for i, n in enumerate(lengths)]
    expected = recognizer.recognize(lines, method="greedy")
    assert any(r.text for r in expected), "the tiny recogniser should emit some characters"
    paths = {"SavedModel": bench.saved_model_recognize(saved["hwsr_recognition"], lines)}
    for name, client in clients.items():
        paths[name] = client.recognize(lines)
    for name, got in paths.items():
        assert [t for t, _ in got] == [r.text for r in expected], name
        np.testing.assert_allclose([s for _, s in got], [r.score for r in expected], atol=SCORE_ATOL,
                                   err_msg=name)


def test_row_zero_offset_does_not_change_any_reading(recognizer, saved, ink):
    # The API moves a line to the origin; the graph reads row 0 as the origin too.
    strokes, lengths = ink(1, 80, seed=6)
    moved = strokes.copy()
    moved[0, 0, 1:] = [250.0, -120.0]
    out = [saved["hwsr_recognition"].signatures["recognize"](strokes=tf.constant(s),
                                                             lengths=tf.constant(lengths))
           for s in (strokes, moved)]
    np.testing.assert_array_equal(out[0]["scores"], out[1]["scores"])
    api = recognizer.recognize(moved[0], method="greedy")
    assert api.score == pytest.approx(float(out[0]["scores"][0]), abs=SCORE_ATOL)


@pytest.fixture(scope="module")
def tflite_files(limits, bundles, tmp_path_factory):
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (requirements-serving.txt) is not installed")
    from hwsr.export.tflite import export_tflite

    out = tmp_path_factory.mktemp("tflite_parity")
    return {task: export_tflite(bundle, out, limits) for task, bundle in bundles.items()}


@pytest.mark.parametrize("primed", [False, True], ids=["plain", "primed"])
def test_tflite_sampler_with_the_api_noise_matches_generate(synth, tflite_files, style, primed):
    from hwsr.export.tflite_sampler import TFLiteSynthesizer

    sampler = TFLiteSynthesizer(tflite_files["synthesis"])
    for case in CASES:
        kwargs = dict(style=style if primed else None, **case)
        [expected] = synth.generate(["hello"], **kwargs)
        got = sampler.synthesize("hello", noise="tensorflow", **kwargs)
        assert_same_lines([got], [expected], atol=TFLITE_ATOL)


def test_tflite_recognizer_gives_the_api_text_and_score(recognizer, tflite_files, ink):
    from hwsr.export.tflite_sampler import TFLiteRecognizer

    reader = TFLiteRecognizer(tflite_files["recognition"])
    strokes, lengths = ink(3, 200, seed=9)
    for i, n in enumerate(lengths):
        expected = recognizer.recognize(strokes[i, :n], method="greedy")
        text, score = reader.recognize(strokes[i, :n])
        assert text == expected.text
        assert score == pytest.approx(expected.score, abs=SCORE_ATOL)
