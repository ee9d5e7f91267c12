"""`build_plan(desired, observed)`: the pure diff from config and Hub state to a Plan.

No network, clock or randomness: the same inputs give the same plan, byte for byte.

Ownership: a repo is managed iff its card metadata carries the provenance block. A declared repo
that exists unmanaged is reported and left alone unless the variant sets `adopt`: no change to
it, no tag, and no collection item for it (its place in the order is kept for the others). A
managed repo of a declared family that the config no longer declares is deleted only with
`prune`, otherwise reported as orphaned. Anything else on the Hub is never touched.

Order: by repo id, the apply order within each repo (see `repo_diff`), then collections.
"""

from __future__ import annotations

from collections.abc import Sequence

from release.config.names import natural_key
from release.plan.collection_diff import plan_collections
from release.plan.fingerprint import fingerprints_for
from release.plan.model import Change, DeleteRepo, Notice, Plan, repo_address
from release.plan.passes import PlanPass, restricted_to, run_passes
from release.plan.repo_diff import RepoDiff
from release.plan.targets import Selection
from release.state import DesiredState, ObservedState


def _undeclared(desired: DesiredState, observed: ObservedState,
                per_repo: dict[str, list[Change]], notices: list[Notice]) -> None:
    declared = {repo.repo_id for repo in desired.repos}
    # A repo a `moved` entry names is declared under its new id: it is moved, not orphaned
    # (or, when the new id exists too, the plan is blocked: `_move_conflicts`).
    moved_away = {move.old.lower() for move in desired.moves}
    for repo_id in sorted(observed.repos):
        have = observed.repos[repo_id]
        provenance = have.provenance
        if observed.aliases.current(repo_id) in declared or repo_id.lower() in moved_away \
                or provenance is None or provenance.family not in desired.families:
            continue
        if desired.prune:
            per_repo[repo_id] = [DeleteRepo(repo_id=repo_id, repo_type=have.repo_type,
                                            family=provenance.family,
                                            variant=provenance.variant, private=have.private,
                                            head=have.sha)]
        else:
            notices.append(Notice(
                address=repo_address("repo", repo_id), code="orphaned", repo_id=repo_id,
                message=f"{repo_id} is managed by release (family {provenance.family}, variant "
                        f"{provenance.variant}) but no longer declared; left in place "
                        "(prune: true deletes it)"))


def _move_conflicts(desired: DesiredState, observed: ObservedState) -> list[Notice]:
    """A declared repo on the Hub under its id *and* a previous one: two repos, one name.
    Neither is changed; the plan is blocked until the config or the Hub says which is which."""
    present = {repo_id.lower(): repo_id for repo_id in observed.repos}
    notices = []
    for repo in desired.repos:
        if repo.repo_id.lower() not in present:
            continue
        for move in desired.moved_from(repo.repo_id):
            old = present.get(move.old.lower())
            if old is None:
                continue
            notices.append(Notice(
                address=repo_address("repo", repo.repo_id), code="move-conflict",
                repo_id=repo.repo_id, blocks=True,
                message=f"both {old} and {repo.repo_id} exist on the Hub, so the move "
                        f"{move.old} -> {move.new} declared at {move.where or 'moved'} cannot "
                        f"be made; release changes neither. If {repo.repo_id} is the repo, "
                        f"delete or rename {old} on the Hub (or drop the 'moved' entry); if "
                        f"{old} is, delete or rename {repo.repo_id} on the Hub first"))
    return notices


def build_plan(desired: DesiredState, observed: ObservedState,
               targets: Sequence[str] = (), passes: Sequence[PlanPass] = ()) -> Plan:
    """The changes that make the Hub match `desired`, after `passes` (`release.plan.passes`),
    then restricted to `targets` if any."""
    per_repo: dict[str, list[Change]] = {}
    notices: list[Notice] = []
    left_alone: set[str] = set()
    for want in desired.repos:
        have = observed.repo(want.repo_id)
        diff = RepoDiff(want, have, prune=desired.prune,
                        readme_text=observed.readmes.get(have.repo_id) if have else None)
        changes, told = diff.plan()
        per_repo[want.repo_id] = changes
        notices.extend(told)
        if diff.left_alone:
            left_alone.add(want.repo_id)
    _undeclared(desired, observed, per_repo, notices)
    notices.extend(_move_conflicts(desired, observed))
    ordered = [change for repo_id in sorted(per_repo, key=natural_key)
               for change in per_repo[repo_id]]
    collection_changes, collection_notices = plan_collections(desired, observed, left_alone)
    ordered.extend(collection_changes)
    notices.extend(collection_notices)
    notices.sort(key=lambda n: (natural_key(n.address), n.code))
    plan = Plan(changes=tuple(ordered), notices=tuple(notices),
                fingerprints=fingerprints_for(ordered, observed), requests=observed.requests,
                config_digest=desired.config_digest,
                aliases=dict(observed.aliases.previous_to_current))
    steps = list(passes)
    if targets:
        steps.append(restricted_to(Selection(tuple(targets), desired, observed), observed))
    return run_passes(plan, steps)
