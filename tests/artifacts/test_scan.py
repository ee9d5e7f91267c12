from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from release.artifacts import ArtifactError, scan_folder
from release.state import git_blob_sha1

from .conftest import Ager


def _populate(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


FILES = {
    "config.json": b'{"model_type": "llama"}\n',
    "model.safetensors": b"\x08" + b"\0" * 2000,
    "sub/notes.md": b"# notes\n",
    "sub/deeper/extra.bin": b"\1\2\3",
    "logs/events.out.tfevents.1": b"event",
    ".git/HEAD": b"ref: refs/heads/main\n",
    ".cache/huggingface/upload/x.lock": b"",
    "sub/.cache/y": b"y",
    ".release/cache/hashes.json": b"{}",
}


def test_lists_sorted_posix_paths_skipping_vcs_and_caches(folder: Path) -> None:
    _populate(folder, FILES)
    assert [f.path for f in scan_folder(folder)] == [
        "config.json", "logs/events.out.tfevents.1", "model.safetensors",
        "sub/deeper/extra.bin", "sub/notes.md"]


def test_hashes_match_hashlib_and_git_hash_object(folder: Path) -> None:
    _populate(folder, FILES)
    files = {f.path: f for f in scan_folder(folder)}
    for rel in ("config.json", "sub/notes.md"):
        data = FILES[rel]
        git = subprocess.run(["git", "hash-object", "--no-filters", str(folder / rel)],
                             check=True, capture_output=True, text=True).stdout.strip()
        assert files[rel].git_sha1 == git == git_blob_sha1(data)
    for rel, file in files.items():
        assert file.sha256 == hashlib.sha256(FILES[rel]).hexdigest()
        assert file.size == len(FILES[rel])
        assert file.local_path == str(folder / rel)
        assert file.content is None


def test_git_sha1_skipped_only_where_lfs_is_certain(folder: Path) -> None:
    _populate(folder, FILES)
    files = {f.path: f for f in scan_folder(folder)}
    assert files["model.safetensors"].git_sha1 is None
    assert files["sub/deeper/extra.bin"].git_sha1 is None
    assert files["logs/events.out.tfevents.1"].git_sha1 is None
    assert files["config.json"].git_sha1 is not None


def test_local_gitattributes_decides_lfs_when_uploaded(folder: Path) -> None:
    _populate(folder, {**FILES, ".gitattributes": b"*.json filter=lfs diff=lfs merge=lfs -text\n"})
    files = {f.path: f for f in scan_folder(folder)}
    assert files["config.json"].git_sha1 is None
    assert files["model.safetensors"].git_sha1 is not None  # the defaults no longer apply
    files = {f.path: f for f in scan_folder(folder, ignore=[".gitattributes"])}
    assert files["config.json"].git_sha1 is not None


@pytest.mark.parametrize(("include", "ignore", "expected"), [
    (["*.json"], [], ["config.json"]),
    (["sub/"], [], ["sub/deeper/extra.bin", "sub/notes.md"]),
    (["sub/*.md"], [], ["sub/notes.md"]),
    (["sub/*"], ["*.bin"], ["sub/notes.md"]),  # '*' crosses '/', as in huggingface_hub
    ([], ["sub/", "logs/*"], ["config.json", "model.safetensors"]),
    (["*.safetensors", "*.json"], ["config.*"], ["model.safetensors"]),
    ([".git/*"], [], []),  # always ignored, whatever include says
])
def test_include_and_ignore(folder: Path, include: list[str], ignore: list[str],
                            expected: list[str]) -> None:
    _populate(folder, FILES)
    assert [f.path for f in scan_folder(folder, include, ignore)] == expected


def test_symlinks_are_followed(tmp_path: Path, folder: Path) -> None:
    blob = tmp_path / "blobs" / "abc"
    blob.parent.mkdir()
    blob.write_bytes(b"weights")
    (folder / "model.safetensors").symlink_to(blob)
    (folder / "linked_dir").symlink_to(blob.parent, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    files = scan_folder(folder)
    assert [f.path for f in files] == ["linked_dir/abc", "model.safetensors"]
    assert files[1].sha256 == hashlib.sha256(b"weights").hexdigest()


def test_broken_symlink_is_an_error_naming_it(folder: Path) -> None:
    (folder / "gone.json").symlink_to(folder / "nowhere")
    with pytest.raises(ArtifactError, match="gone.json: broken symlink"):
        scan_folder(folder)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not a directory"):
        scan_folder(tmp_path / "nope")


def test_parallel_and_serial_hashing_agree(folder: Path, age: Ager) -> None:
    # Enough bytes to cross the threshold at which scan_folder uses a thread pool.
    _populate(folder, {f"model-{i:05d}-of-00006.safetensors": os.urandom(6 << 20)
                       for i in range(1, 7)})
    assert scan_folder(folder, workers=4) == scan_folder(folder, workers=1)
