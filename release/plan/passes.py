"""Steps after the diff, as `Plan -> Plan` passes run in order by `build_plan`.

The diff says what differs; a pass then narrows or annotates the plan without knowing how it
was made: `--target` restriction, notices from elsewhere (checkpoint structure warnings), and
later policy checks and checkpoint retention. A pass is a plain function of the plan, so each
is tested alone and the order they run in is one list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from release.plan.fingerprint import fingerprints_for
from release.plan.model import Notice, Plan
from release.plan.targets import Selection
from release.state import ObservedState

PlanPass = Callable[[Plan], Plan]


def run_passes(plan: Plan, passes: Iterable[PlanPass]) -> Plan:
    for step in passes:
        plan = step(plan)
    return plan


def _order(notice: Notice) -> tuple[str, str]:
    return notice.address, notice.code


def with_notices(notices: Sequence[Notice]) -> PlanPass:
    """Add `notices` (reported, never acted on), keeping notices sorted by address and code."""
    def add(plan: Plan) -> Plan:
        if not notices:
            return plan
        return replace(plan, notices=tuple(sorted([*plan.notices, *notices], key=_order)))
    return add


def restricted_to(selection: Selection, observed: ObservedState) -> PlanPass:
    """Keep the selected changes, what they cannot be applied without, and their notices; the
    fingerprints are those of the kept changes only (Terraform's -target)."""
    def restrict(plan: Plan) -> Plan:
        changes, notices = selection.restrict(plan.changes, plan.notices)
        return replace(plan, changes=tuple(changes), notices=tuple(notices),
                       fingerprints=fingerprints_for(changes, observed),
                       targets=selection.selectors)
    return restrict
