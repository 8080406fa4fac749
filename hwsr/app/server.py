"""The web app on Starlette (served by uvicorn): the page, its static files and a JSON API.

    GET  /                    the page (``static/index.html``)
    GET  /api/info            bundled styles, default bias, limits
    POST /api/recognize       {"strokes": canvas ink} -> {"lines": [{"text", "candidates"}], "text"}
    POST /api/generate        {"text", "bias", "seed", "style" | "prime", "width"} -> NDJSON stream
    POST /api/import?name=F   an ink file's bytes -> {"strokes": [[[x, y], ...], ...]} (y down)
    POST /api/export/<fmt>    {"lines", "stroke_width", "color", "text"} -> an SVG, PNG or InkML file

Errors answer ``{"error": "..."}`` with a 4xx/5xx status; an error after a generation has
started streaming arrives as a ``{"type": "error"}`` event. Model work runs in worker
threads, at most ``max_concurrent`` generations and as many recognitions at once; a
request that waits longer than ``queue_timeout`` for its turn gets a 503.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hwsr.app.payloads import PayloadError
from hwsr.app.service import HandwritingService
from hwsr.console import one_line

STATIC_DIR = Path(__file__).parent / "static"


class _Gate:
    """At most ``size`` holders at once; a caller waiting over ``timeout`` s gets a 503."""

    def __init__(self, size: int, timeout: float, what: str):
        self.size, self.timeout, self.what = size, timeout, what
        self._semaphore = None  # Made on first use, inside the event loop.

    async def acquire(self) -> None:
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.size)
        with anyio.move_on_after(self.timeout) as scope:
            await self._semaphore.acquire()
        if scope.cancelled_caught:
            raise PayloadError(f"the app is busy with other {self.what}; try again in a moment", 503)

    def release(self) -> None:
        self._semaphore.release()

    @contextlib.asynccontextmanager
    async def held(self):
        await self.acquire()
        try:
            yield
        finally:
            self.release()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing bodies over ``limit`` bytes (413)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadError(f"the request body of {declared} bytes is over the limit of {limit}", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadError(f"the request body is over the limit of {limit} bytes", 413)
    return bytes(body)


async def read_json(request: Request, limit: int):
    """The request body as JSON (`read_body`); 400 for one that is not JSON."""
    body = await read_body(request, limit)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise PayloadError(f"the request body is not valid JSON ({one_line(e, 120)})") from None


#: Seconds a client is told to wait before it tries again after a 503 (busy).
RETRY_AFTER_S = 2


def _error(status: int, message: str) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _payload_error(request: Request, exc: PayloadError) -> JSONResponse:
    return _error(exc.status, str(exc))


async def _value_error(request: Request, exc: ValueError) -> JSONResponse:
    return _error(400, one_line(exc))  # The core's user errors (bad strokes, characters...).


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return _error(exc.status_code, str(exc.detail))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return _error(500, f"internal error: {type(exc).__name__}: {one_line(exc, 300)}")


def create_app(service: HandwritingService) -> Starlette:
    """The ASGI application around ``service`` (run it with uvicorn, test it with
    ``starlette.testclient.TestClient``)."""
    limits = service.limits
    generations = _Gate(limits.max_concurrent, limits.queue_timeout, "generations")
    recognitions = _Gate(limits.max_concurrent, limits.queue_timeout, "readings")

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def info(request: Request) -> Response:
        return JSONResponse(service.info())

    async def recognize(request: Request) -> Response:
        body = await read_json(request, limits.max_body_bytes)
        async with recognitions.held():
            return JSONResponse(await run_in_threadpool(service.read_page, body))

    async def generate(request: Request) -> Response:
        body = await read_json(request, limits.max_body_bytes)
        plan = await run_in_threadpool(service.plan_generation, body)
        await generations.acquire()
        events = service.write_events(*plan)

        async def stream():
            try:
                while (event := await run_in_threadpool(next, events, None)) is not None:
                    yield json.dumps(event, separators=(",", ":")) + "\n"
            except Exception as e:  # The status line has gone: report the error in the stream.
                yield json.dumps({"type": "error", "message": one_line(e, 300)}) + "\n"
            finally:
                generations.release()
                events.close()

        return StreamingResponse(stream(), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store"})

    async def import_ink(request: Request) -> Response:
        name = request.query_params.get("name", "ink.json")
        data = await read_body(request, limits.max_body_bytes)
        return JSONResponse(await run_in_threadpool(service.import_ink, name, data))

    async def export(request: Request) -> Response:
        body = await read_json(request, limits.max_body_bytes)
        data, media_type, filename = await run_in_threadpool(service.export, request.path_params["fmt"], body)
        return Response(data, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    routes = [
        Route("/", index),
        Route("/api/info", info),
        Route("/api/recognize", recognize, methods=["POST"]),
        Route("/api/generate", generate, methods=["POST"]),
        Route("/api/import", import_ink, methods=["POST"]),
        Route("/api/export/{fmt}", export, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    handlers = {PayloadError: _payload_error, ValueError: _value_error, HTTPException: _http_error,
                Exception: _internal_error}
    return Starlette(routes=routes, exception_handlers=handlers)
