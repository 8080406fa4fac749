"""Tests for hwsr.pipeline.prepare: splits, statistics, shards, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hwsr.alphabet import Alphabet, UnknownCharacterError
from hwsr.pipeline import tfrecords
from hwsr.pipeline.corpus import LineCorpus, form_id
from hwsr.pipeline.prepare import PrepareOptions, fit_alphabet, prepare
from hwsr.pipeline.splits import split_by_form
from hwsr.strokes import InvalidStrokesError, Normalizer


def make_corpus(forms: int = 20, lines_per_form: int = 3) -> LineCorpus:
    """Lines built in code from sine waves of varying shape; several lines per form."""
    strokes, texts, ids = [], [], []
    for f in range(forms):
        for k in range(lines_per_form):
            t = np.arange(10 + f + k, dtype=np.float32)
            s = np.stack([np.zeros_like(t), 3 + 0 * t + k, 5 * np.sin(t * (f + 1) / 7)], axis=1)
            s[0, 1:] = 0
            s[::4, 0] = 1
            s[-1, 0] = 1
            strokes.append(s.astype(np.float32))
            texts.append(f"form {f} line {k}")
            ids.append(f"f{f:02d}-000-{k:02d}")
    return LineCorpus(strokes, texts, ids)


def options(**kwargs) -> PrepareOptions:
    defaults = {"validation_fraction": 0.2, "split_seed": 3, "examples_per_shard": 7,
                "alphabet": Alphabet.iam_ondb()}
    return PrepareOptions(**{**defaults, **kwargs})


def test_manifest_splits_by_form_and_counts(tmp_path):
    corpus = make_corpus()
    out = tmp_path / "prepared"
    manifest = prepare(corpus, str(out), source="code", options=options())
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["format"] == "hwsr.prepared/1"
    assert manifest["source"] == "code"
    assert manifest["split"] == {"method": "by_form", "seed": 3, "validation_fraction": 0.2}
    expected = split_by_form(corpus.line_ids, 0.2, 3)
    back = tfrecords.read_prepared_corpus(str(out))
    forms = {}
    for split in tfrecords.SPLITS:
        info = manifest["splits"][split]
        assert info["num_examples"] == len(expected[split]) > 0
        assert sum(info["shard_sizes"]) == info["num_examples"]
        assert all(1 <= n <= 7 for n in info["shard_sizes"])
        assert info["shards"] == tfrecords.shard_names(split, len(info["shards"]))
        assert all((out / name).is_file() for name in info["shards"])
        ids = {e["line_id"].decode() for e in tfrecords.prepared_dataset(str(out), split, with_metadata=True)
               .as_numpy_iterator()}
        assert ids == {corpus.line_ids[i] for i in expected[split]}
        forms[split] = {form_id(i) for i in ids}
        assert info["num_forms"] == len(forms[split])
    assert not forms["train"] & forms["validation"]
    assert manifest["num_examples"] == len(back) == len(corpus)
    assert manifest["num_points"] == sum(len(s) for s in corpus.strokes)


def test_same_seed_same_bytes_other_seed_other_split(tmp_path):
    corpus = make_corpus()
    a = prepare(corpus, str(tmp_path / "a"), "code", options())
    b = prepare(corpus, str(tmp_path / "b"), "code", options())
    for name in a["splits"]["train"]["shards"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    c = prepare(corpus, str(tmp_path / "c"), "code", options(split_seed=4))
    assert a["splits"] == b["splits"]
    by_seed = {seed: {corpus.line_ids[i] for i in split_by_form(corpus.line_ids, 0.2, seed)["validation"]}
               for seed in (3, 4)}
    assert by_seed[3] != by_seed[4]
    assert _validation_ids(tmp_path / "a") == by_seed[3]
    assert _validation_ids(tmp_path / "c") == by_seed[4]
    assert c["split"]["seed"] == 4


def _validation_ids(path: Path) -> set[str]:
    ds = tfrecords.prepared_dataset(str(path), "validation", with_metadata=True)
    return {e["line_id"].decode() for e in ds.as_numpy_iterator()}


def test_stats_are_fitted_on_raw_train_strokes(tmp_path):
    corpus = make_corpus()
    out = tmp_path / "prepared"
    prepare(corpus, str(out), "code", options())
    train = split_by_form(corpus.line_ids, 0.2, 3)["train"]
    saved = Normalizer.load(out / "stats.json")
    expected = Normalizer.fit(corpus.strokes[i] for i in train)
    np.testing.assert_allclose(saved.mean, expected.mean)
    np.testing.assert_allclose(saved.std, expected.std)
    assert saved.count == expected.count
    everything = Normalizer.fit(corpus.strokes)
    assert saved.mean != everything.mean  # Validation lines are left out of the fit.
    assert Alphabet.load(out / "alphabet.json") == Alphabet.iam_ondb()


def test_strokes_are_stored_raw(tmp_path):
    corpus = make_corpus(forms=3)
    corpus.strokes[0][1:, 1:] *= 1000.0  # Big raw offsets survive untouched (no normalisation).
    out = tmp_path / "p"
    prepare(corpus, str(out), "code", options(validation_fraction=0.0))
    back = tfrecords.read_prepared_corpus(str(out))
    np.testing.assert_array_equal(back.strokes[0], corpus.strokes[0])


def test_failure_leaves_nothing_behind(tmp_path):
    corpus = make_corpus(forms=3)
    corpus.texts[4] = "café"
    with pytest.raises(UnknownCharacterError, match=r"line 4 \(f01-000-01\).*'é'"):
        prepare(corpus, str(tmp_path / "out"), "code", options())
    corpus.texts[4] = "cafe"
    corpus.strokes[2] = corpus.strokes[2].copy()
    corpus.strokes[2][3, 1] = np.nan
    with pytest.raises(InvalidStrokesError, match=r"line 2 \(f00-000-02\): NaN"):
        prepare(corpus, str(tmp_path / "out"), "code", options())
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_no_dir(tmp_path, monkeypatch):
    corpus = make_corpus(forms=3)
    calls = []

    def failing_progress(message):
        calls.append(message)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        prepare(corpus, str(tmp_path / "out"), "code", options(), progress=failing_progress)
    assert calls and list(tmp_path.iterdir()) == []


def test_unknown_policies(tmp_path):
    corpus = make_corpus(forms=2)
    corpus.texts[0] = "naïve"
    prepare(corpus, str(tmp_path / "drop"), "code",
            options(alphabet=Alphabet.iam_ondb(), unknown="drop", validation_fraction=0.0))
    codes = next(tfrecords.prepared_dataset(str(tmp_path / "drop"), "train").as_numpy_iterator())["codes"]
    assert Alphabet.iam_ondb().decode(codes) == "nave"
    fitted = fit_alphabet(corpus.texts)
    assert "ï" in fitted
    manifest = prepare(corpus, str(tmp_path / "fit"), "code", options(alphabet=None))
    assert manifest["num_examples"] == len(corpus)
    assert Alphabet.load(tmp_path / "fit" / "alphabet.json") == fitted


def test_existing_output_needs_overwrite(tmp_path):
    corpus = make_corpus(forms=4)
    out = tmp_path / "prepared"
    prepare(corpus, str(out), "code", options())
    with pytest.raises(FileExistsError, match="already exists"):
        prepare(corpus, str(out), "code", options())
    small = corpus.subset(range(5))
    prepare(small, str(out), "other", options(overwrite=True))
    assert json.loads((out / "manifest.json").read_text())["source"] == "other"
    assert len(tfrecords.read_prepared_corpus(str(out))) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prepared"]


def test_bad_inputs_are_rejected(tmp_path):
    corpus = make_corpus(forms=2)
    with pytest.raises(ValueError, match="no lines"):
        prepare(LineCorpus([], [], []), str(tmp_path / "x"), "empty-src", options())
    dup = LineCorpus(corpus.strokes[:2], corpus.texts[:2], ["a-1", "a-1"])
    with pytest.raises(ValueError, match=r"line id 'a-1' appears twice \(lines 0 and 1\)"):
        prepare(dup, str(tmp_path / "x"), "code", options())
    with pytest.raises(ValueError, match="examples_per_shard"):
        prepare(corpus, str(tmp_path / "x"), "code", options(examples_per_shard=0))


def test_real_lines_round_trip(shared_data, tmp_path):
    from hwsr.pipeline.readers.npz_lines import read_npz_lines

    corpus = read_npz_lines(shared_data / "iam_ondb_lines").subset(range(300))
    out = tmp_path / "real"
    manifest = prepare(corpus, str(out), "iam_ondb_lines[:300]",
                       PrepareOptions(examples_per_shard=100, alphabet=Alphabet.iam_ondb()))
    assert sum(manifest["splits"][s]["num_examples"] for s in tfrecords.SPLITS) == 300
    back = tfrecords.read_prepared_corpus(str(out))
    assert back.texts == corpus.texts and back.line_ids == corpus.line_ids
    for a, b in zip(back.strokes, corpus.strokes):
        np.testing.assert_array_equal(a, b)
