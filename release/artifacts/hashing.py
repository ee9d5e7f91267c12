"""Content hashes of local files as the Hub compares them, and the Hub's LFS decision.

The Hub identifies an LFS file by the sha256 of its content and any other file by its git blob
sha1 (hub-api.md section 4). sha256 is always computed; the git blob sha1 only when the file could
be stored as a regular file, because a second hash of a multi-GB shard is wasted work.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

#: The Hub refuses regular (non-LFS) files above about 10 MB; it says "10 MB" and the local hub
#: uses 10**7, so a file in [10**7, 10 MiB) is predicted LFS but still gets both hashes.
LFS_SIZE_THRESHOLD = 10_000_000
LFS_CERTAIN_SIZE = 10 * 1024 * 1024
SAMPLE_SIZE = 512  # what preupload sends the Hub for binary detection

#: The `filter=lfs` patterns of the `.gitattributes` the Hub puts in every new model repo, in its
#: order (the local hub writes the same list: tests/localhub/test_preset_regular.py checks it).
DEFAULT_LFS_PATTERNS: tuple[str, ...] = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib",
    "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot",
    "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors",
    "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip",
    "*.zst", "*tfevents*",
)

#: 4 MiB: 256 KiB to 8 MiB measured within noise of each other (~1.4 GB/s, SHA-NI bound); 4 MiB
#: keeps syscalls few on cold reads without a large per-thread buffer.
CHUNK_SIZE = 4 * 1024 * 1024

_buffers = threading.local()  # one reusable read buffer per hashing thread


def _git_glob_regex(pattern: str) -> re.Pattern[str]:
    """A `.gitattributes` path pattern (one containing '/') as a regex over the repo path."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


class LfsRules:
    """Which repo paths `.gitattributes` routes through LFS; the last matching line wins, as in git.

    A pattern without '/' matches the file name at any depth; one with '/' matches the whole path
    from the repo root (git's rules, which the Hub applies).
    """

    def __init__(self, rules: Sequence[tuple[str, bool]]) -> None:
        self._rules = [(p.lstrip("/"), "/" not in p.rstrip("/"), lfs) for p, lfs in rules]
        self._regex = {p: _git_glob_regex(p) for p, base, _ in self._rules if not base}

    @classmethod
    def default(cls) -> LfsRules:
        return cls([(p, True) for p in DEFAULT_LFS_PATTERNS])

    @classmethod
    def parse(cls, text: str) -> LfsRules:
        """Rules from a `.gitattributes` file: `filter=lfs` tracks, `-filter`/`!filter` untracks."""
        rules: list[tuple[str, bool]] = []
        for line in text.splitlines():
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            attrs = fields[1:]
            if "filter=lfs" in attrs:
                rules.append((fields[0], True))
            elif any(a in ("-filter", "!filter") or a.startswith("filter=") for a in attrs):
                rules.append((fields[0], False))
        return cls(rules)

    def matches(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        verdict = False
        for pattern, basename_only, lfs in self._rules:
            hit = (fnmatchcase(name, pattern) if basename_only
                   else self._regex[pattern].match(path) is not None)
            if hit:
                verdict = lfs
        return verdict


_DEFAULT_RULES = LfsRules.default()


def predict_lfs(path: str, size: int, sample: bytes, rules: LfsRules | None = None) -> bool:
    """The Hub's likely upload mode for `path`: LFS by pattern, by size, or if it looks binary.

    `sample` is the file's first 512 bytes; like the Hub (and the local hub) a NUL byte in it
    means binary. Empty files are always regular (the client forces it).
    """
    if size == 0:
        return False
    if (rules or _DEFAULT_RULES).matches(path) or size >= LFS_SIZE_THRESHOLD:
        return True
    return b"\0" in sample[:SAMPLE_SIZE]


def lfs_certain(path: str, size: int, rules: LfsRules | None = None) -> bool:
    """True when the Hub will store `path` in LFS whatever its content, so no git sha1 is needed.

    Binary detection is not counted: the Hub's detector is not ours to mirror exactly, and a small
    file's second hash costs next to nothing, so a file that is LFS only by content gets both.
    """
    return size > 0 and ((rules or _DEFAULT_RULES).matches(path) or size >= LFS_CERTAIN_SIZE)


@dataclass(frozen=True)
class FileHashes:
    sha256: str
    git_sha1: str | None
    size: int  # bytes actually read: the caller checks it against the size it stat'ed


def hash_file(path: str | os.PathLike[str], *, size: int, git_sha1: bool) -> FileHashes:
    """sha256 (and the git blob sha1 when asked) of a file, in one pass over a reused buffer.

    `size` (from stat) goes into the git blob header, which precedes the content; a file whose
    length differs from it was being written to, and the caller must not trust the result.
    hashlib releases the GIL on updates this large, so several files hash in parallel threads.
    """
    buf: bytearray | None = getattr(_buffers, "buf", None)
    if buf is None:
        buf = _buffers.buf = bytearray(CHUNK_SIZE)
    view = memoryview(buf)
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(b"blob %d\0" % size) if git_sha1 else None
    read = 0
    with open(path, "rb", buffering=0) as file:
        if size > CHUNK_SIZE and hasattr(os, "posix_fadvise"):
            # Doubles the kernel's read-ahead: on a cold file the disk reads while we hash.
            os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while n := file.readinto(buf):
            chunk = view[:n]
            sha256.update(chunk)
            if sha1 is not None:
                sha1.update(chunk)
            read += n
    return FileHashes(sha256.hexdigest(), sha1.hexdigest() if sha1 else None, read)
