"""One server per data directory: an exclusive `flock` on DATA_DIR/.localhub.lock.

Each server keeps the repos' refs and metadata in memory and trusts that only it writes to disk;
two servers on one directory (`release hub serve` plus an embedded hub, or two embedded hubs in
two `release apply` runs) diverge and turn each other's writes into 500s. The second one is
refused instead. The kernel drops a `flock` when its holder exits, however it exits (kill -9
included), so a lock left by a dead server is never in force: the next server takes it without
a manual step, and there is no pid-liveness guess that a reused pid could fool. The file keeps
the holder's pid and command line only to name it in the refusal.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from release.errors import ReleaseError

LOCK_NAME = ".localhub.lock"


class DataDirInUse(ReleaseError):
    """Another live local hub serves this data directory."""


class DataDirLock:
    """Held from construction until `release()`; `acquire` raises DataDirInUse when taken."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        path = data_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise DataDirInUse(
                f"the local hub data directory {data_dir} is in use by another local hub "
                f"({holder}). Stop that one, point this command at it (hub.endpoint=<its URL>), "
                "or use another data directory (hub.data_dir=... / --data-dir)."
            ) from None
        # Ours now: a previous holder that died left only stale text, replaced here.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {' '.join(sys.argv)[:300]}\n".encode(), 0)
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
