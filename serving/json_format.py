"""TF Serving's REST JSON format, for both ends (clients and the local server).

Requests carry either ``instances`` (row format: a list with one entry per line, each a
dict of named inputs, or a bare value when the signature has one input) or ``inputs``
(columnar format: a dict of named, batched inputs). Answers carry ``predictions`` (row
format) or ``outputs`` (columnar), like TF Serving. Strings are JSON strings; bytes that are
not UTF-8 travel as ``{"b64": "..."}``.

Reference: https://www.tensorflow.org/tfx/serving/api_rest
"""

from __future__ import annotations

import base64
import json

import numpy as np

from hwsr.serving.inputs import InputError, cast_input

FORMATS = ("inputs", "instances")
#: Deepest JSON nesting a request may have (a batch of strokes needs 4 levels).
MAX_DEPTH = 32


class RequestFormatError(ValueError):
    """A request or answer that does not follow the REST JSON format."""


def _depth(value) -> int:
    """Nesting depth of parsed JSON (iterative: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def parse_body(data: bytes):
    """Server side: a request body to parsed JSON, or `RequestFormatError` (HTTP 400) for
    bytes that are not UTF-8 JSON or JSON nested deeper than `MAX_DEPTH`."""
    try:
        body = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RequestFormatError(f"the request body is not valid JSON ({e})") from None
    except RecursionError:
        raise RequestFormatError(f"the request body nests JSON deeper than {MAX_DEPTH} levels") from None
    if _depth(body) > MAX_DEPTH:
        raise RequestFormatError(f"the request body nests JSON deeper than {MAX_DEPTH} levels")
    return body


def to_json_value(array: np.ndarray):
    """A numpy array as nested JSON lists (bytes as UTF-8 strings or ``{"b64": ...}``)."""
    array = np.asarray(array)
    if array.dtype.kind in "OSU":
        def one(x):
            if isinstance(x, str):
                return x
            try:
                return bytes(x).decode("utf-8")
            except UnicodeDecodeError:
                return {"b64": base64.b64encode(bytes(x)).decode("ascii")}

        return np.vectorize(one, otypes=[object])(array).tolist() if array.size else array.tolist()
    return array.tolist()


def _to_bytes(x, name: str):
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, dict) and set(x) == {"b64"}:
        try:
            return base64.b64decode(x["b64"], validate=True)
        except (ValueError, TypeError) as e:
            raise RequestFormatError(f"input {name!r}: bad base64 ({e})") from None
    raise RequestFormatError(f"input {name!r}: expected strings, got {type(x).__name__}")


def from_json_value(value, dtype, name: str) -> np.ndarray:
    """Nested JSON lists to a numpy array of ``dtype`` (a numpy dtype, or ``object`` for
    strings), with an error naming the input."""
    if dtype is object:
        def convert(v):
            if isinstance(v, list):
                return [convert(x) for x in v]
            return _to_bytes(v, name)

        try:
            return np.array(convert(value), dtype=object)
        except ValueError as e:
            raise RequestFormatError(f"input {name!r}: lists of different lengths ({e})") from None
    try:
        return cast_input(value, dtype, name)
    except InputError as e:
        raise RequestFormatError(str(e)) from None


def encode_request(inputs: dict, signature_name: str | None = None, format: str = "inputs") -> dict:
    """Client side: named numpy inputs to a request body."""
    if format not in FORMATS:
        raise ValueError(f"format={format!r}: expected one of {FORMATS}")
    body = {} if signature_name is None else {"signature_name": signature_name}
    if format == "inputs":
        body["inputs"] = {k: to_json_value(v) for k, v in inputs.items()}
        return body
    arrays = {k: np.asarray(v) for k, v in inputs.items()}
    sizes = {k: (a.shape[0] if a.ndim else None) for k, a in arrays.items()}
    if len(set(sizes.values())) != 1 or None in sizes.values():
        raise ValueError(f"the instances format needs every input batched alike; got sizes {sizes}")
    batch = next(iter(sizes.values()))
    body["instances"] = [{k: to_json_value(a[i]) for k, a in arrays.items()} for i in range(batch)]
    return body


def decode_request(body, input_dtypes: dict) -> tuple[dict, bool]:
    """Server side: a request body to ``(named numpy inputs, row_format)``.

    Args:
        body: the parsed JSON.
        input_dtypes: ``{name: numpy dtype or object}`` of the signature's inputs.
    """
    if not isinstance(body, dict):
        raise RequestFormatError("the request body must be a JSON object")
    has_rows, has_cols = "instances" in body, "inputs" in body
    if has_rows == has_cols:
        raise RequestFormatError("the request needs exactly one of 'instances' or 'inputs'")
    names = list(input_dtypes)
    if has_rows:
        rows = body["instances"]
        if not isinstance(rows, list) or not rows:
            raise RequestFormatError("'instances' must be a non-empty list")
        if all(isinstance(r, dict) and not set(r) <= {"b64"} for r in rows):
            keys = {frozenset(r) for r in rows}
            if len(keys) != 1:
                raise RequestFormatError("every instance must name the same inputs")
            columns = {k: [r[k] for r in rows] for k in next(iter(keys))}
        elif len(names) == 1:
            columns = {names[0]: rows}
        else:
            raise RequestFormatError(f"each instance must be an object with the inputs {names}")
    else:
        cols = body["inputs"]
        if isinstance(cols, dict) and not set(cols) <= {"b64"}:
            columns = cols
        elif len(names) == 1:
            columns = {names[0]: cols}
        else:
            raise RequestFormatError(f"'inputs' must be an object with the inputs {names}")
    missing = sorted(set(names) - set(columns))
    extra = sorted(set(columns) - set(names))
    if missing or extra:
        raise RequestFormatError(
            f"inputs do not match the signature (expected {names}"
            + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "") + ")"
        )
    return {k: from_json_value(columns[k], input_dtypes[k], k) for k in names}, has_rows


def encode_response(outputs: dict, row_format: bool) -> dict:
    """Server side: named numpy outputs to an answer body (TF Serving's layout)."""
    values = {k: to_json_value(v) for k, v in outputs.items()}
    if not row_format:
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    if len(values) == 1:
        return {"predictions": next(iter(values.values()))}
    batch = len(next(iter(values.values())))
    return {"predictions": [{k: v[i] for k, v in values.items()} for i in range(batch)]}


def decode_response(body) -> dict:
    """Client side: an answer body to named values (nested lists; strings as ``str``).

    A single unnamed output comes back under the key ``"output"``.
    """
    if not isinstance(body, dict):
        raise RequestFormatError("the answer is not a JSON object")
    if "outputs" in body:
        out = body["outputs"]
        return out if isinstance(out, dict) else {"output": out}
    if "predictions" in body:
        rows = body["predictions"]
        if rows and all(isinstance(r, dict) and "b64" not in r for r in rows):
            return {k: [r[k] for r in rows] for k in rows[0]}
        return {"output": rows}
    raise RequestFormatError(f"the answer has neither 'outputs' nor 'predictions': {str(body)[:200]}")
