"""Tests for pipeline/sources.py: `load_corpus` detects every supported layout."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.pipeline import tfrecords
from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.legacy_npy import PickleNotAllowedError
from hwsr.pipeline.sources import EXPECTED_LAYOUTS, has_url_scheme, load_corpus

LINES = [
    np.array([[0, 0, 0], [0, 3, -2], [1, 4, 1]], np.float32),
    np.array([[0, 0, 0], [1, -30, 7]], np.float32),
]
TEXTS = ["ab", "ba"]
IDS = ["a01-000u-01", "a01-001w-01"]


def _texts(folder):
    (folder / "sentences.txt").write_text("\n".join(TEXTS) + "\n")
    (folder / "line_ids.txt").write_text("\n".join(IDS) + "\n")


def _npz_folder(folder):
    folder.mkdir()
    starts = np.cumsum([0] + [len(s) for s in LINES])
    np.savez(folder / "lines.npz", points=np.concatenate(LINES).astype(np.int16), starts=starts)
    _texts(folder)
    return folder


def _legacy_folder(folder):
    folder.mkdir()
    array = np.empty(len(LINES), dtype=object)
    array[:] = [s for s in LINES]
    np.save(folder / "strokes.npy", array, allow_pickle=True)
    _texts(folder)
    return folder


def _iam_folder(folder):
    ascii_dir = folder / "ascii" / "a01" / "a01-000"
    xml_dir = folder / "lineStrokes" / "a01" / "a01-000"
    ascii_dir.mkdir(parents=True)
    xml_dir.mkdir(parents=True)
    (ascii_dir / "a01-000u.txt").write_text("OCR:\n\nx\n\nCSR:\n\nab\n")
    (xml_dir / "a01-000u-01.xml").write_text(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<WhiteboardCaptureSession><StrokeSet>'
        '<Stroke><Point x="10" y="20" time="0"/><Point x="13" y="22" time="0"/><Point x="17" y="21"'
        ' time="0"/></Stroke></StrokeSet></WhiteboardCaptureSession>\n'
    )
    return folder


def _assert_lines(corpus, n=2):
    assert isinstance(corpus, LineCorpus)
    assert corpus.texts == TEXTS[:n] and corpus.line_ids == IDS[:n]
    for got, want in zip(corpus.strokes, LINES[:n]):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.float32


def test_npz_folder(tmp_path):
    _assert_lines(load_corpus(_npz_folder(tmp_path / "d")))
    _assert_lines(load_corpus(str(tmp_path / "d")))


def test_legacy_folder_needs_the_opt_in(tmp_path):
    folder = _legacy_folder(tmp_path / "d")
    with pytest.raises(PickleNotAllowedError, match="allow_pickle=True"):
        load_corpus(folder)
    _assert_lines(load_corpus(folder, allow_pickle=True))


def test_iam_raw_folder(tmp_path):
    corpus = load_corpus(_iam_folder(tmp_path / "d"))
    assert corpus.texts == ["ab"] and corpus.line_ids == ["a01-000u-01"]
    np.testing.assert_array_equal(corpus.strokes[0], LINES[0])


def test_prepared_folder(tmp_path):
    from hwsr.pipeline.prepare import PrepareOptions, prepare

    source = load_corpus(_npz_folder(tmp_path / "src"))
    out = tmp_path / "prepared"
    prepare(source, str(out), source="test", options=PrepareOptions(validation_fraction=0.0))
    _assert_lines(load_corpus(out))


def test_urls_always_go_to_the_prepared_reader(monkeypatch):
    calls = []

    def fake_read(path):
        calls.append(path)
        return LineCorpus(LINES, TEXTS, IDS)

    def never(path):
        raise AssertionError("a URL must not be probed as a local folder")

    monkeypatch.setattr(tfrecords, "read_prepared_corpus", fake_read)
    monkeypatch.setattr(tfrecords, "is_prepared_dir", never)
    _assert_lines(load_corpus("s3://bucket/prefix/prepared"))
    _assert_lines(load_corpus("gs://b/p"))
    assert calls == ["s3://bucket/prefix/prepared", "gs://b/p"]


def test_has_url_scheme():
    assert has_url_scheme("s3://b/k") and has_url_scheme("hdfs://host/p") and has_url_scheme("file:///tmp/x")
    for local in ("/tmp/x", "data/s3:/x", "C:\\data", "relative/path"):
        assert not has_url_scheme(local)


def test_unknown_layout_lists_what_was_expected(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    (folder / "sub").mkdir()
    with pytest.raises(CorpusFormatError) as info:
        load_corpus(folder)
    message = str(info.value)
    assert "unrecognised data layout" in message
    assert "notes.txt" in message and "sub/" in message
    assert EXPECTED_LAYOUTS in message
    for expected in ("lineStrokes", "*.npz", "strokes.npy", "manifest.json", "*.inkml"):
        assert expected in message


def test_missing_path_and_file_path(tmp_path):
    with pytest.raises(CorpusFormatError, match="no such file or directory"):
        load_corpus(tmp_path / "nope")
    file = tmp_path / "lines.npz"
    file.write_bytes(b"")
    with pytest.raises(CorpusFormatError, match="expected a folder"):
        load_corpus(file)


def test_real_layouts(shared_data):
    compact = load_corpus(shared_data / "iam_ondb_lines")
    raw = load_corpus(shared_data / "iam_ondb_raw_sample")
    legacy = load_corpus(shared_data / "iam_ondb_lines_sample", allow_pickle=True)
    assert (len(compact), len(raw), len(legacy)) == (11_636, 47, 594)
    index = {line_id: i for i, line_id in enumerate(compact.line_ids)}
    for corpus in (raw, legacy):
        for i in (0, len(corpus) - 1):
            ref = index[corpus.line_ids[i]]
            np.testing.assert_array_equal(corpus.strokes[i], compact.strokes[ref])
            assert corpus.texts[i] == compact.texts[ref]
