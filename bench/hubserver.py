"""The local hub for the benchmark, in its own process, counting the bytes clients upload.

It is `release hub serve` (the same `build_app`, the same uvicorn settings, server-side latency)
with one ASGI wrapper that counts request-body bytes per endpoint, because the hub's own stats
count requests but not bytes. Running it in a separate process keeps its CPU off the measured
client's GIL, and keeps the client's peak RSS its own.

    python -m bench.hubserver --data-dir D [--port 0] [--latency-ms 20] [--rate-limit 1000/20s]

prints `Local hub at http://127.0.0.1:PORT` once listening. Controls (uncounted):
`GET /_localhub/stats`, `POST /_localhub/stats/reset` (the hub's own), and
`GET /_bench/bytes`, `POST /_bench/bytes/reset` -> {"by_endpoint": {name: bytes}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections import Counter
from typing import Any

import uvicorn

from release.localhub import routes
from release.localhub.server import build_app

CONTROL = "/_bench/"


class ByteCounter:
    """ASGI middleware: request-body bytes by hub endpoint name, thread-safe."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._bytes: Counter[str] = Counter()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"by_endpoint": dict(sorted(self._bytes.items()))}

    def reset(self) -> None:
        with self._lock:
            self._bytes.clear()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        if raw_path.startswith(CONTROL):
            await self._control(scope, raw_path[len(CONTROL):], send)
            return
        found = routes.match(scope["method"], raw_path)
        name = found[0].endpoint if found is not None else "unknown"

        async def counting_receive() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                size = len(message.get("body", b""))
                if size:
                    with self._lock:
                        self._bytes[name] += size
            return message

        await self.app(scope, counting_receive, send)

    async def _control(self, scope: Any, name: str, send: Any) -> None:
        if name == "bytes/reset" and scope["method"] == "POST":
            self.reset()
        body = json.dumps(self.snapshot()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _Announcing(uvicorn.Server):
    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            print(f"Local hub at http://{host}:{port}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hubserver")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--rate-limit", default=None,
                        help="emulate the Hub's API quota, e.g. 1000/300s (fixed windows)")
    args = parser.parse_args(argv)
    hub = build_app(args.data_dir, latency_ms=args.latency_ms, rate_limit=args.rate_limit)
    app = ByteCounter(hub)
    # The settings of release.localhub.server._uvicorn_config (what `release hub serve` runs).
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                            access_log=False, lifespan="off", loop="asyncio",
                            timeout_keep_alive=30)
    try:
        _Announcing(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        hub.services.storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
