"""``hwsr app``: the local web app (write and read back, type and watch it being written)."""

from __future__ import annotations

import argparse
import socket

from hwsr.console import CLIError

EPILOG = """\
examples:
  hwsr app                         # http://127.0.0.1:<a free port>/ (printed)
  hwsr app --port 8080
  hwsr app --recognition-model-dir runs/recognition --max-concurrent 4
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "app",
        help="a local web app: write on a page and read it back, type and watch it written",
        description="Starts a web app on this machine: a canvas whose ink is read as you\n"
        "write (line by line, with candidate readings), and a text box whose text is written\n"
        "stroke by stroke in a bundled style or in your own hand. Works offline; Ctrl-C stops it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    p.add_argument("--synthesis-model-dir", metavar="DIR",
                   help="synthesis model dir (default: the shipped model)")
    p.add_argument("--recognition-model-dir", metavar="DIR",
                   help="recognition model dir (default: the shipped model)")
    p.add_argument("--max-body-mb", type=float, default=16.0, metavar="MB",
                   help="largest request body (default 16)")
    p.add_argument("--max-concurrent", type=int, default=2, metavar="N",
                   help="generations (and recognitions) running at once; others queue (default 2)")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(func=run)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise CLIError(f"cannot listen on {host}:{port} ({e.strerror or e})",
                       "pick another --port, or leave it out for a free one") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace) -> int:
    if args.max_body_mb <= 0 or args.max_concurrent < 1:
        raise CLIError("--max-body-mb and --max-concurrent must be positive")
    try:
        import uvicorn

        from hwsr.app.server import create_app
    except ModuleNotFoundError as e:
        raise CLIError(f"hwsr app needs the web stack ({e.name} is not installed)",
                       "pip install -r requirements.txt (or reinstall hwsr)") from None
    from hwsr.app.limits import AppLimits
    from hwsr.app.service import HandwritingService
    from hwsr.cli.models import load_recognizer, load_synthesizer

    limits = AppLimits(max_body_bytes=int(args.max_body_mb * 1024 * 1024), max_concurrent=args.max_concurrent)
    sock = bind(args.host, args.port)
    service = HandwritingService(load_synthesizer(args.synthesis_model_dir, "--synthesis-model-dir"),
                                 load_recognizer(args.recognition_model_dir, flag="--recognition-model-dir"),
                                 limits)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"hwsr app on http://{shown}:{port}/ (Ctrl-C stops)", flush=True)
    config = uvicorn.Config(create_app(service), log_level="info" if args.verbose else "warning",
                            access_log=args.verbose, timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
