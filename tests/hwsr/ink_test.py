"""Tests for hwsr/ink.py: InkML, JSON ink, IAM-OnDB XML and npz single lines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hwsr.ink import (
    InkFormatError,
    read_iam_xml,
    read_ink,
    read_inkml,
    read_json_ink,
    read_transcription,
    write_inkml,
    write_json_ink,
    write_npz,
)
from hwsr.strokes import InvalidStrokesError, from_stroke_list

INKML = """<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
  <definitions>
    <context xml:id="ctx">
      <traceFormat>
        <channel name="T" type="decimal"/>
        <channel name="X" type="decimal"/>
        <channel name="Y" type="decimal"/>
      </traceFormat>
    </context>
  </definitions>
  <traceGroup>
    <trace>0 10 20, 1 13 30, 2 15 31</trace>
  </traceGroup>
  <trace>
    3 30 20,
    4 31 20
  </trace>
</ink>
"""


def _random_line(seed: int = 0, n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = np.zeros((n, 3), np.float32)
    s[1:, 1:] = rng.normal(3, 20, (n - 1, 2)).astype(np.float32)
    s[rng.random(n) < 0.05, 0] = 1
    s[-1, 0] = 1
    return s


# InkML ----------------------------------------------------------------------------------------


def test_read_inkml_with_channels_groups_and_y_down(tmp_path):
    path = tmp_path / "note.inkml"
    path.write_text(INKML)
    strokes = read_inkml(path)
    # y down in the file: 20 -> 30 is 10 units *down*, dy = -10.
    np.testing.assert_array_equal(strokes, [[0, 0, 0], [0, 3, -10], [1, 2, -1], [0, 15, 11], [1, 1, 0]])
    np.testing.assert_array_equal(read_ink(path), strokes)
    xml = tmp_path / "note.xml"
    xml.write_text(INKML)
    np.testing.assert_array_equal(read_ink(xml), strokes)


def test_inkml_difference_encodings(tmp_path):
    # Explicit 10 0, then first differences '5 '0 (x 15, 20, 25), then second differences.
    path = tmp_path / "diff.inkml"
    path.write_text(
        '<ink xmlns="http://www.w3.org/2003/InkML"><trace>'
        "10 0, '5 '0, 5 0, 5 0, \"1 \"0, 0 0</trace></ink>"
    )
    strokes = read_inkml(path)
    # x: 10, 15, 20, 25, then velocity 5 + 1 = 6 -> 31, then 6 + 0 -> 37.
    np.testing.assert_array_equal(np.cumsum(strokes[:, 1]), [0, 5, 10, 15, 21, 27])
    np.testing.assert_array_equal(strokes[:, 2], 0)


def test_inkml_values_without_spaces_and_trailing_comma(tmp_path):
    path = tmp_path / "packed.inkml"
    path.write_text('<ink><trace>10-5,12-3.5e0,</trace></ink>')
    np.testing.assert_array_equal(read_inkml(path), [[0, 0, 0], [1, 2, -1.5]])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('<ink><trace>1 2, 3 x</trace></ink>', r"line 1: trace 1, point 2: 'x' is not a number"),
        ('<ink><trace>1 2, 3</trace></ink>', r"point 2 has 1 value\(s\), expected at least 2"),
        ('<ink><trace>1 2,, 3 4</trace></ink>', "point 2 is empty"),
        ("<ink>\n<trace>1 2, 3 4\n", r"line 3, column 1: malformed XML"),
        ("<ink></ink>", "no <trace> element"),
        ("<ink><trace> </trace></ink>", "no points in any <trace>"),
        ('<ink><traceFormat><channel name="X"/></traceFormat><trace>1</trace></ink>', "expected X and Y"),
        ("<svg/>", "root element <svg> is neither InkML"),
        ("not xml at all", "malformed XML"),
    ],
)
def test_inkml_errors_name_the_file_and_place(tmp_path, text, match):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InkFormatError, match=match) as info:
        read_ink(path)
    assert str(path) in str(info.value)


def test_inkml_round_trip_is_exact(tmp_path, synthetic_strokes):
    for i, strokes in enumerate([synthetic_strokes, _random_line(1), _random_line(2, 5)]):
        path = tmp_path / f"line{i}.inkml"
        write_inkml(path, strokes)
        back = read_ink(path)
        assert back.dtype == np.float32
        np.testing.assert_array_equal(back, strokes)
    assert 'xmlns="http://www.w3.org/2003/InkML"' in path.read_text()


def test_inkml_written_y_points_down(tmp_path):
    path = tmp_path / "up.inkml"
    write_inkml(path, np.array([[0, 0, 0], [1, 0, 10]], np.float32))  # Pen moves up by 10.
    assert "<trace>0 0, 0 -10</trace>" in path.read_text()


# JSON -----------------------------------------------------------------------------------------


def test_read_json_ink_ml_kit_style(tmp_path):
    path = tmp_path / "note.json"
    path.write_text(json.dumps({"strokes": [
        [[100, 50, 0], [103, 60, 16]],
        {"points": [{"x": 110, "y": 50, "t": 40}]},
    ]}))
    np.testing.assert_array_equal(read_json_ink(path), [[0, 0, 0], [1, 3, -10], [1, 7, 10]])
    np.testing.assert_array_equal(read_ink(path), read_json_ink(path))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"strokes": [[[1, 2], [3', r"line 1, column \d+: not valid JSON"),
        ('[[1, 2]]', "expected a JSON object"),
        ('{"strokes": [[[1, 2], [3, "x"]]]}', r"strokes\[0\]\[1\]: coordinate 'x' is not a number"),
        ('{"strokes": [[[1, 2]], [[1]]]}', r"strokes\[1\]\[0\]: a point needs"),
        ('{"strokes": [[[1, true]]]}', "coordinate True is not a number"),
        ('{"strokes": [[{"x": 1}]]}', "needs 'x' and 'y'"),
        ('{"strokes": [5]}', r"strokes\[0\]: a stroke must be a list"),
        ('{"strokes": [[]]}', "no points in any stroke"),
        ('{"strokes": [[[1, 2], [NaN, 3]]]}', r"strokes\[0\]\[1\]: coordinate nan is not a finite number"),
    ],
)
def test_json_errors_name_the_file_and_place(tmp_path, text, match):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        read_ink(path)
    assert isinstance(info.value, (InkFormatError, InvalidStrokesError))
    assert str(path) in str(info.value)


def test_json_round_trip_is_exact(tmp_path, synthetic_strokes):
    for i, strokes in enumerate([synthetic_strokes, _random_line(3)]):
        path = tmp_path / f"line{i}.json"
        write_json_ink(path, strokes)
        np.testing.assert_array_equal(read_ink(path), strokes)
    data = json.loads(path.read_text())
    assert len(data["strokes"]) == int(strokes[:, 0].sum())


# Transcriptions -------------------------------------------------------------------------------


@pytest.mark.parametrize("write", [write_inkml, write_json_ink])
def test_transcription_round_trip(tmp_path, synthetic_strokes, write):
    suffix = ".inkml" if write is write_inkml else ".json"
    text = 'Tom & "Jerry" <3 naïve'
    write(tmp_path / f"with{suffix}", synthetic_strokes, text=text)
    write(tmp_path / f"without{suffix}", synthetic_strokes)
    assert read_transcription(tmp_path / f"with{suffix}") == text
    assert read_transcription(tmp_path / f"without{suffix}") is None
    for name in ("with", "without"):  # The text does not disturb the strokes.
        np.testing.assert_array_equal(read_ink(tmp_path / f"{name}{suffix}"), synthetic_strokes)


def test_read_transcription_takes_the_ink_level_annotation(tmp_path):
    path = tmp_path / "note.inkml"
    path.write_text(
        '<ink xmlns="http://www.w3.org/2003/InkML">\n'
        '  <annotation type="writer">w1</annotation>\n'
        '  <traceGroup><annotation type="transcription">a</annotation><trace>0 0, 1 1</trace></traceGroup>\n'
        '  <annotation type="transcription">\n    a whole line  \n  </annotation>\n'
        "</ink>\n"
    )
    assert read_transcription(path) == "a whole line"
    blank = tmp_path / "blank.json"
    blank.write_text('{"text": "  ", "strokes": [[[0, 0]]]}')
    assert read_transcription(blank) is None


def test_read_transcription_of_other_files_and_errors(tmp_path, synthetic_strokes):
    write_npz(tmp_path / "x.npz", synthetic_strokes)
    assert read_transcription(tmp_path / "x.npz") is None
    iam = tmp_path / "a01-000u-01.xml"
    iam.write_text(IAM_XML, encoding="latin-1")
    assert read_transcription(iam) is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"text": 12, "strokes": []}')
    with pytest.raises(InkFormatError, match='"text" must be a string, got 12') as info:
        read_transcription(bad)
    assert str(bad) in str(info.value)
    broken = tmp_path / "broken.inkml"
    broken.write_text("<ink><annotation")
    with pytest.raises(InkFormatError, match="malformed XML"):
        read_transcription(broken)
    with pytest.raises(InkFormatError, match=r"unsupported ink file extension '\.txt'"):
        read_transcription(tmp_path / "x.txt")


# npz ------------------------------------------------------------------------------------------


def test_npz_single_line_round_trip_and_compact_layout(tmp_path, synthetic_strokes):
    path = tmp_path / "line.npz"
    write_npz(path, synthetic_strokes)
    np.testing.assert_array_equal(read_ink(path), synthetic_strokes)
    compact = tmp_path / "compact.npz"
    points = np.concatenate([synthetic_strokes, _random_line(4, 20)]).astype(np.int16)
    np.savez(compact, points=points, starts=np.array([0, len(synthetic_strokes), len(points)]))
    second = points[len(synthetic_strokes) :].astype(np.float32)
    np.testing.assert_array_equal(read_ink(compact, index=1), second)
    with pytest.raises(InkFormatError, match=r"holds 2 lines; choose one with index=0\.\.1"):
        read_ink(compact)
    with pytest.raises(InkFormatError, match="index 5 out of range"):
        read_ink(compact, index=5)


def test_npz_errors(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, foo=np.zeros(3))
    with pytest.raises(InkFormatError, match=r"found \['foo'\]"):
        read_ink(other)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, strokes=np.array([np.zeros((2, 3))], dtype=object))
    with pytest.raises(InkFormatError, match="not an hwsr npz: it holds arrays of Python objects") as info:
        read_ink(pickled)  # Object arrays need pickle, which is never loaded.
    assert "allow_pickle" not in str(info.value)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InkFormatError, match=r"broken\.npz: cannot read"):
        read_ink(broken)
    scalar = tmp_path / "scalar.npz"
    np.savez(scalar, points=np.zeros((2, 3)), starts=np.int64(2))
    with pytest.raises(InkFormatError, match="'starts' must be a 1-D array"):
        read_ink(scalar)
    npy = tmp_path / "plain.npz"
    with open(npy, "wb") as f:
        np.save(f, np.zeros((3, 3), np.float32))
    with pytest.raises(InkFormatError, match=r"a single \.npy array, not an \.npz archive"):
        read_ink(npy)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, strokes=np.zeros((4, 2)))
    with pytest.raises(InvalidStrokesError, match=r"wrong.npz: expected shape \[T, 3\]"):
        read_ink(wrong)


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(InkFormatError, match=r"unsupported ink file extension '.txt'"):
        read_ink(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError):
        read_ink(tmp_path / "missing.json")


def test_writers_validate_and_write_atomically(tmp_path):
    with pytest.raises(InvalidStrokesError, match="strokes to write"):
        write_inkml(tmp_path / "x.inkml", np.zeros((0, 3)))
    write_json_ink(tmp_path / "deep" / "x.json", from_stroke_list([[[0, 0], [1, 1]]]))
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["x.json"]


# IAM-OnDB XML ---------------------------------------------------------------------------------

IAM_XML = """<?xml version="1.0" encoding="ISO-8859-1"?>
<WhiteboardCaptureSession>
  <WhiteboardDescription><SensorLocation corner="top_left"/></WhiteboardDescription>
  <StrokeSet>
    <Stroke colour="black" start_time="1.0" end_time="1.1">
      <Point x="100" y="200" time="1.0"/>
      <Point x="105" y="190" time="1.05"/>
    </Stroke>
    <Stroke colour="black" start_time="1.2" end_time="1.2">
      <Point x="120" y="200" time="1.2"/>
    </Stroke>
  </StrokeSet>
</WhiteboardCaptureSession>
"""


def test_iam_xml_conventions(tmp_path):
    path = tmp_path / "a01-000u-01.xml"
    path.write_text(IAM_XML, encoding="latin-1")
    np.testing.assert_array_equal(read_iam_xml(path), [[0, 0, 0], [1, 5, 10], [1, 15, -10]])
    np.testing.assert_array_equal(read_ink(path), read_iam_xml(path))


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda t: t.replace('x="105"', 'x="1o5"'), r"line 7: <Point> attribute x='1o5' is not a number"),
        (lambda t: t.replace(' y="200" time="1.2"', ""), r"line 10: <Point> attribute y is missing"),
        (lambda t: t[: len(t) // 2], "malformed XML"),
        (lambda t: t.replace('y="190"', 'y="inf"'), r"line 7: <Point> attribute y='inf' is not a finite"),
        (lambda t: t.replace("StrokeSet", "Strokes"), "no <StrokeSet> element"),
    ],
)
def test_iam_xml_errors(tmp_path, edit, match):
    path = tmp_path / "bad.xml"
    path.write_text(edit(IAM_XML), encoding="latin-1")
    with pytest.raises(InkFormatError, match=match):
        read_iam_xml(path)


def test_real_iam_xml_files_match_the_compact_npz(shared_data):
    folder = shared_data / "iam_ondb_lines"
    ids = (folder / "line_ids.txt").read_text(encoding="utf-8").split()
    with np.load(folder / "iam_ondb_lines.npz") as z:
        points, starts = z["points"], z["starts"]
    files = sorted((shared_data / "iam_ondb_raw_sample" / "lineStrokes").rglob("*.xml"))
    assert len(files) == 47
    for path in files:
        i = ids.index(path.stem)
        expected = points[starts[i] : starts[i + 1]].astype(np.float32)
        got = read_ink(path)
        assert got.tobytes() == expected.tobytes(), path.name


def test_real_line_round_trips_through_every_writer(shared_data, tmp_path):
    path = shared_data / "iam_ondb_raw_sample" / "lineStrokes" / "a08" / "a08-551" / "a08-551z-09.xml"
    strokes = read_ink(path)
    for name, write in [("x.inkml", write_inkml), ("x.json", write_json_ink), ("x.npz", write_npz)]:
        write(tmp_path / name, strokes)
        assert read_ink(tmp_path / name).tobytes() == strokes.tobytes(), name
