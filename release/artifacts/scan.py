"""List a local checkpoint folder as the `DesiredFile`s a branch should hold, hashed as the Hub does."""

from __future__ import annotations

import os
import stat as stat_mode
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from release.artifacts.cache import FileStamp, HashCache, now_ns
from release.artifacts.hashing import FileHashes, LfsRules, hash_file, lfs_certain
from release.errors import ReleaseError
from release.state import DesiredFile

#: Path components never uploaded: the client refuses `.git` and `.cache` folders in a commit
#: (huggingface_hub FORBIDDEN_FOLDERS), and `.release` holds this tool's own state and cache.
ALWAYS_IGNORED_DIRS = frozenset({".git", ".cache", ".release"})

#: Below this many bytes to hash, thread start-up costs more than it saves.
_PARALLEL_MIN_BYTES = 32 * 1024 * 1024


class ArtifactError(ReleaseError):
    """A local checkpoint folder cannot be read as asked; names the path and what to do."""


@dataclass(frozen=True)
class _Entry:
    repo_path: str
    local_path: str
    real_path: str  # the cache key: symlinked files (HF cache snapshots) share their blob's entry
    stamp: FileStamp
    need_git_sha1: bool


def scan_folder(folder: Path, include: Sequence[str] = (), ignore: Sequence[str] = (),
                cache: HashCache | None = None, *, workers: int | None = None
                ) -> tuple[DesiredFile, ...]:
    """The files under `folder` as `DesiredFile`s sorted by repo path, with `local_path` set.

    `include` / `ignore` are huggingface_hub's `allow_patterns` / `ignore_patterns`: fnmatch on the
    posix path relative to `folder` (`*` crosses '/'), a pattern ending in '/' means everything
    under that folder. sha256 is always computed; the git blob sha1 unless the Hub will certainly
    store the file in LFS (by `.gitattributes` pattern or size). With a `cache`, unchanged files
    are not read at all; call `cache.save()` afterwards to keep the new hashes.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ArtifactError(f"checkpoint folder {root}: not a directory (check the path in the "
                            "config, or generate it with `python -m release.checkpoints`)")
    selected = sorted((item for item in _walk(root) if _selected(item[0], include, ignore)),
                      key=lambda item: item[0])
    rules = _lfs_rules(root, {rel for rel, *_ in selected})
    entries = [_Entry(rel, local, real, FileStamp.of(st),
                      not lfs_certain(rel, st.st_size, rules)) for rel, local, real, st in selected]

    found: dict[str, tuple[str, str | None]] = {}
    to_hash: list[_Entry] = []
    for entry in entries:
        hit = None if cache is None else cache.lookup(entry.real_path, entry.stamp,
                                                      need_git_sha1=entry.need_git_sha1)
        if hit is None:
            to_hash.append(entry)
        else:
            found[entry.repo_path] = hit
    for entry, hashes, started in _hash_all(to_hash, workers):
        found[entry.repo_path] = (hashes.sha256, hashes.git_sha1)
        if cache is not None:
            cache.store(entry.real_path, entry.stamp, hashes.sha256, hashes.git_sha1,
                        hashed_at_ns=started)
    return tuple(DesiredFile(path=e.repo_path, size=e.stamp.size, sha256=found[e.repo_path][0],
                             git_sha1=found[e.repo_path][1], local_path=e.local_path)
                 for e in entries)


def _hash_all(entries: list[_Entry], workers: int | None
              ) -> Iterator[tuple[_Entry, FileHashes, int]]:
    """Hash files, largest first over a thread pool when there is enough to share out."""
    total = sum(e.stamp.size for e in entries)
    workers = workers or min(4, os.cpu_count() or 1)
    if workers == 1 or len(entries) < 2 or total < _PARALLEL_MIN_BYTES:
        yield from map(_hash_one, entries)
        return
    ordered = sorted(entries, key=lambda e: e.stamp.size, reverse=True)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="release-hash") as pool:
        yield from pool.map(_hash_one, ordered)


def _hash_one(entry: _Entry) -> tuple[_Entry, FileHashes, int]:
    started = now_ns()
    try:
        hashes = hash_file(entry.local_path, size=entry.stamp.size,
                           git_sha1=entry.need_git_sha1)
        after = FileStamp.of(os.stat(entry.local_path))
    except OSError as err:
        raise ArtifactError(f"{entry.local_path}: cannot read ({err.strerror or err})") from err
    if hashes.size != entry.stamp.size or after != entry.stamp:
        raise ArtifactError(f"{entry.local_path}: changed while being hashed; run again once "
                            "whatever writes the checkpoint has finished")
    return entry, hashes, started


def _walk(root: Path) -> Iterator[tuple[str, str, str, os.stat_result]]:
    """(repo path, local path, real path, stat) of each regular file, following symlinks.

    Symlinked directories are followed once (a (device, inode) set stops loops); symlinked files
    resolve to their target, as in a huggingface_hub cache snapshot.
    """
    root_real = os.path.realpath(root)
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[tuple[str, str, str]] = [("", str(root), root_real)]
    while stack:
        rel_dir, local_dir, real_dir = stack.pop()
        dir_stat = os.stat(local_dir)
        if (dir_stat.st_dev, dir_stat.st_ino) in seen_dirs:
            continue
        seen_dirs.add((dir_stat.st_dev, dir_stat.st_ino))
        try:
            with os.scandir(local_dir) as listing:
                children = list(listing)
        except OSError as err:
            raise ArtifactError(f"{local_dir}: cannot list ({err.strerror or err})") from err
        for child in children:
            rel = f"{rel_dir}{child.name}"
            local = os.path.join(local_dir, child.name)
            is_link = child.is_symlink()
            real = os.path.realpath(local) if is_link else os.path.join(real_dir, child.name)
            try:
                st = child.stat()  # follows symlinks
            except FileNotFoundError as err:
                raise ArtifactError(f"{local}: broken symlink (to {os.readlink(local)}); "
                                    "remove it or restore its target") from err
            except OSError as err:  # ELOOP: a link that resolves to itself, through others
                raise ArtifactError(f"{local}: cannot follow ({err.strerror or err}); a "
                                    "symlink loop? remove the link or point it at a file or "
                                    "folder") from err
            if stat_mode.S_ISDIR(st.st_mode):
                if child.name not in ALWAYS_IGNORED_DIRS:
                    stack.append((rel + "/", local, real))
            elif stat_mode.S_ISREG(st.st_mode):
                yield rel, local, real, st
            # sockets, fifos, devices: nothing the Hub could store, and opening a fifo would block


def _selected(path: str, include: Sequence[str], ignore: Sequence[str]) -> bool:
    """huggingface_hub's `filter_repo_objects` rule: in some include (if any), in no ignore."""
    if include and not any(fnmatchcase(path, _as_glob(p)) for p in include):
        return False
    return not any(fnmatchcase(path, _as_glob(p)) for p in ignore)


def _as_glob(pattern: str) -> str:
    pattern = pattern.replace("\\", "/")
    return pattern + "*" if pattern.endswith("/") else pattern


def _lfs_rules(root: Path, selected: set[str]) -> LfsRules | None:
    """The folder's own `.gitattributes` when it is uploaded (it becomes the repo's), else the Hub's."""
    if ".gitattributes" not in selected:
        return None
    try:
        return LfsRules.parse((root / ".gitattributes").read_text(encoding="utf-8",
                                                                  errors="replace"))
    except OSError as err:
        raise ArtifactError(f"{root / '.gitattributes'}: cannot read ({err.strerror})") from err
