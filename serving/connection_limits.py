"""How much traffic the front ends of `hwsr serve` (REST and gRPC) accept before refusing."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ConnectionLimits:
    """Bounds of the REST and gRPC front ends, on top of `hwsr.serving.registry.ServerLimits`
    (body size, model calls at once) and the graphs' own bounds.

    Args:
        backlog: connections the kernel queues before the REST server accepts them.
        timeout: seconds a REST connection may stay silent (idle between requests, or in the
            middle of sending one); it is then closed (408 when a body was cut short).
        max_connections: REST connections open at once; one more gets a 503 and is closed.
        max_pending: requests admitted at once (running or waiting in line, first come first
            served) on each front end; one more gets 503 (REST) or ``RESOURCE_EXHAUSTED``
            (gRPC) at once.
        workers: threads that run admitted requests, on each front end (the registry's
            ``max_concurrent`` bounds the model calls among them).
    """

    backlog: int = 1024
    timeout: float = 10.0
    max_connections: int = 1024
    max_pending: int = 256
    workers: int = 8

    def __post_init__(self):
        bad = [f.name for f in dataclasses.fields(self) if not getattr(self, f.name) > 0]
        if bad:
            raise ValueError(f"connection limits must be positive: {', '.join(bad)}")
