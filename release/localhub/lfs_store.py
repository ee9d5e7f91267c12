"""Content-addressed LFS object store (DATA_DIR/lfs/ab/cdef...) and the git-lfs pointer format."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_POINTER_HEAD = b"version https://git-lfs.github.com/spec/v1\n"
# A pointer is ~130 bytes; anything larger is a regular file even if it starts the same way.
_MAX_POINTER = 1024


@dataclass(frozen=True)
class LfsPointer:
    oid: str  # sha256 hex of the content
    size: int


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def make_pointer(oid: str, size: int) -> bytes:
    return _POINTER_HEAD + f"oid sha256:{oid}\nsize {size}\n".encode()


def parse_pointer(data: bytes) -> LfsPointer | None:
    """The pointer a blob holds, or None when the blob is a regular file."""
    if len(data) > _MAX_POINTER or not data.startswith(_POINTER_HEAD):
        return None
    fields = dict(
        line.split(" ", 1)
        for line in data.decode("ascii", "replace").splitlines()[1:]
        if " " in line
    )
    oid = fields.get("oid", "").removeprefix("sha256:")
    size = fields.get("size", "")
    if not is_sha256(oid) or not size.isdigit():
        return None
    return LfsPointer(oid, int(size))


class LfsStore:
    """Objects are written to a temp file, hashed, checked, then renamed: never a torn object."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, oid: str) -> Path:
        return self.root / oid[:2] / oid[2:]

    def size(self, oid: str) -> int | None:
        """The stored size, or None when the object is absent."""
        try:
            return self.path(oid).stat().st_size
        except FileNotFoundError:
            return None

    def has(self, oid: str, size: int | None = None) -> bool:
        stored = self.size(oid)
        return stored is not None and (size is None or stored == size)

    def open_writer(self) -> tuple[BinaryIO, str]:
        """A temp file inside the store (same filesystem, so the final rename is atomic)."""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        return os.fdopen(fd, "wb"), tmp

    def commit_upload(self, tmp: str, oid: str, size: int) -> None:
        """Check the temp file's sha256 and size, then move it into place (ValueError if wrong)."""
        digest = hashlib.sha256()
        actual = 0
        with open(tmp, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                actual += len(chunk)
        if digest.hexdigest() != oid or actual != size:
            os.unlink(tmp)
            raise ValueError(f"content does not match oid {oid} and size {size}")
        target = self.path(oid)
        target.parent.mkdir(exist_ok=True)
        os.replace(tmp, target)
