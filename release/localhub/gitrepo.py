"""Thin typed layer over one bare dulwich repository: blobs, flat trees, commits, refs."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tag, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

FILE_MODE = 0o100644
_DIR_MODE = stat.S_IFDIR


def _oid(sha: str) -> ObjectID:
    return ObjectID(sha.encode())


def _ref(name: str) -> Ref:
    return Ref(name.encode())


@dataclass(frozen=True)
class TreeEntry:
    path: str
    sha: str  # blob sha1 for files, tree sha1 for directories
    is_dir: bool


@dataclass(frozen=True)
class CommitData:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: str
    timestamp: int


class GitRepo:
    """A bare repository on disk. Writers serialise through the caller's per-repo lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._repo = Repo(str(path))

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True, exist_ok=False)
        Repo.init_bare(str(path), default_branch=b"main").close()
        return cls(path)

    def close(self) -> None:
        self._repo.close()

    # objects ------------------------------------------------------------------------------------
    def add_blob(self, data: bytes) -> str:
        blob = Blob.from_string(data)
        self._repo.object_store.add_object(blob)
        return blob.id.decode()

    def read_blob(self, sha: str) -> bytes:
        obj = self._repo.object_store[_oid(sha)]
        assert isinstance(obj, Blob)
        return obj.as_raw_string()

    def commits_with_prefix(self, prefix: str) -> list[str]:
        found = []
        for oid in self._repo.object_store.iter_prefix(prefix.encode()):
            if isinstance(self._repo.object_store[oid], Commit):
                found.append(oid.decode())
        return found

    def read_commit(self, sha: str) -> CommitData:
        obj: ShaFile = self._repo.object_store[_oid(sha)]
        assert isinstance(obj, Commit)
        return CommitData(
            sha=sha,
            tree=obj.tree.decode(),
            parents=tuple(p.decode() for p in obj.parents),
            message=obj.message.decode("utf-8", "replace"),
            author=obj.author.decode("utf-8", "replace"),
            timestamp=obj.commit_time,
        )

    def peel(self, sha: str) -> str:
        """Follow annotated tags down to the commit they point at."""
        obj = self._repo.object_store[_oid(sha)]
        while isinstance(obj, Tag):
            obj = self._repo.object_store[obj.object[1]]
        return obj.id.decode()

    def walk_tree(self, tree_sha: str, prefix: str = "") -> Iterator[TreeEntry]:
        """Every file and directory below a tree, depth first, paths relative to the root."""
        tree = self._repo.object_store[_oid(tree_sha)]
        assert isinstance(tree, Tree)
        for item in tree.iteritems():
            path = prefix + item.path.decode()
            if stat.S_ISDIR(item.mode):
                yield TreeEntry(path, item.sha.decode(), True)
                yield from self.walk_tree(item.sha.decode(), path + "/")
            else:
                yield TreeEntry(path, item.sha.decode(), False)

    def write_tree(self, files: dict[str, str]) -> str:
        """Build nested trees from `{path: blob_sha}` and return the root tree sha."""
        root: dict[str, object] = {}
        for path, sha in files.items():
            node = root
            *dirs, leaf = path.split("/")
            for part in dirs:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise ValueError(f"{path!r} conflicts with the file {part!r}")
                node = child
            if isinstance(node.get(leaf), dict):
                raise ValueError(f"{path!r} conflicts with a directory of the same name")
            node[leaf] = sha
        objects: list[Tree] = []
        root_sha = self._build(root, objects)
        self._repo.object_store.add_objects([(obj, None) for obj in objects])
        return root_sha

    def _build(self, node: dict[str, object], objects: list[Tree]) -> str:
        tree = Tree()
        for name, value in node.items():
            if isinstance(value, dict):
                tree.add(name.encode(), _DIR_MODE, _oid(self._build(value, objects)))
            else:
                assert isinstance(value, str)
                tree.add(name.encode(), FILE_MODE, _oid(value))
        objects.append(tree)
        return tree.id.decode()

    def make_commit(
        self, tree: str, parents: list[str], message: str, author: str, when: int | None = None
    ) -> str:
        commit = Commit()
        commit.tree = _oid(tree)
        commit.parents = [_oid(p) for p in parents]
        commit.author = commit.committer = author.encode()
        commit.author_time = commit.commit_time = int(time.time()) if when is None else when
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = message.encode()
        self._repo.object_store.add_object(commit)
        return commit.id.decode()

    def make_tag(self, name: str, target: str, message: str, tagger: str) -> str:
        tag = Tag()
        tag.name = name.encode()
        tag.object = (Commit, _oid(target))
        tag.tagger = tagger.encode()
        tag.tag_time = int(time.time())
        tag.tag_timezone = 0
        tag.message = message.encode()
        self._repo.object_store.add_object(tag)
        return tag.id.decode()

    # refs ---------------------------------------------------------------------------------------
    def refs(self, prefix: str) -> dict[str, str]:
        """`{short name: sha}` for refs under `refs/heads/` or `refs/tags/`."""
        raw = self._repo.refs.as_dict(_ref(prefix))
        return {name.decode(): sha.decode() for name, sha in raw.items()}

    def set_ref(self, ref: str, new: str, old: str | None) -> bool:
        """Compare-and-swap on disk; `old=None` means the ref must not exist yet."""
        if old is None:
            return bool(self._repo.refs.add_if_new(_ref(ref), _oid(new)))
        return bool(self._repo.refs.set_if_equals(_ref(ref), _oid(old), _oid(new)))

    def delete_ref(self, ref: str, old: str) -> bool:
        return bool(self._repo.refs.remove_if_equals(_ref(ref), _oid(old)))
