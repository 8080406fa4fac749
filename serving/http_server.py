"""The REST half of `hwsr serve`: TF Serving's paths on a stdlib ``ThreadingHTTPServer``.

    POST /v1/models/<name>[/versions/<N>]:predict      {"instances": ...} or {"inputs": ...}
    GET  /v1/models/<name>[/versions/<N>]              model_version_status
    GET  /v1/models/<name>[/versions/<N>]/metadata     signatures

Errors answer ``{"error": "..."}`` with a 4xx/5xx code, like TF Serving.

The server is the standard library's threading HTTP server with its loose ends tied
(`hwsr.serving.connection_limits.ConnectionLimits`): a listen backlog of 1024 instead of 5,
a read/idle timeout on every connection, a cap on open connections and on admitted requests
(503 beyond either, at once), and client disconnects dropped silently instead of a traceback
per connection. A WSGI server (waitress) was weighed: it would add a dependency and still
queue requests without bound, while these few overrides give every bound with none.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hwsr.serving.connection_limits import ConnectionLimits
from hwsr.serving.json_format import RequestFormatError, decode_request, encode_response, parse_body
from hwsr.serving.registry import ModelRegistry, RequestError

PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
                  r"(?:(?P<verb>:[a-z]+)|(?P<metadata>/metadata))?/?$")
DRAIN_FACTOR = 4  # Oversized bodies up to this many times the limit are read before the 413.
#: What a client that vanished mid-request looks like; never worth a traceback.
DISCONNECTS = (ConnectionError, TimeoutError)


def busy_answer(message: str) -> bytes:
    """A complete 503 ``Connection: close`` answer with a JSON error body, for a connection
    turned away before any handler runs."""
    body = json.dumps({"error": message}).encode("utf-8")
    return (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            ).encode("ascii") + body


class BoundedHTTPServer(ThreadingHTTPServer):
    """A thread per connection, at most ``limits.max_connections`` of them; quiet on
    disconnects. ``pending`` bounds the requests admitted to the models, which ``workers``
    (``limits.workers`` threads) run first come first served."""

    daemon_threads = True

    def __init__(self, address, handler, limits: ConnectionLimits):
        self.limits = limits
        self.request_queue_size = limits.backlog  # Read by server_activate (listen).
        self._connections = threading.BoundedSemaphore(limits.max_connections)
        self.pending = threading.BoundedSemaphore(limits.max_pending)
        self.workers = ThreadPoolExecutor(limits.workers, thread_name_prefix="hwsr-rest")
        super().__init__(address, handler)

    def server_close(self):
        super().server_close()
        self.workers.shutdown(wait=False, cancel_futures=True)

    def process_request(self, request, client_address):
        if not self._connections.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(busy_answer(f"server busy: {self.limits.max_connections} connections "
                                            "open (--max-connections); retry later"))
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # No thread started: give the slot back.
            self._connections.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if not isinstance(error, DISCONNECTS):
            print(f"hwsr serve: {client_address[0]}: {type(error).__name__}: {error}", file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server_version = "hwsr-serve"
    protocol_version = "HTTP/1.1"
    registry: ModelRegistry  # set on the subclass made by make_http_server
    quiet = True
    timeout = ConnectionLimits.timeout  # Socket timeout of each connection (StreamRequestHandler).

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 503:
            self.send_header("Retry-After", "1")
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
            data = self.rfile.read(length)
        except TimeoutError:
            self.close_connection = True
            raise RequestError(408, f"the request body did not arrive within {self.timeout:g} s") from None
        if len(data) < length:  # The client closed its side early.
            raise ConnectionResetError(f"body cut short at {len(data)} of {length} bytes")
        return parse_body(data)  # RequestFormatError (400) for bad or too deeply nested JSON.

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
            outputs = self._predict(match["name"], version, signature, inputs)
            self._send(200, encode_response(outputs, rows))
        except DISCONNECTS:
            raise  # Nobody to answer; BoundedHTTPServer.handle_error keeps quiet.
        except RequestError as e:
            self._send(e.status, {"error": e.message})
        except RequestFormatError as e:
            self._send(400, {"error": str(e)})
        except Exception as e:  # Never let a worker thread die without an answer.
            self._send(500, {"error": f"internal error: {type(e).__name__}: {e}"})

    def _predict(self, name, version, signature, inputs):
        pending = self.server.pending
        if not pending.acquire(blocking=False):
            limit = self.server.limits.max_pending
            raise RequestError(503, f"server busy: {limit} requests already admitted (--max-queued); "
                                    "retry later")
        try:  # In line behind the admitted requests, not in a race for the registry's slots.
            return self.server.workers.submit(self.registry.predict, name, version, signature,
                                              inputs).result()
        finally:
            pending.release()


def make_http_server(registry: ModelRegistry, host: str = "127.0.0.1", port: int = 8501,
                     verbose: bool = False, limits: ConnectionLimits | None = None) -> BoundedHTTPServer:
    """A ready `BoundedHTTPServer` (call ``serve_forever``); ``port=0`` picks a free port."""
    limits = limits or ConnectionLimits()
    handler = type("Handler", (_Handler,), {"registry": registry, "quiet": not verbose,
                                            "timeout": limits.timeout})
    return BoundedHTTPServer((host, port), handler, limits)
