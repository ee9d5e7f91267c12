"""Steps after the diff are `Plan -> Plan` passes (issue 17): each works alone, and
`build_plan` runs them in one list, then the --target restriction."""

from __future__ import annotations

from plancase import case_paths, load_case

from release.plan import build_plan
from release.plan.model import Notice
from release.plan.passes import restricted_to, run_passes, with_notices
from release.plan.targets import Selection

TARGETED = [p for p in case_paths() if load_case(p)["targets"]]


def test_restriction_is_a_pass() -> None:
    assert TARGETED
    for path in TARGETED:
        case = load_case(path)
        desired, observed, targets = case["desired"], case["observed"], case["targets"]
        whole = build_plan(desired, observed)
        alone = restricted_to(Selection(tuple(targets), desired, observed), observed)(whole)
        assert alone == build_plan(desired, observed, targets=targets), path.stem
        assert alone.targets == tuple(targets)


def test_notices_pass_merges_in_order_and_then_the_target_applies() -> None:
    case = load_case(next(p for p in TARGETED if p.stem == "targets_repo"))
    desired, observed, targets = case["desired"], case["observed"], case["targets"]
    kept_repo = next(c.group for c in build_plan(desired, observed, targets=targets).changes)
    other_repo = next(r.repo_id for r in desired.repos if r.repo_id != kept_repo)
    extra = [Notice(address=f"files:{repo}@main", code="structure", message="incomplete",
                    repo_id=repo) for repo in (other_repo, kept_repo)]
    plan = build_plan(desired, observed, targets=targets, passes=[with_notices(extra)])
    assert [n for n in plan.notices if n.code == "structure"] == [extra[1]]
    untargeted = run_passes(build_plan(desired, observed), [with_notices(extra)])
    codes = [(n.address, n.code) for n in untargeted.notices]
    assert codes == sorted(codes) and len(untargeted.notices) >= 2
