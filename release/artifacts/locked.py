"""Artifact sources backed by the lock: what plan/apply read, and what `release lock` writes.

`LockedSource` (plan, apply): a revision's files come from its lock entry, so a machine without
the folder plans exactly like one with it. Where the folder *is* here it is hashed (through the
hash cache: `stat` calls when unchanged) and must agree with the entry, or the run stops: the
lock can never silently lie. Without any lock file, folders are read as they are (the projects
that never ran `release lock`), and an absent folder says how to create the lock.

`Locker` (`release lock`): hashes the selected folders that are here into new entries and keeps
the entries of folders that are not; `entries()` is the new lock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from release.artifacts.cache import HashCache
from release.artifacts.lock import LOCK_NAME, Lock, LockedFile, LockEntry, LockError
from release.artifacts.scan import scan_folder
from release.artifacts.structure import check_structure
from release.desired import FolderContent, FolderRevision, relative_paths
from release.errors import ConfigError
from release.state import DesiredFile

_LISTED = 3  # differing files named in a message; the rest are counted


def lock_command(overrides: Sequence[str], target: str | None = None) -> str:
    """The `release lock` call a message tells the user to run (with the same overrides)."""
    words = ["release", "lock", *overrides]
    if target is not None:
        words += ["--target", target]
    return " ".join(_quoted(word) for word in words)


def _quoted(word: str) -> str:
    return f"'{word}'" if any(c in word for c in " *?[]{}$\"'") else word


def entry_files(entry: LockEntry) -> tuple[DesiredFile, ...]:
    """The entry's files as the desired state holds them (`local_path` = folder/path)."""
    return tuple(DesiredFile(path=f.path, size=f.size, sha256=f.sha256, git_sha1=f.git_sha1,
                             local_path=f"{entry.folder}/{f.path}") for f in entry.files)


def same_selection(entry: LockEntry, revision: FolderRevision) -> bool:
    return (entry.folder, entry.include, entry.ignore) == (
        revision.folder, revision.include, revision.ignore)


def differences(locked: Iterable[LockedFile], found: Iterable[DesiredFile]) -> list[str]:
    """Paths whose presence, size or sha256 differ, each with how (sorted by path)."""
    have = {f.path: (f.size, f.sha256) for f in locked}
    now = {f.path: (f.size, f.sha256) for f in found}
    out = []
    for path in sorted(have.keys() | now.keys()):
        if path not in now:
            out.append(f"{path} (in the lock, not in the folder)")
        elif path not in have:
            out.append(f"{path} (in the folder, not in the lock)")
        elif have[path] != now[path]:
            out.append(f"{path} (content differs)")
    return out


@dataclass
class LockedSource:
    """plan / apply: files from the lock, checked against the folders that are here."""

    root: Path
    lock: Lock | None
    cache: HashCache
    overrides: Sequence[str] = ()
    used: set[str] = field(default_factory=set)  # revisions the config asked for

    def __call__(self, revision: FolderRevision) -> FolderContent:
        self.used.add(revision.revision)
        folder = self.root / revision.folder
        entry = self.lock.entries.get(revision.revision) if self.lock is not None else None
        if entry is None:
            return self._unlocked(revision, folder)
        if not same_selection(entry, revision):
            raise LockError(
                f"{revision.address}: the lock was made from folder '{entry.folder}' "
                f"(include {list(entry.include)}, ignore {list(entry.ignore)}), but the config "
                f"now says '{revision.folder}' (include {list(revision.include)}, ignore "
                f"{list(revision.ignore)}); run `{self._command(revision)}` where the folder is",
                self.lock.where(entry) if self.lock else None)
        if folder.is_dir():
            found = scan_folder(folder, revision.include, revision.ignore, self.cache)
            differ = differences(entry.files, found)
            if differ:
                listed = "; ".join(differ[:_LISTED])
                more = f"; and {len(differ) - _LISTED} more" if len(differ) > _LISTED else ""
                raise LockError(
                    f"{revision.address}: folder '{revision.folder}' differs from its entry "
                    f"in {LOCK_NAME}: {listed}{more}. If the folder is right, refresh the lock "
                    f"with `{self._command(revision)}` (and commit it); otherwise restore the "
                    "folder", self.lock.where(entry) if self.lock else None)
        return FolderContent(entry_files(entry), entry.structure)

    def _unlocked(self, revision: FolderRevision, folder: Path) -> FolderContent:
        if self.lock is not None:
            where = "is here" if folder.is_dir() else "is not here"
            raise LockError(
                f"{revision.address}: no entry in {LOCK_NAME} (its folder '{revision.folder}' "
                f"{where}); run `{self._command(revision)}` where the folder is, and commit "
                f"{LOCK_NAME}", _shown(self.lock.path))
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"artifact folder '{revision.folder}' is a file, not a folder",
                              hint="point the config at the checkpoint's folder")
        if not folder.is_dir():
            raise ConfigError(
                f"artifact folder '{revision.folder}' does not exist, and there is no "
                f"{LOCK_NAME} to take its content from",
                hint=f"run `{lock_command(self.overrides)}` where the checkpoints are and "
                     f"commit {LOCK_NAME}, or remove the folder from the config")
        files = scan_folder(folder, revision.include, revision.ignore, self.cache)
        return FolderContent(relative_paths(files, revision.folder),
                             tuple(check_structure(files)))

    def _command(self, revision: FolderRevision) -> str:
        return lock_command(self.overrides, revision.address)

    def check_unused(self, families: Iterable[str], retired: Collection[str] = ()) -> None:
        """Entries of the loaded families that the config does not declare are an error; a
        run its `retention` retires is still declared (its entry says the run existed)."""
        if self.lock is None:
            return
        loaded = set(families)
        for entry in sorted(self.lock.entries.values(), key=lambda e: e.line):
            if entry.family in loaded and entry.revision not in self.used \
                    and entry.revision not in retired:
                raise LockError(
                    f"{entry.address} is in the lock, but the config declares no such revision "
                    f"with a folder (family {entry.family}); run "
                    f"`{lock_command(self.overrides)}` to drop it", self.lock.where(entry))


@dataclass
class Locker:
    """`release lock`: new entries for selected folders that are here; others kept."""

    root: Path
    lock: Lock | None
    cache: HashCache
    selected: Callable[[FolderRevision], bool] = lambda revision: True
    hashed: list[str] = field(default_factory=list)  # revisions (re)hashed
    kept: list[str] = field(default_factory=list)  # entries kept: folder not here or not selected
    missing: list[FolderRevision] = field(default_factory=list)  # neither here nor locked
    _entries: dict[str, LockEntry] = field(default_factory=dict)

    def __call__(self, revision: FolderRevision) -> FolderContent:
        old = self.lock.entries.get(revision.revision) if self.lock is not None else None
        folder = self.root / revision.folder
        if self.selected(revision) and folder.is_dir():
            files = scan_folder(folder, revision.include, revision.ignore, self.cache)
            entry = LockEntry(
                repo_id=revision.repo_id, branch=revision.branch, family=revision.family,
                variant=revision.variant, folder=revision.folder, include=revision.include,
                ignore=revision.ignore, structure=tuple(check_structure(files)),
                files=tuple(LockedFile(f.path, f.size, f.sha256, f.git_sha1) for f in files),
                run=revision.run)
            self._entries[revision.revision] = entry
            self.hashed.append(revision.revision)
            return FolderContent(entry_files(entry), entry.structure)
        if old is not None:
            self._entries[revision.revision] = old
            self.kept.append(revision.revision)
            return FolderContent(entry_files(old), old.structure)
        self.missing.append(revision)
        return FolderContent((), known=False)

    def entries(self, families: Iterable[str], retired: Collection[str] = ()) -> list[LockEntry]:
        """The new lock: what was hashed or kept, plus entries of families not loaded and of
        retired runs (kept: a run found only through the lock stays known, so stays retired)."""
        loaded = set(families)
        others = [e for e in (self.lock.entries.values() if self.lock else ())
                  if e.family not in loaded or e.revision in retired]
        return [*self._entries.values(), *others]


class TargetMatcher:
    """`--target` for `release lock`: globs over the address, repo id, family/variant, folder.

    Remembers which targets matched a revision, so a mistyped one is an error instead of a
    silent "release.lock unchanged"."""

    def __init__(self, targets: Sequence[str]) -> None:
        self.targets = tuple(targets)
        self.matched: set[str] = set()

    def __call__(self, revision: FolderRevision) -> bool:
        if not self.targets:
            return True
        names = (revision.address, revision.revision, revision.repo_id, revision.folder,
                 revision.family, f"{revision.family}/{revision.variant}")
        hits = {t for t in self.targets if any(fnmatchcase(name, t) for name in names)}
        self.matched |= hits
        return bool(hits)

    def unmatched(self) -> list[str]:
        return [t for t in self.targets if t not in self.matched]


def target_matcher(targets: Sequence[str]) -> TargetMatcher:
    return TargetMatcher(targets)


def _shown(path: Path) -> str:
    from release.config.sources import display_path

    return display_path(path)
