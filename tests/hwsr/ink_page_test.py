"""Tests for hwsr/ink pages: lines with texts and places, times, ML Kit JSON, SVG read-back,
and the one-line errors for files that are not ink."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hwsr import render
from hwsr.ink import (
    InkFormatError,
    lines_on_page,
    page_strokes,
    read_ink,
    read_page,
    read_transcription,
    write_inkml,
    write_json_ink,
    write_page,
)
from hwsr.testing import random_lines


@pytest.fixture(scope="module")
def page():
    lines, texts = random_lines(3, seed=5, texts=["first line here", "ok", "and the third one"])
    return lines, texts


def _same_lines(got, lines, atol=1e-4):
    assert len(got) == len(lines)
    for line, want in zip(got, lines):
        np.testing.assert_array_equal(line.strokes[:, 0], want[:, 0])
        np.testing.assert_allclose(line.strokes[1:, 1:], want[1:, 1:], atol=atol)


@pytest.mark.parametrize("suffix", [".json", ".inkml", ".npz"])
def test_pages_keep_lines_texts_and_places(tmp_path, page, suffix):
    lines, texts = page
    placed = lines_on_page(lines, texts)
    path = tmp_path / f"page{suffix}"
    write_page(path, placed)
    got = read_page(path)
    _same_lines(got, lines)
    assert [line.text for line in got] == texts
    np.testing.assert_allclose([g.origin for g in got], [p.origin for p in placed], atol=1e-6)
    assert read_transcription(path) == "\n".join(texts)


def test_inkml_page_has_a_trace_group_per_line(tmp_path, page):
    lines, texts = page
    write_page(tmp_path / "page.inkml", lines_on_page(lines, texts))
    text = (tmp_path / "page.inkml").read_text()
    assert text.count("<traceGroup>") == 3 and '<annotation type="transcription">ok</annotation>' in text


def test_svg_written_by_hwsr_reads_back_line_by_line(tmp_path, page):
    lines, texts = page
    for smooth in (True, False):
        path = tmp_path / f"page-{smooth}.svg"
        render.save(lines, path, texts=texts, smooth=smooth)
        got = read_page(path)
        assert [line.text for line in got] == texts
        _same_lines(got, lines, atol=0.2)  # 2 decimals of a pixel, back in stroke units.
    single = tmp_path / "dot.svg"
    render.save(np.array([[1, 0, 0]], np.float32), single)
    assert read_ink(single).shape == (1, 3)


def test_a_page_in_one_trace_set_is_split(tmp_path, page):
    lines, texts = page
    write_json_ink(tmp_path / "note.json", page_strokes(lines_on_page(lines)), text="\n".join(texts))
    got = read_page(tmp_path / "note.json")
    _same_lines(got, lines)
    assert [line.text for line in got] == texts
    assert len(read_page(tmp_path / "note.json", split=False)) == 1


def test_ml_kit_json_with_times_round_trips_and_times_reach_inkml(tmp_path):
    path = tmp_path / "mlkit.json"
    path.write_text(json.dumps({"strokes": [
        {"points": [{"x": 10, "y": 20, "t": 1000}, {"x": 12, "y": 25, "t": 1016}]},
        {"points": [{"x": 30, "y": 20, "t": 1100}]},
    ]}))
    (line,) = read_page(path)
    np.testing.assert_array_equal(line.strokes, [[0, 0, 0], [1, 2, -5], [1, 18, 5]])
    np.testing.assert_array_equal(line.times, [1000, 1016, 1100])
    assert line.origin == (10.0, -20.0)
    write_json_ink(tmp_path / "back.json", line.strokes, times=line.times, point_style="mlkit")
    data = json.loads((tmp_path / "back.json").read_text())
    assert data["strokes"][1] == {"points": [{"x": 20.0, "y": 0.0, "t": 1100.0}]}
    write_inkml(tmp_path / "timed.inkml", line.strokes, times=line.times)
    assert '<channel name="T" type="decimal" units="ms"/>' in (tmp_path / "timed.inkml").read_text()
    (back,) = read_page(tmp_path / "timed.inkml")
    np.testing.assert_array_equal(back.times, line.times)
    np.testing.assert_array_equal(back.strokes, line.strokes)


def test_times_are_kept_only_when_every_point_has_one(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text('{"strokes": [[[0, 0, 5], [1, 1]]]}')
    assert read_page(path)[0].times is None
    seconds = tmp_path / "s.inkml"
    seconds.write_text('<ink><traceFormat><channel name="X"/><channel name="Y"/>'
                       '<channel name="T" units="s"/></traceFormat><trace>0 0 1.5, 1 1 1.75</trace></ink>')
    np.testing.assert_array_equal(read_page(seconds)[0].times, [1500, 1750])


def test_iam_xml_point_times_become_milliseconds(tmp_path):
    path = tmp_path / "a01-000u-01.xml"
    path.write_text('<WhiteboardCaptureSession><StrokeSet><Stroke><Point x="1" y="2" time="10.5"/>'
                    '<Point x="2" y="2" time="10.52"/></Stroke></StrokeSet></WhiteboardCaptureSession>')
    np.testing.assert_allclose(read_page(path)[0].times, [10500, 10520])


def test_a_non_npz_named_npz_is_not_met_with_the_pickle_hint(tmp_path):
    for content in (b"hello, not an archive", b"", json.dumps({"strokes": []}).encode()):
        path = tmp_path / "fake.npz"
        path.write_bytes(content)
        with pytest.raises(InkFormatError, match=r"fake\.npz: not an hwsr npz") as info:
            read_ink(path)
        assert "pickle" not in str(info.value) and "\n" not in str(info.value)


def test_deeply_nested_json_is_a_one_line_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    with pytest.raises(InkFormatError, match=r"deep\.json: JSON nested too deeply"):
        read_ink(path)


def test_svg_that_is_a_drawing_names_the_formats_to_use(tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 C 1 1 2 2 3 3"/></svg>')
    with pytest.raises(InkFormatError, match=r"logo\.svg: an SVG without hwsr's .*InkML \(\.inkml\), JSON"):
        read_page(path)
    bad = tmp_path / "bad.svg"
    bad.write_text('<svg data-hwsr-scale="2"><g class="hwsr-line"><path d="M0,0 C1,1 2,2 3,3"/></g></svg>')
    with pytest.raises(InkFormatError, match=r"path data .C1,1 2,2 3,3. is not from hwsr"):
        read_page(bad)


def test_pages_the_shipped_synthesiser_writes_split_into_their_lines(tmp_path):
    from hwsr.synthesizer import Synthesizer

    texts = ["Dear Sam,", "ok", "see you", "Ann"]  # Short lines show no carriage return.
    lines = Synthesizer.from_pretrained().generate(texts, seed=3)
    for order in ([0, 1, 2, 3], [2, 1, 3], [1, 0], [3, 2]):
        page = [lines[i] for i in order]
        path = tmp_path / "note.inkml"
        write_inkml(path, page_strokes(lines_on_page(page)), text="\n".join(texts[i] for i in order))
        got = read_page(path)
        assert [line.text for line in got] == [texts[i] for i in order], order
        assert [len(line.strokes) for line in got] == [len(s) for s in page]
