"""Pacing and patience: every Hub request, read or write, goes through one limiter.

The Hub meters API calls in fixed 5-minute windows per user and says where each caller stands
on every answer (`RateLimit: "api";r=<left>;t=<seconds to reset>`); a 429 carries
`Retry-After` (hub-api.md section 9). huggingface_hub retries only some calls, caps each wait
at 8 s and gives up after 5 tries, while a window lasts up to 300 s. So release sends every
request through `PacedClient` (installed as huggingface_hub's HTTP client, see client.py):

* **pacing**: the budget left in the window, as the headers report it and counted down per
  request sent, is shared by the whole pool; when it is spent the pool waits for the window to
  reset instead of collecting 429s;
* **patience**: a 429 pauses the whole pool for as long as the Hub asks (Retry-After, else the
  window's reset), shows the wait on the terminal, and re-sends the request — safe for any
  method, since the Hub refused it before doing anything;
* **transient failures** (502/503/504/500, a reset connection, a timeout) are re-sent with
  backoff when repeating the request cannot change anything twice: reads (GET, HEAD and the
  read-only POSTs) and PUTs (settings, LFS parts: idempotent). Commits and other POSTs are
  left to `HubWriter`, whose trailer check makes a retried commit safe;
* **a ceiling**: the pool never waits more than `max_wait_s` in total; past it the request
  raises `WaitLimitReached` (a HubError: exit 1, saying that a re-run resumes).

Pacing is active only inside `connect()` (client.py), so a bare `HfApi` in the same process
(a test's own client) sees the Hub's answers unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2

from release.errors import HubError

DEFAULT_MAX_WAIT_S = 3600.0  # generous: a 1000-repo apply on a free account waits ~25 min
#: POSTs that only read: repeating one is harmless, and they are not writes for the meter.
READ_ONLY_POSTS = ("/preupload/", "/paths-info/", "/info/lfs/objects/batch", "/api/validate-yaml",
                   "/info/lfs/objects/verify", "/_lfs/verify")
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
TRANSIENT_TRIES = 6  # 0.5 + 1 + 2 + 4 + 8 s of backoff between them (Pacer.backoff_s)
UNREACHABLE_TRIES = 3  # a refused connection is retried briefly: an unreachable Hub fails fast
REPLAYABLE_BYTES = 16 * 2**20  # bodies up to this size are held so a 429 can re-send them


def duration(seconds: float) -> str:
    """`3 m 12 s`, `45 s`, `1 h 5 m`: how long, for a person."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} m"
    if minutes:
        return f"{minutes} m {secs} s"
    return f"{secs} s"


class WaitLimitReached(HubError):
    """The Hub's rate limit asks for more waiting than `--max-wait` allows."""

    def __init__(self, waited_s: float, needed_s: float, max_wait_s: float) -> None:
        self.waits = (waited_s, needed_s, max_wait_s)
        super().__init__(
            "hub",
            f"stopped: the Hub's rate limit asks to wait {duration(needed_s)} more, past "
            f"--max-wait {duration(max_wait_s)} ({duration(waited_s)} waited so far)",
            "what was done stays done; re-run the same command later (or with a larger "
            "--max-wait) and it resumes from what the Hub holds")


@dataclass
class _Window:
    """What one caller (endpoint + token) has left in the Hub's current window."""

    remaining: int | None = None  # None: unknown (no header yet, or a new window began)
    reset_at: float = 0.0  # monotonic time the window resets
    paused_until: float = 0.0  # monotonic time the pool may send again
    in_flight: int = 0  # sent, not answered yet: an answer's count may not include them


@dataclass
class PacingStats:
    rate_limited: int = 0  # 429 answers received
    retried: int = 0  # requests re-sent after a transient failure
    paused_s: float = 0.0  # wall time the pool was held (429s and spent windows)
    pauses: list[tuple[str, float]] = field(default_factory=list)  # (reason, seconds)


class Pacer:
    """The shared limiter. Thread-safe; one per process (`pacer()`), active inside sessions."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._active = 0
        self.max_wait_s = DEFAULT_MAX_WAIT_S
        self.backoff_s = 0.5  # first wait after a transient failure, doubled per try, up to 8 s
        self.notify: Callable[[str], None] | None = None
        self.stats = PacingStats()
        self.exhausted = threading.Event()
        # The stop that set `exhausted`: the pool's other threads stop with the same words
        # (what the Hub asked), not with a "0 s more" of their own.
        self._stopped: WaitLimitReached | None = None
        self._stops: list[threading.Event] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def configure(self, max_wait_s: float | None = None,
                  notify: Callable[[str], None] | None = None) -> None:
        """Set the total-wait ceiling and where waits are announced; resets the counters."""
        with self._lock:
            self.max_wait_s = DEFAULT_MAX_WAIT_S if max_wait_s is None else max_wait_s
            self.notify = notify
            self.stats = PacingStats()
            self._windows.clear()
            self.exhausted.clear()
            self._stopped = None

    def activate(self) -> None:
        with self._lock:
            self._active += 1

    def deactivate(self) -> None:
        with self._lock:
            self._active = max(0, self._active - 1)

    @property
    def active(self) -> bool:
        return self._active > 0

    @contextmanager
    def stopping(self, stop: threading.Event) -> Iterator[None]:
        """While inside, reaching the ceiling also sets `stop` (apply stops scheduling)."""
        with self._lock:
            self._stops.append(stop)
            if self.exhausted.is_set():
                stop.set()
        try:
            yield
        finally:
            with self._lock:
                self._stops.remove(stop)

    # -- the request path ---------------------------------------------------------------------

    def before_send(self, key: tuple[str, str]) -> None:
        """Block while the pool is paused or the window's budget is spent; then take one."""
        while True:
            with self._lock:
                window = self._windows.setdefault(key, _Window())
                now = self._clock()
                if window.reset_at and now >= window.reset_at:
                    window.remaining = None  # a new window: the next answer tells its budget
                    window.reset_at = 0.0
                if window.remaining is not None and window.remaining <= 0 \
                        and window.paused_until < window.reset_at:
                    self._pause(window, window.reset_at, now, "spent")
                wait = window.paused_until - now
                if wait <= 0:
                    if window.remaining is not None:
                        window.remaining -= 1
                    window.in_flight += 1
                    return
            self._sleep(min(wait, 1.0))  # short naps: a longer pause set meanwhile is seen

    def after_answer(self, key: tuple[str, str], response: httpx2.Response) -> None:
        """Learn the window's budget from the RateLimit header; on 429, pause the pool."""
        from huggingface_hub.utils import parse_ratelimit_headers

        info = parse_ratelimit_headers(response.headers)
        with self._lock:
            window = self._windows.setdefault(key, _Window())
            now = self._clock()
            if info is not None:
                reset_at = now + info.reset_in_seconds
                # The Hub counted this answer's `r` before the requests still in flight may
                # have reached it: count them as spent (at worst a few unused per window,
                # never a 429 for having trusted a stale count).
                left = max(0, info.remaining - window.in_flight)
                if window.remaining is None or reset_at > window.reset_at + 1.0:
                    window.remaining = left  # first answer of a (new) window
                    window.reset_at = reset_at
                else:  # same window: answers overtake each other; trust the lowest
                    window.remaining = min(window.remaining, left)
            if response.status_code != 429:
                return
            self.stats.rate_limited += 1
            retry_after = _retry_after(response.headers)
            if retry_after is None and info is not None:
                retry_after = float(info.reset_in_seconds)
            if retry_after is None or retry_after <= 0:
                retry_after = 1.0  # no hint: a second, not a busy loop
            self._pause(window, now + retry_after, now, "429")

    def _pause(self, window: _Window, until: float, now: float, reason: str) -> None:
        """Hold the pool until `until` (lock held). Past the ceiling: stop, for every thread."""
        extra = until - max(window.paused_until, now)
        if extra <= 0:
            return
        if self.stats.paused_s + extra > self.max_wait_s:
            if self._stopped is None:
                self._stopped = WaitLimitReached(self.stats.paused_s, extra, self.max_wait_s)
            self.exhausted.set()
            for stop in self._stops:
                stop.set()
            raise WaitLimitReached(*self._stopped.waits)
        window.paused_until = until
        self.stats.paused_s += extra
        self.stats.pauses.append((reason, extra))
        if self.notify is not None and extra >= 1.0:
            wait = duration(until - now)
            if reason == "429":
                self.notify(f"rate limited by the Hub: resuming in {wait}")
            else:
                self.notify(f"the Hub's request budget for this window is spent: "
                            f"resuming in {wait}")

    def settled(self, key: tuple[str, str]) -> None:
        """A request sent after `before_send` was answered (or failed): no longer in flight."""
        with self._lock:
            window = self._windows.get(key)
            if window is not None and window.in_flight > 0:
                window.in_flight -= 1

    def check(self) -> None:
        """Raise at once once the ceiling was reached (the pool stops, it does not queue)."""
        if self.exhausted.is_set():
            with self._lock:
                if self._stopped is not None:
                    raise WaitLimitReached(*self._stopped.waits)
                raise WaitLimitReached(self.stats.paused_s, 0.0, self.max_wait_s)

    def backoff(self, attempt: int) -> None:
        """Sleep before re-sending after a transient failure (this thread only)."""
        with self._lock:
            self.stats.retried += 1
        self._sleep(min(self.backoff_s * 2 ** attempt, 8.0))


def _retry_after(headers: Any) -> float | None:
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def _repeatable(request: httpx2.Request) -> bool:
    """Would sending this request twice change nothing more than sending it once?"""
    if request.method in ("GET", "HEAD", "PUT"):
        return True
    path = request.url.raw_path.decode("ascii", "replace")
    return request.method == "POST" and any(part in path for part in READ_ONLY_POSTS)


def _hold_body(request: httpx2.Request) -> bool:
    """Keep the body in memory so the request can be re-sent; False for large streams."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > REPLAYABLE_BYTES:
        return False
    request.read()
    return True


_PACER = Pacer()


def pacer() -> Pacer:
    return _PACER


class PacedClient(httpx2.Client):
    """huggingface_hub's HTTP client, with every request sent through the `Pacer`."""

    def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        limiter = _PACER
        if not limiter.active:
            return super().send(request, **kwargs)
        key = (f"{request.url.host}:{request.url.port}", request.headers.get("authorization", ""))
        replayable = _hold_body(request)
        repeatable = replayable and _repeatable(request)
        transient = refused = 0
        while True:
            limiter.check()
            limiter.before_send(key)
            try:
                try:
                    response = super().send(request, **kwargs)
                finally:
                    limiter.settled(key)
            except (httpx2.ConnectError, httpx2.ConnectTimeout):
                refused += 1
                if not repeatable or refused >= UNREACHABLE_TRIES:
                    raise
                limiter.backoff(refused - 1)
                continue
            except (httpx2.NetworkError, httpx2.RemoteProtocolError, httpx2.TimeoutException):
                transient += 1
                if not repeatable or transient >= TRANSIENT_TRIES:
                    raise
                limiter.backoff(transient - 1)
                continue
            limiter.after_answer(key, response)
            if response.status_code == 429 and replayable:
                response.close()
                continue
            if response.status_code in TRANSIENT_STATUSES and repeatable \
                    and transient + 1 < TRANSIENT_TRIES:
                transient += 1
                response.close()
                limiter.backoff(transient - 1)
                continue
            return response
