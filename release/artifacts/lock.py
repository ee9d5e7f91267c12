"""The lock file: the declared content of every checkpoint folder, committed beside the config.

A pull-request runner has the config, never the weights; `release lock` records, where the
folders are, what each revision that takes files holds (path, size, sha256, git blob sha1), so
that plan and apply can take file identity from the lock instead of the folder (like uv.lock or
Cargo.lock: declared content, not state about the Hub).

Format (`release.lock` at the project root): JSON Lines, one value per line, `#` comments::

    # comments
    {"format": "release-lock", "version": 1}

    {"revision": "acme/Demo-1B@main", "family": "demo", "folder": "ckpt/1b", "include": [], ...}
    {"path": "config.json", "size": 712, "sha256": "…", "git_sha1": "…"}
    {"path": "model.safetensors", "size": 2097152, "sha256": "…", "git_sha1": null}

A revision line is followed by one line per file, sorted by path; revisions are sorted by repo
and branch (main first). A new run adds its revision line and one line per file, nothing else,
so lock diffs read like the change they record. Every line parses on its own, so an error names
`release.lock:LINE`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.errors import ReleaseError

LOCK_NAME = "release.lock"
FORMAT = "release-lock"
VERSION = 1

_HEADER_COMMENT = """\
# release.lock: the content of the checkpoint folders this config releases, per revision.
# Written by `release lock` where the folders are; `release plan` and `release apply` read it,
# so a machine without the checkpoints (a pull-request runner) plans exactly the same.
# Commit it with the config. Do not edit by hand: run `release lock` again instead.
"""
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_SHA1 = re.compile(r"[0-9a-f]{40}\Z")
_REVISION_KEYS = {"revision", "family", "variant", "folder", "include", "ignore", "structure",
                  "run"}
_FILE_KEYS = {"path", "size", "sha256", "git_sha1"}


class LockError(ReleaseError):
    """The lock cannot be used as it is: names `release.lock:LINE` and what to run."""

    def __init__(self, message: str, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


@dataclass(frozen=True)
class LockedFile:
    path: str
    size: int
    sha256: str
    git_sha1: str | None  # None where the Hub certainly stores the file in LFS

    def to_line(self) -> str:
        return _line({"path": self.path, "size": self.size, "sha256": self.sha256,
                      "git_sha1": self.git_sha1})


@dataclass(frozen=True)
class LockEntry:
    """One revision's files, the folder and selection they were read with, and what the
    transformers structure check found in them (it needs the bytes, so it runs at lock time).

    `run` holds the values of a run found on disk (`runs.discover`): the lock is how a machine
    without the folders still knows that run exists.
    """

    repo_id: str
    branch: str
    family: str
    variant: str
    folder: str
    include: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    files: tuple[LockedFile, ...] = ()
    structure: tuple[str, ...] = ()
    run: tuple[tuple[str, str], ...] | None = None
    line: int = field(default=0, compare=False)  # where it starts in the lock file (0: new)

    @property
    def revision(self) -> str:
        return f"{self.repo_id}@{self.branch}"

    @property
    def address(self) -> str:
        return f"files:{self.revision}"

    @property
    def sort_key(self) -> tuple[str, bool, str]:
        return (self.repo_id, self.branch != "main", self.branch)

    def to_lines(self) -> list[str]:
        head: dict[str, Any] = {"revision": self.revision, "family": self.family,
                                "variant": self.variant, "folder": self.folder,
                                "include": list(self.include), "ignore": list(self.ignore),
                                "structure": list(self.structure)}
        if self.run is not None:
            head["run"] = dict(self.run)
        return [_line(head), *(f.to_line() for f in sorted(self.files, key=lambda f: f.path))]


@dataclass(frozen=True)
class Lock:
    """The parsed lock: entries by revision (`repo@branch`); `path` for messages."""

    path: Path
    entries: Mapping[str, LockEntry]

    def where(self, entry: LockEntry) -> str:
        return f"{_shown(self.path)}:{entry.line}" if entry.line else _shown(self.path)


def _line(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _shown(path: Path) -> str:
    from release.config.sources import display_path

    return display_path(path)


def render_lock(entries: Iterable[LockEntry]) -> str:
    """The lock file's text: deterministic (sorted revisions, sorted files)."""
    out = [_HEADER_COMMENT + _line({"format": FORMAT, "version": VERSION})]
    for entry in sorted(entries, key=lambda e: e.sort_key):
        out.append("\n".join(entry.to_lines()))
    return "\n\n".join(out) + "\n"


def write_lock(path: Path, entries: Iterable[LockEntry]) -> bool:
    """Write the lock atomically; False (and no write) when the text would not change."""
    text = render_lock(entries)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(tmp, 0o644)  # a committed file: mkstemp's 0600 would surprise git users
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def read_lock(path: Path) -> Lock | None:
    """The lock at `path`, None if there is none.

    Raises:
        LockError: a line that does not parse, an unknown format or version, or an entry that
            is inconsistent in itself (duplicates, bad hashes, files before any revision).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise LockError(f"cannot read ({err})", _shown(path)) from err
    return parse_lock(text, path)


def parse_lock(text: str, path: Path) -> Lock:
    """Parse the lock's text (see the module docstring); errors name `path:LINE`."""
    shown = _shown(path)
    fix = f"restore {LOCK_NAME} from git, or delete it and run `release lock` where the " \
          "checkpoint folders are"
    entries: dict[str, LockEntry] = {}
    current: dict[str, Any] | None = None
    files: list[LockedFile] = []
    seen_header = False

    def close() -> None:
        if current is not None:
            entry = LockEntry(**current, files=tuple(sorted(files, key=lambda f: f.path)))
            entries[entry.revision] = entry

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{shown}:{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise LockError(f"not a JSON line ({err.msg}, column {err.colno}); {fix}",
                            where) from None
        if not isinstance(value, dict):
            raise LockError(f"expected a JSON object; {fix}", where)
        if not seen_header:
            _check_header(value, where)
            seen_header = True
            continue
        if "revision" in value:
            close()
            current = _revision(value, where, number)
            files = []
            if f"{current['repo_id']}@{current['branch']}" in entries:
                raise LockError(f"revision {value['revision']} is listed twice; {fix}", where)
            continue
        if current is None:
            raise LockError(f"a file line before any revision line; {fix}", where)
        locked = _file(value, where)
        if any(f.path == locked.path for f in files):
            raise LockError(f"{locked.path} is listed twice for {current['repo_id']}@"
                            f"{current['branch']}; {fix}", where)
        files.append(locked)
    if not seen_header:
        raise LockError(f'no header line ({{"format": "{FORMAT}", "version": {VERSION}}}); '
                        f"{fix}", f"{shown}:1")
    close()
    return Lock(path, entries)


def _check_header(value: Mapping[str, Any], where: str) -> None:
    if value.get("format") != FORMAT:
        raise LockError(f"not a release lock (the first line must be "
                        f'{{"format": "{FORMAT}", "version": {VERSION}}})', where)
    if value.get("version") != VERSION:
        raise LockError(f"lock format version {value.get('version')!r} is not known to this "
                        f"release (it reads version {VERSION}); upgrade release, or run "
                        "`release lock` to rewrite the lock in this version", where)


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LockError(f"'{key}' must be a list of strings", where)
    return tuple(value)


def _revision(value: Mapping[str, Any], where: str, number: int) -> dict[str, Any]:
    unknown = sorted(set(value) - _REVISION_KEYS)
    if unknown:
        raise LockError(f"unknown key(s) {', '.join(unknown)} in a revision line", where)
    revision = value.get("revision")
    if not isinstance(revision, str) or "@" not in revision or "/" not in revision.split("@")[0]:
        raise LockError(f"'revision' must be 'namespace/repo@branch', got {revision!r}", where)
    repo_id, branch = revision.split("@", 1)
    for key in ("family", "variant", "folder"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise LockError(f"revision {revision}: '{key}' must be a non-empty string", where)
    run = value.get("run")
    if run is not None and (not isinstance(run, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in run.items())):
        raise LockError(f"revision {revision}: 'run' must map names to strings", where)
    return {"repo_id": repo_id, "branch": branch, "family": value["family"],
            "variant": value["variant"], "folder": value["folder"],
            "include": _strings(value.get("include", []), "include", where),
            "ignore": _strings(value.get("ignore", []), "ignore", where),
            "structure": _strings(value.get("structure", []), "structure", where),
            "run": tuple(run.items()) if run is not None else None, "line": number}


def _file(value: Mapping[str, Any], where: str) -> LockedFile:
    unknown = sorted(set(value) - _FILE_KEYS)
    if unknown:
        raise LockError(f"unknown key(s) {', '.join(unknown)} in a file line", where)
    path, size = value.get("path"), value.get("size")
    sha256, git_sha1 = value.get("sha256"), value.get("git_sha1")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise LockError(f"'path' must be a relative path inside the folder, got {path!r}", where)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise LockError(f"{path}: 'size' must be a byte count, got {size!r}", where)
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise LockError(f"{path}: 'sha256' must be 64 lowercase hex digits", where)
    if git_sha1 is not None and (not isinstance(git_sha1, str) or not _SHA1.match(git_sha1)):
        raise LockError(f"{path}: 'git_sha1' must be 40 lowercase hex digits or null", where)
    return LockedFile(path, size, sha256, git_sha1)
