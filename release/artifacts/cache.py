"""A local on-disk cache of file hashes, so re-planning an unchanged folder costs only `stat` calls.

Format: one JSON file (default `.release/cache/hashes.json`)::

    {"format": "release-hash-cache", "version": 1,
     "entries": {"/abs/real/path": [size, mtime_ns, ctime_ns, inode, sha256, git_sha1 | null]}}

JSON rather than sqlite: the cache holds one entry per checkpoint file (thousands, not millions),
is read whole at the first lookup and written whole, and stays inspectable with any editor.
Concurrent writers are made safe by writing a temporary file and `os.replace`-ing it (readers
see the old or the new file, never a torn one); before replacing, `save` merges the entries
this process changed into the file as it is now, so two planners lose nothing but, in the worst
race, a few entries — which only costs a re-hash. An unreadable cache is treated as empty.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

DEFAULT_CACHE_PATH = Path(".release/cache/hashes.json")
_FORMAT = "release-hash-cache"
_VERSION = 1

#: A file modified this close to when it was hashed may be modified again within the same
#: timestamp tick without its mtime changing (git's "racy clean" problem); such hashes are used
#: for the scan at hand but not remembered. 2 s covers the coarsest common timestamps (FAT, SMB).
RACY_WINDOW_NS = 2_000_000_000


class FileStamp(NamedTuple):
    """What `stat` says about a file; any difference means its cached hashes are stale.

    Beyond the (size, mtime) the issue asks for, the inode catches a file replaced by rename
    (rsync, `cp -p`) with its size and mtime preserved, and ctime a content change whose mtime was
    set back (`touch -d`): neither can be faked without root, and both are free with the stat.
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass
class CacheStats:
    """Counters since the cache was created (or `reset_stats`): what a plan reports."""

    hits: int = 0
    misses: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0


class HashCache:
    """(real path, size, mtime, ctime, inode) -> (sha256, git sha1), persisted as JSON.

    Loaded lazily at the first lookup; `save` writes only if something changed. Use as a context
    manager to save on exit. Not thread-safe: `scan_folder` calls it from one thread only.
    """

    def __init__(self, path: Path | str = DEFAULT_CACHE_PATH, *,
                 racy_window_ns: int = RACY_WINDOW_NS) -> None:
        self.path = Path(path)
        self.racy_window_ns = racy_window_ns
        self.stats = CacheStats()
        self._entries: dict[str, list[Any]] | None = None
        self._changed: dict[str, list[Any] | None] = {}  # None: forgotten

    def __enter__(self) -> HashCache:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.save()

    def count(self) -> int:
        """Entries held (not `__len__`: an empty cache must not be falsy in `if cache:`)."""
        return len(self._loaded())

    def reset_stats(self) -> None:
        self.stats = CacheStats()

    def lookup(self, real_path: str, stamp: FileStamp, *,
               need_git_sha1: bool) -> tuple[str, str | None] | None:
        """The cached (sha256, git sha1) if the file is unchanged and has what is needed."""
        entry = self._loaded().get(real_path)
        if (entry is not None and FileStamp(*entry[:4]) == stamp
                and (entry[5] is not None or not need_git_sha1)):
            self.stats.hits += 1
            return entry[4], entry[5]
        self.stats.misses += 1
        return None

    def store(self, real_path: str, stamp: FileStamp, sha256: str, git_sha1: str | None, *,
              hashed_at_ns: int) -> None:
        """Record hashes computed when the clock read `hashed_at_ns` (taken before reading)."""
        self.stats.files_hashed += 1
        self.stats.bytes_hashed += stamp.size
        entries = self._loaded()
        if stamp.mtime_ns > hashed_at_ns - self.racy_window_ns:
            # Racy: forget any older entry too, it describes content that is gone.
            if entries.pop(real_path, None) is not None:
                self._changed[real_path] = None
            return
        entry = [*stamp, sha256, git_sha1]
        if entries.get(real_path) != entry:
            entries[real_path] = entry
            self._changed[real_path] = entry

    def save(self) -> bool:
        """Write the changes made by this process, merged into the file as it is now."""
        if not self._changed:
            return False
        merged = _read_entries(self.path)
        for key, entry in self._changed.items():
            if entry is None:
                merged.pop(key, None)
            else:
                merged[key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": _FORMAT, "version": _VERSION, "entries": merged}
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(document, file, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._entries = merged
        self._changed = {}
        return True

    def _loaded(self) -> dict[str, list[Any]]:
        if self._entries is None:
            self._entries = _read_entries(self.path)
        return self._entries


def _read_entries(path: Path) -> dict[str, list[Any]]:
    """The entries in the cache file; {} if it is missing, torn, foreign or of another version."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (not isinstance(document, dict) or document.get("format") != _FORMAT
            or document.get("version") != _VERSION or not isinstance(document.get("entries"), dict)):
        return {}
    return {key: entry for key, entry in document["entries"].items()
            if isinstance(entry, list) and len(entry) == 6}


def now_ns() -> int:
    """Wall-clock time comparable with file mtimes (not monotonic: mtimes are wall-clock)."""
    return time.time_ns()
