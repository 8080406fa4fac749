"""The web app's HTTP API (hwsr/app/server.py, service.py, payloads.py) through Starlette's test
client, with tiny random-weight models: fast, no browser."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # starlette.testclient needs it

from PIL import Image
from starlette.testclient import TestClient

from hwsr.alphabet import Alphabet
from hwsr.app.limits import AppLimits
from hwsr.app.payloads import IAM_STROKE_HEIGHT, PayloadError, canvas_strokes, to_model_units
from hwsr.app.server import create_app
from hwsr.app.service import HandwritingService
from hwsr.recognizer import Recognizer
from hwsr.strokes import to_stroke_list
from hwsr.synthesizer import Synthesizer
from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir

LIMITS = AppLimits(max_text_length=60, max_lines=3, max_points=400, max_page_points=900,
                   max_prime_points=300, max_steps=60, max_body_bytes=64 * 1024, max_concurrent=1,
                   queue_timeout=0.5)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> HandwritingService:
    root = tmp_path_factory.mktemp("app")
    # The IAM-OnDB alphabet refusing unknown characters, as the shipped synthesis model does.
    syn = write_tiny_synthesis_dir(root / "syn", Alphabet.iam_ondb(unknown="error"))
    return HandwritingService(Synthesizer.from_dir(syn),
                              Recognizer.from_dir(write_tiny_recognition_dir(root / "rec")), LIMITS)


@pytest.fixture(scope="module")
def client(service):
    with TestClient(create_app(service)) as c:
        yield c


def canvas_line(x0: float, y0: float, words: int = 3, seed: int = 0) -> list:
    """A line of loops in screen pixels (y down), one pen stroke per word, ``[x, y, t, p]``."""
    rng = np.random.default_rng(seed)
    strokes, t = [], 0.0
    for w in range(words):
        u = np.linspace(0, 6 * np.pi, 40)
        x = x0 + 70 * w + 8 * u / np.pi + rng.normal(0, 0.3, u.size)
        y = y0 - 12 * np.abs(np.sin(u / 2))
        points = [[float(a), float(b), t + 8.0 * k, 0.5] for k, (a, b) in enumerate(zip(x, y))]
        t += 8.0 * len(points) + 120
        strokes.append(points)
    return strokes


def read_stream(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and '<canvas id="pad"' in page.text
    for name in ("app.js", "app.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "getCoalescedEvents" in client.get("/static/app.js").text  # Every pointer sample kept.


def test_info_lists_limits_and_default_bias(client):
    info = client.get("/api/info").json()
    assert info["limits"]["max_text_length"] == 60 and info["styles"] == []
    assert info["default_bias"] == 1.0 and info["default_style"] is None  # a model without styles


def test_recognize_reads_each_line_with_candidates(client):
    page = canvas_line(20, 60) + canvas_line(20, 200, seed=1)
    out = client.post("/api/recognize", json={"strokes": page})
    assert out.status_code == 200, out.text
    lines = out.json()["lines"]
    assert len(lines) == 2
    for line in lines:
        texts = [c["text"] for c in line["candidates"]]
        assert line["text"] == texts[0] and 1 <= len(set(texts)) == len(texts) <= 5  # N best, distinct.
        scores = [c["score"] for c in line["candidates"]]
        assert scores == sorted(scores, reverse=True)
    assert out.json()["text"] == "\n".join(line["text"] for line in lines)


def test_canvas_ink_is_scaled_to_iam_writing_size():
    strokes = canvas_strokes({"strokes": canvas_line(0, 50)}, 1000)
    scaled = to_model_units(strokes)
    heights = [np.ptp(s[:, 1]) for s in to_stroke_list(scaled)]
    assert np.median(heights) == pytest.approx(IAM_STROKE_HEIGHT, rel=1e-4)
    assert len(scaled) == len(strokes)  # Every point is kept.
    first = to_stroke_list(strokes)[0]
    assert first[5, 1] > first[0, 1]  # Up the screen (smaller y) is up in strokes (larger y).


@pytest.mark.parametrize("body, status, words", [
    ({"strokes": "nope"}, 400, "strokes"),
    ({"strokes": [[[0, 0], [1, "x"]]]}, 400, "stroke 0"),
    ({"strokes": [[[0, 0], [1, float("inf")]]]}, 400, "not finite"),
    ({"strokes": [[[0, 1, 2]] * 901]}, 413, "over the limit of 900"),
    ([1, 2], 400, "JSON object"),
])
def test_recognize_refuses_bad_ink(client, body, status, words):
    out = client.post("/api/recognize", content=json.dumps(body, allow_nan=True))
    assert out.status_code == status and words in out.json()["error"]


def test_garbage_and_oversized_bodies_get_json_errors(client):
    out = client.post("/api/recognize", content=b"\x00garbage{", headers={"Content-Type": "application/json"})
    assert out.status_code == 400 and "not valid JSON" in out.json()["error"]
    out = client.post("/api/generate", content=b"x" * (64 * 1024 + 1))
    assert out.status_code == 413 and "over the limit" in out.json()["error"]
    out = client.get("/api/nothing")
    assert out.status_code == 404 and "error" in out.json()


def test_generate_streams_lines_then_strokes(client):
    out = client.post("/api/generate", json={"text": "ab cd ef gh ij", "seed": 3, "bias": 1.0, "width": 8})
    assert out.status_code == 200 and out.headers["content-type"].startswith("application/x-ndjson")
    events = read_stream(out)
    assert events[0] == {"type": "start", "lines": ["ab cd ef", "gh ij"]}
    assert events[-1]["type"] == "done"
    kinds = [e["type"] for e in events[1:-1]]
    assert kinds[0] == "line" and kinds.count("line") == 2 and "stroke" in kinds
    second = kinds.index("line", 1)
    assert "stroke" in kinds[:second]  # Line 0's strokes come before line 1 is written.
    lines = [np.array(e["strokes"]) for e in events if e["type"] == "line"]
    strokes = [e for e in events if e["type"] == "stroke"]
    assert sum(int(line[:, 0].sum()) for line in lines) == len(strokes)  # One event per pen stroke.
    again = read_stream(client.post("/api/generate", json={"text": "ab cd ef gh ij", "seed": 3, "width": 8}))
    assert again[1] == events[1]  # Same seed, same ink.


@pytest.mark.parametrize("body, status, words", [
    ({"text": "x" * 61}, 413, "over the limit of 60"),
    ({"text": "   "}, 400, "type some text"),
    ({"text": "ab", "seed": -1}, 400, "seed"),
    ({"text": "ab", "bias": "high"}, 400, "bias must be a number"),
    ({"text": "ab", "style": 4}, 400, "unknown style 4"),
    ({"text": "ab", "style": "neat"}, 400, "unknown style 'neat'"),
    ({"text": "ab", "style": "free"}, 200, None),
    ({"text": "ab", "style": "free", "prime": {"strokes": canvas_line(0, 40), "text": "a"}}, 400, "not both"),
    ({"text": "a b c d e f g h", "width": 8}, 200, None),
    ({"text": "aaaa bbbb cccc dddd", "width": 8}, 413, "wraps into 4 lines"),
    ({"text": "ab", "prime": {"strokes": canvas_line(0, 40), "text": ""}}, 400, "type what your line"),
    ({"text": "ab", "prime": {"strokes": canvas_line(0, 40) + canvas_line(0, 200), "text": "a b"}},
     400, "it holds 2"),
])
def test_generate_refuses_bad_requests_before_streaming(client, body, status, words):
    out = client.post("/api/generate", json=body)
    assert out.status_code == status, out.text
    if words:
        assert words in out.json()["error"]


def test_generate_primed_with_a_canvas_line(client):
    body = {"text": "ab", "seed": 1, "prime": {"strokes": canvas_line(0, 40), "text": "one two six"}}
    primed = read_stream(client.post("/api/generate", json=body))
    plain = read_stream(client.post("/api/generate", json={"text": "ab", "seed": 1}))
    assert primed[-1]["type"] == "done" and primed[1]["type"] == "line"
    assert primed[1]["strokes"] != plain[1]["strokes"]


def test_unwritable_characters_are_named(client):
    out = client.post("/api/generate", json={"text": "ab\u263a"})
    assert out.status_code == 400 and "'\u263a'" in out.json()["error"]


def test_generations_beyond_the_limit_wait_then_get_503(service):
    import threading

    app = create_app(service)
    started, release = threading.Event(), threading.Event()
    original = service.write_events

    def slow_events(*args):
        started.set()
        release.wait(10)
        yield from original(*args)

    service.write_events = slow_events
    try:
        with TestClient(app) as a, TestClient(app) as b:
            results = {}
            def first():
                results["first"] = a.post("/api/generate", json={"text": "ab"})

            worker = threading.Thread(target=first)
            worker.start()
            assert started.wait(10)
            busy = b.post("/api/generate", json={"text": "ab"})
            release.set()
            worker.join(30)
        assert busy.status_code == 503 and "busy" in busy.json()["error"]
        assert busy.headers["retry-after"] == "2"
        assert results["first"].status_code == 200
    finally:
        service.write_events = original


def test_exports_svg_png_and_inkml(client, tmp_path):
    events = read_stream(client.post("/api/generate", json={"text": "abc defgh", "seed": 2, "width": 8}))
    lines = [e["strokes"] for e in events if e["type"] == "line"]
    body = {"lines": lines, "stroke_width": 3, "color": "#ff0000", "text": "abc\ndefgh"}
    svg = client.post("/api/export/svg", json=body)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert 'stroke="#ff0000"' in svg.text and "<path" in svg.text
    png = client.post("/api/export/png", json=body)
    image = np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB")).reshape(-1, 3)
    inked = image[(image != 255).any(axis=1)]
    assert len(inked) and (inked[:, 0] >= inked[:, 1]).all()  # Red ink, not grey.
    inkml = client.post("/api/export/inkml", json=body)
    assert "attachment" in inkml.headers["content-disposition"]
    path = tmp_path / "page.inkml"
    path.write_bytes(inkml.content)
    from hwsr.ink import read_ink

    assert len(read_ink(path)) == sum(len(line) for line in lines)
    assert inkml.text.count("<traceGroup>") == 2 and ">defgh<" in inkml.text  # One group per line.
    assert client.post("/api/export/gif", json=body).status_code == 404
    assert "not a colour" in client.post("/api/export/svg", json={**body, "color": "nope"}).json()["error"]
    assert client.post("/api/export/svg", json={"lines": [[["a"]]]}).status_code == 400


def test_import_opens_ink_files_and_refuses_garbage(client):
    data = json.dumps({"strokes": [[[0, 0], [5, 5], [10, 0]], [[20, 0], [20, 9]]]}).encode()
    out = client.post("/api/import?name=mine.json", content=data)
    assert out.status_code == 200 and out.json()["strokes"][1] == [[20.0, 0.0], [20.0, 9.0]]
    bad = client.post("/api/import?name=mine.json", content=b"{not json")
    assert bad.status_code == 400 and "mine.json" in bad.json()["error"] and "/tmp" not in bad.json()["error"]
    assert client.post("/api/import?name=mine.pdf", content=b"%PDF").status_code == 400


def test_payload_errors_are_value_errors_with_a_status():
    error = PayloadError("too big", 413)
    assert isinstance(error, ValueError) and error.status == 413
