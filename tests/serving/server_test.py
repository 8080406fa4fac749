"""The local server (`hwsr serve`) driven over 127.0.0.1 by the REST and gRPC clients."""

import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hwsr.serving.client_base import ServingError
from hwsr.serving.rest_client import RestClient

#: The tiny model samples every 2nd point; answers come at the training data's density.
DENSITY = 2


def post(url, data: bytes, headers=None):
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("format", ["inputs", "instances"])
def test_text_to_strokes_to_text_round_trip(rest_url, registry, format):
    client = RestClient(rest_url, timeout=60, format=format)
    strokes = client.synthesize(["hello", "ink"], bias=0.5, seed=2, max_steps=50)
    assert len(strokes) == 2 and all(s.shape[1] == 3 and 1 <= len(s) <= 50 * DENSITY for s in strokes)
    results = client.recognize(strokes)
    # Same answer as the loaded SavedModel gives directly.
    batch = np.zeros((2, max(len(s) for s in strokes), 3), np.float32)
    for i, s in enumerate(strokes):
        batch[i, : len(s)] = s
    direct = registry.predict("hwsr_recognition", None, None,
                              {"strokes": batch, "lengths": np.array([len(s) for s in strokes], np.int32)})
    assert [t for t, _ in results] == [t.decode() for t in direct["text"]]
    np.testing.assert_allclose([s for _, s in results], direct["scores"], rtol=1e-5)


def test_status_metadata_and_version_paths(rest_url):
    client = RestClient(rest_url)
    status = client.status("hwsr_recognition")["model_version_status"][0]
    assert status == {"version": "3", "state": "AVAILABLE",
                      "status": {"error_code": "OK", "error_message": ""}}
    assert client.status("hwsr_synthesis", version=3)["model_version_status"][0]["version"] == "3"
    meta = client.metadata("hwsr_synthesis")["metadata"]["signature_def"]
    assert meta["serving_default"]["inputs"]["text"]["dtype"] == "string"
    assert client.predict("hwsr_synthesis", {"text": [b"a"], "bias": [0.0], "seed": [0], "max_steps": [5]},
                          version=3)["lengths"][0] <= 5 * DENSITY
    with pytest.raises(ServingError, match=r"HTTP 404.*Specific"):
        client.status("hwsr_synthesis", version=4)
    with pytest.raises(ServingError, match=r"HTTP 404.*not found"):
        client.status("nope")


@pytest.mark.parametrize("body,status,message", [
    (b"{not json", 400, "not valid JSON"),
    (b'{"inputs": {"text": ["a"]}}', 400, "missing"),
    (b'{"signature_name": "nope", "inputs": {}}', 400, "'nope' not found"),
    (json.dumps({"inputs": {"text": ["x" * 41], "bias": [0], "seed": [0], "max_steps": [5]}}).encode(),
     400, "limit of 40 characters"),
    (json.dumps({"inputs": {"text": ["a"] * 9, "bias": [0] * 9, "seed": [0] * 9,
                            "max_steps": [5] * 9}}).encode(), 400, "limit of 8 per request"),
    (json.dumps({"inputs": {"text": [["a"]], "bias": [0], "seed": [0], "max_steps": [5]}}).encode(),
     400, "expected shape"),
])
def test_bad_requests_get_clear_4xx_answers(rest_url, body, status, message):
    code, answer = post(f"{rest_url}/v1/models/hwsr_synthesis:predict", body)
    assert code == status
    assert message in answer["error"]


def test_oversized_steps_are_capped_and_oversized_bodies_refused(limits, rest_url, registry):
    client = RestClient(rest_url)
    out = client.predict("hwsr_synthesis", {"text": [b"ab"], "bias": [0.0], "seed": [1],
                                            "max_steps": [10**9]})
    assert out["lengths"][0] <= limits.max_steps * DENSITY
    big = b" " * (registry.limits.max_body_bytes + 1)
    code, answer = post(f"{rest_url}/v1/models/hwsr_synthesis:predict", big)
    assert code == 413 and "over the limit" in answer["error"]
    # A huge announced body is refused from its headers alone, without reading it.
    host, port = rest_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"POST /v1/models/hwsr_synthesis:predict HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 1000000000000\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 413 ")
    code, answer = post(f"{rest_url}/v1/models/hwsr_synthesis:classify", b"{}")
    assert code == 400 and "only :predict" in answer["error"]


def test_concurrent_clients_get_no_errors(rest_url):
    def job(i):
        client = RestClient(rest_url, timeout=120, format=("inputs", "instances")[i % 2])
        strokes = client.synthesize([f"line {i}"], seed=i, max_steps=30)
        text, score = client.recognize(strokes)[0]
        assert isinstance(text, str) and np.isfinite(score)
        return len(strokes[0])

    with ThreadPoolExecutor(max_workers=8) as pool:
        lengths = list(pool.map(job, range(16)))
    assert len(lengths) == 16 and all(1 <= n <= 30 * DENSITY for n in lengths)


def test_grpc_round_trip_and_errors(registry, ink):
    pytest.importorskip("tensorflow_serving", reason="tensorflow-serving-api is not installed")
    from hwsr.serving.grpc_client import GrpcClient
    from hwsr.serving.grpc_server import make_grpc_server

    server, port = make_grpc_server(registry, "127.0.0.1", 0)
    try:
        with GrpcClient(f"127.0.0.1:{port}", timeout=60) as client:
            strokes = client.synthesize(["grpc"], max_steps=30)
            [(text, score)] = client.recognize(strokes)
            assert isinstance(text, str) and np.isfinite(score)
            assert client.status("hwsr_synthesis").model_version_status[0].version == 3
            with pytest.raises(ServingError, match=r"INVALID_ARGUMENT.*limit of 40"):
                client.synthesize(["x" * 41])
            with pytest.raises(ServingError, match="NOT_FOUND"):
                client.predict("nope", {"x": np.zeros(1)})
    finally:
        server.stop(grace=None)


def synthesis_body(**inputs):
    return json.dumps({"inputs": {"text": ["ab"], "bias": [0.5], "seed": [1], "max_steps": [20],
                                  **inputs}}).encode()


@pytest.mark.parametrize("body,message", [
    (synthesis_body(seed=[2**40]), "integers must be between -2147483648 and 2147483647"),
    (synthesis_body(max_steps=[1e10]), "input 'max_steps': expected integers"),
    (synthesis_body(seed=[1.5]), "input 'seed': expected integers"),
    (synthesis_body(seed=[True]), "input 'seed': expected integers"),
    (synthesis_body(text=[""]), "text is empty"),
    (synthesis_body(max_steps=[0]), "max_steps must be between 1"),
    (synthesis_body(max_steps=[-5]), "max_steps must be between 1"),
    (synthesis_body(bias=[-1.0]), "bias must be between 0 and 10"),
    (synthesis_body(bias=[1e39]), "bias must be a finite number"),
    (synthesis_body().replace(b"0.5", b"NaN"), "bias must be a finite number"),
    (synthesis_body(text=["ab", "cd"], bias=[0.5, 0.5], seed=[1, 1], max_steps=[20, 0]),
     "(line 1)"),
    (b'{"inputs": ' + b"[" * 100000 + b"]" * 100000 + b"}", "nests JSON deeper than 32 levels"),
    (b'{"inputs": ' + b"[" * 40 + b"]" * 40 + b"}", "nests JSON deeper than 32 levels"),
])
def test_every_bad_sampling_value_is_a_400(rest_url, body, message):
    code, answer = post(f"{rest_url}/v1/models/hwsr_synthesis:predict", body)
    assert code == 400, answer
    assert message in answer["error"]


def test_grpc_bad_values_are_invalid_argument(registry):
    pytest.importorskip("tensorflow_serving", reason="tensorflow-serving-api is not installed")
    from hwsr.serving.grpc_client import GrpcClient
    from hwsr.serving.grpc_server import make_grpc_server

    server, port = make_grpc_server(registry, "127.0.0.1", 0)
    base = {"text": np.array([b"ab"], object), "bias": np.float32([0.5]), "seed": np.int32([1]),
            "max_steps": np.int32([20])}
    try:
        with GrpcClient(f"127.0.0.1:{port}", timeout=60) as client:
            for change, message in [({"seed": np.int64([2**40])}, "integers must be between"),
                                    ({"seed": np.float32([1.5])}, "expected integers"),
                                    ({"max_steps": np.int32([0])}, "max_steps must be between 1"),
                                    ({"text": np.array([b" "], object)}, "text is empty"),
                                    ({"bias": np.float32([np.nan])}, "finite")]:
                with pytest.raises(ServingError, match=f"INVALID_ARGUMENT.*{message}"):
                    client.predict("hwsr_synthesis", {**base, **change})
    finally:
        server.stop(grace=None)
