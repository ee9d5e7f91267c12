"""How a reviewer reads an artifact change: counts and bytes per revision, long lists collapsed."""

from __future__ import annotations

from release.plan.describe import MAX_FILES_SHOWN, Details, Summary
from release.plan.model import CommitFiles, FileOperation


def _commit(adds: int, updates: int = 0) -> CommitFiles:
    operations = [FileOperation(path=f"model-{i:05d}.safetensors", op="add", size=5 * 10**9,
                                sha256="a" * 64) for i in range(adds)]
    operations += [FileOperation(path="config.json", op="update", size=120, sha256="b" * 64,
                                 old_size=100)] * updates
    return CommitFiles(repo_id="acme/M", branch="main", parent_commit="c" * 40,
                       operations=tuple(operations))


def test_the_summary_counts_files_and_bytes_to_upload() -> None:
    assert Summary().visit(_commit(3, 1)) == (
        "commit on main: +3 files, ~1 file, 15.0 GB to upload, parent cccccccccccc")


def test_a_short_file_list_is_shown_whole() -> None:
    lines = Details().visit(_commit(MAX_FILES_SHOWN + 1))
    assert len(lines) == MAX_FILES_SHOWN + 1 and "more file(s)" not in lines[-1]


def test_a_long_file_list_is_collapsed_with_what_remains() -> None:
    lines = Details().visit(_commit(300))
    assert lines[:2] == ["+ model-00000.safetensors (5.0 GB)",
                         "+ model-00001.safetensors (5.0 GB)"]
    assert len(lines) == MAX_FILES_SHOWN + 1
    assert lines[-1] == "  ... 280 more file(s), 1400.0 GB"
