"""Tests for pipeline/readers/npz_lines.py: the compact ``points`` + ``starts`` layout."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.npz_lines import CorpusFormatError as ReExported
from hwsr.pipeline.readers.npz_lines import read_npz_lines, read_text_lines


def _write(folder, lines, texts=None, ids=None, name="data.npz", **extra):
    folder.mkdir(parents=True, exist_ok=True)
    points = np.concatenate(lines).astype(np.int16)
    starts = np.cumsum([0] + [len(line) for line in lines]).astype(np.int64)
    arrays = {"points": points, "starts": starts, **extra}
    np.savez(folder / name, **arrays)
    texts = texts if texts is not None else [f"text {i}" for i in range(len(lines))]
    (folder / "sentences.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    if ids is not None:
        (folder / "line_ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    return folder


LINES = [
    np.array([[0, 0, 0], [0, 3, -2], [1, 4, 1]]),
    np.array([[0, 0, 0], [1, -300, 7]]),
]


def test_reads_lines_as_float32_with_texts_and_ids(tmp_path):
    folder = _write(tmp_path / "d", LINES, ["héllo", "world"], ["a01-000u-01", "a01-000u-02"])
    corpus = read_npz_lines(folder)
    assert len(corpus) == 2
    assert corpus.texts == ["héllo", "world"]
    assert corpus.line_ids == ["a01-000u-01", "a01-000u-02"]
    for got, want in zip(corpus.strokes, LINES):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_default_ids_without_line_ids_file(tmp_path):
    corpus = read_npz_lines(_write(tmp_path / "d", LINES))
    assert corpus.line_ids == ["line-000000", "line-000001"]


def test_shared_error_class_is_re_exported():
    assert ReExported is CorpusFormatError
    assert issubclass(CorpusFormatError, ValueError)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d.mkdir(), r"expected exactly one \.npz file, found 0"),
        (lambda d: (_write(d, LINES), _write(d, LINES, name="b.npz")), "found 2"),
        (lambda d: (_write(d, LINES), (d / "sentences.txt").unlink()), "missing sentences.txt"),
        (lambda d: _write(d, LINES, texts=["one"]), r"sentences\.txt: 1 lines, but data\.npz holds 2"),
        (lambda d: _write(d, LINES, ids=["x-01"]), r"line_ids\.txt: 1 lines, but data\.npz holds 2"),
    ],
)
def test_layout_errors(tmp_path, setup, message):
    folder = tmp_path / "d"
    setup(folder)
    with pytest.raises(CorpusFormatError, match=message):
        read_npz_lines(folder)


def test_not_a_directory(tmp_path):
    with pytest.raises(CorpusFormatError, match="not a directory"):
        read_npz_lines(tmp_path / "missing")


def _raw_npz(folder, **arrays):
    folder.mkdir()
    np.savez(folder / "data.npz", **arrays)
    (folder / "sentences.txt").write_text("a\n")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"points": np.zeros((3, 3))}, r"'points' \+ 'starts' \(several lines\), found \['points'\]"),
        ({"points": np.zeros((3, 2)), "starts": np.array([0, 3])}, r"'points' must be \[N, 3\]"),
        ({"points": np.zeros((3, 3)), "starts": np.array([1, 3])}, "'starts' must .* from 0 to len"),
        ({"points": np.zeros((3, 3)), "starts": np.array([0, 2])}, "'starts' must .* from 0 to len"),
        ({"points": np.zeros((3, 3)), "starts": np.array([0, 0, 3])}, "strictly increasing"),
    ],
)
def test_array_errors(tmp_path, arrays, message):
    _raw_npz(tmp_path / "d", **arrays)
    with pytest.raises(CorpusFormatError, match=message):
        read_npz_lines(tmp_path / "d")


def test_object_arrays_are_refused_not_unpickled(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    ragged = np.empty(1, dtype=object)
    ragged[0] = np.zeros((2, 3))
    np.savez(folder / "data.npz", points=ragged, starts=np.array([0, 1]))
    (folder / "sentences.txt").write_text("a\n")
    with pytest.raises(CorpusFormatError, match=r"data\.npz: not an hwsr npz: it holds arrays of Python obj"):
        read_npz_lines(folder)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "not an hwsr npz"), (b"this is not a zip file at all", "not an hwsr npz"),
     (b"PK\x03\x04 truncated", "cannot read as .npz")],
)
def test_corrupt_npz(tmp_path, content, message):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "data.npz").write_bytes(content)
    (folder / "sentences.txt").write_text("a\n")
    with pytest.raises(CorpusFormatError, match=rf"data\.npz: {message}"):
        read_npz_lines(folder)


def test_read_text_lines(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"a\r\nb\n\nc")
    assert read_text_lines(path) == ["a", "b", "", "c"]
    path.write_bytes(b"a\n")
    assert read_text_lines(path) == ["a"]
    path.write_bytes(b"")
    assert read_text_lines(path) == []
    path.write_bytes(b"ok\nbad \xff byte\n")
    with pytest.raises(CorpusFormatError, match=r"t\.txt: line 2: not UTF-8"):
        read_text_lines(path)


def test_real_compact_data(shared_data):
    corpus = read_npz_lines(shared_data / "iam_ondb_lines")
    assert len(corpus) == 11_636
    assert corpus.line_ids[0] == "a01-000u-01"
    assert corpus.texts[0].startswith("A MOVE to stop Mr")
    lengths = np.array([len(s) for s in corpus.strokes])
    assert lengths.min() >= 2 and 600 < np.median(lengths) < 650
    assert all(s[0, 1] == 0 and s[0, 2] == 0 and s[-1, 0] == 1 for s in corpus.strokes[:500])


def test_write_npz_lines_round_trips_and_validates(tmp_path, synthetic_strokes):
    from hwsr.pipeline.readers.npz_lines import write_npz_lines

    scaled = synthetic_strokes * np.float32([1, 3, 3])
    lines = [np.round(scaled), np.array([[0, 0, 0], [1, 5, -2]], np.float32)]
    write_npz_lines(tmp_path / "c", lines, ["first", "second"], ["a01-000-01", "a01-000-02"])
    corpus = read_npz_lines(tmp_path / "c")
    assert corpus.texts == ["first", "second"] and corpus.form_ids == ["a01-000", "a01-000"]
    for got, want in zip(corpus.strokes, lines):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="whole offsets"):
        write_npz_lines(tmp_path / "d", [synthetic_strokes + 0.5], ["x"])
    with pytest.raises(ValueError, match="newline"):
        write_npz_lines(tmp_path / "e", [lines[1]], ["a\nb"])
