"""What an apply did, change by change: the summary, the exit code and the JSON report.

Every change of the plan gets exactly one `ChangeResult`: applied, failed (with the HubError
message: address, what happened, next step) or skipped (with why). Counts are Terraform's, over
the applied changes only, so the closing line says what actually happened on the Hub.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from release.errors import ReleaseError
from release.plan.model import Change, Json, PlanCounts

if TYPE_CHECKING:
    from release.hub.api import Meter

Status = Literal["applied", "failed", "skipped"]
#: Bumped on additive changes (minor) and breaking ones (major), like the plan's format.
RESULT_FORMAT_VERSION = "1.0"


@dataclass
class ChangeResult:
    """One change's outcome and what it cost (requests and bytes sent by its worker thread)."""

    change: Change
    status: Status
    error: str | None = None
    note: str = ""  # e.g. "already on the Hub", why it was skipped
    commit: str | None = None
    requests: int = 0
    writes: int = 0
    bytes_uploaded: int = 0

    @property
    def address(self) -> str:
        return self.change.address

    def to_dict(self) -> dict[str, Json]:
        return {"address": self.address, "kind": self.change.kind,
                "action": self.change.action, "status": self.status, "error": self.error,
                "note": self.note or None, "commit": self.commit, "requests": self.requests,
                "writes": self.writes, "bytes_uploaded": self.bytes_uploaded}


def run_measured(change: Change, visit: Callable[[], object],
                 meter: Meter | None) -> ChangeResult:
    """Run `visit` for `change`: its outcome, and the requests and bytes it spent (its thread's,
    and the uploads huggingface_hub ran on its own threads for the change's operations).

    Every failure becomes a "failed" result carrying a HubError message (address, what happened,
    next step), so one failed change never stops the report.
    """
    from release.hub.client import Tally
    from release.hub.errors import to_hub_error

    tally = Tally()
    try:
        if meter is None:
            visit()
        else:
            with meter.charging(tally):
                visit()
        result = ChangeResult(change, "applied")
    except ReleaseError as err:
        result = ChangeResult(change, "failed", error=str(err))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a HubError message
        result = ChangeResult(change, "failed", error=str(to_hub_error(change.address, exc)))
    result.requests, result.writes = tally.requests, tally.writes
    result.bytes_uploaded = tally.bytes_sent
    return result


@dataclass
class ApplyResult:
    """The outcome of one apply, in plan order."""

    apply_id: str
    results: list[ChangeResult] = field(default_factory=list)
    interrupted: bool = False
    requests: int = 0
    writes: int = 0
    bytes_uploaded: int = 0
    seconds: float = 0.0

    def _with(self, status: Status) -> list[ChangeResult]:
        return [r for r in self.results if r.status == status]

    @property
    def applied(self) -> list[ChangeResult]:
        return self._with("applied")

    @property
    def failed(self) -> list[ChangeResult]:
        return self._with("failed")

    @property
    def skipped(self) -> list[ChangeResult]:
        return self._with("skipped")

    @property
    def counts(self) -> PlanCounts:
        return PlanCounts.of(r.change for r in self.applied)

    @property
    def status(self) -> str:
        if not self.results:
            return "no-changes"
        if self.failed:
            return "failed"
        if self.interrupted or self.skipped:
            return "interrupted"
        return "complete"

    @property
    def exit_code(self) -> int:
        """0 done, 1 something failed, 130 interrupted (SIGINT), like a shell reports it."""
        if self.failed:
            return 1
        return 130 if self.interrupted else 0

    def commits(self) -> list[str]:
        return sorted({r.commit for r in self.applied if r.commit})

    def to_dict(self) -> dict[str, Json]:
        counts = self.counts
        return {
            "format_version": RESULT_FORMAT_VERSION,
            "apply_id": self.apply_id,
            "status": self.status,
            "summary": {"add": counts.add, "change": counts.change, "destroy": counts.destroy,
                        "applied": len(self.applied), "failed": len(self.failed),
                        "skipped": len(self.skipped)},
            "requests": self.requests,
            "writes": self.writes,
            "bytes_uploaded": self.bytes_uploaded,
            "seconds": round(self.seconds, 3),
            "changes": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
