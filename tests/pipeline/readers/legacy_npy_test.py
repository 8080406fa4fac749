"""Tests for pipeline/readers/legacy_npy.py: ``strokes.npy`` (object array) + ``sentences.txt``."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.legacy_npy import PickleNotAllowedError, is_legacy_npy_dir, read_legacy_npy
from hwsr.pipeline.readers.npz_lines import read_npz_lines

LINES = [
    np.array([[0, 0, 0], [0, 1.5, -2], [1, 4, 1]], np.float32),
    np.array([[0, 0, 0], [1, -3, 7.25]], np.float32),
]


def _objects(items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def _write(folder, items=LINES, texts=("first", "second"), ids=None):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "strokes.npy", _objects(items), allow_pickle=True)
    (folder / "sentences.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    if ids is not None:
        (folder / "line_ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    return folder


def test_refuses_pickle_by_default_and_explains_how_to_opt_in(tmp_path):
    folder = _write(tmp_path / "d")
    assert is_legacy_npy_dir(folder)
    with pytest.raises(PickleNotAllowedError) as info:
        read_legacy_npy(folder)
    message = str(info.value)
    assert "strokes.npy" in message
    assert "arbitrary code" in message
    assert "allow_pickle=True" in message and "--allow-pickle" in message
    assert isinstance(info.value, CorpusFormatError)


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_refusal_never_unpickles(tmp_path):
    marker = tmp_path / "pwned"
    folder = tmp_path / "d"
    folder.mkdir()
    np.save(folder / "strokes.npy", _objects([_Payload(marker)]), allow_pickle=True)
    (folder / "sentences.txt").write_text("x\n")
    assert not marker.exists()
    with pytest.raises(PickleNotAllowedError):
        read_legacy_npy(folder)
    assert not marker.exists()


def test_reads_with_opt_in(tmp_path):
    corpus = read_legacy_npy(_write(tmp_path / "d", ids=["a01-000u-01", "a01-000u-02"]), allow_pickle=True)
    assert corpus.texts == ["first", "second"]
    assert corpus.line_ids == ["a01-000u-01", "a01-000u-02"]
    for got, want in zip(corpus.strokes, LINES):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_default_ids_are_one_form_per_line(tmp_path):
    corpus = read_legacy_npy(_write(tmp_path / "d"), allow_pickle=True)
    assert corpus.line_ids == ["line-000000", "line-000001"]
    assert len(set(corpus.form_ids)) == 2


def test_plain_float_array_needs_no_pickle(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    np.save(folder / "strokes.npy", np.stack([LINES[0], LINES[0]]), allow_pickle=False)
    (folder / "sentences.txt").write_text("a\nb\n")
    expected = r"expected a 1-D array of \[T, 3\] stroke arrays, got shape \[2, 3, 3\]"
    with pytest.raises(CorpusFormatError, match=expected):
        read_legacy_npy(folder)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"texts": ("only one",)}, r"sentences\.txt: 1 lines, but strokes\.npy holds 2 sequences"),
        ({"ids": ["a"]}, r"line_ids\.txt: 1 lines, but strokes\.npy holds 2"),
        (
            {"items": [LINES[0], np.zeros((4, 2))]},
            r"strokes\.npy\[1\] \(line-000001\): expected shape \[T, 3\]",
        ),
        (
            {"items": [LINES[0], np.array([[0, 0, 0], [1, np.nan, 0]])]},
            r"strokes\.npy\[1\] \(line-000001\): NaN or infinite value in row 1",
        ),
        ({"items": [LINES[0], np.zeros((0, 3))]}, r"strokes\.npy\[1\] \(line-000001\): empty"),
        ({"items": [LINES[0], "not numbers"]}, r"strokes\.npy\[1\] \(line-000001\)"),
    ],
)
def test_bad_content_names_the_file_and_item(tmp_path, kwargs, message):
    folder = _write(tmp_path / "d", **kwargs)
    with pytest.raises(CorpusFormatError, match=message):
        read_legacy_npy(folder, allow_pickle=True)


def test_missing_and_corrupt_files(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    assert not is_legacy_npy_dir(folder)
    with pytest.raises(CorpusFormatError, match=r"missing strokes\.npy"):
        read_legacy_npy(folder)
    (folder / "strokes.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(CorpusFormatError, match=r"missing sentences\.txt"):
        read_legacy_npy(folder)
    (folder / "sentences.txt").write_text("a\n")
    with pytest.raises(CorpusFormatError, match=r"strokes\.npy: "):
        read_legacy_npy(folder, allow_pickle=True)
    (folder / "strokes.npy").write_bytes(b"")
    with pytest.raises(CorpusFormatError, match=r"strokes\.npy: "):
        read_legacy_npy(folder, allow_pickle=True)


def test_real_sample_matches_the_compact_npz(shared_data):
    folder = shared_data / "iam_ondb_lines_sample"
    with pytest.raises(PickleNotAllowedError):
        read_legacy_npy(folder)
    corpus = read_legacy_npy(folder, allow_pickle=True)
    assert len(corpus) == 594
    reference = read_npz_lines(shared_data / "iam_ondb_lines")
    index = {line_id: i for i, line_id in enumerate(reference.line_ids)}
    for strokes, text, line_id in zip(corpus.strokes, corpus.texts, corpus.line_ids):
        ref = index[line_id]
        assert strokes.dtype == np.float32
        assert strokes.tobytes() == reference.strokes[ref].tobytes(), line_id
        assert text == reference.texts[ref]
