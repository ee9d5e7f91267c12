"""Apply progress and the closing summary, as text. The CLI decides where the text goes.

On a terminal: one line per finished change, plus a status line (repos done, bytes sent) that
is redrawn in place. Elsewhere (CI logs, pipes): the same lines, no redrawing, no colour.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from release.apply.result import ApplyResult, ChangeResult
from release.apply.runner import ApplyEvents
from release.plan.describe import short, size

_MARKS = {"applied": ("✓", "ok"), "failed": ("✗", "FAILED"), "skipped": ("-", "skipped")}


class ProgressPrinter(ApplyEvents):
    """Prints through `echo(text, newline)`; thread-safe."""

    def __init__(self, echo: Callable[[str, bool], None], tty: bool, repos: int) -> None:
        self.echo = echo
        self.tty = tty
        self.repos = repos
        self.done = 0
        self.sent = 0
        self.status = ""
        self.lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self.lock:
            if self.tty and self.status:
                self.echo("\r\033[K", False)
            self.echo(text, True)
            if self.tty and self.status:
                self.echo(self.status, False)

    def repo_started(self, repo_id: str, changes: int, upload_bytes: int) -> None:
        upload = f", {size(upload_bytes)} to upload" if upload_bytes else ""
        self._line(f"{repo_id}: applying {changes} change(s){upload}")

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
            status = f"  [{self.done}/{self.repos} repos done, {size(bytes_sent)} sent]"
            if status != self.status:
                self.echo("\r\033[K" + status, False)
                self.status = status

    def close(self) -> None:
        with self.lock:
            if self.tty and self.status:
                self.echo("\r\033[K", False)
                self.status = ""


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
    for failed in result.failed:
        lines.append(f"  ✗ {failed.error}")
    lines.append(cost + ".")
    lines.append("Nothing applied is lost and nothing is half-published: re-running "
                 "'release apply' plans again from what the Hub holds now and converges.")
    return "\n".join(lines) + "\n"
