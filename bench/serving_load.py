"""Load on `hwsr serve`: many concurrent clients on REST and gRPC, and idle connections.

    python bench/serving_load.py [--clients 64] [--requests 50] [--idle 500]
                                 [--shipped | --export-dir DIR] [--time-limit 900] [--json]

Loopback only: the server (``hwsr serve``, a subprocess) binds 127.0.0.1 on free ports.
By default it serves an export of tiny random-weight models built here (quick: the figures
then measure the server, not the networks); ``--shipped`` exports the shipped models
instead, ``--export-dir`` serves an existing export. Phases:

1. REST and gRPC, synthesis and recognition: ``--clients`` threads each send ``--requests``
   requests (one line each); every failure is counted by its error.
2. ``--idle`` connections are opened to the REST port and left silent (half of them in the
   middle of a request header) while ``--clients`` threads send 5 recognition requests each.

Reports errors, p50/p95 latency and throughput per phase, and the tracebacks the server
wrote on stderr. Bounded in count and in time: the whole run stops after ``--time-limit``
seconds (unsent requests are reported as skipped), then the server is stopped.
Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

HOST = "127.0.0.1"


def build_export(base: Path, shipped: bool) -> Path:
    """An export of the shipped models, or of tiny random-weight ones, under ``base``."""
    from hwsr.export.saved_model import export_saved_model
    from hwsr.model_dir import PRETRAINED_DIR, load_model_dir
    from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir

    if shipped:
        dirs = [PRETRAINED_DIR / "synthesis", PRETRAINED_DIR / "recognition"]
    else:
        dirs = [write(base / write.__name__)
                for write in (write_tiny_synthesis_dir, write_tiny_recognition_dir)]
    for path in dirs:
        export_saved_model(load_model_dir(path), base / "export", 1, with_warmup=False)
    return base / "export"


def start_server(export_dir: Path, log: Path):
    """``(process, rest_url, grpc_target)`` of ``hwsr serve`` on free loopback ports."""
    command = [sys.executable, "-m", "hwsr.cli.main", "serve", "--export-dir", str(export_dir),
               "--host", HOST, "--port", "0", "--grpc-port", "0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    rest = grpc = None
    deadline = time.monotonic() + 300
    while rest is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"hwsr serve stopped: {log.read_text()[-2000:]}")
        if m := re.match(r"gRPC PredictionService on (\S+)", line):
            grpc = m.group(1)
        if m := re.match(r"REST API on (http://[^/]+)", line):
            rest = m.group(1)
    if rest is None:
        proc.kill()
        raise RuntimeError("hwsr serve did not start within 300 s")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # Drain the rest.
    return proc, rest, grpc


class Phase:
    """Latencies and errors of one phase, filled by many client threads."""

    def __init__(self, name: str):
        self.name, self.latencies, self.errors, self.skipped = name, [], collections.Counter(), 0
        self.lock = threading.Lock()
        self.wall = 0.0

    def record(self, seconds: float | None, error: str | None = None):
        with self.lock:
            if error is None:
                self.latencies.append(seconds)
            else:
                self.errors[error[:120]] += 1

    def summary(self) -> dict:
        ms = np.asarray(self.latencies) * 1000
        done = len(self.latencies) + sum(self.errors.values())
        return {"phase": self.name, "requests": done, "ok": len(self.latencies),
                "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
                "skipped": self.skipped,
                "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
                "p95_ms": round(float(np.percentile(ms, 95)), 1) if len(ms) else None,
                "requests_per_s": round(done / self.wall, 1) if self.wall else None,
                "wall_s": round(self.wall, 1)}


def run_phase(phase: Phase, make_client, call, clients: int, requests: int, deadline: float):
    """``clients`` threads, each with its own client, each making ``requests`` calls."""

    def worker(i):
        client = make_client()
        try:
            for j in range(requests):
                if time.monotonic() > deadline:
                    with phase.lock:
                        phase.skipped += requests - j
                    return
                start = time.perf_counter()
                try:
                    call(client, i, j)
                except Exception as e:  # Counted, never raised: the bench reports them.
                    phase.record(None, f"{type(e).__name__}: {e}")
                else:
                    phase.record(time.perf_counter() - start)
        finally:
            getattr(client, "close", lambda: None)()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    phase.wall = time.perf_counter() - start
    return phase


def open_idle(count: int, port: int) -> list[socket.socket]:
    """``count`` silent connections; every second one stops in the middle of a header."""
    sockets = []
    for i in range(count):
        s = socket.create_connection((HOST, port), timeout=10)
        if i % 2:
            s.sendall(b"POST /v1/models/hwsr_recognition:predict HTTP/1.1\r\nHost: x\r\nContent-Le")
        sockets.append(s)
    return sockets


def still_open(sockets) -> int:
    """How many of ``sockets`` the server has not closed."""
    count = 0
    for s in sockets:
        s.setblocking(False)
        try:
            count += s.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            count += 1
        except OSError:
            pass
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=50, help="requests per client and phase")
    parser.add_argument("--idle", type=int, default=500, help="idle REST connections in phase 2")
    parser.add_argument("--max-steps", type=int, default=40, help="points per synthesised line [40]")
    parser.add_argument("--points", type=int, default=600, help="points per recognised line [600]")
    parser.add_argument("--shipped", action="store_true", help="serve the shipped models")
    parser.add_argument("--export-dir", type=Path, help="serve this export instead")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds for the whole run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from hwsr.serving.grpc_client import GrpcClient
    from hwsr.serving.rest_client import RestClient
    from hwsr.testing import random_strokes

    strokes, lengths = random_strokes(8, args.points, seed=0)
    lines = [strokes[i, :n] for i, n in enumerate(lengths)]

    def synthesize(client, i, j):
        [out] = client.synthesize([f"load {i} {j}"], bias=0.5, seed=i * 1000 + j, max_steps=args.max_steps)
        assert out.ndim == 2 and out.shape[1] == 3 and len(out) >= 1, out.shape  # At the data's density.

    def recognize(client, i, j):
        [(text, score)] = client.recognize([lines[(i + j) % len(lines)]])
        assert isinstance(text, str) and np.isfinite(score), (text, score)

    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(prefix="hwsr-load-") as tmp:
        tmp = Path(tmp)
        export_dir = args.export_dir or build_export(tmp, args.shipped)
        log = tmp / "server.stderr"
        proc, rest, grpc_target = start_server(export_dir, log)
        try:
            rest_client = lambda: RestClient(rest, timeout=120)  # noqa: E731
            grpc_client = lambda: GrpcClient(grpc_target, timeout=120)  # noqa: E731
            phases = []
            for protocol, make in (("REST", rest_client), ("gRPC", grpc_client)):
                for task, call in (("synthesis", synthesize), ("recognition", recognize)):
                    phase = run_phase(Phase(f"{protocol} {task}"), make, call, args.clients,
                                      args.requests, deadline)
                    phases.append(phase.summary())
                    if not args.json:
                        print(json.dumps(phases[-1]), flush=True)
            idle = open_idle(args.idle, int(rest.rsplit(":", 1)[1]))
            try:
                phase = run_phase(Phase(f"REST recognition beside {args.idle} idle connections"),
                                  rest_client, recognize, args.clients, 5, deadline)
                summary = {**phase.summary(), "idle_still_open_after": still_open(idle)}
            finally:
                for s in idle:
                    s.close()
            phases.append(summary)
            if not args.json:
                print(json.dumps(summary), flush=True)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        stderr = log.read_text(errors="replace")
    report = {"models": "shipped" if args.shipped else str(args.export_dir or "tiny random-weight"),
              "clients": args.clients, "requests_per_client": args.requests, "phases": phases,
              "server_tracebacks": stderr.count("Traceback"),
              "server_broken_pipe_lines": stderr.count("BrokenPipeError")}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"server stderr: {report['server_tracebacks']} tracebacks, "
              f"{report['server_broken_pipe_lines']} BrokenPipeError lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
