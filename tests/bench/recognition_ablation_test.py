"""Smoke test of bench/recognition_ablation.py: every variant trains (tiny config) and reports."""

import json

import numpy as np
import pytest

from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.testing import random_lines


@pytest.fixture(scope="module")
def ablation(load_script):
    return load_script("bench/recognition_ablation.py")


@pytest.mark.slow
@pytest.mark.parametrize("suite", ["features", "data"])
def test_every_variant_trains_and_is_reported(ablation, tmp_path, capsys, suite):
    lines, texts = random_lines(12, seed=4)
    ids = [f"z{i:02d}-000-01" for i in range(12)]  # 12 forms: 0.3 puts one in validation.
    data = write_npz_lines(tmp_path / "data", [s.astype(np.int16) for s in lines], texts, ids)
    fake, fake_texts = random_lines(6, seed=5)
    synthetic = write_npz_lines(tmp_path / "synthetic", [s.astype(np.int16) for s in fake], fake_texts,
                                [f"s{i:02d}-000-01" for i in range(6)])
    argv = ["--data", str(data), "--runs", str(tmp_path / "runs"), "--steps", "2", "--config", "tiny",
            "--set", "train.steps_per_epoch=1", "--set", "data.validation_fraction=0.3",
            "--suite", suite, "--synthetic", str(synthetic)]
    assert ablation.main(argv) == 0
    out = capsys.readouterr().out
    for name, overrides in ablation.SUITES[suite].items():
        config = json.loads((tmp_path / "runs" / name / "config.json").read_text())
        for override in overrides:  # Each variant trained with its own setting.
            key, value = override.format(synthetic=synthetic).split("=")
            section, field = key.split(".")
            assert str(config[section][field]).lower() == value.lower()
        assert sum(line.startswith(f"{name} ") for line in out.splitlines()) == 2  # Steps 1 and 2.
    # A finished run is read back, not trained again.
    stamp = (tmp_path / "runs" / "baseline" / "train_state.json").stat().st_mtime_ns
    assert ablation.main([*argv, "--only", "baseline"]) == 0
    assert (tmp_path / "runs" / "baseline" / "train_state.json").stat().st_mtime_ns == stamp


def test_the_data_suite_needs_the_synthetic_ink(ablation, tmp_path):
    with pytest.raises(SystemExit, match="--synthetic"):
        ablation.main(["--suite", "data", "--runs", str(tmp_path)])
