"""The two pure data models the planner compares: what the config wants, what the Hub has.

`DesiredState` is produced by `release.desired.expand` from the composed config; `ObservedState`
by `release.hub.observe.HubReader`. Neither knows about the other's source, so the differ
(`release.plan.diff`) is a pure function over plain data, testable without a server.

Content is compared by hash, never by download: a file the Hub stores in LFS is identified by
its sha256, any other file by its git blob sha1 (what tree / paths-info report as `oid`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from release.address import Aliases

Visibility = Literal["private", "public"]
Gating = Literal[False, "auto", "manual"]

#: Card-metadata key holding the provenance block that marks a repo as managed by this tool.
PROVENANCE_KEY = "release"
MANAGED_BY = "release"


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of `data`: what the Hub reports as `oid` for a non-LFS file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# --------------------------------------------------------------------------------------------
# Desired state


@dataclass(frozen=True)
class DesiredFile:
    """One file the config puts on a branch, identified by its hashes.

    `content` is set for generated files (the model card); `local_path` for checkpoint files
    read from disk at apply time. `git_sha1` may be None for large files that will certainly be
    stored in LFS (hashing them twice is wasted work); `sha256` is always set.
    """

    path: str
    size: int
    sha256: str
    git_sha1: str | None = None
    content: bytes | None = field(default=None, repr=False, compare=False)
    local_path: str | None = None

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> DesiredFile:
        return cls(path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                   git_sha1=git_blob_sha1(data), content=data)


@dataclass(frozen=True)
class DesiredBranch:
    """A branch (a revision) and the files the config manages on it.

    `main` always exists; a training run gets its own branch (open-instruct style), created from
    `start_point` (default `main`). Remote files not listed are deleted only if `prune_files`.
    """

    name: str
    files: tuple[DesiredFile, ...] = ()
    prune_files: bool = False
    start_point: str = "main"
    source: str | None = None  # the local folder the files come from, for display


@dataclass(frozen=True)
class DesiredTag:
    """A release tag pointing at the head of `revision` (a branch name) once its content is in.

    An existing tag pointing elsewhere is moved only when `move` is set (the config opts in).
    """

    name: str
    revision: str = "main"
    message: str = ""
    move: bool = False


def split_card(card_text: str) -> tuple[dict[str, Any], str]:
    """(front-matter metadata, body) of a README.md; metadata is {} when there is none.

    A plan and its apply read each card 5 times (diff, text, guards, provenance): the YAML is
    parsed once per text and each caller gets its own copy (about 4x cheaper than a parse)."""
    meta, body = _parsed_card(card_text)
    return copy.deepcopy(meta), body


@functools.lru_cache(maxsize=4096)
def _parsed_card(card_text: str) -> tuple[dict[str, Any], str]:
    import yaml  # local: keeps `release validate` start-up lean

    if card_text.startswith("---\n"):
        end = card_text.find("\n---\n", 4)
        if end != -1:
            # libyaml when available: plans parse every card, 3x faster than pure Python.
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            meta = yaml.load(card_text[4:end], Loader=loader) or {}  # noqa: S506 - a safe loader
            if isinstance(meta, dict):
                return meta, card_text[end + 5:]
    return {}, card_text


def card_digest(card_text: str) -> str:
    """A digest of a card's content *excluding* the provenance block.

    The tool records it inside the provenance block when it writes a card, so a card is
    self-verifying: if the digest recomputed from the Hub's README differs from the one recorded
    in it, someone edited the card outside the tool (drift), whatever the config says now.
    """
    meta, body = split_card(card_text)
    return card_content_digest(meta, body)


def card_content_digest(metadata: Mapping[str, Any], body: str) -> str:
    """`card_digest` from a card's parts, as the writer holds them (no YAML round trip)."""
    meta = {key: value for key, value in metadata.items() if key != PROVENANCE_KEY}
    canonical = json.dumps(meta, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256((canonical + "\n" + body).encode()).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """The block stored under `PROVENANCE_KEY` in card metadata (and in commit trailers).

    `declared` records the settings the tool last wrote for this repo (visibility, gated,
    tags as {name: revision}, branches as a list), so the differ can tell a change made outside
    the tool (observed != declared == desired: drift) from one the config asks for
    (desired != declared). `card_digest` makes card edits detectable (see `card_digest`).
    """

    family: str
    variant: str
    config_digest: str
    upstream_repo: str | None = None
    upstream_commit: str | None = None
    card_digest: str = ""
    declared: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"managed_by": MANAGED_BY, "family": self.family,
                                "variant": self.variant, "config_digest": self.config_digest}
        if self.upstream_repo:
            meta["upstream_repo"] = self.upstream_repo
        if self.upstream_commit:
            meta["upstream_commit"] = self.upstream_commit
        if self.declared:
            meta["declared"] = dict(self.declared)
        if self.card_digest:
            meta["card_digest"] = self.card_digest
        return meta

    def identity(self) -> tuple[Any, ...]:
        """What a card commit is needed for when it changes (see `same_card`)."""
        settings = {key: value for key, value in self.declared.items() if key != "collections"}
        return (self.family, self.variant, self.upstream_repo, self.upstream_commit,
                self.card_digest, json.dumps(settings, sort_keys=True, default=str),
                sorted(declared_collections(self.declared)))

    @classmethod
    def from_metadata(cls, card_data: Mapping[str, Any] | None) -> Provenance | None:
        """The provenance in a repo's card metadata, or None if the repo is not ours."""
        block = (card_data or {}).get(PROVENANCE_KEY)
        if not isinstance(block, Mapping) or block.get("managed_by") != MANAGED_BY:
            return None
        declared = block.get("declared")
        return cls(family=str(block.get("family", "")), variant=str(block.get("variant", "")),
                   config_digest=str(block.get("config_digest", "")),
                   upstream_repo=block.get("upstream_repo"),
                   upstream_commit=block.get("upstream_commit"),
                   card_digest=str(block.get("card_digest", "")),
                   declared=dict(declared) if isinstance(declared, Mapping) else {})


#: The release policies (`policy:` in a variant), each on unless the config turns it off.
POLICIES: tuple[str, ...] = ("license", "card_sections", "undeclared_files", "base_model",
                             "structure")
#: The `## ` headings a card must have when `policy.card_sections` is not set.
DEFAULT_CARD_SECTIONS: tuple[str, ...] = ("Intended use",)


@dataclass(frozen=True)
class Safeguards:
    """A repo's protection and release policy as the config sets them, with where.

    `protect` None means the default: protected when the repo is public and tagged on the Hub.
    `protect_at` is where `protect` is set, or where to set it (the variant's own settings).
    `relaxed` holds the policies turned off, each with where: the plan says so.
    """

    protect: bool | None = None
    protect_at: str = ""
    relaxed: tuple[tuple[str, str], ...] = ()
    card_sections: tuple[str, ...] = DEFAULT_CARD_SECTIONS
    embargo: str | None = None  # YYYY-MM-DD: no publishing before this day (UTC)
    embargo_at: str = ""

    def checks(self, policy: str) -> bool:
        return all(name != policy for name, _ in self.relaxed)


@dataclass(frozen=True)
class ProtectLayer:
    """One layer of a family's `protect` setting (`defaults`, or a `variants` selector), kept
    so a managed repo the config no longer declares is still protected as the config says."""

    selector: str | None  # None: the family's defaults
    protect: bool
    where: str


@dataclass(frozen=True)
class DesiredRepo:
    """One variant of a family, fully expanded: a Hub repo and everything on it."""

    repo_id: str
    family: str
    variant: str  # the variant key, e.g. "8B-SFT"
    axes: tuple[tuple[str, str], ...]  # (axis, value) pairs, e.g. (("size", "8B"), ("stage", "SFT"))
    visibility: Visibility = "private"
    gated: Gating = False
    card_text: str = ""  # the full README.md (front matter + body); also in branches["main"]
    branches: tuple[DesiredBranch, ...] = ()
    tags: tuple[DesiredTag, ...] = ()
    provenance: Provenance | None = None
    repo_type: str = "model"
    adopt: bool = False  # take over an existing repo that is not (yet) managed by this tool
    #: False: the repo's visibility on the Hub is left as it is. An adopted repo's visibility is
    #: managed only when a `variants:` selector matching it sets `visibility` (the built-in and
    #: the family's `defaults:` describe the repos the tool creates, not one it takes over).
    visibility_managed: bool = True
    safeguards: Safeguards = field(default_factory=Safeguards, compare=False)
    #: The card is `card.file`, kept as written: when an adopted repo's README.md already has
    #: its content, the provenance block alone is no reason for a commit.
    card_verbatim: bool = False
    #: Run branches the variant's `retention` retires (no longer declared: deleted from the
    #: Hub when release created them and no tag points at them), and where it is set.
    retired: tuple[str, ...] = ()
    #: Runs past retention that are kept anyway: (branch, why), e.g. the release revision.
    spared: tuple[tuple[str, str], ...] = ()
    retention_at: str = ""

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/", 1)[0]

    def branch(self, name: str) -> DesiredBranch | None:
        return next((b for b in self.branches if b.name == name), None)


@dataclass(frozen=True)
class DesiredCollectionItem:
    repo_id: str
    repo_type: str = "model"
    note: str | None = None


@dataclass(frozen=True)
class DesiredCollection:
    """A collection, identified by (namespace, title); items in the declared order."""

    namespace: str
    title: str
    description: str | None = None
    private: bool = False
    items: tuple[DesiredCollectionItem, ...] = ()

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        """repo id -> its index among the items (computed once: every repo asks)."""
        return {item.repo_id: index for index, item in enumerate(self.items)}


def collection_key(namespace: str, title: str) -> str:
    """How a collection is named in `declared["collections"]` and in addresses: `ns/Title`."""
    return f"{namespace}/{title}"


def declared_settings(repo: DesiredRepo,
                      collections: tuple[DesiredCollection, ...] = ()) -> dict[str, Any]:
    """The `Provenance.declared` block for `repo`: what the tool writes so drift is detectable.

    The differ reads exactly these keys (a missing key means "unknown": never reported as drift):
    visibility (absent when the repo's visibility is not managed), gated,
    tags {name: revision}, branches [names], collections ["ns/Title", ...].
    Only this repo's own settings: nothing here changes when a sibling is added, removed or
    reordered (a repo's *position* in a collection is read from the collection, where it lives),
    so a change to one variant rewrites no other card. Files are not recorded either (a
    checkpoint change would rewrite the card): whether a branch's files were changed outside
    the tool is told by its head commit (`ObservedRepo.release_heads`).
    """
    member_of = sorted(collection_key(c.namespace, c.title)
                       for c in collections if repo.repo_id in c.positions)
    declared: dict[str, Any] = {"visibility": repo.visibility} if repo.visibility_managed else {}
    return {**declared, "gated": repo.gated,
            "tags": {tag.name: tag.revision for tag in repo.tags},
            "branches": sorted(branch.name for branch in repo.branches),
            "collections": member_of}


def declared_collections(declared: Mapping[str, Any]) -> dict[str, int | None]:
    """`declared["collections"]` as {"ns/Title": recorded position or None}.

    Cards written before issue 16 recorded {"ns/Title": position}; newer ones list membership
    only (a position would change with every sibling). Both mean "release put this repo there".
    """
    value = declared.get("collections")
    if isinstance(value, Mapping):
        return {str(k): v if isinstance(v, int) else None for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {str(k): None for k in value}
    return {}


def same_card(old_text: str, new_text: str) -> bool:
    """Would writing `new_text` over `old_text` change anything a reader or the differ uses?

    Equal when the content (everything but the provenance block: `card_digest`), the release's
    identity (family, variant, upstream) and the declared settings the differ reads agree.
    The recorded config digest and the *form* of the declared block are not compared: a new
    digest definition, or a card written by an older release (collection positions), is not a
    reason to commit to every repo of a family.
    """
    if card_digest(old_text) != card_digest(new_text):
        return False
    old = Provenance.from_metadata(split_card(old_text)[0])
    new = Provenance.from_metadata(split_card(new_text)[0])
    if old is None or new is None:
        return old is new
    return old.identity() == new.identity()


@dataclass(frozen=True)
class DeclaredMove:
    """A `moved` entry, filled: the repo that was `old` is now `new` (`where`: file:line)."""

    old: str
    new: str
    where: str = ""


@dataclass(frozen=True)
class DesiredState:
    """Everything the config declares, sorted by address so plans are deterministic."""

    namespaces: tuple[str, ...]
    repos: tuple[DesiredRepo, ...]
    collections: tuple[DesiredCollection, ...] = ()
    families: tuple[str, ...] = ()
    prune: bool = False  # destroy managed repos of these families no longer declared (opt-in)
    config_digest: str = ""
    #: family -> its `protect` layers, for managed repos the config no longer declares.
    protect_layers: Mapping[str, tuple[ProtectLayer, ...]] = field(default_factory=dict)
    #: Renamed repos (`moved`): a repo is looked for under its previous ids too.
    moves: tuple[DeclaredMove, ...] = ()

    @property
    def retired_revisions(self) -> frozenset[str]:
        """`repo@branch` of every run branch a `retention` retires."""
        return frozenset(f"{repo.repo_id}@{branch}" for repo in self.repos
                         for branch in repo.retired)

    @property
    def aliases(self) -> Aliases:
        """Every previous id the config declares -> the id it moved to."""
        return Aliases({move.old: move.new for move in self.moves})

    def moved_from(self, repo_id: str) -> tuple[DeclaredMove, ...]:
        """The moves that lead to `repo_id` (directly or through a chain), latest first."""
        previous = {name.lower() for name in self.aliases.previous(repo_id)}
        return tuple(move for move in self.moves if move.old.lower() in previous)


# --------------------------------------------------------------------------------------------
# Observed state


@dataclass(frozen=True)
class ObservedFile:
    """A file on a Hub revision as tree / paths-info report it."""

    path: str
    size: int
    oid: str  # git blob sha1 (of the pointer file, for LFS)
    lfs_sha256: str | None = None

    def matches(self, desired: DesiredFile) -> bool:
        """Same content? LFS files by sha256, others by git blob sha1."""
        if self.lfs_sha256 is not None:
            return self.lfs_sha256 == desired.sha256
        return desired.git_sha1 is not None and self.oid == desired.git_sha1


@dataclass(frozen=True)
class ObservedRepo:
    """One Hub repo as read. `files` holds only the branches the reader had to list."""

    repo_id: str
    private: bool
    gated: Gating
    sha: str | None  # head of main
    card_data: Mapping[str, Any] = field(default_factory=dict, compare=False)
    readme_oid: str | None = None  # git blob sha1 of README.md on main, if known
    branches: Mapping[str, str] = field(default_factory=dict)  # name -> head commit
    tags: Mapping[str, str] = field(default_factory=dict)  # name -> target commit
    files: Mapping[str, Mapping[str, ObservedFile]] = field(default_factory=dict)
    repo_type: str = "model"
    #: For branches whose files differ from the config: was the head commit made by release
    #: (its message carries the apply trailer)? If not, the difference is drift. Absent: unknown.
    release_heads: Mapping[str, bool] = field(default_factory=dict)
    #: For declared release tags not at their branch's head: the commit release left the tag
    #: at (the newest `Release-Tag:` record in the branch's history). Absent: at the head, or
    #: unknown. A tag elsewhere was moved outside release.
    tag_targets: Mapping[str, str] = field(default_factory=dict)
    #: README.md text on release revisions other than main, where it differs from the card
    #: the config would write (branch -> text; main's is `ObservedState.readmes`).
    readme_texts: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: How the Hub spells the id when the config's differs only in case (repo ids are
    #: case-insensitive on the Hub: one repo, kept under the config's spelling here).
    hub_id: str | None = field(default=None, compare=False)

    @property
    def provenance(self) -> Provenance | None:
        return Provenance.from_metadata(self.card_data)


@dataclass(frozen=True)
class ObservedCollectionItem:
    item_id: str  # repo id
    item_type: str
    object_id: str  # the Hub's _id of the membership, needed to update or remove it
    position: int
    note: str | None = None


@dataclass(frozen=True)
class ObservedCollection:
    slug: str
    namespace: str
    title: str
    description: str | None
    private: bool
    items: tuple[ObservedCollectionItem, ...] = ()
    #: Slugs of other collections of the namespace with the same title (the real Hub allows
    #: them); release manages the first-created one, `slug`, and leaves these alone.
    duplicates: tuple[str, ...] = ()


def first_created(slugs: Iterable[str]) -> str:
    """Of same-titled collections, the one created first: the one release manages.

    A collection's slug ends with its id (`ns/<title>-<24 hex>`); the Hub's ids are MongoDB
    ObjectIds, whose first 8 hex digits are the creation time, so the smallest id is the oldest
    and stays the smallest whatever is created later: every plan and apply picks the same one.
    """
    return min(slugs, key=lambda slug: (slug.rsplit("-", 1)[-1], slug))


@dataclass(frozen=True)
class ObservedState:
    """What the Hub holds in the declared namespaces, keyed by repo id and collection title."""

    repos: Mapping[str, ObservedRepo]
    collections: Mapping[tuple[str, str], ObservedCollection] = field(default_factory=dict)
    readmes: Mapping[str, str] = field(default_factory=dict)  # repo id -> card text, when fetched
    requests: int = 0  # Hub requests the reader made
    identity: str | None = None  # the user the token authenticated as (whoami's name)
    #: Previous repo id -> current id: a repo is found under a previous id until it moves.
    aliases: Aliases = field(default_factory=Aliases)

    def repo(self, repo_id: str) -> ObservedRepo | None:
        """The repo now (or about to be) at `repo_id`: under that id, else a previous one."""
        for name in self.aliases.names(repo_id):
            found = self.repos.get(name)
            if found is not None:
                return found
        return None
