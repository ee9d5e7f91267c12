"""The plan: the ordered changes, notices, per-object fingerprints, JSON, and a visitor.

Operations are data (huggingface_hub's CommitOperation*, SQLMesh's plan stages): the renderers
and the applier both *visit* `Plan.changes`, so what a reviewer reads is what runs. A saved plan
holds everything apply needs without re-expanding the config, except file contents, which are
referenced by local path + sha256 (and re-hashed at apply). No field ever holds a credential.
The change types live in `release.plan.changes` and are re-exported here (all of them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

# The change union and its facts are re-exported whole: no list of names to keep in sync.
from release.plan.changes import *  # noqa: F403
from release.plan.changes import (
    FLAGS,
    RISKY_FLAGS,
    Action,
    Change,
    CommitFiles,
    Json,
    MoveRepo,
    PlanFormatError,
    UpdateCard,
    change_from_dict,
)

#: Minor = additive, major = breaking (Terraform's rule for its JSON plan). 2.0: a saved plan is
#: sealed (`digest`) and bound to the hub and identity it was made against (`hub`, `identity`).
#: 2.1: notices say whether they block apply (`blocks`: protection, release policy).
#: 2.2: `move_repo` (a `moved` entry renames a repo); `summary.move` counts them.
#: 2.3: `create_branch` may carry `initial: true` (a file-less run branch of a new repo, made at
#: its initial commit, not from main); absent = false, so 2.2 plans read the same, and a 2.2
#: release fails closed on a plan holding one (an unknown field: "made by a newer release").
#:
#: A new change kind, or a new field of a kind, is a MINOR bump (2.0 -> 2.1): the document's
#: shape is unchanged and JSON consumers that list changes by address, action and flags keep
#: working. An older release reading such a plan fails closed: `change_from_dict` rejects the
#: unknown kind (or field) before anything is written, and `from_json` says the plan comes
#: from a newer release. A kind whose meaning changes (fields renamed or reinterpreted) is a
#: MAJOR bump. `tests/plan/test_change_facts.py` pins the kinds of this version and their
#: fields, so adding one fails there until the version says so.
FORMAT_VERSION = "2.3"


def _minor(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else (0, 0)


def content_digest(data: Mapping[str, Json]) -> str:
    """`sha256:<hex>` of a plan document's canonical JSON, its own `digest` key left out.

    The seal makes any edit of a saved plan detectable (a changed setting, a dropped change).
    It is a checksum, not a signature: it stops accidents and hand edits, not a forger.
    """
    body = {key: value for key, value in data.items() if key != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

# --------------------------------------------------------------------------------------------
# Notices: reported, never acted on


@dataclass(frozen=True)
class Notice:
    """Something a reviewer should know that the plan does not act on.

    Codes: unmanaged-collision, orphaned, tag-points-elsewhere, tag-moved, undeclared-branch,
    undeclared-tag, undeclared-files, undeclared-collection-item, duplicate-collection,
    repo-id-case, structure, protected, policy, policy-relaxed, move-conflict, moved-protected.
    `drift` marks things changed outside release that the config does not govern. `blocks`
    marks a reason apply refuses the whole plan (a protected object, a failed release policy;
    see `release.plan.guards`): fixed only by changing the config or the Hub.
    """

    kind: ClassVar[str] = "notice"
    address: str
    code: str
    message: str
    drift: bool = False
    repo_id: str | None = None
    blocks: bool = False

    @property
    def action(self) -> Action:
        return "no-op"

    @property
    def group(self) -> str:
        return self.repo_id or self.address

    def to_dict(self) -> dict[str, Json]:
        return {"address": self.address, "code": self.code, "message": self.message,
                "drift": self.drift, "repo_id": self.repo_id, "blocks": self.blocks}

    @classmethod
    def from_dict(cls, data: Mapping[str, Json]) -> Notice:
        return cls(address=str(data["address"]), code=str(data["code"]),
                   message=str(data["message"]), drift=bool(data.get("drift", False)),
                   repo_id=data.get("repo_id"), blocks=bool(data.get("blocks", False)))


# --------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class PlanCounts:
    """Terraform's counts: a replace is one add and one destroy; no-ops and notices don't count.

    A destroy is a change flagged `destroys` (every delete and replace is), whatever its
    action: a commit that updates some files and prunes others is one change and one destroy,
    and the renderers' `!!!` header counts the same changes.
    """

    add: int
    change: int
    destroy: int
    move: int = 0  # repos renamed (each is also one change)

    @classmethod
    def of(cls, changes: Iterable[Change]) -> PlanCounts:
        changes = list(changes)
        actions = [c.action for c in changes]
        return cls(add=sum(a in ("create", "replace") for a in actions),
                   change=actions.count("update"),
                   destroy=sum("destroys" in c.flags for c in changes),
                   move=sum(isinstance(c, MoveRepo) for c in changes))


@dataclass(frozen=True)
class ContentCommit:
    """What apply sends as one `create_commit` on one branch: the card (main only) and files."""

    repo_id: str
    branch: str
    parent_commit: str | None
    card: UpdateCard | None = None
    files: CommitFiles | None = None

    @property
    def release_tags(self) -> tuple[str, ...]:
        """`Release-Tag:` trailer values for the commit message (see CommitFiles)."""
        if self.files is not None and self.files.release_tags:
            return self.files.release_tags
        return self.card.release_tags if self.card is not None else ()


@dataclass(frozen=True)
class Plan:
    """The ordered changes (apply order), notices, and the observed fingerprints they rely on.

    `fingerprints` maps every address a change relies on to its observed fingerprint (see
    `release.plan.fingerprint`); `requests` is the number of Hub requests the observation took.
    `hub` names the Hub observed (its endpoint, or `local:<data dir>` for the embedded local
    hub) and `identity` the user the token authenticated as (never the token): a saved plan is
    applied only there, as that user (`release.plan.saved.check_bound`).
    """

    changes: tuple[Change, ...] = ()
    notices: tuple[Notice, ...] = ()
    fingerprints: Mapping[str, Json] = field(default_factory=dict)
    requests: int = 0
    targets: tuple[str, ...] = ()
    config_digest: str = ""
    hub: str = ""
    identity: str | None = None
    #: Previous repo id -> current id, as observed (`ObservedState.aliases`): the stale check
    #: looks for a repo under the ids it had before. In the JSON only when there are some.
    aliases: Mapping[str, str] = field(default_factory=dict)
    format_version: str = FORMAT_VERSION

    @property
    def counts(self) -> PlanCounts:
        return PlanCounts.of(self.changes)

    @property
    def has_changes(self) -> bool:
        return any(c.action != "no-op" for c in self.changes)

    def flagged(self, flag: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if flag in c.flags)

    @property
    def drift_notices(self) -> tuple[Notice, ...]:
        """Changes made outside release that this plan reports but may not restore (e.g. a
        release tag moved without `move_tag`): `--detailed-exitcode` counts them."""
        return tuple(n for n in self.notices if n.drift)

    @property
    def blocked(self) -> tuple[Notice, ...]:
        """Why apply refuses this plan (protection, release policy): nothing is applied."""
        return tuple(n for n in self.notices if n.blocks)

    @property
    def in_sync(self) -> bool:
        """Nothing to change and no drift: what exit code 0 of `--detailed-exitcode` means."""
        return not self.has_changes and not self.drift_notices

    @property
    def risky(self) -> tuple[Change, ...]:
        """Changes that remove something or change who can see it (`RISKY_FLAGS`): shown
        first, and apply asks for a typed `yes` before them."""
        return tuple(c for c in self.changes if any(f in c.flags for f in RISKY_FLAGS))

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.drift)

    def content_commits(self) -> tuple[ContentCommit, ...]:
        """Card + files per (repo, branch), in plan order: one atomic commit each."""
        commits: dict[tuple[str, str], ContentCommit] = {}
        for change in self.changes:
            if isinstance(change, (UpdateCard, CommitFiles)):
                key = (change.repo_id, change.branch)
                current = commits.get(key) or ContentCommit(change.repo_id, change.branch,
                                                            change.parent_commit)
                if isinstance(change, UpdateCard):
                    commits[key] = dataclasses.replace(current, card=change)
                else:
                    commits[key] = dataclasses.replace(current, files=change)
        return tuple(commits.values())

    # -- JSON ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Json]:
        """The JSON document, sealed: `digest` covers every other key (`content_digest`)."""
        counts = self.counts
        data: dict[str, Json] = {
            "format_version": self.format_version,
            "config_digest": self.config_digest,
            "hub": self.hub,
            "identity": self.identity,
            "targets": list(self.targets),
            "requests": self.requests,
            "summary": {"add": counts.add, "change": counts.change, "destroy": counts.destroy,
                        "move": counts.move,
                        **{flag: len(self.flagged(flag)) for flag in FLAGS},
                        "notices": len(self.notices), "blocked": len(self.blocked)},
            "changes": [c.to_dict() for c in self.changes],
            "notices": [n.to_dict() for n in self.notices],
            "fingerprints": dict(sorted(self.fingerprints.items())),
        }
        if self.aliases:
            data["aliases"] = dict(sorted(self.aliases.items()))
        # Through JSON first, so the digest is computed on exactly what a reader will parse.
        data = json.loads(json.dumps(data))
        data["digest"] = content_digest(data)
        return data

    def to_json(self) -> str:
        """Deterministic bytes: sorted keys, fixed indentation, trailing newline."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Json]) -> Plan:
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as err:
                raise PlanFormatError(f"saved plan is not valid JSON: {err}") from err
        if not isinstance(data, Mapping):
            raise PlanFormatError("saved plan: expected a JSON object")
        version = str(data.get("format_version", ""))
        major = FORMAT_VERSION.split(".")[0]
        if version.split(".")[0] != major:
            older = version.split(".")[0].isdigit() and int(version.split(".")[0]) < int(major)
            made_by = ("an older release, before saved plans were sealed and bound to a hub"
                       if older else "another release of this tool")
            raise PlanFormatError(f"saved plan has format_version {version!r} ({made_by}); "
                                  f"this release reads {major}.x. Nothing was written: run "
                                  "'release plan -o FILE' again and review the new plan")
        if data.get("digest") != content_digest(data):
            raise PlanFormatError("saved plan was modified after it was saved (its digest does "
                                  "not match its content); a plan is applied only exactly as "
                                  "saved. Nothing was written: run 'release plan -o FILE' "
                                  "again and review the new plan")
        try:
            changes = tuple(change_from_dict(c) for c in data.get("changes", ()))
        except PlanFormatError as err:
            if _minor(version) <= _minor(FORMAT_VERSION):
                raise
            raise PlanFormatError(f"{err}: the plan has format_version {version}, made by a "
                                  f"newer release than this one (which reads up to "
                                  f"{FORMAT_VERSION}). Nothing was written: apply it with "
                                  "that release, or plan again with this one") from err
        return cls(changes=changes,
                   notices=tuple(Notice.from_dict(n) for n in data.get("notices", ())),
                   fingerprints=dict(data.get("fingerprints", {})),
                   requests=int(data.get("requests", 0)),
                   targets=tuple(data.get("targets", ())),
                   config_digest=str(data.get("config_digest", "")),
                   hub=str(data.get("hub", "")),
                   identity=None if data.get("identity") is None else str(data["identity"]),
                   aliases={str(k): str(v) for k, v in dict(data.get("aliases", {})).items()},
                   format_version=version)
