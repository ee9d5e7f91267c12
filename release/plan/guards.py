"""Plan passes that can refuse a plan: protection and release policy (`Plan -> Plan`).

Both add notices with `blocks` set; `release plan` exits 1 on such a plan and `release apply`
refuses it before any write (a saved one too). Pure: the clock is a parameter (`today`), so
the same inputs still give the same plan.

Protection: a repo with `protect: true`, or public and tagged on the Hub when `protect` is
unset, may not be deleted, unpublished, ungated, nor have a tag deleted or moved, until the
config lifts it (`protect: false`), named in the notice with its file:line. Moving a tag that
was moved outside release back to the commit release left it at is allowed: it restores the
release. Moving (renaming) a protected repo is allowed and said (`moved-protected`): nothing
is lost and the Hub redirects the old id; its other changes are guarded under the new id.

Release policy: a repo that is public after the plan (or stays public) and that the plan
changes must pass each check its variant leaves on (`policy:`): a license in the card, the
required card sections, no undeclared files on main or a release revision, a managed
`base_model` public too, release revisions that pass the artifacts structure check, and no
publishing before `policy.embargo`. A check turned off is said in the plan (`policy-relaxed`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from release.config.variants import matches
from release.plan.model import (
    Change,
    DeleteRepo,
    DeleteTag,
    MoveRepo,
    MoveTag,
    Notice,
    Plan,
    RepoChange,
    SetGating,
    SetVisibility,
    repo_address,
)
from release.plan.passes import PlanPass, with_notices
from release.state import DesiredRepo, DesiredState, ObservedRepo, ObservedState, split_card

_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def guarded(desired: DesiredState, observed: ObservedState, today: date) -> PlanPass:
    """The pass: `plan` with the notices of protection and release policy."""
    return lambda plan: guard(plan, desired, observed, today)


def guard(plan: Plan, desired: DesiredState, observed: ObservedState, today: date) -> Plan:
    """`plan` with the notices of protection and release policy (blocking or relaxed)."""
    wanted = {repo.repo_id: repo for repo in desired.repos}
    notices = [*_protection(plan.changes, wanted, desired, observed),
               *_policy(plan, wanted, observed, today)]
    return with_notices(notices)(plan)


# --------------------------------------------------------------------------------------------
# Protection


def _protected_action(change: Change) -> str | None:
    """What `change` would do that protection forbids, or None."""
    if not isinstance(change, RepoChange):
        return None
    repo = change.repo_id
    if isinstance(change, DeleteRepo):
        return f"delete {repo}"
    if isinstance(change, DeleteTag):
        return f"delete the tag {change.tag} of {repo}"
    if isinstance(change, MoveTag):
        return f"move the tag {change.tag} of {repo}"
    if isinstance(change, SetVisibility) and "unpublishes" in change.flags:
        return f"make {repo} private"
    if isinstance(change, SetGating) and "ungates" in change.flags:
        return f"remove the gating of {repo}"
    return None


def _protection(changes: Iterable[Change], wanted: dict[str, DesiredRepo],
                desired: DesiredState, observed: ObservedState) -> list[Notice]:
    notices = []
    for change in changes:
        if isinstance(change, MoveRepo):
            notices += _protected_move(change, wanted, desired, observed)
            continue
        action = _protected_action(change)
        if action is None or not isinstance(change, RepoChange):
            continue
        # Looked up through aliases: a repo this plan moves keeps its protection.
        if _restores_release(change, observed.repo(change.repo_id)):
            continue
        why = _protected_by(change.repo_id, wanted.get(change.repo_id), desired,
                            observed.repo(change.repo_id))
        if why is None:
            continue
        notices.append(Notice(
            address=change.address, code="protected", repo_id=change.repo_id, blocks=True,
            message=f"this plan would {action}; {change.repo_id} is protected: {why}"))
    return notices


def _protected_move(change: MoveRepo, wanted: dict[str, DesiredRepo], desired: DesiredState,
                    observed: ObservedState) -> list[Notice]:
    """Moving a protected repo is allowed: nothing is deleted or unpublished, its revisions,
    tags and settings go with it, and the Hub redirects the old id. Said, not blocked; the
    repo's other changes are still guarded (under its new id, through the aliases)."""
    why = _protected_by(change.repo_id, wanted.get(change.repo_id), desired,
                        observed.repo(change.repo_id))
    if why is None:
        return []
    return [Notice(address=change.address, code="moved-protected", repo_id=change.repo_id,
                   message=f"{change.old_repo_id} is protected ({why.split(';')[0]}); moving "
                           "it is allowed: its revisions, tags and settings go with it and the "
                           f"Hub redirects {change.old_repo_id} to {change.repo_id}")]


def _restores_release(change: Change, have: ObservedRepo | None) -> bool:
    """A tag moved outside release, moved back to the commit release left it at: that puts
    the release back as it was, which is what protection is for."""
    return (isinstance(change, MoveTag) and change.drift and have is not None
            and change.target is not None and change.target == have.tag_targets.get(change.tag))


def _protected_by(repo_id: str, want: DesiredRepo | None, desired: DesiredState,
                  have: ObservedRepo | None) -> str | None:
    """Why the repo is protected (naming the config line), or None."""
    if want is not None:
        explicit, at = want.safeguards.protect, want.safeguards.protect_at
    else:  # no longer declared: the family's protect layers that match its variant
        explicit, at = None, ""
        provenance = have.provenance if have is not None else None
        if provenance is not None:
            for layer in desired.protect_layers.get(provenance.family, ()):
                if layer.selector is None or matches(layer.selector, provenance.variant):
                    explicit, at = layer.protect, layer.where
    if explicit is True:
        return f"protect: true at {at}; set it to false there to allow this"
    if explicit is False or have is None or have.private or not have.tags:
        return None
    tags = ", ".join(sorted(have.tags))
    lift = (f"set protect: false under {at}" if at else
            "set protect: false for its variant under the family's 'variants' (or defaults)")
    return (f"public and tagged ({tags}) on the Hub, protected by default; to allow this, "
            f"{lift}")


# --------------------------------------------------------------------------------------------
# Release policy


def _public_after(want: DesiredRepo, have: ObservedRepo | None) -> bool:
    if want.visibility_managed:
        return want.visibility == "public"
    return have is not None and not have.private


def _policy(plan: Plan, wanted: dict[str, DesiredRepo], observed: ObservedState,
            today: date) -> list[Notice]:
    changed: dict[str, list[Change]] = {}
    for change in plan.changes:
        if isinstance(change, RepoChange) and not isinstance(change, DeleteRepo):
            changed.setdefault(change.repo_id, []).append(change)
    notices: list[Notice] = []
    for repo_id, changes in sorted(changed.items()):
        want = wanted.get(repo_id)
        have = observed.repo(repo_id)
        if want is None or not _public_after(want, have):
            continue
        publishes = any("publishes" in c.flags for c in changes)
        problems = _problems(want, plan, wanted, observed, today, publishes)
        for name, problem in problems:
            # card_sections is a list: `[]` turns it off (`false` is not a list, refused).
            off = "[]" if name == "card_sections" else "false"
            lift = "" if name == "embargo" else (f"; if intended, relax it with policy.{name}: "
                                                 f"{off} for this variant")
            notices.append(Notice(
                address=repo_address("repo", repo_id), code="policy", repo_id=repo_id,
                blocks=True, message=f"release policy '{name}': {problem}{lift}"))
        for name, at in want.safeguards.relaxed:
            notices.append(Notice(
                address=repo_address("repo", repo_id), code="policy-relaxed", repo_id=repo_id,
                message=f"release policy '{name}' is not checked for {repo_id} (turned off at "
                        f"{at})"))
    return notices


def _problems(want: DesiredRepo, plan: Plan, wanted: dict[str, DesiredRepo],
              observed: ObservedState, today: date, publishes: bool) -> list[tuple[str, str]]:
    guards = want.safeguards
    metadata, body = split_card(want.card_text)
    problems: list[tuple[str, str]] = []
    if guards.checks("license") and not metadata.get("license"):
        problems.append(("license", "the card names no license (card.metadata.license)"))
    if guards.checks("card_sections"):
        headings = {h.strip().lower() for h in _HEADING.findall(body)}
        missing = [s for s in guards.card_sections if s.strip().lower() not in headings]
        if missing:
            problems.append(("card_sections", "the card has no section "
                             + ", ".join(f"'{s}'" for s in missing)))
    released = {"main", *(tag.revision for tag in want.tags)}
    if guards.checks("undeclared_files"):
        # Only revisions whose files the config declares (a folder): without one, the config
        # does not manage that branch's files, so none of them is undeclared.
        addresses = {repo_address("files", want.repo_id, b) for b in released
                     if (branch := want.branch(b)) is not None and branch.source is not None}
        for notice in plan.notices:
            if notice.code == "undeclared-files" and notice.address in addresses:
                problems.append(("undeclared_files", f"{notice.address}: {notice.message}"))
    if guards.checks("base_model"):
        for base in _base_models(metadata):
            parent = wanted.get(base)
            if parent is not None and not _public_after(parent, observed.repo(base)):
                problems.append(("base_model", (f"its base_model {base} is managed here and "
                                                "stays private; publish it first (or in the "
                                                "same plan)")))
    if guards.checks("structure"):
        for notice in plan.notices:
            if notice.code == "structure" and notice.repo_id == want.repo_id:
                problems.append(("structure", f"{notice.address}: {notice.message}"))
    if guards.embargo is not None and publishes and today < date.fromisoformat(guards.embargo):
        problems.append(("embargo", (f"{want.repo_id} may not be published before "
                                     f"{guards.embargo} (today is {today.isoformat()}; set at "
                                     f"{guards.embargo_at})")))
    return problems


def _base_models(metadata: dict[str, object]) -> list[str]:
    value = metadata.get("base_model")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []

