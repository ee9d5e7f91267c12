"""The ASGI application: route on the raw path, count, inject faults, authenticate, dispatch.

Handlers are plain sync functions run in the threadpool (storage is blocking git I/O); only the
LFS upload is async so that large bodies stream to disk instead of into memory.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import socket
import struct
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from release.localhub import routes
from release.localhub.context import Call, HubServices
from release.localhub.errors import HubError
from release.localhub.faults import FaultInjector, FaultRule, Verdict
from release.localhub.ratelimit import QuotaMeter, caller_of, metered, with_headers
from release.localhub.responses import json_response
from release.localhub.stats import RequestStats

logger = logging.getLogger("release.localhub")
CONTROL_PREFIX = "/_localhub/"


def error_response(err: HubError) -> Response:
    return json_response(err.body(), err.status, err.response_headers())


class HubApp:
    def __init__(self, services: HubServices, stats: RequestStats, faults: FaultInjector):
        self.services = services
        self.stats = stats
        self.faults = faults
        # Unique per answer and cheap: a random per-process prefix and a counter.
        self._request_ids = (f"{secrets.token_hex(6)}-{n:x}" for n in itertools.count(1))
        self.quota: QuotaMeter | None = None  # the Hub's API quota, when rehearsed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw_send, send = send, _with_request_id(send, next(self._request_ids))
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        request = Request(scope, receive)
        if raw_path.startswith(CONTROL_PREFIX):
            response = await self._control(request, raw_path[len(CONTROL_PREFIX) :])
            await response(scope, receive, send)
            return
        found = routes.match(scope["method"], raw_path)
        if found is None:
            self.stats.record("unknown", False)
            message = f"Sorry, we can't find the page you are looking for: {raw_path}"
            await error_response(HubError(404, message))(scope, receive, send)
            return
        route, params = found
        self.stats.record(route.endpoint, route.write)
        with self.stats.serving(route.endpoint):
            await self._serve(route, params, raw_path, scope, receive, send, raw_send)

    async def _serve(self, route: routes.Route, params: dict[str, str], raw_path: str,
                     scope: Scope, receive: Receive, send: Send, raw_send: Send) -> None:
        receive = self._counting(receive, route.endpoint)
        request = Request(scope, receive)
        if self.quota is not None and metered(raw_path):
            caller = caller_of(self.services.auth, request.headers.get("authorization"),
                               scope.get("client"))
            admission = self.quota.admit(caller)
            if admission.refused:
                self.stats.record_rate_limited()
                await error_response(admission.error())(scope, receive, send)
                return
            send = with_headers(send, admission.headers())
        verdict = self.faults.decide(route.endpoint)
        if verdict.delay_s:
            await anyio.sleep(verdict.delay_s)
        if verdict.after:  # the change is made, then its answer is lost
            await self._dispatch(route, params, request, raw_path)
        if verdict.reset and await _reset_connection(raw_send):
            return
        if verdict.status or verdict.reset:
            await _fault_response(verdict)(scope, receive, send)
            return
        response = await self._dispatch(route, params, request, raw_path)
        await response(scope, receive, send)

    def _counting(self, receive: Receive, endpoint: str) -> Receive:
        """`receive`, adding each request body chunk to the endpoint's received bytes."""

        async def counted() -> Any:
            message = await receive()
            if message.get("type") == "http.request" and message.get("body"):
                self.stats.record_body(endpoint, len(message["body"]))
            return message

        return counted

    async def _dispatch(
        self, route: routes.Route, params: dict[str, str], request: Request, raw_path: str
    ) -> Response:
        try:
            principal = self.services.auth.authenticate(request.headers.get("authorization"))
            host = request.headers.get("host") or "{}:{}".format(*request.scope["server"])
            call = Call(
                method=request.method,
                raw_path=raw_path,
                params=params,
                query=request.query_params,
                headers=request.headers,
                body=b"",
                principal=principal,
                base_url=f"{request.url.scheme}://{host}",
                hub=self.services,
            )
            if route.streaming:
                response: Response = await route.handler(call, request)
                return response
            call.body = await request.body()
            return await run_in_threadpool(route.handler, call)
        except HubError as err:
            return error_response(err)
        except Exception:
            logger.exception("local hub: %s %s failed", request.method, route.endpoint)
            return error_response(HubError(500, "Internal error in the local hub"))

    async def _control(self, request: Request, name: str) -> Response:
        """Test and benchmark controls; not counted, not subject to faults."""
        if name == "stats" and request.method == "GET":
            return json_response(self.stats.snapshot())
        if name == "stats/reset" and request.method == "POST":
            self.stats.reset()
            return json_response(self.stats.snapshot())
        if name == "faults" and request.method == "GET":
            return json_response(self.faults.describe())
        if name == "faults" and request.method == "PUT":
            try:
                raw: Any = json.loads(await request.body() or b"{}")
                rules = [FaultRule.from_dict(r) for r in raw.get("rules", [])]
                self.faults.configure(rules, int(raw.get("seed", 0)))
            except (ValueError, TypeError, AttributeError) as err:
                return error_response(HubError(400, f"Invalid fault rules: {err}"))
            return json_response(self.faults.describe())
        if name == "health":
            return json_response({"ok": True})
        return error_response(HubError(404, f"Unknown control endpoint {name!r}"))


def _with_request_id(send: Send, request_id: str) -> Send:
    """Every answer carries `X-Request-Id`, as on the Hub: the client quotes it in its errors."""
    header = (b"x-request-id", request_id.encode())

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return send_with_id


def _fault_response(verdict: Verdict) -> Response:
    status = verdict.status or 500
    headers = {}
    if verdict.retry_after is not None:
        headers["Retry-After"] = str(verdict.retry_after)
    message = verdict.message or (
        "Rate limit reached (injected)" if status == 429 else "Injected server error")
    return json_response({"error": message}, status, headers)


async def _reset_connection(send: Send) -> bool:
    """Abort the TCP connection with an RST, before any byte of the response.

    ASGI has no reset message; uvicorn's `send` is a bound method of its request cycle, which
    holds the transport. Returns False (caller answers a 500 instead) on other servers.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let uvicorn's connection_lost run so it knows not to answer on the dead connection.
    for _ in range(3):
        await anyio.sleep(0)
    return True


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
