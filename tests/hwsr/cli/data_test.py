"""Tests for ``hwsr data prepare | stats | show`` (hwsr/cli/data.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hwsr.cli.main import main
from hwsr.pipeline.readers.npz_lines import write_npz_lines
from hwsr.testing import random_lines

TEXTS = ["The quick fox", "jumps over", "the lazy dog.", "Hello, world!", "it's 4 o'clock", "A B C"]


@pytest.fixture
def npz_source(tmp_path):
    """A folder in the compact npz layout (points + starts, sentences.txt, line_ids.txt), built in code."""
    lines = [s.astype(np.int16) for s in random_lines(len(TEXTS), seed=0, texts=TEXTS)[0]]
    ids = [f"a0{i // 2}-000u-0{i % 2}" for i in range(len(TEXTS))]
    folder = write_npz_lines(tmp_path / "lines", lines, TEXTS, ids)
    return folder, lines, ids


def test_prepare_then_stats_and_show(npz_source, tmp_path, capsys):
    folder, lines, ids = npz_source
    out = tmp_path / "prepared"
    rc = main(["data", "prepare", str(folder), "--out", str(out), "--quiet", "--examples-per-shard", "2",
               "--validation-fraction", "0.3", "--split-seed", "2"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert f"wrote {out}: 6 lines" in captured.out
    assert captured.err == ""  # --quiet: no progress.
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["split"]["seed"] == 2 and manifest["num_examples"] == 6

    assert main(["data", "stats", str(out), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["lines"] == 6 and stats["forms"] == 3
    assert stats["points"] == sum(len(s) for s in lines)
    assert stats["points_per_line"]["max"] == max(len(s) for s in lines)
    assert stats["pen_strokes_per_line"]["min"] == min(int((s[:, 0] == 1).sum()) for s in lines)
    assert stats["characters"][" "] == sum(t.count(" ") for t in TEXTS)
    dx = np.concatenate([s[1:, 1] for s in lines]).astype(np.float64)
    assert stats["offsets"]["dx"]["mean"] == pytest.approx(dx.mean(), abs=1e-3)
    assert stats["offsets"]["dx"]["std"] == pytest.approx(dx.std(), abs=1e-3)
    assert stats["prepared"]["splits"]["train"]["num_examples"] + \
        stats["prepared"]["splits"]["validation"]["num_examples"] == 6

    # The raw folder gives the same line statistics.
    assert main(["data", "stats", str(folder), "--json"]) == 0
    raw = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in raw.items() if k not in ("source", "prepared")} == \
        {k: v for k, v in stats.items() if k not in ("source", "prepared")}
    assert main(["data", "stats", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "lines                  6 (3 forms" in text and "points per line" in text

    png = tmp_path / "line.png"
    assert main(["data", "show", str(out), "--line-id", ids[3], "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "line.svg"
    assert main(["data", "show", str(folder), "--index", "2", "--out", str(svg)]) == 0
    assert "the lazy dog." in svg.read_text()


def test_prepare_progress_goes_to_stderr(npz_source, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    folder, _, _ = npz_source
    assert main(["data", "prepare", str(folder), "-o", str(tmp_path / "p")]) == 0
    err = capsys.readouterr().err
    assert f"reading {folder}" in err and "train: wrote train-00000-of-00001.tfrecord" in err
    monkeypatch.setenv("CI", "1")
    assert main(["data", "prepare", str(folder), "-o", str(tmp_path / "q")]) == 0
    assert capsys.readouterr().err == ""


def test_user_errors_are_one_line(npz_source, tmp_path, capsys):
    folder, _, _ = npz_source
    out = tmp_path / "p"
    assert main(["data", "prepare", str(folder), "-o", str(out), "-q"]) == 0
    capsys.readouterr()

    assert main(["data", "prepare", str(folder), "-o", str(out), "-q"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["data", "prepare", str(folder), "-o", str(out), "-q", "--overwrite"]) == 0

    assert main(["data", "show", str(out), "--index", "6", "--out", str(tmp_path / "x.png")]) == 2
    assert "--index 6 out of range (the source has 6 lines)" in capsys.readouterr().err
    assert main(["data", "show", str(out), "--line-id", "nope", "--out", str(tmp_path / "x.png")]) == 2
    assert "no line with id 'nope'" in capsys.readouterr().err
    assert main(["data", "show", str(out), "--out", str(tmp_path / "x.gif")]) == 2
    assert "use a .png, .svg or .pdf" in capsys.readouterr().err

    assert main(["data", "stats", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["data", "prepare", str(folder), "-o", str(tmp_path / "y"), "--alphabet", "latin"]) == 2
    assert "--alphabet 'latin'" in capsys.readouterr().err

    (folder / "sentences.txt").write_text("\n".join([*TEXTS[:-1], "naïve"]) + "\n", encoding="utf-8")
    assert main(["data", "prepare", str(folder), "-o", str(tmp_path / "z"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "line 5 (a02-000u-01)" in err and "'ï'" in err and "Traceback" not in err
    assert not (tmp_path / "z").exists()
    assert main(["data", "prepare", str(folder), "-o", str(tmp_path / "z"), "-q", "--alphabet", "data"]) == 0
    alphabet = json.loads((tmp_path / "z" / "alphabet.json").read_text())
    assert "ï" in alphabet["characters"]


def test_stats_of_the_real_lines(shared_data, capsys):
    source = shared_data / "iam_ondb_lines"
    assert main(["data", "stats", str(source), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    n = len((source / "sentences.txt").read_text(encoding="utf-8").splitlines())
    assert stats["lines"] == n
    assert stats["characters_not_in_iam_ondb"] == []
    assert stats["points_per_line"]["min"] > 0 and stats["offsets"]["dx"]["mean"] > 0  # Writing goes right.


def test_legacy_layout_needs_allow_pickle(shared_data, capsys):
    source = shared_data / "iam_ondb_lines_sample"
    assert main(["data", "stats", str(source)]) == 2
    assert "--allow-pickle" in capsys.readouterr().err
    assert main(["data", "stats", str(source), "--allow-pickle", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["lines"] == len((source / "line_ids.txt").read_text().splitlines())
