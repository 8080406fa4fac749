"""The REST half of `hwsr serve`: TF Serving's paths on a stdlib ``ThreadingHTTPServer``.

    POST /v1/models/<name>[/versions/<N>]:predict      {"instances": ...} or {"inputs": ...}
    GET  /v1/models/<name>[/versions/<N>]              model_version_status
    GET  /v1/models/<name>[/versions/<N>]/metadata     signatures

Errors answer ``{"error": "..."}`` with a 4xx/5xx code, like TF Serving.
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hwsr.serving.json_format import RequestFormatError, decode_request, encode_response
from hwsr.serving.registry import ModelRegistry, RequestError

PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
                  r"(?:(?P<verb>:[a-z]+)|(?P<metadata>/metadata))?/?$")
DRAIN_FACTOR = 4  # Oversized bodies up to this many times the limit are read before the 413.


class _Handler(BaseHTTPRequestHandler):
    server_version = "hwsr-serve"
    protocol_version = "HTTP/1.1"
    registry: ModelRegistry  # set on the subclass made by make_http_server
    quiet = True

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self):
        match = PATH.match(self.path.split("?", 1)[0])
        if not match:
            raise RequestError(404, f"unknown path {self.path!r}; expected /v1/models/<name>[:predict]")
        version = match["version"]
        return match, None if version is None else int(version)

    def do_GET(self):
        try:
            match, version = self._route()
            if match["verb"]:
                raise RequestError(405, f"{match['verb']} needs POST")
            if match["metadata"]:
                self._send(200, self.registry.metadata(match["name"], version))
            else:
                self._send(200, self.registry.status(match["name"], version))
        except RequestError as e:
            self._send(e.status, {"error": e.message})

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "a Content-Length header is required")
        try:
            length = int(length)
        except ValueError:
            raise RequestError(400, f"bad Content-Length {length!r}") from None
        limit = self.registry.limits.max_body_bytes
        if length > limit:
            self.close_connection = True
            if length <= DRAIN_FACTOR * limit:
                # Read and drop a moderately oversized body so that the client, still sending,
                # gets the 413 answer instead of a broken pipe. Larger ones are cut off.
                for start in range(0, length, 1 << 16):
                    self.rfile.read(min(1 << 16, length - start))
            raise RequestError(413, f"request body of {length} bytes is over the limit of {limit}")
        try:
            return json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RequestError(400, f"the request body is not valid JSON ({e})") from None

    def do_POST(self):
        try:
            match, version = self._route()
            if match["verb"] != ":predict":
                raise RequestError(400 if match["verb"] else 405,
                                   f"only :predict is served here, not {match['verb'] or 'a bare POST'}")
            body = self._read_body()
            signature = (body.get("signature_name") if isinstance(body, dict) else None) or "serving_default"
            dtypes = self.registry.input_dtypes(match["name"], version, signature)
            inputs, rows = decode_request(body, dtypes)
            outputs = self.registry.predict(match["name"], version, signature, inputs)
            self._send(200, encode_response(outputs, rows))
        except RequestError as e:
            self._send(e.status, {"error": e.message})
        except RequestFormatError as e:
            self._send(400, {"error": str(e)})
        except Exception as e:  # Never let a worker thread die without an answer.
            self._send(500, {"error": f"internal error: {type(e).__name__}: {e}"})


def make_http_server(registry: ModelRegistry, host: str = "127.0.0.1", port: int = 8501,
                     verbose: bool = False) -> ThreadingHTTPServer:
    """A ready ``ThreadingHTTPServer`` (call ``serve_forever``); ``port=0`` picks a free port."""
    handler = type("Handler", (_Handler,), {"registry": registry, "quiet": not verbose})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
