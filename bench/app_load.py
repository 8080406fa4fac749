"""Load check of the web app: concurrent browser-less clients on loopback for a bounded time.

    python bench/app_load.py [--clients 16] [--duration 60] [--generate-every 4] [--url URL] [--json]

Without ``--url`` it starts ``hwsr app`` (the shipped models) on 127.0.0.1 in a subprocess
and stops it at the end; ``--url`` must point at this machine (127.0.0.0/8, localhost,
::1). Each client loops until the time is up: it reads a two-line page of pen strokes
(``POST /api/recognize``) and, every ``--generate-every``-th request, writes a sentence and
reads the whole NDJSON stream (``POST /api/generate``). The page's ink comes from one
generation made before the clock starts. Requests in flight at the deadline finish; no new
ones start. Prints errors, p50/p95 latency per kind and throughput; never passes or fails on
time.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

TEXT = "Sixteen writers at once, on two cores."
PAGE_TEXT = "a page of two lines, read back again and again"
REQUEST_TIMEOUT = 180.0


def loopback_only(url: str) -> tuple[str, int]:
    """``(host, port)`` of ``url``; refuses any address that is not this machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback or parts.port is None:
        raise SystemExit(f"--url must be http://127.0.0.1:PORT (loopback only), got {url!r}")
    return host, parts.port


def post(host: str, port: int, path: str, body: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def generation_events(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def make_page(host: str, port: int) -> dict:
    """Canvas ink of two written lines (the stroke events of one generation)."""
    status, data = post(host, port, "/api/generate", {"text": PAGE_TEXT, "seed": 1, "width": 26})
    if status != 200:
        raise SystemExit(f"the app cannot write the page: {status} {data[:200]!r}")
    return {"strokes": [e["points"] for e in generation_events(data) if e["type"] == "stroke"]}


class Client(threading.Thread):
    def __init__(self, index: int, host: str, port: int, page: dict, every: int, deadline: float):
        super().__init__(daemon=True)
        self.index, self.host, self.port, self.page, self.every, self.deadline = \
            index, host, port, page, every, deadline
        self.latencies: dict[str, list[float]] = {"recognize": [], "generate": []}
        self.errors: list[str] = []

    def one(self, count: int) -> None:
        if self.every and count % self.every == self.every - 1:
            kind, path, body = "generate", "/api/generate", {"text": TEXT, "seed": self.index * 1000 + count}
        else:
            kind, path, body = "recognize", "/api/recognize", self.page
        start = time.perf_counter()
        try:
            status, data = post(self.host, self.port, path, body)
        except OSError as e:
            self.errors.append(f"{kind}: {type(e).__name__}: {e}")
            return
        elapsed = time.perf_counter() - start
        if status != 200:
            self.errors.append(f"{kind}: HTTP {status}: {data[:160].decode('utf-8', 'replace')}")
        elif kind == "generate" and generation_events(data)[-1].get("type") != "done":
            self.errors.append(f"generate: the stream ended with {generation_events(data)[-1]}")
        elif kind == "recognize" and len(json.loads(data)["lines"]) != 2:
            self.errors.append(f"recognize: {len(json.loads(data)['lines'])} lines read, expected 2")
        else:
            self.latencies[kind].append(elapsed)

    def run(self) -> None:
        count = self.index % max(self.every, 1)  # Stagger the generations across clients.
        while time.monotonic() < self.deadline:
            self.one(count)
            count += 1


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def start_app() -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen([sys.executable, "-m", "hwsr.cli.main", "app", "--host", "127.0.0.1"],
                               stdout=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    if "http://" not in line:
        process.terminate()
        raise SystemExit(f"hwsr app did not start: {line!r}")
    return process, line.split("http://", 1)[1].split("/", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--generate-every", type=int, default=4,
                        help="every N-th request of a client is a generation (0: none)")
    parser.add_argument("--url", help="a running app on this machine (default: start one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 0 < args.duration <= 600:
        raise SystemExit("--clients must be 1..64 and --duration 0..600 s")

    process = None
    if args.url:
        host, port = loopback_only(args.url)
    else:
        process, address = start_app()
        host, port = loopback_only(f"http://{address}")
    try:
        page = make_page(host, port)
        post(host, port, "/api/recognize", page)  # Warm-up: traces the recogniser's graph.
        start = time.monotonic()
        clients = [Client(i, host, port, page, args.generate_every, start + args.duration)
                   for i in range(args.clients)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        wall = time.monotonic() - start
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)

    errors = [e for c in clients for e in c.errors]
    report = {"clients": args.clients, "seconds": round(wall, 1), "errors": len(errors),
              "first_errors": errors[:5], "kinds": {}}
    total = 0
    for kind in ("recognize", "generate"):
        values = [v for c in clients for v in c.latencies[kind]]
        total += len(values)
        report["kinds"][kind] = {
            "ok": len(values),
            "p50_s": round(percentile(values, 50), 3) if values else None,
            "p95_s": round(percentile(values, 95), 3) if values else None,
            "per_s": round(len(values) / wall, 2),
        }
    report["requests_per_s"] = round(total / wall, 2)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.clients} clients for {wall:.1f} s on {host}:{port}: {total} requests ok, "
          f"{len(errors)} errors, {report['requests_per_s']} requests/s")
    for kind, figures in report["kinds"].items():
        print(f"  {kind:9s} {figures['ok']:5d} ok  p50 {figures['p50_s']} s  p95 {figures['p95_s']} s  "
              f"{figures['per_s']}/s")
    for error in errors[:5]:
        print(f"  error: {error}")


if __name__ == "__main__":
    main()
