"""Checkpoint folders end to end: published to the local hub, then re-planned.

The Hub state is written by huggingface_hub's own client (`publish`), so what is checked here
is the planner's view of real Hub state: LFS and regular files, run branches, a tag.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from huggingface_hub.hf_api import RepoFile

from release.plan.model import CommitFiles
from release.workflow import Desired, Project, hub_session, load_desired, make_plan
from tests.content.conftest import ContentProject, publish


def _desired(content: ContentProject) -> Desired:
    return load_desired(Project(content.conf), [content.override])


def _plan(content: ContentProject, desired: Desired):  # type: ignore[no-untyped-def]
    with hub_session(Project(content.conf), desired.config) as session:
        return make_plan(session, desired.state, warnings=desired.warnings)


def _published(content: ContentProject) -> Desired:
    desired = _desired(content)
    publish(content.api(), desired.state, content.root)
    return desired


def test_published_folders_are_on_their_branches_with_lfs(content: ContentProject) -> None:
    desired = _published(content)
    assert desired.files_hashed > 0  # the first plan hashes everything
    tree = {entry.path: entry for entry in content.api().list_repo_tree(
        "acme/Demo-1B-SFT", revision="sft_1b_seed1", recursive=True)
        if isinstance(entry, RepoFile)}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json"} <= set(tree)
    assert tree["model.safetensors"].lfs is not None  # the weights went through LFS
    assert tree["config.json"].lfs is None
    assert _plan(content, _desired(content)).has_changes is False


def test_replanning_an_unchanged_folder_hashes_nothing_and_uploads_nothing(
        content: ContentProject) -> None:
    _published(content)
    again = _desired(content)  # a new HashCache, read from .release/cache, as a new process
    assert (again.bytes_hashed, again.files_hashed) == (0, 0)
    plan = _plan(content, again)
    assert not plan.has_changes
    assert [c for c in plan.changes if isinstance(c, CommitFiles)] == []


@pytest.mark.parametrize(("folder", "path", "repo_id", "branch"), [
    # a small file, compared by git blob sha1
    ("ckpt/sft_1b_seed1", "generation_config.json", "acme/Demo-1B-SFT", "sft_1b_seed1"),
    # LFS weights on the tagged release branch, compared by sha256; the size is unchanged
    ("ckpt/dpo_1b_seed7", "model.safetensors", "acme/Demo-1B-DPO", "dpo_1b_seed7"),
    # a file on main
    ("ckpt/1b-dpo/main", "tokenizer_config.json", "acme/Demo-1B-DPO", "main"),
])
def test_touching_one_file_plans_exactly_that_file(content: ContentProject, folder: str,
                                                   path: str, repo_id: str,
                                                   branch: str) -> None:
    _published(content)
    touched = content.root / folder / path
    _change_last_byte(touched)
    desired = _desired(content)
    assert (desired.files_hashed, desired.bytes_hashed) == (1, touched.stat().st_size)

    plan = _plan(content, desired)
    commits = [c for c in plan.changes if isinstance(c, CommitFiles)]
    assert [(c.repo_id, c.branch) for c in commits] == [(repo_id, branch)]
    (operation,) = commits[0].operations
    assert (operation.op, operation.path) == ("update", path)
    assert operation.size == touched.stat().st_size and operation.old_size is not None
    # Nothing else: the card records no file manifest, so it does not change with the files.
    assert plan.changes == tuple(commits)


def test_touching_one_run_file_changes_nothing_but_that_file(content: ContentProject) -> None:
    _published(content)
    _change_last_byte(content.root / "ckpt/sft_1b_seed1/generation_config.json")
    plan = _plan(content, _desired(content))
    assert [c.address for c in plan.changes] == ["files:acme/Demo-1B-SFT@sft_1b_seed1"]


def _change_last_byte(path: Path) -> None:
    """New content, aged past the racy window (other files keep their stat, hence their cache).

    Weights: one bit of the last tensor value flips (same size, header still valid). JSON: one
    more key.
    """
    if path.suffix == ".safetensors":
        data = bytearray(path.read_bytes())
        data[-1] ^= 0x01
        path.write_bytes(bytes(data))
    else:
        document = json.loads(path.read_text())
        path.write_text(json.dumps({**document, "touched": True}, indent=2) + "\n")
    then = time.time() - 60
    os.utime(path, (then, then))
