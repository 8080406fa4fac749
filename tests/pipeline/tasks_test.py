"""Tests for hwsr.pipeline.tasks: the registry, and what each task builds."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from hwsr import model_dir as md
from hwsr.alphabet import Alphabet
from hwsr.pipeline.configs import resolve_config
from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.pipeline.sources import load_corpus
from hwsr.pipeline.tasks import (
    PredictionTask,
    RecognitionTask,
    SynthesisTask,
    Task,
    get_task,
    register_task,
    registered_tasks,
)
from hwsr.strokes import Normalizer
from hwsr.testing import random_lines

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def test_every_model_dir_task_has_exactly_one_task_class():
    assert sorted(registered_tasks()) == sorted(md.TASKS)
    expected = {"conditional_handwriting": SynthesisTask, "unconditional_handwriting": PredictionTask,
                "recognition": RecognitionTask}
    for name, cls in expected.items():
        task = get_task(resolve_config(name, "tiny"))
        assert type(task) is cls and task.name == name


def test_a_task_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="already registered"):
        register_task("recognition")(type("Again", (RecognitionTask,), {}))


def test_the_trainer_never_branches_on_the_task_name():
    # Checking that a name is a known task (`task in TASKS`) is fine; acting on which it is is not.
    pattern = re.compile(r"\.task\s*[!=]=|\.task\s+(not\s+)?in\s+(?!TASKS\b)|SYNTHESIS_TASKS")
    offenders = [f"{path.relative_to(PIPELINE)}:{n}"
                 for path in PIPELINE.rglob("*.py") if "tasks" not in path.parts
                 for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_resume_invariants_are_the_network_of_the_task():
    rec = get_task(resolve_config("recognition", "tiny", ["recognition.dropout=0.3"]))
    assert "recognition.units" in rec.resume_invariants()
    assert "recognition.dropout" not in rec.resume_invariants()  # Free to change on resume.
    assert not any(k.startswith("synthesis.") for k in rec.resume_invariants())
    syn = get_task(resolve_config("conditional_handwriting", "tiny"))
    assert syn.resume_invariants()["synthesis.units"] == 16
    assert syn.resume_invariants()["data.downsample"] == 4


def test_synthesis_examples_are_downsampled_and_normalised_recognition_ones_raw(tmp_path):
    lines, texts = random_lines(6, seed=3)
    data = write_npz_lines(tmp_path / "d", lines, texts, [f"f{i}-000-01" for i in range(6)])
    corpus = load_corpus(data)
    split = {"train": [0, 1, 2, 3], "validation": [4, 5]}
    alphabet = Alphabet.iam_ondb()
    syn = get_task(resolve_config("conditional_handwriting", "tiny", ["data.max_points=100000"]))
    rec = get_task(resolve_config("recognition", "tiny", ["data.max_points=100000"]))
    s, r = syn.prepare_data(corpus, split, alphabet, None), rec.prepare_data(corpus, split, alphabet, None)
    assert len(s.train) == len(r.train) == 4 and len(s.validation) == len(r.validation) == 2
    np.testing.assert_array_equal(r.train.strokes[0], lines[0].astype(np.float32))  # Raw density.
    assert len(s.train.strokes[0]) < len(lines[0])  # Every 4th point (tiny preset).
    assert abs(float(np.mean(np.concatenate(s.train.strokes)[:, 1:]))) < 1.0  # Normalised.
    assert rec.point_factor == 4 and syn.point_factor == 1
    assert rec.timesteps_per_line(r.train) == pytest.approx(r.train.num_points / 4 / 4)


def test_recognition_mixes_synthetic_lines_at_the_configured_share(tmp_path):
    real, real_texts = random_lines(8, seed=1)
    fake, _ = random_lines(8, seed=2)
    real_dir = write_npz_lines(tmp_path / "real", real, real_texts, [f"r{i}-000-01" for i in range(8)])
    fake_dir = write_npz_lines(tmp_path / "fake", fake, ["zz"] * 8, [f"s{i}-000-01" for i in range(8)])
    cfg = resolve_config("recognition", "tiny", [
        f"data.source={real_dir}", f"data.synthetic_source={fake_dir}", "data.synthetic_fraction=0.25",
        "data.max_points=100000", "train.batch_size=8"])
    task = get_task(cfg)
    alphabet = Alphabet.iam_ondb()
    data = task.prepare_data(load_corpus(real_dir), {"train": list(range(8)), "validation": []},
                             alphabet, None)
    zz = alphabet.encode("zz")
    synthetic = 0
    for _, y in task.make_dataset(data.train, training=True, seed=0).take(50):
        for labels, n in zip(y["labels"].numpy(), y["label_lengths"].numpy()):
            synthetic += int(n == 2 and np.array_equal(labels[:2], zz))
    assert 0.15 < synthetic / 400 < 0.35
    # Validation never sees synthetic lines.
    assert task.examples_dataset(data.train, training=False, seed=0).cardinality() == 8


def test_a_new_task_plugs_in_without_touching_the_trainer():
    class Probe(Task):
        model_section = "recognition"
        example_downsample = 1

        def fit_normalizer(self, strokes):
            return Normalizer.fit(strokes)

        def prepare_examples(self, strokes, corpus, alphabet, normalizer):
            return self.encode(strokes, corpus, alphabet)

        def batches(self, examples, batching, training):
            raise NotImplementedError

        def build_model(self, alphabet, normalizer):
            raise NotImplementedError

    task = Probe(resolve_config("recognition", "tiny"))
    assert task.point_factor == 4 and task.metric_callbacks(None, None) == []
