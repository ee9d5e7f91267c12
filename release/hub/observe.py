"""HubReader: the read-only side. Builds the ObservedState of the declared namespaces.

Cost model (Hub quota is the scarce resource, ~1000 requests / 5 min / user):
  * one `whoami` to check the token and reach the Hub fast (it is not retried);
  * one paginated `list_models(author=ns, expand=...)` per namespace gives existence, main sha,
    visibility, gating and card metadata of every repo at once;
  * one `list_repo_refs` per managed repo (branches and tags are mutable: never cached);
  * a tree listing per branch whose files are managed — keyed by the immutable commit sha, so it
    is cached on disk and costs nothing on the next plan;
  * README text only when its blob id differs from the card we would write (to show a diff and
    tell a card edit from a config change), also cached by blob id;
  * per declared collection, one `get_collection` (listings truncate items); a namespace's
    `list_collections` only when a collection's slug is not known yet (slugs never change, so
    they are cached).
Per-repo reads run in a bounded pool (`release.pool`), and so do the tree reads of one repo's
branches: a repo with hundreds of run branches borrows the slots other repos leave free.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.address import Address, AddressKind, Aliases
from release.hub.api import HubApi
from release.hub.errors import to_hub_error
from release.pool import Pool
from release.state import (
    DesiredBranch,
    DesiredRepo,
    DesiredState,
    ObservedCollection,
    ObservedCollectionItem,
    ObservedFile,
    ObservedRepo,
    ObservedState,
    first_created,
)

if TYPE_CHECKING:
    from huggingface_hub.hf_api import ExpandModelProperty_T

LIST_EXPAND: list[ExpandModelProperty_T] = ["sha", "private", "gated", "cardData"]
#: What the Hub's initial commit holds: a repo with nothing more is still empty.
EMPTY_REPO_FILES = frozenset({".gitattributes"})
#: Files that are on a branch without the config declaring them, legitimately.
HUB_OWN_FILES = frozenset({".gitattributes", "README.md"})


class ShaCache:
    """Small JSON documents keyed by something immutable (a commit sha, a blob id)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, kind: str, key: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / kind / key[:2] / f"{key}.json"

    def get(self, kind: str, key: str) -> Any | None:
        path = self._path(kind, key)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None  # a torn or foreign file is a miss, not an error

    def put(self, kind: str, key: str, value: Any) -> None:
        path = self._path(kind, key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(value, handle)
        os.replace(tmp, path)  # atomic: concurrent plans never see half a file


@dataclass
class HubReader:
    """Reads the Hub through an unmodified `HfApi`; never writes."""

    api: HubApi  # huggingface_hub.HfApi
    cache: ShaCache
    max_workers: int = 8
    endpoint: str = ""
    pool: Pool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pool = Pool(self.max_workers, name="observe")

    def observe(self, desired: DesiredState) -> ObservedState:
        # whoami alone first: a bad token or a wrong endpoint fails in one round trip. Then the
        # namespace listings and the collections go out together, and the collections' reads
        # overlap the per-repo ones.
        identity = self.whoami()
        declared = {repo.repo_id: repo for repo in desired.repos}
        by_key = {repo_id.lower(): repo for repo_id, repo in declared.items()}
        # A repo moved across namespaces is found in the one it is moving from.
        namespaces = list(dict.fromkeys([*desired.namespaces,
                                         *(move.old.split("/", 1)[0] for move in desired.moves)]))
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            collections_read = pool.submit(self._observe_collections, desired)
            listed = self._list_namespaces(namespaces, pool)
            moves = pending_moves(listed, desired)
            by_key.update({old.lower(): declared[new] for old, new in moves.items()})
            jobs = [(info, by_key.get(repo_id.lower()))
                    for repo_id, info in sorted(listed.items())]
            results = self.pool.map(lambda job: self._observe_repo(*job), jobs)
            collections = collections_read.result()
        repos = {repo.repo_id: repo for repo, _ in results}
        readmes = {repo.repo_id: text for repo, text in results if text is not None}
        return spelled_as_declared(
            ObservedState(repos=repos, collections=collections, readmes=readmes,
                          identity=identity, aliases=Aliases(moves)), declared)

    def survey(self, namespace: str, selected: Callable[[str], bool]) -> ObservedState:
        """What `release import` reads: every repo of `namespace` that `selected` takes, with
        its refs, main's tree and README.md text, and the namespace's collections.

        One listing of the namespace, refs and main's tree per repo (the tree is sha-keyed and
        cached), README.md by blob id (cached: the plan that follows reads the same cache), one
        collection listing and a `get_collection` per collection (listings truncate items).
        Read-only, like everything here.
        """
        identity = self.whoami()
        listed = self._list_namespaces([namespace])
        infos = [info for repo_id, info in sorted(listed.items()) if selected(repo_id)]
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            results = list(pool.map(self._survey_repo, infos))
        repos = {repo.repo_id: repo for repo, _ in results}
        readmes = {repo.repo_id: text for repo, text in results if text is not None}
        collections: dict[tuple[str, str], ObservedCollection] = {}
        if repos:
            try:
                collections = self._listed_collections(namespace, None)
            except Exception as exc:  # noqa: BLE001 - translated, never swallowed
                raise to_hub_error(f"collection:{namespace}", exc, self.endpoint) from exc
        return ObservedState(repos=repos, collections=collections, readmes=readmes,
                             identity=identity)

    def _survey_repo(self, info: Any) -> tuple[ObservedRepo, str | None]:
        base = listed_repo(info)
        try:
            refs = self.api.list_repo_refs(info.id)
            branches = {ref.name: ref.target_commit for ref in refs.branches}
            tags = {ref.name: ref.target_commit for ref in refs.tags}
            main = branches.get("main")
            files = {"main": self._tree(info.id, main)} if main is not None else {}
            readme = files.get("main", {}).get("README.md")
            text = self._readme(info.id, main, readme.oid) if readme and main else None
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(str(Address(AddressKind.REPO, info.id)), exc,
                               self.endpoint) from exc
        return replace(base, sha=main or base.sha, branches=branches, tags=tags, files=files,
                       readme_oid=readme.oid if readme else None), text

    def observe_addresses(self, addresses: Iterable[str],
                          aliases: Aliases | None = None) -> ObservedState:
        """Just enough of the Hub to fingerprint `addresses` (a saved plan's), for the stale check.

        One listing per namespace, refs only for repos whose branches or tags are named, and
        main's tree (sha-keyed cache) only where a card is named; the same shapes `observe`
        builds, so `fingerprint_of` compares like with like. A repo is looked for under its
        id and, through `aliases`, the ids it had before (a move the plan has not made yet).
        """
        aliases = aliases or Aliases()
        repo_kinds: dict[str, set[str]] = {}
        wanted_collections: dict[str, set[str]] = {}
        for text in addresses:
            address = Address.parse(text)
            if address.kind is AddressKind.COLLECTION:
                wanted_collections.setdefault(address.namespace, set()).add(address.title)
            elif address.kind.of_repo:
                repo_kinds.setdefault(address.owner, set()).add(address.kind.value)
        names = {repo_id: aliases.names(repo_id) for repo_id in repo_kinds}
        namespaces = sorted({name.split("/", 1)[0] for ids in names.values() for name in ids})
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            collections_read = pool.submit(self._collections, wanted_collections)
            # Repo ids are case-insensitive on the Hub: look the listing up by lowercased id.
            listed = {repo_id.lower(): info
                      for repo_id, info in self._list_namespaces(namespaces, pool).items()}
            jobs = [(listed[found], repo_kinds[repo_id]) for repo_id in sorted(repo_kinds)
                    if (found := next((n.lower() for n in names[repo_id]
                                       if n.lower() in listed), None))]
            repos = self.pool.map(lambda job: self._fingerprint_repo(*job), jobs)
            collections = collections_read.result()
        return spelled_as_declared(
            ObservedState(repos={repo.repo_id: repo for repo in repos},
                          collections=collections, aliases=aliases), repo_kinds)

    def _fingerprint_repo(self, info: Any, kinds: set[str]) -> ObservedRepo:
        repo = listed_repo(info)
        card_data = repo.card_data
        if not kinds & {"files", "branch", "tag", "card"}:
            return repo
        try:
            refs = self.api.list_repo_refs(info.id)
            branches = {ref.name: ref.target_commit for ref in refs.branches}
            tags = {ref.name: ref.target_commit for ref in refs.tags}
            files: dict[str, Mapping[str, ObservedFile]] = {}
            main = branches.get("main")
            if "card" in kinds and main is not None:
                files["main"] = self._tree(info.id, main)
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(f"repo:{info.id}", exc, self.endpoint) from exc
        return ObservedRepo(repo_id=info.id, private=repo.private, gated=repo.gated,
                            sha=branches.get("main", info.sha), card_data=card_data,
                            branches=branches, tags=tags, files=files)

    def whoami(self) -> str | None:
        """The user the token authenticates as (None: no token), from one unretried whoami.

        Asked first: a bad token or an unreachable Hub fails in milliseconds with a clear
        message, instead of after the listing's ~23 s of client-side retries. The name (never
        the token) binds a saved plan to the identity that made it.
        """
        if not self.api.token:
            return None  # anonymous: nothing to check; the listing shows public repos only
        try:
            info = self.api.whoami(cache=True)  # one per session: apply asks again
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error("hub", exc, self.endpoint) from exc
        name = info.get("name") if isinstance(info, Mapping) else None
        return str(name) if name else None

    # -- namespaces ---------------------------------------------------------------------------

    def _list_namespaces(self, namespaces: Iterable[str],
                         pool: ThreadPoolExecutor | None = None) -> dict[str, Any]:
        """Every repo of `namespaces` by id; the namespaces are listed concurrently on `pool`."""
        def listing(namespace: str) -> list[Any]:
            try:
                return list(self.api.list_models(author=namespace, expand=LIST_EXPAND))
            except Exception as exc:  # noqa: BLE001 - translated, never swallowed
                raise to_hub_error(f"namespace:{namespace}", exc, self.endpoint) from exc

        ordered = list(namespaces)
        pages = pool.map(listing, ordered) if pool is not None else map(listing, ordered)
        return {info.id: info for page in pages for info in page}

    # -- one repo -----------------------------------------------------------------------------

    def _observe_repo(self, info: Any, want: DesiredRepo | None) -> tuple[ObservedRepo, str | None]:
        base = listed_repo(info)
        card_data = base.card_data
        managed = base.provenance is not None
        # A private declared repo without a card may be one an interrupted apply created (it
        # holds only the Hub's initial commit): refs and one tree tell, for such repos only.
        maybe_ours = want is not None and base.private and not card_data
        if want is None or not (managed or want.adopt or maybe_ours):
            # Not ours to change (or no longer declared): what the listing says is enough.
            return base, None
        address = str(Address(AddressKind.REPO, info.id))
        try:
            refs = self.api.list_repo_refs(info.id)
            branches = {ref.name: ref.target_commit for ref in refs.branches}
            tags = {ref.name: ref.target_commit for ref in refs.tags}
            files: dict[str, Mapping[str, ObservedFile]] = {}
            if not (managed or want.adopt):
                main = branches.get("main")
                if main is None or tags or any(h != main for h in branches.values()):
                    return base, None
                files["main"] = self._tree(info.id, main)
                if not set(files["main"]) <= EMPTY_REPO_FILES:
                    return base, None  # someone else's repo: an unmanaged collision
            release_heads: dict[str, bool] = {}
            reads = [(branch, head) for branch in want.branches
                     if (head := branches.get(branch.name)) is not None
                     and (branch.files or branch.prune_files)]
            for name, tree, by_release in self.pool.fan_out(
                    lambda read: self._branch_files(info.id, *read), reads):
                files[name] = tree
                if by_release is not None:
                    release_heads[name] = by_release
            tag_targets = {tag.name: expected for tag in want.tags
                           if (expected := self._tag_target(info.id, tag.name,
                                                            tags.get(tag.name),
                                                            branches.get(tag.revision)))}
            readme = files.get("main", {}).get("README.md")
            card_text = None
            readme_texts: dict[str, str] = {}
            if want.card_text:
                from release.state import git_blob_sha1

                card_oid = git_blob_sha1(want.card_text.encode())
                if readme is not None and readme.oid != card_oid:
                    card_text = self._readme(info.id, branches["main"], readme.oid)
                # Release revisions carry the card too: their README's text when it differs
                # (main's when it is main's blob; else one download, cached by blob id).
                for branch in want.branches:
                    have = files.get(branch.name, {}).get("README.md")
                    if (branch.name == "main" or have is None or have.oid == card_oid
                            or not any(f.path == "README.md" for f in branch.files)):
                        continue
                    readme_texts[branch.name] = (
                        card_text if readme is not None and card_text is not None
                        and have.oid == readme.oid
                        else self._readme(info.id, branches[branch.name], have.oid))
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(address, exc, self.endpoint) from exc
        observed = ObservedRepo(repo_id=info.id, private=base.private, gated=base.gated,
                                sha=branches.get("main", info.sha), card_data=card_data,
                                readme_oid=readme.oid if readme else None, branches=branches,
                                tags=tags, files=files, release_heads=release_heads,
                                tag_targets=tag_targets, readme_texts=readme_texts)
        return observed, card_text

    def _branch_files(self, repo_id: str, branch: DesiredBranch, head: str
                      ) -> tuple[str, dict[str, ObservedFile], bool | None]:
        """(branch, its files at `head`, whether release made `head` if they differ from the
        config, else None)."""
        tree = self._tree(repo_id, head)
        # A head holding only the Hub's initial files changed nothing (a run branch release
        # made at the repo's initial commit, `CreateBranch.initial`): nobody's change, so
        # the commit giving it its run's files later is not drift. Unknown, not "not release".
        made = (self._made_by_release(repo_id, head)
                if _files_differ(branch, tree) and not set(tree) <= EMPTY_REPO_FILES else None)
        return branch.name, tree, made

    def _tag_target(self, repo_id: str, tag: str, target: str | None,
                    head: str | None) -> str | None:
        """Where release left release tag `tag` of a branch whose head is `head`, if known.

        Read only for a tag that is not at its branch's head (a tag at the head is where
        release puts it). The newest `Release-Tag:` record in the branch's history says where
        release left the tag; with no record, release created it at a head and has not
        committed on the branch since, so if the head is release's own commit the tag belongs
        there. Otherwise (a head someone else made, no record): unknown.
        """
        if target is None or head is None or target == head:
            return None
        history = self._tag_records(repo_id, head)
        recorded = history["records"].get(tag)
        if recorded is not None:
            return str(recorded)
        return head if history["release_head"] else None

    def _tag_records(self, repo_id: str, head: str) -> dict[str, Any]:
        """The branch history's tag records (newest per tag) and whether release made `head`;
        one paginated history listing, cached by the head's sha (history is immutable)."""
        from release.hub.write import APPLY_ID_TRAILER, TAG_TRAILER

        cached = self.cache.get("tag-records", head)
        if cached is None:
            records: dict[str, str] = {}
            release_head = None
            for commit in self.api.list_repo_commits(repo_id, revision=head):
                message = commit.message or ""
                if release_head is None:
                    release_head = f"{APPLY_ID_TRAILER}:" in message
                for line in message.splitlines():
                    if line.startswith(f"{TAG_TRAILER}: "):
                        name, _, sha = line.removeprefix(f"{TAG_TRAILER}: ").strip().partition(" ")
                        records.setdefault(name, sha.strip() or commit.commit_id)
            cached = {"records": records, "release_head": bool(release_head)}
            self.cache.put("tag-records", head, cached)
        return dict(cached)

    def _made_by_release(self, repo_id: str, commit: str) -> bool:
        """Does `commit` carry release's apply trailer? (See `commit_record`.)"""
        return bool(self.commit_record(repo_id, commit)["release"])

    def commit_record(self, repo_id: str, commit: str) -> dict[str, Any]:
        """{"release": made by release apply?, "trailers": the trailers status shows} of
        `commit`: one history listing, cached by sha (a commit never changes), and usually
        free, since apply records each commit it makes (`remember_commit`)."""
        cached = self.cache.get("commit", commit)
        if cached is None:
            newest = next(iter(self.api.list_repo_commits(repo_id, revision=commit)), None)
            cached = commit_record(newest.message or "" if newest is not None else "")
            self.cache.put("commit", commit, cached)
        return dict(cached)

    def remember_commit(self, commit: str, message: str) -> None:
        """Record the message of a commit this process made: reading it back is free."""
        self.cache.put("commit", commit, commit_record(message))

    def tree(self, repo_id: str, commit: str) -> dict[str, ObservedFile]:
        """The files at `commit` (a sha: cached on disk, so usually free)."""
        try:
            return self._tree(repo_id, commit)
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(f"repo:{repo_id}", exc, self.endpoint) from exc

    def _tree(self, repo_id: str, commit: str) -> dict[str, ObservedFile]:
        cached = self.cache.get("tree", commit)
        if cached is None:
            from huggingface_hub.hf_api import RepoFile

            cached = []
            for entry in self.api.list_repo_tree(repo_id, revision=commit, recursive=True):
                if isinstance(entry, RepoFile):
                    lfs = entry.lfs.sha256 if entry.lfs is not None else None
                    cached.append([entry.path, entry.size, entry.blob_id, lfs])
            self.cache.put("tree", commit, cached)
        return {path: ObservedFile(path=path, size=size, oid=oid, lfs_sha256=lfs)
                for path, size, oid, lfs in cached}

    def _readme(self, repo_id: str, commit: str, blob_id: str) -> str:
        cached = self.cache.get("readme", blob_id)
        if cached is None:
            from huggingface_hub import hf_hub_download

            path = hf_hub_download(repo_id, "README.md", revision=commit,
                                   endpoint=self.api.endpoint, token=self.api.token)
            # Bytes as they are (read_text would turn CRLF into LF: a card that differs).
            cached = Path(path).read_bytes().decode("utf-8")
            self.cache.put("readme", blob_id, cached)
        return str(cached)

    # -- collections --------------------------------------------------------------------------

    def _observe_collections(self, desired: DesiredState
                             ) -> dict[tuple[str, str], ObservedCollection]:
        wanted: dict[str, set[str]] = {}
        for collection in desired.collections:
            wanted.setdefault(collection.namespace, set()).add(collection.title)
        return self._collections(wanted)

    def _collections(self, wanted: Mapping[str, set[str]]
                     ) -> dict[tuple[str, str], ObservedCollection]:
        found: dict[tuple[str, str], ObservedCollection] = {}
        for namespace, titles in sorted(wanted.items()):
            address = f"collection:{namespace}"
            try:
                found.update(self._namespace_collections(namespace, titles))
            except Exception as exc:  # noqa: BLE001 - translated, never swallowed
                raise to_hub_error(address, exc, self.endpoint) from exc
        return found

    def _namespace_collections(self, namespace: str, titles: set[str]
                               ) -> dict[tuple[str, str], ObservedCollection]:
        """The declared collections of `namespace`, by title.

        A collection's id never changes (its slug follows its title, and any slug ending in the
        id resolves on the Hub), so the slug seen last time is remembered: when every
        remembered collection still answers with its title, the namespace listing is skipped.
        When listed, same-titled collections (the real Hub allows them) are told apart by age:
        the first created is the managed one, the others are reported as duplicates.
        """
        from huggingface_hub.errors import HfHubHTTPError

        found: dict[tuple[str, str], ObservedCollection] = {}
        for title in sorted(titles):
            slug = (self.cache.get("collection-slug", _slug_key(namespace, title)) or {}).get(
                "slug")
            if slug is None:
                break
            try:
                full = self.api.get_collection(slug)
            except HfHubHTTPError as exc:
                if getattr(exc.response, "status_code", None) == 404:
                    break  # deleted since: list the namespace
                raise
            if full.title != title:
                break  # renamed since: list the namespace
            found[(namespace, title)] = _observed_collection(namespace, full)
        else:
            return found
        return self._listed_collections(namespace, titles)

    def _listed_collections(self, namespace: str, titles: set[str] | None
                            ) -> dict[tuple[str, str], ObservedCollection]:
        """The collections of `namespace` titled `titles` (None: all), from one listing; of
        same-titled ones the first created is the managed one, the others its duplicates.
        Each slug is remembered, so the next plan can skip the listing."""
        by_title: dict[str, list[str]] = {}
        for listed in self.api.list_collections(owner=namespace):
            if titles is None or listed.title in titles:
                by_title.setdefault(listed.title, []).append(listed.slug)
        found = {}
        for title, slugs in sorted(by_title.items()):
            slug = first_created(slugs)
            found[(namespace, title)] = _observed_collection(
                namespace, self.api.get_collection(slug),
                tuple(sorted(s for s in slugs if s != slug)))
            self.cache.put("collection-slug", _slug_key(namespace, title), {"slug": slug})
        return found


def commit_record(message: str) -> dict[str, Any]:
    """What `HubReader.commit_record` caches for a commit with `message`."""
    from release.hub.write import APPLY_ID_TRAILER
    from release.origin import read_trailers

    return {"release": f"{APPLY_ID_TRAILER}:" in message, "trailers": read_trailers(message)}


def listed_repo(info: Any) -> ObservedRepo:
    """A repo as the namespace listing describes it (the one place its fields are read and
    gating is normalised: the Hub says False, "auto" or "manual"; anything else is off)."""
    card_data = info.card_data.to_dict() if info.card_data is not None else {}
    return ObservedRepo(repo_id=info.id, private=bool(info.private),
                        gated=info.gated if info.gated in ("auto", "manual") else False,
                        sha=info.sha, card_data=dict(card_data))


def pending_moves(listed: Iterable[str], desired: DesiredState) -> dict[str, str]:
    """{previous id, as the Hub spells it: current id} for each declared repo that is not on
    the Hub under its id but is under one it had before (`moved`; the latest found wins).
    A repo on the Hub under both ids is not a move: the plan blocks it (`move-conflict`)."""
    present = {repo_id.lower(): repo_id for repo_id in listed}
    aliases = desired.aliases
    found: dict[str, str] = {}
    for repo in desired.repos:
        if repo.repo_id.lower() in present:
            continue
        for old in aliases.previous(repo.repo_id):
            if old.lower() in present:
                found[present[old.lower()]] = repo.repo_id
                break
    return found


def spelled_as_declared(observed: ObservedState, declared: Iterable[str]) -> ObservedState:
    """Repo ids are case-insensitive on the Hub (huggingface_hub's
    test_create_commit_repo_id_case_insensitive; hub-api.md section 9): a repo the config names
    `acme/demo-1b` that the Hub lists as `acme/Demo-1B` is the same repo. Key it, its card text
    and its collection memberships under the config's spelling, and keep the Hub's in `hub_id`
    so the plan can say so, instead of planning a create that the Hub would refuse (409)."""
    by_key = {repo_id.lower(): repo_id for repo_id in declared}

    def spelled(repo_id: str) -> str:
        return by_key.get(repo_id.lower(), repo_id)

    if all(spelled(repo_id) == repo_id for repo_id in observed.repos) and all(
        spelled(item.item_id) == item.item_id
        for collection in observed.collections.values() for item in collection.items
    ):
        return observed
    repos = {spelled(repo_id): replace(repo, repo_id=spelled(repo_id), hub_id=repo_id)
             if spelled(repo_id) != repo_id else repo
             for repo_id, repo in observed.repos.items()}
    collections = {
        key: replace(collection, items=tuple(replace(item, item_id=spelled(item.item_id))
                                             for item in collection.items))
        for key, collection in observed.collections.items()}
    readmes = {spelled(repo_id): text for repo_id, text in observed.readmes.items()}
    return replace(observed, repos=repos, collections=collections, readmes=readmes)


def _slug_key(namespace: str, title: str) -> str:
    import hashlib

    return hashlib.sha256(f"{namespace}/{title}".encode()).hexdigest()


def _files_differ(branch: DesiredBranch, observed: Mapping[str, ObservedFile]) -> bool:
    """Do the branch's files differ from the config: a declared file changed or missing, or
    a file the config does not declare? (README.md, the card on main and on release
    revisions, is compared apart: by its digest, which tells a card edited outside release.)"""
    declared = {f.path for f in branch.files}
    if any(path not in declared and path not in HUB_OWN_FILES for path in observed):
        return True
    for desired in branch.files:
        if desired.path == "README.md":
            continue
        have = observed.get(desired.path)
        if have is None or not have.matches(desired):
            return True
    return False


def _observed_collection(namespace: str, collection: Any,
                         duplicates: tuple[str, ...] = ()) -> ObservedCollection:
    items = tuple(
        ObservedCollectionItem(item_id=item.item_id, item_type=item.item_type,
                               object_id=item.item_object_id, position=item.position,
                               note=item.note)
        for item in sorted(collection.items, key=lambda i: i.position))
    return ObservedCollection(slug=collection.slug, namespace=namespace, title=collection.title,
                              description=collection.description, private=collection.private,
                              items=items, duplicates=duplicates)
