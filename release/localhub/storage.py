"""Hub repositories on disk: one bare git repo plus a metadata JSON each, with an in-memory index.

Layout: DATA_DIR/repos/{models|datasets}/{namespace}/{name}.git and `{name}.json` beside it.
Every mutation of a repo happens under that repo's lock and updates disk first, then the index,
so readers (which never lock) see either the old or the new state, never a torn one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from release.localhub.datalock import DataDirLock
from release.localhub.errors import (
    STALE_PARENT_MESSAGE,
    HubError,
    conflict,
    entry_not_found,
    revision_not_found,
)
from release.localhub.gitattributes import default_gitattributes, track_lfs_paths
from release.localhub.gitrepo import CommitData, GitRepo, TreeEntry
from release.localhub.lfs_store import LfsPointer, LfsStore, make_pointer, parse_pointer
from release.localhub.names import check_path

REPO_DIRS = {"model": "models", "dataset": "datasets"}
GITATTRIBUTES = ".gitattributes"


@dataclass
class RepoMeta:
    id: str  # the Hub's 24-hex object id
    private: bool
    gated: bool | str  # False, "auto" or "manual"
    created_at: float
    granted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileInfo:
    path: str
    blob_sha: str  # sha1 of the git blob (the pointer, for LFS files)
    size: int  # size of the content (not of the pointer)
    pointer_size: int
    lfs: LfsPointer | None


@dataclass(frozen=True)
class Listing:
    """All files and directories of one tree, sorted by path."""

    files: tuple[FileInfo, ...]
    dirs: tuple[TreeEntry, ...]
    by_path: dict[str, FileInfo]


@dataclass(frozen=True)
class AddFile:
    path: str
    data: bytes


@dataclass(frozen=True)
class AddLfsFile:
    path: str
    oid: str
    size: int | None


@dataclass(frozen=True)
class DeletePath:
    path: str
    folder: bool


Operation = AddFile | AddLfsFile | DeletePath


class RepoHandle:
    """A repo's git store, metadata and cached refs. `version` bumps on every change."""

    def __init__(self, repo_type: str, repo_id: str, git: GitRepo, meta: RepoMeta, meta_path: Path):
        self.repo_type = repo_type
        self.repo_id = repo_id
        self.namespace = repo_id.split("/")[0]
        self.git = git
        self.meta = meta
        self.meta_path = meta_path
        self.lock = threading.Lock()
        self.branches: dict[str, str] = git.refs("refs/heads/")
        self.tags: dict[str, str] = {n: git.peel(s) for n, s in git.refs("refs/tags/").items()}
        self.version = 0
        self.deleted = False

    def save_meta(self) -> None:
        _write_json_atomic(self.meta_path, asdict(self.meta))
        self.version += 1


def _write_json_atomic(path: Path, payload: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def new_object_id() -> str:
    return secrets.token_hex(12)


def _key(repo_type: str, repo_id: str) -> tuple[str, str]:
    # Repo ids are case-insensitive on the Hub (huggingface_hub's
    # test_create_commit_repo_id_case_insensitive): `alice/Repo` and `alice/repo` are one repo,
    # which keeps the case it was created with.
    return repo_type, repo_id.lower()


class RepoStore:
    """All repos of one data directory, indexed in memory by (repo_type, lowercased repo_id).

    `moves` (persisted in DATA_DIR/moves.json) maps a renamed repo's old key to its new id, so
    reads of the old id can be redirected as the Hub does.
    """

    def __init__(self, data_dir: Path) -> None:
        # First: loading and serving are only sound while no other server uses the directory.
        self.data_lock = DataDirLock.acquire(data_dir)
        self.root = data_dir / "repos"
        self.lfs = LfsStore(data_dir / "lfs")
        self._lock = threading.Lock()
        self._repos: dict[tuple[str, str], RepoHandle] = {}
        self._moves_path = data_dir / "moves.json"
        self.moves: dict[tuple[str, str], str] = {}
        self._listings: OrderedDict[str, Listing] = OrderedDict()  # LRU by tree sha
        self._listings_lock = threading.Lock()
        self._blob_info: dict[str, tuple[int, LfsPointer | None, int]] = {}
        try:
            self._load()
        except BaseException:
            self.data_lock.release()
            raise

    def _load(self) -> None:
        for repo_type, dirname in REPO_DIRS.items():
            for meta_path in sorted((self.root / dirname).glob("*/*.json")):
                git_path = meta_path.with_suffix(".git")
                if not git_path.is_dir():
                    continue
                meta = RepoMeta(**json.loads(meta_path.read_text()))
                repo_id = f"{meta_path.parent.name}/{meta_path.stem}"
                handle = RepoHandle(repo_type, repo_id, GitRepo(git_path), meta, meta_path)
                self._repos[_key(repo_type, repo_id)] = handle
        if self._moves_path.exists():
            for entry in json.loads(self._moves_path.read_text()):
                self.moves[_key(entry["type"], entry["from"])] = entry["to"]

    def close(self) -> None:
        for handle in self._repos.values():
            handle.git.close()
        self.data_lock.release()

    # registry -----------------------------------------------------------------------------------
    def get(self, repo_type: str, repo_id: str) -> RepoHandle | None:
        return self._repos.get(_key(repo_type, repo_id))

    def moved_to(self, repo_type: str, repo_id: str) -> str | None:
        """Where a renamed repo lives now (following renames), or None."""
        target, seen = None, set()
        key = _key(repo_type, repo_id)
        while key in self.moves and key not in seen:
            seen.add(key)
            target = self.moves[key]
            key = _key(repo_type, target)
        return target

    def all(self, repo_type: str) -> list[RepoHandle]:
        return [h for (kind, _), h in list(self._repos.items()) if kind == repo_type]

    def namespaces(self) -> set[str]:
        return {h.namespace for h in list(self._repos.values())}

    def create(self, repo_type: str, repo_id: str, private: bool, author: str) -> RepoHandle:
        """A new repo whose `main` holds the Hub's initial `.gitattributes` commit."""
        with self._lock:
            if _key(repo_type, repo_id) in self._repos:
                raise conflict("You already created this model repo")
            namespace, name = repo_id.split("/")
            parent = self.root / REPO_DIRS[repo_type] / namespace
            parent.mkdir(parents=True, exist_ok=True)
            git_path = parent / f"{name}.git"
            if git_path.exists():  # debris of an interrupted create or delete
                shutil.rmtree(git_path)
            git = GitRepo.init(git_path)
            blob = git.add_blob(default_gitattributes(repo_type))
            tree = git.write_tree({".gitattributes": blob})
            sha = git.make_commit(tree, [], "initial commit", _signature(author))
            git.set_ref("refs/heads/main", sha, None)
            meta = RepoMeta(new_object_id(), private, False, time.time())
            handle = RepoHandle(repo_type, repo_id, git, meta, parent / f"{name}.json")
            handle.save_meta()  # the JSON appearing last is what makes the repo exist on reload
            self._repos[_key(repo_type, repo_id)] = handle
            return handle

    def move(self, handle: RepoHandle, new_id: str) -> RepoHandle:
        """Rename a repo (possibly only its case); the old id is remembered for redirects."""
        with self._lock, handle.lock:
            _check_alive(handle)
            new_key, old_key = _key(handle.repo_type, new_id), _key(handle.repo_type, handle.repo_id)
            if new_key in self._repos and new_key != old_key:
                kind = handle.repo_type
                raise conflict(f"A {kind} repository called {new_id} already exists")
            namespace, name = new_id.split("/")
            parent = self.root / REPO_DIRS[handle.repo_type] / namespace
            parent.mkdir(parents=True, exist_ok=True)
            git_path, meta_path = parent / f"{name}.git", parent / f"{name}.json"
            if git_path.exists() and new_key != old_key:  # debris, as in create
                shutil.rmtree(git_path)
            handle.git.close()
            # The git dir first, the JSON last: on reload a repo exists where its JSON is.
            os.replace(handle.git.path, git_path)
            os.replace(handle.meta_path, meta_path)
            moved = RepoHandle(handle.repo_type, new_id, GitRepo(git_path), handle.meta, meta_path)
            handle.deleted = True  # requests still holding the old handle get a 404
            del self._repos[old_key]
            self._repos[new_key] = moved
            if new_key != old_key:
                self.moves[old_key] = new_id
            self.moves.pop(new_key, None)  # the name is a repo again, not a redirect
            _write_json_atomic(
                self._moves_path,
                [{"type": k[0], "from": k[1], "to": v} for k, v in self.moves.items()],
            )
            return moved

    def delete(self, handle: RepoHandle) -> None:
        with self._lock, handle.lock:
            handle.deleted = True
            self._repos.pop(_key(handle.repo_type, handle.repo_id), None)
            handle.meta_path.unlink(missing_ok=True)
            handle.git.close()
            trash = handle.git.path.with_name(f".trash-{secrets.token_hex(4)}")
            os.replace(handle.git.path, trash)
            shutil.rmtree(trash, ignore_errors=True)

    # reads --------------------------------------------------------------------------------------
    def resolve(self, handle: RepoHandle, revision: str) -> str:
        """Commit sha for a branch, tag, full sha or unique short sha (>= 7 hex)."""
        if revision in handle.branches:
            return handle.branches[revision]
        if revision in handle.tags:
            return handle.tags[revision]
        lowered = revision.lower()
        if 7 <= len(lowered) <= 40 and all(c in "0123456789abcdef" for c in lowered):
            matches = handle.git.commits_with_prefix(lowered)  # commits only, never a blob
            if len(matches) == 1:
                return matches[0]
        raise revision_not_found(revision)

    def commit_data(self, handle: RepoHandle, sha: str) -> CommitData:
        return handle.git.read_commit(sha)

    def listing(self, handle: RepoHandle, commit_sha: str) -> Listing:
        """Files of a commit; cached by tree sha, which never changes meaning."""
        tree = handle.git.read_commit(commit_sha).tree
        with self._listings_lock:
            cached = self._listings.get(tree)
            if cached is not None:
                self._listings.move_to_end(tree)
                return cached
        files, dirs = [], []
        for entry in handle.git.walk_tree(tree):
            if entry.is_dir:
                dirs.append(entry)
                continue
            size, pointer, pointer_size = self._describe_blob(handle, entry.sha)
            files.append(FileInfo(entry.path, entry.sha, size, pointer_size, pointer))
        files.sort(key=lambda f: f.path)
        dirs.sort(key=lambda d: d.path)
        listing = Listing(tuple(files), tuple(dirs), {f.path: f for f in files})
        with self._listings_lock:
            self._listings[tree] = listing
            if len(self._listings) > 512:
                self._listings.popitem(last=False)
        return listing

    def private_usage(
        self, namespace: str, pending: tuple[RepoHandle, str, dict[str, str]] | None = None
    ) -> int:
        """Bytes the namespace's private repos hold: each repo's distinct contents over all its
        branches (an LFS object once per repo). `pending` is a branch's tree about to be written
        (`{path: blob sha}`), counted instead of that branch's head."""
        total = 0
        for handle in list(self._repos.values()):
            if handle.namespace != namespace or not handle.meta.private:
                continue
            contents: dict[str, int] = {}
            for branch, head in list(handle.branches.items()):
                if pending is not None and pending[0] is handle and pending[1] == branch:
                    blobs = list(pending[2].values())
                else:
                    blobs = [f.blob_sha for f in self.listing(handle, head).files]
                for sha in blobs:
                    size, pointer, _ = self._describe_blob(handle, sha)
                    contents[pointer.oid if pointer else sha] = size
            total += sum(contents.values())
        return total

    def _describe_blob(self, handle: RepoHandle, sha: str) -> tuple[int, LfsPointer | None, int]:
        info = self._blob_info.get(sha)
        if info is None:
            data = handle.git.read_blob(sha)
            pointer = parse_pointer(data)
            info = (pointer.size if pointer else len(data), pointer, len(data))
            if len(self._blob_info) > 200_000:
                self._blob_info.clear()
            self._blob_info[sha] = info
        return info

    def history(self, handle: RepoHandle, sha: str) -> list[CommitData]:
        """First-parent history, newest first."""
        commits = []
        current: str | None = sha
        while current:
            data = handle.git.read_commit(current)
            commits.append(data)
            current = data.parents[0] if data.parents else None
        return commits

    # writes -------------------------------------------------------------------------------------
    def set_meta(self, handle: RepoHandle, **changes: Any) -> None:
        with handle.lock:
            _check_alive(handle)
            for key, value in changes.items():
                setattr(handle.meta, key, value)
            handle.save_meta()

    def commit(
        self,
        handle: RepoHandle,
        branch: str,
        operations: list[Operation],
        message: str,
        author: str,
        parent_commit: str | None = None,
        private_quota: int | None = None,
    ) -> str:
        """Apply operations on top of the branch head; compare-and-swap against `parent_commit`.
        A private repo's commit that would take its namespace past `private_quota` is refused."""
        lfs_blobs = self._check_operations(operations)
        with handle.lock:
            _check_alive(handle)
            head = handle.branches.get(branch)
            if head is None:
                raise revision_not_found(branch)
            if parent_commit and not head.startswith(parent_commit.lower()):
                raise HubError(412, STALE_PARENT_MESSAGE)
            files = {f.path: f.blob_sha for f in self.listing(handle, head).files}
            for op in operations:
                _apply(files, op, self._write_blob(handle, op, lfs_blobs), head)
            lfs_paths = [op.path for op in operations if isinstance(op, AddLfsFile)]
            if lfs_paths:
                _track_lfs(handle, files, lfs_paths)
            if private_quota is not None and handle.meta.private:
                used = self.private_usage(handle.namespace, (handle, branch, files))
                if used > private_quota:
                    raise storage_limit_reached(handle.namespace, used, private_quota)
            try:
                tree = handle.git.write_tree(files)
            except ValueError as err:
                raise HubError(400, str(err)) from None
            sha = handle.git.make_commit(tree, [head], message, _signature(author))
            self._move_branch(handle, branch, sha, head)
            return sha

    def _check_operations(self, operations: list[Operation]) -> dict[str, bytes]:
        """Refuse bad paths and missing LFS objects before the lock; the LFS pointers to write."""
        pointers: dict[str, bytes] = {}
        for op in operations:
            check_path(op.path.rstrip("/") if isinstance(op, DeletePath) else op.path)
            if isinstance(op, AddLfsFile):
                stored = self.lfs.size(op.oid)
                if stored is None or (op.size is not None and stored != op.size):
                    raise HubError(422, f"LFS object {op.oid} for {op.path!r} was never uploaded")
                pointers[op.oid] = make_pointer(op.oid, stored)
        return pointers

    @staticmethod
    def _write_blob(handle: RepoHandle, op: Operation, pointers: dict[str, bytes]) -> str | None:
        """The git blob for an addition. Called under the repo lock: dulwich writes a loose object
        through an exclusive `.lock` file, so two requests writing the same content at once (two
        applies committing the same card) made one of them fail with FileLocked, a 500."""
        if isinstance(op, AddFile):
            return handle.git.add_blob(op.data)
        if isinstance(op, AddLfsFile):
            return handle.git.add_blob(pointers[op.oid])
        return None

    def super_squash(self, handle: RepoHandle, branch: str, message: str, author: str) -> str:
        with handle.lock:
            _check_alive(handle)
            head = handle.branches.get(branch)
            if head is None:
                raise revision_not_found(branch)
            tree = handle.git.read_commit(head).tree
            sha = handle.git.make_commit(tree, [], message, _signature(author))
            self._move_branch(handle, branch, sha, head)
            return sha

    def create_branch(self, handle: RepoHandle, branch: str, target: str) -> None:
        with handle.lock:
            _check_alive(handle)
            if branch in handle.branches:
                raise branch_exists(branch)
            _check_ref_nesting(branch, handle.branches, "branch")
            if not handle.git.set_ref(f"refs/heads/{branch}", target, None):
                raise branch_exists(branch)
            handle.branches = {**handle.branches, branch: target}
            handle.version += 1

    def delete_branch(self, handle: RepoHandle, branch: str) -> None:
        with handle.lock:
            _check_alive(handle)
            head = handle.branches.get(branch)
            if head is None:
                raise revision_not_found(branch)
            handle.git.delete_ref(f"refs/heads/{branch}", head)
            handle.branches = {k: v for k, v in handle.branches.items() if k != branch}
            handle.version += 1

    def create_tag(
        self, handle: RepoHandle, tag: str, target: str, message: str | None, author: str
    ) -> None:
        with handle.lock:
            _check_alive(handle)
            if tag in handle.tags:
                raise conflict(f"Tag already exists: {tag}")
            _check_ref_nesting(tag, handle.tags, "tag")
            ref_target = target
            if message:
                ref_target = handle.git.make_tag(tag, target, message, _signature(author))
            if not handle.git.set_ref(f"refs/tags/{tag}", ref_target, None):
                raise conflict(f"Tag already exists: {tag}")
            handle.tags = {**handle.tags, tag: target}
            handle.version += 1

    def delete_tag(self, handle: RepoHandle, tag: str) -> None:
        with handle.lock:
            _check_alive(handle)
            if tag not in handle.tags:
                raise revision_not_found(tag)
            raw = handle.git.refs("refs/tags/").get(tag)
            if raw:
                handle.git.delete_ref(f"refs/tags/{tag}", raw)
            handle.tags = {k: v for k, v in handle.tags.items() if k != tag}
            handle.version += 1

    def _move_branch(self, handle: RepoHandle, branch: str, sha: str, old: str) -> None:
        if not handle.git.set_ref(f"refs/heads/{branch}", sha, old):
            # Only this process writes and it holds the lock, so the disk moved under us.
            raise HubError(500, f"branch {branch} changed on disk during the commit")
        handle.branches = {**handle.branches, branch: sha}
        handle.version += 1


def _apply(files: dict[str, str], op: Operation, blob: str | None, head: str) -> None:
    if isinstance(op, DeletePath):
        if op.folder:
            prefix = op.path.rstrip("/") + "/"
            doomed = [path for path in files if path.startswith(prefix)]
            if not doomed:
                raise entry_not_found(op.path, head)
            for path in doomed:
                del files[path]
        elif files.pop(op.path, None) is None:
            # A folder named without its trailing slash is deleted too, as on the Hub
            # (huggingface_hub's test_create_commit_implicit_delete_folder_is_ok).
            doomed = [path for path in files if path.startswith(op.path + "/")]
            if not doomed:
                raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
            for path in doomed:
                del files[path]
        return
    assert blob is not None
    files[op.path] = blob


def _track_lfs(handle: RepoHandle, files: dict[str, str], lfs_paths: list[str]) -> None:
    """Add `.gitattributes` lines for LFS files its rules miss, in the same commit (the Hub)."""
    current = files.get(GITATTRIBUTES)
    text = handle.git.read_blob(current).decode("utf-8", "replace") if current else ""
    updated = track_lfs_paths(text, lfs_paths)
    if updated is not None:
        files[GITATTRIBUTES] = handle.git.add_blob(updated.encode())


def storage_limit_reached(namespace: str, used: int, quota: int) -> HubError:
    # The Hub's 403 text (huggingface_hub#3048: "403 Forbidden: Private repository storage limit
    # reached, please upgrade your plan..."); the figures are the local hub's addition.
    return HubError(
        403,
        "Private repository storage limit reached, please upgrade your plan or free up space "
        f"({namespace} would hold {used} bytes in private repos; the quota is {quota})",
    )


def branch_exists(branch: str) -> HubError:
    # The Hub's text (huggingface_hub's test_create_branch_existing_branch_fails matches it).
    return conflict(f"Reference refs/heads/{branch} already exists")


def _check_alive(handle: RepoHandle) -> None:
    """A request that found the repo before a concurrent delete must not write into its debris."""
    if handle.deleted:
        raise HubError(404, f"Repository not found: {handle.repo_id}", "RepoNotFound")


def _check_ref_nesting(name: str, existing: dict[str, str], kind: str) -> None:
    """Git cannot hold both `a` and `a/b` as refs: refuse like the Hub, not fail on disk."""
    for other in existing:
        if other.startswith(name + "/") or name.startswith(other + "/"):
            raise conflict(f"Cannot create {kind} {name!r}: it conflicts with {other!r}")


def _signature(user: str) -> str:
    return f"{user} <{user}@users.noreply.huggingface.co>"
