"""A saved plan is applied only where, as whom and from what it was made.

`Plan.from_json` already refuses a plan whose seal (digest) does not match its content or whose
format is from another major version. `check_bound` adds what the file alone cannot tell: the
plan was observed on another Hub, as another user, or from another config. Each is refused
before any write, naming the check that failed and the next step (plan again); only the config
check can be overridden, explicitly (`--allow-config-change`), and the CLI prints that it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from release.errors import ReleaseError
from release.plan.model import Plan

REPLAN = "run 'release plan -o FILE' again here and review the new plan. Nothing was written"


class PlanBindingError(ReleaseError):
    """A saved plan made against another hub, identity or config than this apply's."""


@dataclass(frozen=True)
class Here:
    """Where and as whom this apply runs, and the digest of the config it loaded."""

    hub: str
    identity: str | None
    config_digest: str


def _who(identity: str | None) -> str:
    return f"user {identity!r}" if identity else "no token (anonymous)"


def check_bound(plan: Plan, here: Here, *, allow_config_change: bool = False) -> list[str]:
    """Raise PlanBindingError if `plan` was not made `here`; return warnings to print.

    The hub is checked first (a plan for another hub would otherwise look stale everywhere),
    then the identity, then the config.
    """
    if plan.hub != here.hub:
        raise PlanBindingError(
            f"saved plan was made against hub {plan.hub or '(unknown)'}, but this apply "
            f"targets hub {here.hub}; a saved plan is applied only to the hub it was made "
            f"against: {REPLAN}")
    if plan.identity != here.identity:
        raise PlanBindingError(
            f"saved plan was made as {_who(plan.identity)}, but the token here authenticates "
            f"as {_who(here.identity)}; a saved plan is applied only by the identity that "
            f"made it: {REPLAN}")
    if plan.config_digest == here.config_digest:
        return []
    what = (f"the config changed since the plan was made (config digest "
            f"{_short(plan.config_digest)} in the plan, {_short(here.config_digest)} now; or "
            "the plan was made with overrides)")
    if not allow_config_change:
        raise PlanBindingError(
            f"{what}; the saved plan would apply the old intent: {REPLAN}. To apply it "
            "anyway, pass --allow-config-change")
    return [f"Warning: --allow-config-change: {what}; applying the saved plan as it was made."]


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12] or "(none)"
