"""Tests for pipeline/readers/iam_xml.py: raw IAM-OnDB lineStrokes XML + ascii transcriptions."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from hwsr.ink import read_iam_xml
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.iam_xml import (
    LINE_BREAK_MARKER,
    is_iam_ondb_dir,
    read_csr_lines,
    read_iam_ondb,
)
from hwsr.pipeline.readers.npz_lines import read_npz_lines

# --------------------------------------------------------------------------------------------
# Synthetic forms, built in code (the real files may not be copied into the repository).


def _xml(strokes, truncate: bool = False) -> str:
    body = []
    for stroke in strokes:
        body.append('    <Stroke colour="black" start_time="0" end_time="1">')
        body += [f'      <Point x="{x}" y="{y}" time="0.5"/>' for x, y in stroke]
        body.append("    </Stroke>")
    text = "\n".join(
        [
            '<?xml version="1.0" encoding="ISO-8859-1"?>',
            "<WhiteboardCaptureSession>",
            "  <WhiteboardDescription>",
            '    <SensorLocation corner="top_left"/>',
            "  </WhiteboardDescription>",
            "  <StrokeSet>",
            *body,
            "  </StrokeSet>",
            "</WhiteboardCaptureSession>",
        ]
    )
    return text[: len(text) // 2] if truncate else text + "\n"


def _form(root, form: str, csr: list[str], num_xml: int | None = None, newline: str = "\r\n"):
    """Writes ``ascii/<aNN>/<aNN-NNN>/<form>.txt`` and its line XML files."""
    group, folder = form[:3], form[:7]
    ascii_dir = root / "ascii" / group / folder
    xml_dir = root / "lineStrokes" / group / folder
    ascii_dir.mkdir(parents=True, exist_ok=True)
    xml_dir.mkdir(parents=True, exist_ok=True)
    text = newline.join(["OCR:", "", "printed prompt", "", "CSR:", "", *csr, ""])
    (ascii_dir / f"{form}.txt").write_bytes(text.encode("latin-1"))
    for k in range(1, (num_xml if num_xml is not None else len(csr)) + 1):
        strokes = [[(100 + k, 200), (110 + k, 190), (120, 215)], [(130, 200 + k)]]
        (xml_dir / f"{form}-{k:02d}.xml").write_text(_xml(strokes), encoding="latin-1")
    return xml_dir


def test_synthetic_form_offsets_texts_and_ids(tmp_path):
    _form(tmp_path, "a01-000u", ["First line", "  Second line  "])
    corpus = read_iam_ondb(tmp_path)
    assert corpus.line_ids == ["a01-000u-01", "a01-000u-02"]
    assert corpus.texts == ["First line", "Second line"]
    expected = np.array(
        [[0, 0, 0], [0, 10, 10], [1, 9, -25], [1, 10, 15]], dtype=np.float32
    )  # dy = -(y_t - y_{t-1}); eos on the last point of each <Stroke>.
    expected[3, 2] = -(200 + 1 - 215)
    np.testing.assert_array_equal(corpus.strokes[0], expected)
    assert corpus.strokes[0].dtype == np.float32


def test_line_break_marker_splits_a_csr_line(tmp_path):
    _form(tmp_path, "a08-551z", ["one", f"two {LINE_BREAK_MARKER} three", "four"], num_xml=4)
    corpus = read_iam_ondb(tmp_path)
    assert corpus.texts == ["one", "two", "three", "four"]


def test_form_without_writer_suffix_and_unix_newlines(tmp_path):
    _form(tmp_path, "a01-003", ["x", "y"], newline="\n")
    # Another form in the same folder must not be mixed in.
    _form(tmp_path, "a01-003u", ["z"])
    corpus = read_iam_ondb(tmp_path)
    assert corpus.line_ids == ["a01-003-01", "a01-003-02", "a01-003u-01"]
    assert corpus.texts == ["x", "y", "z"]


def test_mismatched_counts_skip_the_form_or_raise(tmp_path, caplog):
    _form(tmp_path, "a01-000u", ["only one line"], num_xml=2)
    _form(tmp_path, "a01-001w", ["fine"])
    with caplog.at_level(logging.WARNING):
        corpus = read_iam_ondb(tmp_path)
    assert corpus.line_ids == ["a01-001w-01"]
    assert "a01-000u" in caplog.text and "1 CSR line(s) but 2 XML file(s)" in caplog.text
    with pytest.raises(CorpusFormatError, match=r"a01-000u\.txt: 1 CSR line\(s\) but 2 XML file\(s\)"):
        read_iam_ondb(tmp_path, on_mismatch="error")
    with pytest.raises(ValueError, match="on_mismatch"):
        read_iam_ondb(tmp_path, on_mismatch="ignore")


def test_ascii_without_strokes_and_xml_without_ascii_are_ignored(tmp_path, caplog):
    _form(tmp_path, "a01-000u", ["a"])
    (tmp_path / "ascii" / "a01" / "a01-007").mkdir(parents=True)
    (tmp_path / "ascii" / "a01" / "a01-007" / "a01-007x.txt").write_text("CSR:\n\nno strokes\n")
    orphan = tmp_path / "lineStrokes" / "a02" / "a02-000"
    orphan.mkdir(parents=True)
    (orphan / "a02-000u-01.xml").write_text(_xml([[(1, 2)]]))
    with caplog.at_level(logging.WARNING):
        corpus = read_iam_ondb(tmp_path)
    assert corpus.line_ids == ["a01-000u-01"]
    assert "no ascii transcription" in caplog.text


def test_truncated_xml_names_the_file_and_line(tmp_path):
    xml_dir = _form(tmp_path, "a01-000u", ["a", "b"])
    bad = xml_dir / "a01-000u-02.xml"
    bad.write_text(_xml([[(1, 2), (3, 4), (5, 6)]] * 3, truncate=True), encoding="latin-1")
    with pytest.raises(CorpusFormatError, match=r"a01-000u-02\.xml: line \d+, column \d+: malformed XML"):
        read_iam_ondb(tmp_path)
    with pytest.raises(ValueError, match=r"a01-000u-02\.xml: line \d+"):
        read_iam_xml(bad)


def test_non_numeric_coordinate_names_the_line(tmp_path):
    xml_dir = _form(tmp_path, "a01-000u", ["a"])
    path = xml_dir / "a01-000u-01.xml"
    text = path.read_text(encoding="latin-1").replace('x="101"', 'x="1O1"', 1)
    path.write_text(text, encoding="latin-1")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if 'x="1O1"' in s)
    with pytest.raises(CorpusFormatError, match=rf"a01-000u-01\.xml: line {line}: .*x='1O1' is not a number"):
        read_iam_ondb(tmp_path)


def test_missing_attribute_and_empty_stroke_set(tmp_path):
    path = tmp_path / "x-01.xml"
    path.write_text(_xml([[(1, 2)]]).replace(' y="2"', ""))
    with pytest.raises(ValueError, match=r"x-01\.xml: line \d+: <Point> attribute y is missing"):
        read_iam_xml(path)
    path.write_text(_xml([]))
    with pytest.raises(ValueError, match=r"x-01\.xml: no points"):
        read_iam_xml(path)
    path.write_text('<?xml version="1.0"?>\n<ink><trace>1 2</trace></ink>\n')
    with pytest.raises(ValueError, match="expected <WhiteboardCaptureSession>"):
        read_iam_xml(path)


def test_csr_section_is_required(tmp_path):
    path = tmp_path / "a01-000u.txt"
    path.write_text("OCR:\n\nsome text\n")
    with pytest.raises(CorpusFormatError, match=r"a01-000u\.txt: no 'CSR:' section"):
        read_csr_lines(path)


def test_csr_lines_are_latin1(tmp_path):
    path = tmp_path / "a01-000u.txt"
    path.write_bytes("CSR:\r\n\r\ncaf\xe9 au lait\r\n\r\n  \r\n".encode("latin-1"))
    assert read_csr_lines(path) == ["café au lait"]


def test_not_an_iam_folder(tmp_path):
    assert not is_iam_ondb_dir(tmp_path)
    with pytest.raises(CorpusFormatError, match="expected lineStrokes/ and ascii/"):
        read_iam_ondb(tmp_path)
    (tmp_path / "lineStrokes").mkdir()
    (tmp_path / "ascii").mkdir()
    assert is_iam_ondb_dir(tmp_path)
    with pytest.raises(CorpusFormatError, match="no transcribed lines"):
        read_iam_ondb(tmp_path)


# --------------------------------------------------------------------------------------------
# The real sample: must reproduce iam_ondb_lines.npz bit for bit.


@pytest.fixture(scope="module")
def real(shared_data):
    raw = read_iam_ondb(shared_data / "iam_ondb_raw_sample")
    reference = read_npz_lines(shared_data / "iam_ondb_lines")
    return raw, reference, {line_id: i for i, line_id in enumerate(reference.line_ids)}


def test_real_sample_reproduces_the_compact_npz_exactly(real):
    raw, reference, index = real
    assert len(raw) == 47
    forms = sorted(set(raw.form_ids))
    assert forms == ["a01-000u", "a01-001w", "a01-003", "a08-551z", "a10-719z", "n10-255z"]
    for strokes, text, line_id in zip(raw.strokes, raw.texts, raw.line_ids):
        ref = index[line_id]
        assert strokes.dtype == np.float32
        assert strokes.shape == reference.strokes[ref].shape, line_id
        assert strokes.tobytes() == reference.strokes[ref].tobytes(), line_id
        assert text == reference.texts[ref], line_id


def test_real_line_break_marker_form(real):
    raw, _, _ = real
    lines = [i for i, f in enumerate(raw.form_ids) if f == "a08-551z"]
    assert len(lines) == 9
    assert raw.texts[lines[-2]] == "weeks to have a broken ankle bone"
    assert raw.texts[lines[-1]] == "pinned."
    assert raw.line_ids[lines[-1]] == "a08-551z-09"


def test_real_form_without_writer_suffix(real):
    raw, _, _ = real
    ids = [i for i in raw.line_ids if i.startswith("a01-003")]
    assert ids == [f"a01-003-{k:02d}" for k in range(1, 8)]


def test_read_iam_xml_on_a_real_file(real, shared_data):
    _, reference, index = real
    path = shared_data / "iam_ondb_raw_sample" / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"
    strokes = read_iam_xml(path)
    np.testing.assert_array_equal(strokes, reference.strokes[index["a01-000u-01"]])
    assert strokes[0].tolist() == [0.0, 0.0, 0.0] and strokes[-1, 0] == 1


def test_real_truncated_file(shared_data, tmp_path):
    source = shared_data / "iam_ondb_raw_sample" / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"
    data = source.read_bytes()
    bad = tmp_path / "a01-000u-01.xml"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match=r"a01-000u-01\.xml: line \d+, column \d+: malformed XML"):
        read_iam_xml(bad)
