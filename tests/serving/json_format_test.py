import numpy as np
import pytest

from hwsr.serving.json_format import (
    RequestFormatError,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

DTYPES = {"text": object, "bias": np.float32}


@pytest.mark.parametrize("format", ["inputs", "instances"])
def test_request_round_trip(format):
    inputs = {"text": np.array([b"hi", "é".encode()], dtype=object), "bias": np.array([0.5, 1.0], np.float32)}
    body = encode_request(inputs, "synthesize", format)
    assert body["signature_name"] == "synthesize"
    decoded, rows = decode_request(body, DTYPES)
    assert rows == (format == "instances")
    assert decoded["text"].tolist() == [b"hi", "é".encode()]
    np.testing.assert_array_equal(decoded["bias"], inputs["bias"])


def test_b64_bytes_and_bad_base64():
    decoded, _ = decode_request({"inputs": {"text": [{"b64": "/w=="}], "bias": [0]}}, DTYPES)
    assert decoded["text"].tolist() == [b"\xff"]
    with pytest.raises(RequestFormatError, match="bad base64"):
        decode_request({"inputs": {"text": [{"b64": "!!"}], "bias": [0]}}, DTYPES)


@pytest.mark.parametrize("body,message", [
    ([], "JSON object"),
    ({"inputs": {}, "instances": []}, "exactly one"),
    ({"instances": []}, "non-empty"),
    ({"inputs": {"text": ["a"]}}, "missing \\['bias'\\]"),
    ({"inputs": {"text": ["a"], "bias": [1], "x": [1]}}, "unknown \\['x'\\]"),
    ({"inputs": {"text": ["a"], "bias": ["z"]}}, "input 'bias'"),
    ({"inputs": {"text": [1], "bias": [1]}}, "expected strings"),
    ({"instances": [{"text": "a", "bias": 1}, {"text": "b"}]}, "same inputs"),
])
def test_bad_requests_name_the_problem(body, message):
    with pytest.raises(RequestFormatError, match=message):
        decode_request(body, DTYPES)


def test_single_input_signatures_take_bare_values():
    decoded, rows = decode_request({"instances": [[1.0, 2.0], [3.0, 4.0]]}, {"x": np.float32})
    assert rows and decoded["x"].shape == (2, 2)


def test_response_layouts_follow_tf_serving():
    outputs = {"text": np.array([b"ab", b"\xff"], dtype=object), "scores": np.array([-1.0, -2.0])}
    rows = encode_response(outputs, row_format=True)
    assert rows == {"predictions": [{"text": "ab", "scores": -1.0},
                                    {"text": {"b64": "/w=="}, "scores": -2.0}]}
    columns = encode_response(outputs, row_format=False)
    assert columns["outputs"]["text"] == ["ab", {"b64": "/w=="}]
    assert decode_response(rows)["scores"] == [-1.0, -2.0]
    assert decode_response(columns)["scores"] == [-1.0, -2.0]
    assert encode_response({"y": np.array([1, 2])}, True) == {"predictions": [1, 2]}
    with pytest.raises(RequestFormatError, match="neither"):
        decode_response({"error": "x"})
