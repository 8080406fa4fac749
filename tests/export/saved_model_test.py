"""The SavedModel export, checked the way TF Serving loads it (serve tag, C++ loader via
saved_model_cli, warmup records parsed with tensorflow-serving-api's protos)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from hwsr.export import saved_model as sm
from hwsr.export.warmup import read_warmup_file

CLI = Path(sys.executable).parent / "saved_model_cli"


def load(export_base, name):
    return tf.saved_model.load(str(export_base / name / "1"), tags=["serve"])


def test_layout_is_what_tf_serving_expects(limits, export_base):
    for name in (sm.SYNTHESIS_NAME, sm.RECOGNITION_NAME):
        version = export_base / name / "1"
        assert (version / "saved_model.pb").is_file()
        assert (version / "variables" / "variables.index").is_file()
        assert (version / "assets.extra" / "tf_serving_warmup_requests").is_file()
        # Nothing but published numeric versions (no half-written temporary directory).
        assert [p.name for p in (export_base / name).iterdir()] == ["1"]
        assert sm.read_metadata(version)["limits"]["max_steps"] == limits.max_steps


def test_models_config_parses_as_a_model_server_config(export_base):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = text_format.Parse((export_base / "models.config").read_text(),
                               model_server_config_pb2.ModelServerConfig())
    entries = {c.name: c.base_path for c in config.model_config_list.config}
    assert entries == {"hwsr_synthesis": "/models/hwsr_synthesis",
                       "hwsr_recognition": "/models/hwsr_recognition"}
    assert all(c.model_platform == "tensorflow" for c in config.model_config_list.config)


def test_signatures_names_dtypes_and_shapes(export_base):
    syn = load(export_base, sm.SYNTHESIS_NAME)
    assert set(syn.signatures) == {"serving_default", "synthesize", "synthesize_primed"}
    inputs = syn.signatures["serving_default"].structured_input_signature[1]
    assert {k: (v.dtype, v.shape.as_list()) for k, v in inputs.items()} == {
        "text": (tf.string, [None]), "bias": (tf.float32, [None]), "seed": (tf.int32, [None]),
        "max_steps": (tf.int32, [None])}
    outputs = syn.signatures["serving_default"].structured_outputs
    assert outputs["strokes"].shape.as_list() == [None, None, 3]
    assert outputs["lengths"].dtype == tf.int32
    rec = load(export_base, sm.RECOGNITION_NAME)
    assert set(rec.signatures) == {"serving_default", "recognize", "recognize_logits"}
    inputs = rec.signatures["serving_default"].structured_input_signature[1]
    assert inputs["strokes"].shape.as_list() == [None, None, 3]
    outputs = rec.signatures["recognize_logits"].structured_outputs
    assert outputs["text"].dtype == tf.string
    assert {"scores", "logits", "logit_lengths", "labels", "label_lengths"} <= set(outputs)


def test_recognition_parity_with_the_keras_model(export_base, bundles, ink):
    rec = load(export_base, sm.RECOGNITION_NAME).signatures["recognize_logits"]
    strokes, lengths = ink(3, 150, seed=4)
    out = rec(strokes=tf.constant(strokes), lengths=tf.constant(lengths))
    bundle = bundles["recognition"]
    ref = bundle.model({"strokes": strokes, "lengths": lengths}, training=False)
    n = ref["logit_lengths"].numpy()
    np.testing.assert_array_equal(out["logit_lengths"].numpy(), n)
    for i in range(3):
        np.testing.assert_allclose(out["logits"].numpy()[i, : n[i]], ref["logits"].numpy()[i, : n[i]],
                                   atol=1e-4)
        best = ref["logits"].numpy()[i, : n[i]].argmax(-1)
        collapsed = [c for j, c in enumerate(best) if c != 0 and (j == 0 or c != best[j - 1])]
        assert out["text"].numpy()[i].decode() == bundle.alphabet.decode(collapsed)
        assert collapsed, "the tiny recogniser should emit some characters"


def test_synthesis_is_deterministic_and_caps_steps(limits, export_base):
    fn = load(export_base, sm.SYNTHESIS_NAME).signatures["serving_default"]
    args = dict(text=tf.constant(["abc"]), bias=tf.constant([10.0]), seed=tf.constant([3]),
                max_steps=tf.constant([10**9]))
    a, b = fn(**args), fn(**args)
    np.testing.assert_array_equal(a["strokes"].numpy(), b["strokes"].numpy())
    assert a["lengths"].numpy()[0] <= 2 * limits.max_steps  # dense: 2 points per sampled one


def test_primed_synthesis_runs_and_rejects_mixed_primes(export_base, ink):
    fn = load(export_base, sm.SYNTHESIS_NAME).signatures["synthesize_primed"]
    prime, n = ink(1, 80, seed=1)
    args = dict(text=tf.constant(["hi", "yo"]), bias=tf.constant([0.5, 0.5]), seed=tf.constant([1, 1]),
                max_steps=tf.constant([30, 30]), prime_strokes=tf.constant(np.repeat(prime, 2, 0)),
                prime_lengths=tf.constant(np.repeat(n, 2)), prime_text=tf.constant(["ok", "ok"]))
    out = fn(**args)
    assert out["strokes"].shape[0] == 2 and (out["lengths"].numpy() >= 1).all()
    args["prime_text"] = tf.constant(["ok", "no"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="share one priming line"):
        fn(**args)


@pytest.mark.parametrize("kwargs,message", [
    (dict(text=["x" * 41]), "limit of 40 characters"),
    (dict(text=["a"] * 9, bias=[0.0] * 9, seed=[0] * 9, max_steps=[5] * 9), "more than 8 lines"),
    (dict(bias=[0.1, 0.2]), "one entry per line"),
    (dict(bias=[float("nan")]), "finite"),
    (dict(bias=[10.5]), "between 0 and 10"),
    (dict(bias=[-1.0]), "between 0 and 10"),
    (dict(max_steps=[0]), "at least 1"),
    (dict(text=["  "]), "empty"),
])
def test_synthesis_rejects_bad_requests_with_clear_errors(export_base, kwargs, message):
    fn = load(export_base, sm.SYNTHESIS_NAME).signatures["serving_default"]
    args = {"text": ["abc"], "bias": [0.5], "seed": [0], "max_steps": [5], **kwargs}
    dtypes = {"text": tf.string, "bias": tf.float32, "seed": tf.int32, "max_steps": tf.int32}
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        fn(**{k: tf.constant(v, dtypes[k]) for k, v in args.items()})


def test_recognition_rejects_bad_requests(limits, export_base, ink):
    fn = load(export_base, sm.RECOGNITION_NAME).signatures["serving_default"]
    strokes, lengths = ink(1, 50)
    with pytest.raises(tf.errors.InvalidArgumentError, match="between 1 and"):
        fn(strokes=tf.constant(strokes), lengths=tf.constant([51]))
    big, big_lengths = ink(1, limits.max_points + 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 600 points"):
        fn(strokes=tf.constant(big), lengths=tf.constant(big_lengths))
    bad = strokes.copy()
    bad[0, 3, 1] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN"):
        fn(strokes=tf.constant(bad), lengths=tf.constant(lengths))


def test_warmup_records_parse_and_replay(export_base):
    for name in (sm.SYNTHESIS_NAME, sm.RECOGNITION_NAME):
        module = load(export_base, name)
        logs = read_warmup_file(export_base / name / "1" / "assets.extra" / "tf_serving_warmup_requests")
        assert logs
        for log in logs:
            request = log.predict_log.request
            assert request.model_spec.name == name
            signature = module.signatures[request.model_spec.signature_name]
            expected = set(signature.structured_input_signature[1])
            assert set(request.inputs) == expected
            # Replay it as TF Serving does at load time.
            out = signature(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
            assert out


def test_saved_model_cli_show_and_run(export_base, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    show = subprocess.run([str(CLI), "show", "--all", "--dir", str(export_base / "hwsr_synthesis" / "1")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    for name in ("signature_def['serving_default']", "signature_def['synthesize_primed']",
                 "inputs['text']", "dtype: DT_STRING", "outputs['strokes']"):
        assert name in show.stdout
    np.savez(tmp_path / "in.npz", strokes=np.tile(np.array([[0, 2, 1]], np.float32), (1, 40, 1)),
             lengths=np.array([40], np.int32))
    feed = f"strokes={tmp_path}/in.npz[strokes];lengths={tmp_path}/in.npz[lengths]"
    run = subprocess.run([str(CLI), "run", "--dir", str(export_base / "hwsr_recognition" / "1"),
                          "--tag_set", "serve", "--signature_def", "recognize", "--inputs", feed,
                          "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert np.load(tmp_path / "out" / "label_lengths.npy").shape == (1,)
    assert np.load(tmp_path / "out" / "scores.npy")[0] < 0


def test_versions_are_atomic_and_never_overwritten_silently(limits, bundles, tmp_path, monkeypatch):
    base = tmp_path / "base"
    bundle = bundles["recognition"]
    assert sm.export_saved_model(bundle, base, None, limits, with_warmup=False).name == "1"
    assert sm.export_saved_model(bundle, base, None, limits, with_warmup=False).name == "2"
    with pytest.raises(FileExistsError, match="already exists"):
        sm.export_saved_model(bundle, base, 2, limits, with_warmup=False)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(sm, "write_archive", boom)
        with pytest.raises(RuntimeError):
            sm.export_saved_model(bundle, base, 3, limits, with_warmup=False)
    assert sorted(p.name for p in (base / "hwsr_recognition").iterdir()) == ["1", "2"]
    assert json.loads((base / "hwsr_recognition" / "2" / "assets.extra" / "hwsr_export.json")
                      .read_text())["version"] == 2
