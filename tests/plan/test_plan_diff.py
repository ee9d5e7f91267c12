"""Table-driven planner tests: each file in cases/ is observed state + config -> expected plan.

Every expected change is `[action, kind, address, flags]` (flags include `drift`), in plan
order, and the list is exact: an unexpected extra change fails the case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from plancase import case_paths, load_case

from release.plan import CHANGE_KINDS, Plan, build_plan, render_markdown, render_text
from release.plan.fingerprint import stale_addresses
from release.plan.model import FLAGS

CASES = case_paths()


def _plan(case: dict[str, Any]) -> Plan:
    return build_plan(case["desired"], case["observed"], targets=case["targets"])


def _subset(expected: Any, actual: Any, where: str) -> None:
    """Every key/item in `expected` is in `actual` (lists compared item by item)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing {key!r}"
            _subset(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), \
            f"{where}: expected {len(expected)} items, got {actual!r}"
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _subset(e, a, f"{where}[{index}]")
    else:
        assert expected == actual, f"{where}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = load_case(path)
    plan = _plan(case)
    expect = case["expect"]
    got = [[c.action, c.kind, c.address, list(c.flags)] for c in plan.changes]
    assert got == expect.get("changes", []), render_text(plan)
    notices = [[n.code, n.address] + (["drift"] if n.drift else []) for n in plan.notices]
    assert notices == expect.get("notices", []), render_text(plan)
    for check in expect.get("fields", []):
        matches = [c for c in plan.changes
                   if c.address == check["address"] and c.kind == check["kind"]]
        assert len(matches) == 1, f"no single {check['kind']} at {check['address']}"
        _subset(check.get("fields", {}), matches[0].to_dict()["fields"], check["address"])
        for side in ("before", "after", "reason", "metadata_changes", "body_diff"):
            if side in check:
                _subset(check[side], matches[0].to_dict()[side], f"{check['address']}.{side}")
    _subset(expect.get("fingerprints", {}), dict(plan.fingerprints), "fingerprints")
    if "requests" in expect:
        assert plan.requests == expect["requests"]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_invariants(path: Path) -> None:
    """Properties every plan has: JSON round trip, fingerprints of exactly what it touches,
    fresh against the state it was made from, renderable within the Markdown limit."""
    case = load_case(path)
    plan = _plan(case)
    assert Plan.from_json(plan.to_json()) == plan
    assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()
    touched = {a for c in plan.changes for a in c.fingerprint_addresses}
    assert set(plan.fingerprints) == touched
    assert stale_addresses(plan, case["observed"]) == []
    assert _plan(case) == plan  # pure: same inputs, same plan
    assert len(render_markdown(plan)) <= 65536
    assert render_text(plan).endswith(
        "No changes. The Hub matches the configuration.\n" if not plan.changes else
        "to destroy.\n")


#: Drift kinds from issue 4 and the change that restores each one.
DRIFT_KINDS = {
    "visibility flipped": "set_visibility", "gating changed": "set_gating",
    "card edited": "update_card", "tag moved": "move_tag", "tag deleted": "create_tag",
    "branch deleted": "create_branch", "files changed on a branch": "commit_files",
    "collection item removed": "add_collection_item",
    "collection item reordered": "update_collection_item",
}
NOTICE_CODES = {"unmanaged-collision", "orphaned", "tag-points-elsewhere", "undeclared-branch",
                "undeclared-tag", "undeclared-files", "undeclared-collection-item",
                "duplicate-collection"}


def test_cases_cover_every_kind_flag_and_drift() -> None:
    kinds: set[str] = set()
    flags: set[str] = set()
    drift: set[str] = set()
    codes: set[str] = set()
    actions: set[str] = set()
    for path in CASES:
        plan = _plan(load_case(path))
        kinds |= {c.kind for c in plan.changes}
        flags |= {f for c in plan.changes for f in c.flags}
        drift |= {c.kind for c in plan.changes if c.drift}
        codes |= {n.code for n in plan.notices}
        actions |= {c.action for c in plan.changes}
    assert set(CHANGE_KINDS) - kinds == set()
    assert set(FLAGS) - flags == set()
    assert set(DRIFT_KINDS.values()) - drift == set()
    assert NOTICE_CODES - codes == set()
    assert {"create", "update", "delete", "replace"} - actions == set()
