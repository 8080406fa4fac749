"""``hwsr serve``: a local server for exported models with TF Serving's REST (and gRPC) API."""

from __future__ import annotations

import argparse
from pathlib import Path

from hwsr.console import CLIError
from hwsr.serving.connection_limits import ConnectionLimits


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve exported models locally on TF Serving's REST/gRPC API",
        description="Loads the latest version of each model under EXPORT_BASE (written by "
        "'hwsr export') and answers POST /v1/models/<name>[/versions/<N>]:predict and "
        "GET /v1/models/<name>, like TensorFlow Serving, for developing clients without it.",
    )
    p.add_argument("--export-dir", type=Path, required=True, metavar="EXPORT_BASE",
                   help="the directory written by 'hwsr export --out'")
    p.add_argument("--models", nargs="+", help="serve only these model names")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="REST port (default 8501, 0 = any free)")
    p.add_argument("--grpc-port", type=int, default=None,
                   help="also serve gRPC PredictionService on this port (TF Serving uses 8500)")
    p.add_argument("--max-body-mb", type=float, default=16.0, help="largest request body (default 16)")
    p.add_argument("--max-concurrent", type=int, default=2,
                   help="model calls running at once; others queue (default 2)")
    p.add_argument("--max-queued", type=int, default=ConnectionLimits.max_pending, metavar="N",
                   help="requests admitted at once (running or waiting for a model call) on each of "
                   "REST and gRPC; more get 503 / RESOURCE_EXHAUSTED at once "
                   f"(default {ConnectionLimits.max_pending})")
    p.add_argument("--max-connections", type=int, default=ConnectionLimits.max_connections, metavar="N",
                   help=f"REST connections open at once (default {ConnectionLimits.max_connections})")
    p.add_argument("--backlog", type=int, default=ConnectionLimits.backlog, metavar="N",
                   help=f"REST listen backlog (default {ConnectionLimits.backlog})")
    p.add_argument("--timeout", type=float, default=ConnectionLimits.timeout, metavar="S",
                   help="seconds a REST connection may stay silent, idle or mid-request, before it "
                   f"is closed (default {ConnectionLimits.timeout:g})")
    p.add_argument("--workers", type=int, default=ConnectionLimits.workers, metavar="N",
                   help="threads running admitted requests, first come first served, on each of REST "
                   f"and gRPC (default {ConnectionLimits.workers})")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsr.serving.http_server import make_http_server
    from hwsr.serving.registry import ModelRegistry, ServerLimits

    if args.max_body_mb <= 0 or args.max_concurrent < 1:
        raise CLIError("--max-body-mb and --max-concurrent must be positive")
    try:
        connections = ConnectionLimits(args.backlog, args.timeout, args.max_connections,
                                       args.max_queued, args.workers)
    except ValueError:
        raise CLIError("--max-queued, --max-connections, --backlog, --timeout and --workers "
                       "must be positive") from None
    limits = ServerLimits(max_body_bytes=int(args.max_body_mb * 1024 * 1024),
                          max_concurrent=args.max_concurrent)
    registry = ModelRegistry(args.export_dir, args.models, limits)
    try:
        http = make_http_server(registry, args.host, args.port, args.verbose, connections)
    except OSError as e:
        raise CLIError(f"cannot listen on {args.host}:{args.port} ({e})") from None
    grpc_server = None
    if args.grpc_port is not None:
        from hwsr.serving.grpc_server import make_grpc_server

        grpc_server, port = make_grpc_server(registry, args.host, args.grpc_port, connections)
        print(f"gRPC PredictionService on {args.host}:{port}", flush=True)
    for name, model in registry.models.items():
        print(f"serving {name} version {model.version} ({', '.join(sorted(model.signatures))})", flush=True)
    host, port = http.server_address[:2]
    print(f"REST API on http://{host}:{port}/v1/models/<name>:predict (Ctrl-C stops)", flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        http.server_close()
        if grpc_server is not None:
            grpc_server.stop(grace=2)
    return 0
