from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from release.artifacts import LfsRules, hash_file, lfs_certain, predict_lfs
from release.artifacts.hashing import CHUNK_SIZE
from release.state import git_blob_sha1


def _git_hash_object(path: Path) -> str:
    return subprocess.run(["git", "hash-object", "--no-filters", str(path)], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("size", [0, 1, 511, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE * 2 + 7])
def test_hashes_match_hashlib_and_git(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)

    hashes = hash_file(path, size=size, git_sha1=True)

    assert hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert hashes.git_sha1 == git_blob_sha1(data) == _git_hash_object(path)
    assert hashes.size == size


def test_git_sha1_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    path.write_bytes(b"x" * 1000)
    hashes = hash_file(path, size=1000, git_sha1=False)
    assert hashes.git_sha1 is None
    assert hashes.sha256 == hashlib.sha256(b"x" * 1000).hexdigest()


def test_size_read_is_reported_so_a_growing_file_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"12345")
    assert hash_file(path, size=3, git_sha1=True).size == 5


@pytest.mark.parametrize(("path", "size", "sample", "expected"), [
    ("model.safetensors", 100, b"{}", True),            # pattern
    ("sub/dir/pytorch_model.bin", 100, b"text", True),  # basename pattern at any depth
    ("data.tar.gz", 100, b"text", True),
    ("runs/events.out.tfevents.123.host", 100, b"text", True),
    ("saved_model/variables/variables.index", 100, b"text", True),  # path pattern
    ("nested/saved_model/x", 100, b"text", False),  # a '/' pattern is anchored at the root
    ("config.json", 500, b'{"a": 1}', False),
    ("config.json", 10_000_000, b'{"a": 1}', True),  # size
    ("blob.dat", 2000, b"abc\0def", True),  # binary sample
    ("blob.dat", 2000, b"abc" + b"\0" + b"x" * 600, True),
    ("blob.dat", 2000, b"x" * 512 + b"\0", False),  # NUL only beyond the 512-byte sample
    ("empty.safetensors", 0, b"", False),  # the client forces empty files to regular
    ("MODEL.SAFETENSORS", 100, b"text", False),  # git patterns are case-sensitive
])
def test_predict_lfs(path: str, size: int, sample: bytes, expected: bool) -> None:
    assert predict_lfs(path, size, sample) is expected


def test_lfs_certain_excludes_content_sniffing_and_the_size_grey_zone() -> None:
    assert lfs_certain("model.safetensors", 100)
    assert lfs_certain("big.json", 10 * 1024 * 1024)
    # Predicted LFS, but the Hub's binary detector or its "10 MB" may disagree: hash both.
    assert not lfs_certain("blob.dat", 2000)
    assert not lfs_certain("big.json", 10_000_000)
    assert not lfs_certain("empty.safetensors", 0)


def test_gitattributes_rules_last_match_wins() -> None:
    rules = LfsRules.parse(
        "# comment\n*.json filter=lfs diff=lfs merge=lfs -text\n"
        "config.json -filter\nweights/** filter=lfs\n*.md text\n")
    assert rules.matches("tokenizer.json")
    assert not rules.matches("config.json")
    assert rules.matches("weights/a/b.txt")
    assert not rules.matches("README.md")
    assert not rules.matches("model.safetensors")  # a repo's own file replaces the defaults
    assert predict_lfs("tokenizer.json", 10, b"{}", rules)
