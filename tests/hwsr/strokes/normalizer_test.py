"""Tests for hwsr/strokes/normalizer.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hwsr.strokes import Normalizer


def _sequences():
    rng = np.random.default_rng(1)
    out = []
    for n in (50, 80, 30):
        s = np.zeros((n, 3), np.float32)
        s[1:, 1] = rng.normal(8, 40, n - 1)
        s[1:, 2] = rng.normal(-0.1, 35, n - 1)
        s[::7, 0] = 1
        s[-1, 0] = 1
        out.append(s)
    return out


def test_fit_matches_numpy_over_all_rows_but_the_first():
    seqs = _sequences()
    norm = Normalizer.fit(seqs)
    rows = np.concatenate([s[1:, 1:] for s in seqs]).astype(np.float64)
    np.testing.assert_allclose(norm.mean, rows.mean(0), rtol=1e-9)
    np.testing.assert_allclose(norm.std, rows.std(0), rtol=1e-9)
    assert norm.count == len(rows)
    all_rows = Normalizer.fit(seqs, skip_first_row=False)
    assert all_rows.count == sum(len(s) for s in seqs)


def test_normalize_gives_zero_mean_unit_std_and_denormalize_inverts():
    seqs = _sequences()
    norm = Normalizer.fit(seqs)
    normed = [norm.normalize(s) for s in seqs]
    rows = np.concatenate([s[1:, 1:] for s in normed])
    np.testing.assert_allclose(rows.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(rows.std(0), 1, atol=1e-5)
    for s, n in zip(seqs, normed):
        np.testing.assert_array_equal(n[:, 0], s[:, 0])  # eos untouched.
        assert n.dtype == np.float32
        np.testing.assert_allclose(norm.denormalize(n), s, atol=1e-3)
    assert norm.normalize(seqs[0]) is not seqs[0]


def test_denormalize_works_on_batches():
    norm = Normalizer((1.0, 2.0), (3.0, 4.0), 10)
    batch = np.ones((2, 5, 3), np.float32)
    out = norm.denormalize(batch)
    np.testing.assert_allclose(out[..., 1], 4.0)
    np.testing.assert_allclose(out[..., 2], 6.0)
    np.testing.assert_allclose(out[..., 0], 1.0)


def test_fit_on_nothing_fails():
    with pytest.raises(ValueError, match="no points"):
        Normalizer.fit([])
    with pytest.raises(ValueError, match="no points"):
        Normalizer.fit([np.zeros((1, 3))])  # Only the origin row, which is skipped.


def test_constant_offsets_do_not_divide_by_zero():
    norm = Normalizer.fit([np.array([[0, 0, 0], [0, 5, 5], [1, 5, 5]], np.float32)])
    assert min(norm.std) > 0
    assert np.isfinite(norm.normalize(np.array([[0, 5, 5]], np.float32))).all()


def test_save_load_round_trip(tmp_path):
    norm = Normalizer.fit(_sequences())
    path = tmp_path / "stats.json"
    norm.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == "hwsr.normalizer/1"
    assert Normalizer.load(path) == norm


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not valid JSON"),
        ('{"mean": [0, 0]}', "not hwsr normaliser statistics"),
        ('{"mean": [0, 0], "std": [1, 0]}', "bad normaliser statistics"),
        ('{"mean": [0], "std": [1]}', "bad normaliser statistics"),
        ('{"mean": ["a", 0], "std": [1, 1]}', "not hwsr normaliser statistics"),
    ],
)
def test_load_rejects_bad_files_naming_them(tmp_path, text, match):
    path = tmp_path / "stats.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        Normalizer.load(path)
    assert str(path) in str(info.value)


def test_real_data_statistics_match_the_provenance(shared_data):
    from hwsr.pipeline.readers.npz_lines import read_npz_lines

    corpus = read_npz_lines(shared_data / "iam_ondb_lines")
    norm = Normalizer.fit(corpus.strokes)
    # PROVENANCE.md (full 12,187-line set): dx mean 8.20 std 42.3, dy mean -0.12 std 37.1.
    assert norm.mean[0] == pytest.approx(8.2, abs=0.3)
    assert norm.std[0] == pytest.approx(42.3, abs=1.5)
    assert norm.mean[1] == pytest.approx(-0.12, abs=0.1)
    assert norm.std[1] == pytest.approx(37.1, abs=1.5)
