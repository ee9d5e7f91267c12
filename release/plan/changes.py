"""The change union: one typed dataclass per thing apply can do, each with an address.

Every change has an `address` (`repo:ns/name`, `settings:…`, `card:…`, `files:…@branch`,
`branch:…@branch`, `tag:…@tag`, `collection:ns/Title`, `collection-item:ns/Title@repo`), an
`action` (create | update | delete | replace), JSON-able `before`/`after`, risk `flags`, the
fields apply needs, and `kind`, its name in a saved plan. (address, kind) is unique in a plan:
visibility and gating share the `settings:` address.

One place per fact: each kind declares, on its class, its `kind` and its `phase` in a repo's
apply order (class keywords, required: a kind without them fails at import), its `risks`, and
what it `requires` and `provides` (`--target` follows these to keep what a change cannot be
applied without). The unions `AnyRepoChange` / `AnyCollectionChange` are the one list of kinds:
the JSON registry is derived from them, and the applier and the renderers dispatch over them
with `match` ending in `unreachable`, so a kind they do not handle fails mypy.

Adding a kind: its class here and its name in the union; then mypy names every `match` that
lacks it (the applier, `describe.Summary`). A saved plan holding the new kind is unreadable by
an older release (`change_from_dict` rejects unknown kinds): see `model.FORMAT_VERSION`.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, ClassVar, Literal, NoReturn, cast, get_args

from release.address import Address, AddressKind
from release.errors import ReleaseError
from release.plan.carddiff import MetadataChange, body_diff, metadata_changes

Action = Literal["create", "update", "delete", "replace", "no-op"]
ACTIONS: tuple[str, ...] = ("create", "update", "delete", "replace", "no-op")


class Severity(IntEnum):
    """How loudly a risk is shown."""

    NOTE = 0  # listed in the change's flags
    LOUD = 1  # also painted red in the text plan
    RISKY = 2  # also shown first (the `!!!` header, the caution box); apply asks a typed `yes`


class Risk(Enum):
    """Risk flags, in the order reviewers should see them (destructive first), with their
    severity. RISKY ones remove something or change who can see it."""

    DESTROYS = ("destroys", Severity.RISKY)
    PUBLISHES = ("publishes", Severity.RISKY)
    UNPUBLISHES = ("unpublishes", Severity.RISKY)
    GATES = ("gates", Severity.NOTE)
    UNGATES = ("ungates", Severity.RISKY)
    MOVES_TAG = ("moves-tag", Severity.LOUD)
    DRIFT = ("drift", Severity.NOTE)

    def __init__(self, flag: str, severity: Severity) -> None:
        self.flag = flag
        self.severity = severity


#: The flag names (what plans print and JSON holds), in reviewing order.
FLAGS: tuple[str, ...] = tuple(risk.flag for risk in Risk)
#: The flags a reviewer must see before anything else.
RISKY_FLAGS: tuple[str, ...] = tuple(r.flag for r in Risk if r.severity >= Severity.RISKY)
#: The flags the text plan paints red.
LOUD_FLAGS: tuple[str, ...] = tuple(r.flag for r in Risk if r.severity >= Severity.LOUD)


class Phase(IntEnum):
    """A change's place in apply order: within a repo by phase (a stable sort keeps the plan's
    order among equals), and collections after every repo. A half-done release stays private:
    hide first, publish last."""

    CREATE = 0  # create the repo (private) or delete it
    HIDE = 1  # visibility to private, before anything changes
    # File-less run branches of a new repo, at its initial commit: before main's first commit
    # moves main's head off it (`CreateBranch.initial`).
    INITIAL_BRANCHES = 2
    CONTENT = 3  # card + files commits, branch creations (start points first)
    PRUNE_BRANCHES = 4
    TAGS = 5  # at the reviewed content
    GATING = 6
    PUBLISH = 7  # visibility to public: always last
    COLLECTIONS = 8  # after every repo, in plan order


#: What a change provides or requires, e.g. ("repo", id), ("branch", id, name),
#: ("content", id, branch), ("collection", address).
Requirement = tuple[str, ...]

Json = Any


class PlanFormatError(ReleaseError):
    """A saved plan file this version cannot read (wrong format version or damaged)."""


def repo_address(kind: str, repo_id: str, ref: str | None = None) -> str:
    """`kind:ns/name` or `kind:ns/name@ref` (printed by `release.address.Address`)."""
    return str(Address(AddressKind(kind), repo_id, ref))


def collection_address(namespace: str, title: str) -> str:
    return str(Address.collection(namespace, title))


def collection_item_address(namespace: str, title: str, item_id: str) -> str:
    return str(Address.collection_item(namespace, title, item_id))


def tag_record_addresses(repo_id: str, records: tuple[str, ...]) -> tuple[str, ...]:
    """The tags whose current position a commit's `release_tags` records (kept tags)."""
    return tuple(repo_address("tag", repo_id, record.split(" ", 1)[0])
                 for record in records if " " in record)


# --------------------------------------------------------------------------------------------
# The change union

#: Abstract bases that declare no kind.
_FAMILIES = frozenset({"RepoChange", "CollectionChange"})
#: Every concrete kind, in definition order (checked against the unions below).
_DEFINED: list[type[Change]] = []


@dataclass(frozen=True, kw_only=True)
class Change:
    """One thing apply will do. Subclasses add the fields apply needs, and declare their facts:
    `class CreateRepo(RepoChange, kind="create_repo", phase=Phase.CREATE)`."""

    kind: ClassVar[str]
    default_phase: ClassVar[Phase]
    #: The difference comes from a change made outside release (or an interrupted apply).
    drift: bool = False
    #: For reviewers: why this change is drift, or what else they should know.
    reason: str = ""

    @property
    def address(self) -> str:
        raise NotImplementedError

    @property
    def action(self) -> Action:
        raise NotImplementedError

    def __init_subclass__(cls, *, kind: str = "", phase: Phase | None = None,
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not kind and not cls.__name__.startswith("_") and cls.__name__ not in _FAMILIES:
            raise TypeError(f"change kind {cls.__name__} must declare kind= and phase=")
        if kind:
            if phase is None:
                raise TypeError(f"change kind {cls.__name__} must declare its phase=")
            cls.kind, cls.default_phase = kind, phase
            _DEFINED.append(cls)

    @property
    def phase(self) -> Phase:
        """Where this change runs in its repo's apply order (see `Phase`)."""
        return self.default_phase

    @property
    def group(self) -> str:
        """What renderers group by: the repo id, or the collection address."""
        raise NotImplementedError

    @property
    def risks(self) -> frozenset[Risk]:
        return frozenset()

    @property
    def flags(self) -> tuple[str, ...]:
        present = self.risks | ({Risk.DRIFT} if self.drift else set())
        return tuple(risk.flag for risk in Risk if risk in present)

    def requires(self) -> frozenset[Requirement]:
        """What must exist before this change can be applied."""
        return frozenset()

    def provides(self) -> frozenset[Requirement]:
        """What this change brings into being (what others may require)."""
        return frozenset()

    @property
    def before(self) -> Json:
        return None

    @property
    def after(self) -> Json:
        return None

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        """The observed objects whose state this change relies on (checked before apply)."""
        return (self.address,)

    # -- JSON ---------------------------------------------------------------------------------

    def fields_json(self) -> dict[str, Json]:
        skip = {"drift", "reason"}
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name not in skip}

    def to_dict(self) -> dict[str, Json]:
        return {"kind": self.kind, "address": self.address, "action": self.action,
                "flags": list(self.flags), "drift": self.drift, "reason": self.reason,
                "before": self.before, "after": self.after, "fields": self.fields_json()}

    @classmethod
    def decode_fields(cls, fields: Mapping[str, Json]) -> dict[str, Any]:
        return {key: tuple(value) if isinstance(value, list) else value
                for key, value in fields.items()}


def _encode(value: Any) -> Json:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    return value


@dataclass(frozen=True, kw_only=True)
class RepoChange(Change):
    repo_id: str

    @property
    def group(self) -> str:
        return self.repo_id

    def requires(self) -> frozenset[Requirement]:
        return frozenset({("repo", self.repo_id)})


@dataclass(frozen=True, kw_only=True)
class CreateRepo(RepoChange, kind="create_repo",
                 phase=Phase.CREATE):
    """Create the repo, always private: publishing is a separate, last `SetVisibility`."""

    repo_type: str = "model"
    family: str = ""
    variant: str = ""

    @property
    def address(self) -> str:
        return repo_address("repo", self.repo_id)

    @property
    def action(self) -> Action:
        return "create"

    def provides(self) -> frozenset[Requirement]:
        return frozenset({("repo", self.repo_id)})

    @property
    def after(self) -> Json:
        return {"repo_type": self.repo_type, "private": True, "family": self.family,
                "variant": self.variant}


@dataclass(frozen=True, kw_only=True)
class MoveRepo(RepoChange, kind="move_repo", phase=Phase.CREATE):
    """Rename `old_repo_id` to `repo_id` (a `moved` entry): first, so the repo's other changes
    are made under its new id. The Hub redirects the old id; branches, tags, settings and
    collection memberships move with the repo. `head` is main's head the plan saw: after a
    lost answer, the repo found at `repo_id` with that head (or this variant's provenance) is
    this repo, moved."""

    old_repo_id: str
    repo_type: str = "model"
    family: str = ""
    variant: str = ""
    head: str | None = None

    @property
    def address(self) -> str:
        return repo_address("repo", self.repo_id)

    @property
    def action(self) -> Action:
        return "update"

    def requires(self) -> frozenset[Requirement]:
        return frozenset()  # the repo exists, under its previous id

    def provides(self) -> frozenset[Requirement]:
        return frozenset({("repo", self.repo_id)})

    @property
    def before(self) -> Json:
        return {"repo_id": self.old_repo_id, "head": self.head}

    @property
    def after(self) -> Json:
        return {"repo_id": self.repo_id}


@dataclass(frozen=True, kw_only=True)
class DeleteRepo(RepoChange, kind="delete_repo",
                 phase=Phase.CREATE):
    """Delete a managed repo its family no longer declares (only with `prune`)."""

    repo_type: str = "model"
    family: str = ""
    variant: str = ""
    private: bool = True
    head: str | None = None

    @property
    def address(self) -> str:
        return repo_address("repo", self.repo_id)

    @property
    def action(self) -> Action:
        return "delete"

    @property
    def risks(self) -> frozenset[Risk]:
        return frozenset({Risk.DESTROYS})

    @property
    def before(self) -> Json:
        return {"repo_type": self.repo_type, "private": self.private, "family": self.family,
                "variant": self.variant, "head": self.head}


@dataclass(frozen=True, kw_only=True)
class SetVisibility(RepoChange, kind="set_visibility",
                    phase=Phase.PUBLISH):
    """Flip private/public. `old` is None for a repo this plan creates (created private)."""

    old: str | None
    new: str

    @property
    def phase(self) -> Phase:
        # Hide before anything changes; publish once everything else is in.
        return Phase.HIDE if self.new == "private" else Phase.PUBLISH

    @property
    def address(self) -> str:
        return repo_address("settings", self.repo_id)

    @property
    def action(self) -> Action:
        return "create" if self.old is None else "update"

    @property
    def risks(self) -> frozenset[Risk]:
        if self.new == "public":
            return frozenset({Risk.PUBLISHES})
        return frozenset({Risk.UNPUBLISHES}) if self.old == "public" else frozenset()

    @property
    def before(self) -> Json:
        return None if self.old is None else {"visibility": self.old}

    @property
    def after(self) -> Json:
        return {"visibility": self.new}


@dataclass(frozen=True, kw_only=True)
class SetGating(RepoChange, kind="set_gating",
                phase=Phase.GATING):
    """Set access gating (False, "auto", "manual"). `old` is None for a repo this plan creates."""

    old: str | bool | None
    new: str | bool

    @property
    def address(self) -> str:
        return repo_address("settings", self.repo_id)

    @property
    def action(self) -> Action:
        return "create" if self.old is None else "update"

    @property
    def risks(self) -> frozenset[Risk]:
        if self.new and not self.old:
            return frozenset({Risk.GATES})
        if self.old and not self.new:
            return frozenset({Risk.UNGATES})
        return frozenset()

    @property
    def before(self) -> Json:
        return None if self.old is None else {"gated": self.old}

    @property
    def after(self) -> Json:
        return {"gated": self.new}


@dataclass(frozen=True, kw_only=True)
class UpdateCard(RepoChange, kind="update_card",
                 phase=Phase.CONTENT):
    """Write README.md on main. Apply puts it in the same commit as `CommitFiles@main`.

    `old_text` is None when the repo has no card or the reader did not fetch it (it fetches
    only when the oids differ). `adopt` marks the first write of the provenance block into an
    existing repo the config adopts.
    """

    old_text: str | None
    new_text: str
    old_oid: str | None
    new_oid: str
    parent_commit: str | None = None
    adopt: bool = False
    #: Where this commit leaves main's release tags (see `CommitFiles.release_tags`).
    release_tags: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return repo_address("card", self.repo_id)

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        return (self.address, *tag_record_addresses(self.repo_id, self.release_tags))

    @property
    def action(self) -> Action:
        return "create" if self.old_oid is None else "update"

    @property
    def branch(self) -> str:
        return "main"

    def requires(self) -> frozenset[Requirement]:
        return super().requires() | {("branch", self.repo_id, self.branch)}

    def provides(self) -> frozenset[Requirement]:
        return frozenset({("content", self.repo_id, self.branch)})

    @property
    def before(self) -> Json:
        return None if self.old_oid is None else {"oid": self.old_oid, "text": self.old_text}

    @property
    def after(self) -> Json:
        return {"oid": self.new_oid, "text": self.new_text}

    @property
    def compared(self) -> bool:
        """False when the Hub has a card whose text the plan does not know: no diff to show."""
        return self.old_oid is None or self.old_text is not None

    def metadata_changes(self) -> tuple[MetadataChange, ...]:
        return metadata_changes(self.old_text, self.new_text) if self.compared else ()

    def body_diff(self) -> str:
        return body_diff(self.old_text, self.new_text)

    def to_dict(self) -> dict[str, Json]:
        data = super().to_dict()
        # Derived, for JSON consumers (PR bots); ignored by from_json.
        data["metadata_changes"] = [_encode(m) for m in self.metadata_changes()]
        data["body_diff"] = self.body_diff() if self.compared else None
        return data


@dataclass(frozen=True)
class FileOperation:
    """One file in a content commit. Contents are referenced, never embedded, except generated
    files that have no local path (`content`, utf-8 text or base64 per `content_encoding`)."""

    path: str
    op: Literal["add", "update", "delete"]
    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None
    local_path: str | None = None
    content: str | None = None
    content_encoding: str | None = None
    old_size: int | None = None
    old_oid: str | None = None
    old_sha256: str | None = None

    def data(self) -> bytes | None:
        """The inline content as bytes, for generated files."""
        if self.content is None:
            return None
        if self.content_encoding == "base64":
            return base64.b64decode(self.content)
        return self.content.encode()


@dataclass(frozen=True, kw_only=True)
class CommitFiles(RepoChange, kind="commit_files",
                  phase=Phase.CONTENT):
    """One atomic commit on `branch`: `parent_commit` is the head the plan saw (None: the branch
    does not exist yet, it is created by this plan)."""

    branch: str
    parent_commit: str | None
    operations: tuple[FileOperation, ...]
    #: The branch's release tags as this apply leaves them, recorded in the commit message
    #: (`Release-Tag:` trailers): `"v1.0"` = this commit is v1.0's target, `"v1.0 <sha>"` =
    #: v1.0 stays at <sha>. The newest record tells a tag moved outside release from one left
    #: behind by release's own later commits (`ObservedRepo.tag_targets`).
    release_tags: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return repo_address("files", self.repo_id, self.branch)

    def requires(self) -> frozenset[Requirement]:
        return super().requires() | {("branch", self.repo_id, self.branch)}

    def provides(self) -> frozenset[Requirement]:
        return frozenset({("content", self.repo_id, self.branch)})

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        # A kept tag's position is written into the commit: it must not move before apply.
        return (self.address, *tag_record_addresses(self.repo_id, self.release_tags))

    @property
    def action(self) -> Action:
        if self.parent_commit is None:
            return "create"
        return "delete" if all(o.op == "delete" for o in self.operations) else "update"

    @property
    def risks(self) -> frozenset[Risk]:
        # Pruning deletes files (a 300 MB weight file is as gone as a deleted branch). On a
        # branch this plan creates, deletes only drop what it would inherit from its start
        # point: nothing on the Hub at this revision is lost.
        if self.parent_commit is not None and self.of("delete"):
            return frozenset({Risk.DESTROYS})
        return frozenset()

    def of(self, op: str) -> tuple[FileOperation, ...]:
        return tuple(o for o in self.operations if o.op == op)

    @property
    def before(self) -> Json:
        if self.parent_commit is None:
            return None
        return {"head": self.parent_commit,
                "files": {o.path: {"oid": o.old_oid, "sha256": o.old_sha256, "size": o.old_size}
                          for o in self.operations if o.op != "add"}}

    @property
    def after(self) -> Json:
        return {"files": {o.path: None if o.op == "delete" else {"sha256": o.sha256,
                                                                 "size": o.size}
                          for o in self.operations}}

    @classmethod
    def decode_fields(cls, fields: Mapping[str, Json]) -> dict[str, Any]:
        decoded = super().decode_fields(fields)
        decoded["operations"] = tuple(FileOperation(**op) for op in fields["operations"])
        return decoded


@dataclass(frozen=True, kw_only=True)
class CreateBranch(RepoChange, kind="create_branch",
                   phase=Phase.CONTENT):
    """Create `branch` from the head of `start_point` at apply time (after its own commit).

    `initial` (format 2.3): the branch is created at the repo's *initial commit* (the Hub's
    first commit, holding only `.gitattributes`) instead. The differ plans it for a run branch
    with no files of its own (not even the card) in a repo this plan creates, or resumes
    creating (main still at the initial commit), whose start point is main or another such
    branch: it then holds exactly its run's files (none) with no commit deleting what main
    got. Apply creates it right after the repo, before main's first commit
    (`Phase.INITIAL_BRANCHES`), at the initial commit's sha.
    """

    branch: str
    start_point: str = "main"
    initial: bool = False

    @property
    def phase(self) -> Phase:
        # The initial commit is main's head only until main's first commit: create it before.
        return Phase.INITIAL_BRANCHES if self.initial else Phase.CONTENT

    @property
    def address(self) -> str:
        return repo_address("branch", self.repo_id, self.branch)

    @property
    def action(self) -> Action:
        return "create"

    @property
    def after(self) -> Json:
        if self.initial:
            return {"start_point": self.start_point, "at": "initial commit"}
        return {"start_point": self.start_point}

    def fields_json(self) -> dict[str, Json]:
        fields = super().fields_json()
        if not self.initial:
            # Absent unless set: a plan without initial branches stays readable by a 2.2
            # release; one with them fails closed there (an unknown field: "newer release").
            del fields["initial"]
        return fields

    def requires(self) -> frozenset[Requirement]:
        if self.initial:
            return super().requires()  # only the repo: its initial commit is there from birth
        return super().requires() | {("branch", self.repo_id, self.start_point)}

    def provides(self) -> frozenset[Requirement]:
        # A branch starts with its start point's files: it provides its content too (a tag on
        # a run branch without a commit of its own needs only the branch).
        return frozenset({("branch", self.repo_id, self.branch),
                          ("content", self.repo_id, self.branch)})

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        # An initial branch is made at main's head as observed: the initial commit (a resumed
        # repo), or nothing (a new one); if main moved, the plan is stale.
        start = "main" if self.initial else self.start_point
        return (self.address, repo_address("branch", self.repo_id, start))


@dataclass(frozen=True, kw_only=True)
class DeleteBranch(RepoChange, kind="delete_branch",
                   phase=Phase.PRUNE_BRANCHES):
    branch: str
    head: str

    @property
    def address(self) -> str:
        return repo_address("branch", self.repo_id, self.branch)

    @property
    def action(self) -> Action:
        return "delete"

    @property
    def risks(self) -> frozenset[Risk]:
        return frozenset({Risk.DESTROYS})

    @property
    def before(self) -> Json:
        return {"head": self.head}


@dataclass(frozen=True, kw_only=True)
class _TagChange(RepoChange):
    tag: str

    @property
    def address(self) -> str:
        return repo_address("tag", self.repo_id, self.tag)


@dataclass(frozen=True, kw_only=True)
class _TagAtRevision(_TagChange):
    """A tag put at the head of `revision`: after that revision's reviewed content."""

    revision: str = "main"

    def requires(self) -> frozenset[Requirement]:
        return super().requires() | {("content", self.repo_id, self.revision)}


@dataclass(frozen=True, kw_only=True)
class CreateTag(_TagAtRevision, kind="create_tag",
                phase=Phase.TAGS):
    """Tag the head of `revision`. `target` is that head when known at plan time; None means
    "the head after this plan's commit on `revision`" (Terraform's known-after-apply)."""

    message: str = ""
    target: str | None = None

    @property
    def action(self) -> Action:
        return "create"

    @property
    def after(self) -> Json:
        return {"revision": self.revision, "target": self.target}

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        return (self.address, repo_address("branch", self.repo_id, self.revision))


@dataclass(frozen=True, kw_only=True)
class MoveTag(_TagAtRevision, kind="move_tag",
              phase=Phase.TAGS):
    """Delete and re-create a tag at the head of `revision` (only when the config sets `move`)."""

    message: str = ""
    old_target: str
    target: str | None = None

    @property
    def action(self) -> Action:
        return "replace"

    @property
    def risks(self) -> frozenset[Risk]:
        # A replace: the tag as released is deleted (what `v1.0` named is gone), then re-made.
        return frozenset({Risk.DESTROYS, Risk.MOVES_TAG})

    @property
    def before(self) -> Json:
        return {"target": self.old_target}

    @property
    def after(self) -> Json:
        return {"revision": self.revision, "target": self.target}

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        return (self.address, repo_address("branch", self.repo_id, self.revision))


@dataclass(frozen=True, kw_only=True)
class DeleteTag(_TagChange, kind="delete_tag",
                phase=Phase.TAGS):
    old_target: str

    @property
    def action(self) -> Action:
        return "delete"

    @property
    def risks(self) -> frozenset[Risk]:
        return frozenset({Risk.DESTROYS})

    @property
    def before(self) -> Json:
        return {"target": self.old_target}


@dataclass(frozen=True, kw_only=True)
class CollectionChange(Change):
    """A change to a collection, identified by (namespace, title). `slug` is None when the
    collection is created by this plan: apply uses the slug `CreateCollection` returns."""

    namespace: str
    title: str
    slug: str | None = None

    @property
    def group(self) -> str:
        return collection_address(self.namespace, self.title)

    @property
    def fingerprint_addresses(self) -> tuple[str, ...]:
        return (self.group,)

    def requires(self) -> frozenset[Requirement]:
        return frozenset({("collection", self.group)})


@dataclass(frozen=True, kw_only=True)
class CreateCollection(CollectionChange, kind="create_collection",
                       phase=Phase.COLLECTIONS):
    description: str | None = None
    private: bool = False

    @property
    def address(self) -> str:
        return self.group

    def provides(self) -> frozenset[Requirement]:
        return frozenset({("collection", self.group)})

    @property
    def action(self) -> Action:
        return "create"

    @property
    def risks(self) -> frozenset[Risk]:
        return frozenset() if self.private else frozenset({Risk.PUBLISHES})

    @property
    def after(self) -> Json:
        return {"description": self.description, "private": self.private}


@dataclass(frozen=True, kw_only=True)
class UpdateCollection(CollectionChange, kind="update_collection",
                       phase=Phase.COLLECTIONS):
    """Change a collection's description and/or privacy (None: that attribute is unchanged)."""

    old_description: str | None = None
    new_description: str | None = None
    old_private: bool | None = None
    new_private: bool | None = None

    @property
    def address(self) -> str:
        return self.group

    @property
    def action(self) -> Action:
        return "update"

    @property
    def risks(self) -> frozenset[Risk]:
        if self.old_private and self.new_private is False:
            return frozenset({Risk.PUBLISHES})
        if self.old_private is False and self.new_private:
            return frozenset({Risk.UNPUBLISHES})
        return frozenset()

    def _side(self, description: str | None, private: bool | None) -> dict[str, Json]:
        side: dict[str, Json] = {}
        if self.new_description is not None:
            side["description"] = description
        if self.new_private is not None:
            side["private"] = private
        return side

    @property
    def before(self) -> Json:
        return self._side(self.old_description, self.old_private)

    @property
    def after(self) -> Json:
        return self._side(self.new_description, self.new_private)


@dataclass(frozen=True, kw_only=True)
class _ItemChange(CollectionChange):
    item_id: str
    item_type: str = "model"

    @property
    def address(self) -> str:
        return collection_item_address(self.namespace, self.title, self.item_id)


@dataclass(frozen=True, kw_only=True)
class AddCollectionItem(_ItemChange, kind="add_collection_item",
                        phase=Phase.COLLECTIONS):
    """Add the item, then move it to `position` (its index among the declared items)."""

    note: str | None = None
    position: int = 0

    @property
    def action(self) -> Action:
        return "create"

    @property
    def after(self) -> Json:
        return {"note": self.note, "position": self.position}


@dataclass(frozen=True, kw_only=True)
class RemoveCollectionItem(_ItemChange, kind="remove_collection_item",
                           phase=Phase.COLLECTIONS):
    object_id: str
    note: str | None = None
    position: int = 0

    @property
    def action(self) -> Action:
        return "delete"

    @property
    def risks(self) -> frozenset[Risk]:
        return frozenset({Risk.DESTROYS})

    @property
    def before(self) -> Json:
        return {"note": self.note, "position": self.position}


@dataclass(frozen=True, kw_only=True)
class UpdateCollectionItem(_ItemChange, kind="update_collection_item",
                           phase=Phase.COLLECTIONS):
    """Change an item's note and/or move it (reorder). Apply in plan order: positions ascend."""

    object_id: str
    old_note: str | None = None
    new_note: str | None = None
    old_position: int = 0
    new_position: int = 0

    @property
    def action(self) -> Action:
        return "update"

    @property
    def reorders(self) -> bool:
        return self.old_position != self.new_position

    @property
    def before(self) -> Json:
        return {"note": self.old_note, "position": self.old_position}

    @property
    def after(self) -> Json:
        return {"note": self.new_note, "position": self.new_position}


# The one list of kinds. The applier and the renderers `match` over these unions and end with
# `unreachable(change)`: mypy reports a kind a `match` leaves out.
AnyRepoChange = (
    CreateRepo | MoveRepo | DeleteRepo | SetVisibility | SetGating | UpdateCard | CommitFiles
    | CreateBranch | DeleteBranch | CreateTag | MoveTag | DeleteTag
)
AnyCollectionChange = (
    CreateCollection | UpdateCollection | AddCollectionItem | RemoveCollectionItem
    | UpdateCollectionItem
)
AnyChange = AnyRepoChange | AnyCollectionChange
CHANGE_TYPES: tuple[type[Change], ...] = (*get_args(AnyRepoChange),
                                          *get_args(AnyCollectionChange))
CHANGE_KINDS: dict[str, type[Change]] = {cls.kind: cls for cls in CHANGE_TYPES}
if set(CHANGE_TYPES) != set(_DEFINED) or len(CHANGE_KINDS) != len(CHANGE_TYPES):
    raise TypeError("every change kind must be in exactly one of AnyRepoChange and "
                    "AnyCollectionChange, with a unique kind: "
                    f"{sorted(c.__name__ for c in set(CHANGE_TYPES) ^ set(_DEFINED))}")


def known(change: Change) -> AnyChange:
    """`change` as a member of the union (every concrete kind is one: checked above)."""
    return cast(AnyChange, change)


def known_repo(change: Change) -> AnyRepoChange:
    """A repo change as a member of `AnyRepoChange` (TypeError for a collection change)."""
    if not isinstance(change, RepoChange):
        raise TypeError(f"{change.address}: not a repo change")
    return cast(AnyRepoChange, change)


def known_collection(change: Change) -> AnyCollectionChange:
    """A collection change as a member of `AnyCollectionChange` (TypeError otherwise)."""
    if not isinstance(change, CollectionChange):
        raise TypeError(f"{change.address}: not a collection change")
    return cast(AnyCollectionChange, change)


def unreachable(change: NoReturn) -> NoReturn:
    """The end of an exhaustive `match` over a union: mypy errors if a kind can reach it."""
    raise TypeError(f"unhandled change kind {type(change).__name__}")


def change_from_dict(data: Mapping[str, Json]) -> Change:
    cls = CHANGE_KINDS.get(str(data.get("kind")))
    if cls is None:
        raise PlanFormatError(f"saved plan: unknown change kind {data.get('kind')!r}")
    try:
        change = cls(drift=bool(data.get("drift", False)), reason=str(data.get("reason", "")),
                     **cls.decode_fields(data["fields"]))
    except (KeyError, TypeError) as err:
        raise PlanFormatError(f"saved plan: damaged change {data.get('address')!r}: {err}") \
            from err
    if "address" in data and data["address"] != change.address:
        raise PlanFormatError(f"saved plan: change at {data['address']!r} does not match its "
                              f"fields ({change.address!r}); was the file edited?")
    return change
