"""Training that really distributes, on a CPU-only machine.

(a) ``MirroredStrategy`` over the 2 logical CPU devices of tests/conftest.py makes the same
    updates as one device (the global batch is split, the loss reduced per example).
(b) Two ``hwsr-train`` processes on 127.0.0.1 with ``TF_CONFIG`` train together with
    ``MultiWorkerMirroredStrategy`` and write one model dir whose checkpoint loads.

The data is a small npz-layout folder built here from programmatic strokes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr import model_dir as md
from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.pipeline.tasks import get_task
from hwsr.pipeline.trainer import make_optimizer, train
from hwsr.testing import random_lines

REPO = Path(__file__).resolve().parents[2]


def write_corpus(folder: Path, n_lines: int = 24, seed: int = 0) -> Path:
    """An ``iam_ondb_lines``-style folder of programmatic lines, one form per line."""
    lines, texts = random_lines(n_lines, seed)
    return write_npz_lines(folder, lines, texts, [f"x{i:02d}-000-01" for i in range(n_lines)])


def checkpoint_weights(model_dir: Path) -> list[np.ndarray]:
    """The trainable weights in the newest checkpoint of ``model_dir``, in model order.

    (Keras 3 models are tracked through the optimizer's variable list.)
    """
    path = tf.train.latest_checkpoint(str(model_dir / md.CHECKPOINT_DIR))
    assert path, f"no checkpoint in {model_dir}"
    reader = tf.train.load_checkpoint(path)
    prefix = "optimizer/_trainable_variables/"
    names = [n for n, _ in tf.train.list_variables(path) if n.startswith(prefix)]
    names.sort(key=lambda n: int(n[len(prefix):].split("/")[0]))
    return [reader.get_tensor(n) for n in names]


@pytest.mark.slow
def test_mirrored_two_replicas_matches_one_device(tmp_path):
    data = write_corpus(tmp_path / "data")
    cfg = resolve_config("conditional_handwriting", "tiny", [
        f"data.source={data}", "data.validation_fraction=0.25", "train.steps=4",
        "train.steps_per_epoch=2", "train.batch_size=4",
    ])
    one = train(cfg, tmp_path / "one", strategy="one_device", quiet=True)
    two = train(cfg, tmp_path / "two", strategy="mirrored", quiet=True)
    assert (one["replicas"], two["replicas"]) == (1, 2)
    assert one["step"] == two["step"] == 4
    a, b = checkpoint_weights(tmp_path / "one"), checkpoint_weights(tmp_path / "two")
    keras.utils.set_random_seed(cfg.train.seed)
    initial = get_task(cfg).build_model(*_vocab(tmp_path / "one")).trainable_variables
    assert len(a) == len(b) == len(initial) > 5
    for w1, w2, w0 in zip(a, b, initial):
        assert w1.shape == tuple(w0.shape)
        # Tolerance: float32 sums in another order over 4 Adam steps.
        np.testing.assert_allclose(w2, w1, rtol=1e-4, atol=2e-5)
    # Training moved the weights, by far more than the tolerance.
    assert max(float(np.abs(w1 - w0.numpy()).max()) for w1, w0 in zip(a, initial)) > 1e-3
    assert two["final"]["loss"] == pytest.approx(one["final"]["loss"], rel=1e-4)
    assert two["final"]["val_loss"] == pytest.approx(one["final"]["val_loss"], rel=1e-4)


def _vocab(model_dir: Path):
    from hwsr.alphabet import Alphabet
    from hwsr.strokes import Normalizer

    return Alphabet.load(model_dir / md.ALPHABET_FILE), Normalizer.load(model_dir / md.STATS_FILE)


def _free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_two_worker_processes_train_together(tmp_path):
    data = write_corpus(tmp_path / "data")
    model_dir = tmp_path / "model"
    workers = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    command = [sys.executable, "-m", "hwsr.cli.train", "--task", "recognition", "--data", str(data),
               "--model-dir", str(model_dir), "--config", "tiny", "--strategy", "multi_worker",
               "--set", "data.validation_fraction=0.25", "--steps", "4"]
    procs, logs = [], []
    for index in range(2):
        env = dict(os.environ, CI="1", TF_CPP_MIN_LOG_LEVEL="2", TF_CONFIG=json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}))
        log = open(tmp_path / f"worker{index}.log", "w+")  # noqa: SIM115 (closed below)
        logs.append(log)
        procs.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 420
    try:
        for p in procs:
            p.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
            log.close()
    for index, p in enumerate(procs):
        assert p.returncode == 0, f"worker {index} exited {p.returncode}:\n{outputs[index][-3000:]}"
    # raw_decode: TensorFlow may log a coordination-service notice after the summary at exit.
    summaries = [json.JSONDecoder().raw_decode(out[out.index("{\n"):])[0] for out in outputs]
    for s in summaries:
        assert (s["workers"], s["replicas"], s["step"]) == (2, 2, 4)
    assert summaries[0]["final"]["loss"] == pytest.approx(summaries[1]["final"]["loss"], rel=1e-5)
    # One model dir, written by the chief; the other worker's temporary files are gone.
    assert sorted(p.name for p in model_dir.iterdir() if p.name.startswith(".")) == []
    state = json.loads((model_dir / "train_state.json").read_text())
    assert state["step"] == 4 and [h["step"] for h in state["history"]] == [2, 4]
    # The checkpoint restores into a fresh model, and the model dir loads.
    bundle = md.load_model_dir(model_dir, task="recognition")
    cfg = resolve_config("recognition", str(model_dir / md.CONFIG_FILE))
    model = get_task(cfg).build_model(bundle.alphabet, bundle.normalizer)
    optimizer = make_optimizer(cfg)
    optimizer.build(model.trainable_variables)
    path = tf.train.latest_checkpoint(str(model_dir / md.CHECKPOINT_DIR))
    assert path.endswith("ckpt-4")
    status = tf.train.Checkpoint(model=model, optimizer=optimizer).restore(path)
    status.assert_existing_objects_matched()
    saved = checkpoint_weights(model_dir)
    assert all(np.array_equal(v.numpy(), w) for v, w in zip(model.trainable_variables, saved))
