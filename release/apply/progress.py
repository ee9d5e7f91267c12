"""Apply progress and the closing summary, as text. The CLI decides where the text goes.

On a terminal: one line per finished change, plus a status area redrawn in place (at most
twice a second): repos done and bytes sent, then one line per repo still uploading with its
bytes sent, rate and time left (`status_lines`, a pure function). The bytes come from
huggingface_hub's own progress hook on the LFS path (the file reads of `as_file(with_tqdm)`,
see `release.apply.content.known_add`); the client's tqdm bars stay off. Elsewhere (CI logs,
pipes): the same change lines, plus one line per file when it is on the Hub; no redrawing.
A file whose upload was not streamed here (the Hub had its content; or hf_xet sent it on the
real Hub's Xet storage, whose reads and bytes release cannot see) gets its line once its
commit landed, saying so.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from release.apply.result import ApplyResult, ChangeResult
from release.apply.runner import ApplyEvents
from release.hub.pacing import duration
from release.plan.describe import short, size

_MARKS = {"applied": ("✓", "ok"), "failed": ("✗", "FAILED"), "skipped": ("-", "skipped")}
RATE_WINDOW_S = 10.0  # the rate is what went out over the last ten seconds
REDRAW_S = 0.5
SHOWN_UPLOADS = 4  # repo lines in the status area; the rest are counted


@dataclass
class RepoUpload:
    """What one repo has sent of what its commits add, and when (for the rate)."""

    repo_id: str
    total: int
    sent: int = 0
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, now: float, moved: int) -> None:
        self.sent += moved
        self.samples.append((now, self.sent))
        while len(self.samples) > 2 and self.samples[0][0] < now - RATE_WINDOW_S:
            self.samples.popleft()

    def rate(self, now: float) -> float | None:
        """Bytes per second over the window, None before a second of data."""
        if not self.samples:
            return None
        then, sent_then = self.samples[0]
        if now - then < 1.0:
            return None
        return (self.sent - sent_then) / (now - then)


def status_lines(uploads: Sequence[RepoUpload], done: int, repos: int, sent: int,
                 now: float, shown: int = SHOWN_UPLOADS) -> list[str]:
    """The status area: `[2/5 repos done, 1.3 GB sent]`, then per repo still uploading
    `acme/Big-1B: 1.2 GB of 4.3 GB, 110.0 MB/s, 28 s left` (rate and time left once a second of
    data is in), at most `shown` of them, the others counted."""
    lines = [f"  [{done}/{repos} repos done, {size(sent)} sent]"]
    active = [u for u in uploads if u.total and u.sent < u.total]
    for upload in active[:shown]:
        text = f"  {upload.repo_id}: {size(upload.sent)} of {size(upload.total)}"
        rate = upload.rate(now)
        if rate:
            text += f", {size(round(rate))}/s, {duration((upload.total - upload.sent) / rate)} left"
        lines.append(text)
    if len(active) > shown:
        lines.append(f"  ... and {len(active) - shown} more repo(s) uploading")
    return lines


class ProgressPrinter(ApplyEvents):
    """Prints through `echo(text, newline)`; thread-safe."""

    def __init__(self, echo: Callable[[str, bool], None], tty: bool, repos: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.echo = echo
        self.tty = tty
        self.repos = repos
        self.clock = clock
        self.done = 0
        self.sent = 0
        self.uploads: dict[str, RepoUpload] = {}
        self.drawn: list[str] = []  # the status area on screen
        self.drawn_at = float("-inf")
        self.lock = threading.Lock()

    def _erase(self) -> None:
        if self.drawn:
            self.echo("\r\033[K" + "\033[1A\033[K" * (len(self.drawn) - 1), False)

    def _draw(self, lines: list[str]) -> None:
        self._erase()
        self.echo("\n".join(lines), False)
        self.drawn = lines

    def _line(self, text: str) -> None:
        with self.lock:
            if self.tty and self.drawn:
                self._erase()
            self.echo(text, True)
            if self.tty and self.drawn:
                self.echo("\n".join(self.drawn), False)

    def repo_started(self, repo_id: str, changes: int, upload_bytes: int) -> None:
        upload = f", {size(upload_bytes)} to upload" if upload_bytes else ""
        if upload_bytes:
            with self.lock:
                self.uploads[repo_id] = RepoUpload(repo_id, upload_bytes)
        self._line(f"{repo_id}: applying {changes} change(s){upload}")

    def upload_moved(self, repo_id: str, moved: int) -> None:
        with self.lock:
            upload = self.uploads.get(repo_id)
            if upload is not None:
                upload.add(self.clock(), moved)

    def file_sent(self, address: str, path: str, sent: int, note: str = "") -> None:
        if self.tty:  # on a terminal the status area shows it
            return
        if note:
            self._line(f"  on the Hub {address}: {path} ({size(sent)}; {note})")
        else:
            self._line(f"  sent {address}: {path} ({size(sent)})")

    def change_done(self, result: ChangeResult) -> None:
        mark = _MARKS[result.status][0 if self.tty else 1]
        text = f"  {mark} {result.address}"
        details = []
        if result.commit:
            details.append(f"commit {short(result.commit)}")
        if result.bytes_uploaded >= 1000:
            details.append(f"{size(result.bytes_uploaded)} sent")
        if result.note:
            details.append(result.note)
        if details:
            text += f" ({'; '.join(details)})"
        if result.error:
            text += f"\n      {result.error}"
        self._line(text)

    def repo_done(self, repo_id: str, results: list[ChangeResult]) -> None:
        with self.lock:
            self.done += 1
            self.uploads.pop(repo_id, None)
            self.drawn_at = float("-inf")  # show the new count at the next tick
        failed = sum(r.status == "failed" for r in results)
        if failed:
            self._line(f"{repo_id}: FAILED ({failed} failed, "
                       f"{sum(r.status == 'skipped' for r in results)} not attempted)")
        self.tick(self.sent)

    def tick(self, bytes_sent: int) -> None:
        if not self.tty:
            return
        with self.lock:
            self.sent = bytes_sent
            now = self.clock()
            if now - self.drawn_at < REDRAW_S:
                return
            lines = status_lines(list(self.uploads.values()), self.done, self.repos,
                                 bytes_sent, now)
            if lines != self.drawn:
                self._draw(lines)
            self.drawn_at = now

    def close(self) -> None:
        with self.lock:
            if self.tty and self.drawn:
                self._erase()
                self.drawn = []


def summary(result: ApplyResult) -> str:
    """The closing lines: counts, then what failed and what to do, then what was skipped."""
    counts = result.counts
    totals = (f"{counts.add} added, {counts.change} changed, {counts.destroy} destroyed")
    cost = (f"{result.requests} Hub requests ({result.writes} writes), "
            f"{size(result.bytes_uploaded)} sent, {result.seconds:.1f}s")
    if result.status == "no-changes":
        return "No changes. The Hub matches the configuration.\n"
    if result.status == "complete":
        return f"Apply complete: {totals}.\n{cost}.\n"
    lines = []
    if result.interrupted:
        lines.append(f"Apply interrupted: {totals}; {len(result.skipped)} change(s) not "
                     "started.")
    else:
        lines.append(f"Apply failed: {totals}; {len(result.failed)} change(s) failed, "
                     f"{len(result.skipped)} not attempted.")
    # One cause that cut several changes short (the --max-wait stop, for the whole pool) is
    # said once.
    for error in dict.fromkeys(failed.error for failed in result.failed):
        lines.append(f"  ✗ {error}")
    lines.append(cost + ".")
    lines.append("Nothing applied is lost and nothing is half-published: re-running "
                 "'release apply' plans again from what the Hub holds now and converges.")
    return "\n".join(lines) + "\n"
