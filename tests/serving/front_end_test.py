"""The bounds of the REST and gRPC front ends of `hwsr serve`, on a stand-in registry (no models):
listen backlog, read/idle timeouts, 503 / RESOURCE_EXHAUSTED when full, quiet disconnects."""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hwsr.serving.connection_limits import ConnectionLimits
from hwsr.serving.http_server import make_http_server
from hwsr.serving.registry import ServerLimits

BODY = json.dumps({"inputs": {"x": [1.0, 2.0]}}).encode()
PATH = "/v1/models/m:predict"


class GatedRegistry:
    """Answers ``y = 2 x`` for model ``m`` once ``gate`` is set; counts the calls waiting."""

    limits = ServerLimits(max_body_bytes=1 << 20)

    def __init__(self):
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = 0

    def get(self, name, version=None):
        return type("Model", (), {"version": 1})()

    def input_dtypes(self, name, version, signature):
        return {"x": np.float32}

    def predict(self, name, version, signature, inputs):
        self.waiting += 1
        try:
            self.gate.wait(30)
        finally:
            self.waiting -= 1
        return {"y": np.asarray(inputs["x"], np.float32) * 2}


@pytest.fixture
def serve():
    """``serve(limits) -> (registry, server, port)``: a REST server on 127.0.0.1, stopped after."""
    started = []

    def start(limits: ConnectionLimits | None = None, run: bool = True):
        registry = GatedRegistry()
        server = make_http_server(registry, "127.0.0.1", 0, limits=limits)
        if run:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append((server, run))
        return registry, server, server.server_address[1]

    yield start
    for server, run in started:
        if run:
            server.shutdown()
        server.server_close()


def post(port, body=BODY, timeout=30):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def status_of(port) -> int | None:
    """The HTTP status of a request, or None when the server cut the connection."""
    try:
        return post(port)[0]
    except OSError:
        return None


def read_to_close(s) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := s.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_the_listen_backlog_queues_many_connections_before_any_is_accepted(serve):
    _, server, port = serve(run=False)  # Listening, never accepting.
    assert server.request_queue_size == ConnectionLimits.backlog == 1024
    sockets = []
    try:
        for _ in range(64):  # With the old backlog of 5, connects beyond ~6 time out.
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    finally:
        for s in sockets:
            s.close()
    assert len(sockets) == 64


def test_a_half_sent_body_gets_408_and_a_half_sent_header_is_closed(serve):
    _, _, port = serve(ConnectionLimits(timeout=0.5))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"in".encode())
        start = time.monotonic()
        answer = read_to_close(s)  # The answer, then the server closes.
        assert answer.startswith(b"HTTP/1.1 408 ") and b"within 0.5 s" in answer
        assert time.monotonic() - start < 5
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Le".encode())
        assert s.recv(4096) == b""  # Closed without an answer after the timeout.
    assert post(port)[0] == 200  # Still serving.


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(serve):
    _, _, port = serve(ConnectionLimits(timeout=0.5))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", PATH, BODY)
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("Connection") != "close"
        response.read()  # Kept alive, then idle.
        start = time.monotonic()
        assert connection.sock.recv(4096) == b""
        assert 0.3 < time.monotonic() - start < 5
    finally:
        connection.close()


def test_requests_beyond_max_pending_get_503_at_once(serve):
    registry, _, port = serve(ConnectionLimits(max_pending=2))
    registry.gate.clear()
    with ThreadPoolExecutor(2) as pool:
        admitted = [pool.submit(post, port) for _ in range(2)]
        wait_until(lambda: registry.waiting == 2)
        start = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", PATH, BODY)
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == 503 and response.getheader("Retry-After") == "1"
        assert "server busy: 2 requests already admitted" in answer["error"]
        assert time.monotonic() - start < 2
        registry.gate.set()
        assert [f.result()[0] for f in admitted] == [200, 200]
    assert post(port) == (200, {"outputs": [2.0, 4.0]})  # One output: TF Serving gives it bare.


def test_admitted_requests_wait_in_line_for_the_workers(serve):
    registry, _, port = serve(ConnectionLimits(workers=1))
    registry.gate.clear()
    with ThreadPoolExecutor(3) as pool:
        admitted = [pool.submit(post, port) for _ in range(3)]
        wait_until(lambda: registry.waiting == 1)
        time.sleep(0.3)
        assert registry.waiting == 1  # The other two are in line, not inside the registry.
        registry.gate.set()
        assert [f.result()[0] for f in admitted] == [200, 200, 200]


def test_connections_beyond_max_connections_get_503_and_are_closed(serve):
    _, _, port = serve(ConnectionLimits(max_connections=2))
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
    try:
        time.sleep(0.2)  # Both accepted, each holding a connection thread.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            answer = read_to_close(s)
            assert answer.startswith(b"HTTP/1.1 503 ") and b"2 connections open" in answer
    finally:
        for s in idle:
            s.close()
    wait_until(lambda: status_of(port) == 200)  # Once the idle ones are seen closed.


def test_clients_that_vanish_leave_no_traceback(serve, capfd):
    registry, _, port = serve(ConnectionLimits(timeout=0.5))
    registry.gate.clear()
    for _ in range(5):  # Gone before the answer: the server's write hits a reset connection.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(BODY)}\r\n\r\n".encode() + BODY)
        wait_until(lambda: registry.waiting == 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # Close = RST.
        s.close()
        registry.gate.set()
        wait_until(lambda: registry.waiting == 0)
        registry.gate.clear()
    for _ in range(5):  # Gone halfway through the body.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode())
    registry.gate.set()
    time.sleep(1.0)
    assert post(port)[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err


def test_grpc_answers_resource_exhausted_beyond_max_pending():
    pytest.importorskip("tensorflow_serving", reason="tensorflow-serving-api is not installed")
    from hwsr.serving.client_base import ServingError
    from hwsr.serving.grpc_client import GrpcClient
    from hwsr.serving.grpc_server import make_grpc_server

    registry = GatedRegistry()
    registry.gate.clear()
    server, port = make_grpc_server(registry, "127.0.0.1", 0, ConnectionLimits(max_pending=2))
    try:
        with GrpcClient(f"127.0.0.1:{port}", timeout=30) as client, ThreadPoolExecutor(2) as pool:
            call = lambda: client.predict("m", {"x": np.float32([1, 2])})  # noqa: E731
            admitted = [pool.submit(call) for _ in range(2)]
            wait_until(lambda: registry.waiting == 2)
            with pytest.raises(ServingError, match="RESOURCE_EXHAUSTED"):
                call()
            registry.gate.set()
            assert [f.result()["y"].tolist() for f in admitted] == [[2.0, 4.0]] * 2
    finally:
        server.stop(grace=None)
