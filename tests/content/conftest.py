"""A small project with real checkpoint folders, published to the local hub by the plain client.

`publish()` puts a desired state on the Hub with huggingface_hub's own `HfApi` calls (what
`release apply` will do, in the order the architecture prescribes), so that the content tests
exercise the planner against Hub state that the unmodified client wrote, independently of apply.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from release.checkpoints import write_checkpoint
from release.localhub import DEFAULT_TOKEN, LocalHub
from release.state import DesiredState

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Two stages chained (DPO's base is the SFT repo), a run branch per stage, a release tag on the
#: DPO run, checkpoints on main for DPO, and a collection with a note.
FAMILY = """\
demo:
  namespace: acme
  repo_name: "Demo-{size}-{stage}"
  matrix:
    size: [1B]
    stage: [SFT, DPO]
  chain: {axis: stage}
  defaults:
    visibility: private
    card:
      summary: A small demo model.
      intended_use: Tests of release content.
      metadata:
        license: apache-2.0
        base_model: meta-llama/Llama-3.2-{size}
        base_model_relation: finetune
        library_name: transformers
  variants:
    "1B-DPO":
      visibility: public
      policy: {base_model: false}  # its SFT base (chain) stays private
      release: {tag: v1.0, revision: "dpo_1b_seed7", message: first release}
      artifacts: {folder: "ckpt/{size_lower}-{stage_lower}/main"}
  runs:
    branch: "{stage_lower}_{size_lower}_seed{seed}"
    artifacts: "ckpt/{branch}"
    variants:
      "1B-SFT": [{seed: 1}]
      "1B-DPO": [{seed: 7}]
  upstream: {repo: https://github.com/acme/trainer, commit: 1a2b3c4}
  collection:
    title: Demo Models
    description: The demo family.
    visibility: public
    notes: {"1B-DPO": The released model.}
"""

#: Checkpoint folder -> write_checkpoint seed (the weights differ per run, as real runs do).
FOLDERS = {"ckpt/sft_1b_seed1": 1, "ckpt/dpo_1b_seed7": 7, "ckpt/1b-dpo/main": 7}


@dataclass
class ContentProject:
    root: Path
    hub: LocalHub

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def override(self) -> str:
        return f"hub.endpoint={self.hub.endpoint}"

    def api(self) -> HfApi:
        return HfApi(endpoint=self.hub.endpoint, token=DEFAULT_TOKEN)


def make_project(root: Path, family: str = FAMILY) -> Path:
    (root / "conf" / "families").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "conf" / "hub", root / "conf" / "hub")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    (root / "conf" / "config.yaml").write_text(
        "defaults:\n  - hub: local\n  - families: [demo]\n  - _self_\n", encoding="utf-8")
    (root / "conf" / "families" / "demo.yaml").write_text(textwrap.dedent(family),
                                                          encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's checkpoint folders, written once per session (read-only for tests)."""
    root = tmp_path_factory.mktemp("checkpoints")
    for folder, seed in FOLDERS.items():
        write_checkpoint(root / folder, seed=seed)
    age(root)
    return root


def age(root: Path, seconds: int = 60) -> None:
    """Set every file's mtime `seconds` back (copytree keeps it).

    The hash cache does not remember a file modified within 2 s of hashing it (git's "racy
    clean" rule), so a folder written just before a plan is hashed again on the next one;
    checkpoints are written long before they are planned, so the tests age them.
    """
    then = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


@pytest.fixture
def content(tmp_path: Path, checkpoints: Path, local_hub_default: LocalHub,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[ContentProject]:
    """A fresh project (its own copy of the checkpoints, which tests may touch) and hub."""
    root = make_project(tmp_path / "project")
    shutil.copytree(checkpoints / "ckpt", root / "ckpt")
    monkeypatch.setenv("HF_TOKEN", DEFAULT_TOKEN)
    yield ContentProject(root, local_hub_default)


def publish(api: HfApi, state: DesiredState, root: Path) -> None:
    """Make the Hub hold `state`, with plain HfApi calls in apply's order.

    Checkpoint files are named relative to the project `root` (as in plans).

    Per repo: create private -> one commit on main (card + files) -> branches from their start
    point, each with one commit -> tags -> gating -> visibility last; then collections.
    """
    for repo in state.repos:
        api.create_repo(repo.repo_id, private=True)
        for branch in repo.branches:
            if branch.name != "main":
                api.create_branch(repo.repo_id, branch=branch.name, revision=branch.start_point)
            operations = [CommitOperationAdd(f.path, _payload(f, root)) for f in branch.files]
            if operations:
                api.create_commit(repo.repo_id, operations=operations, revision=branch.name,
                                  commit_message=f"publish {branch.name}")
        for tag in repo.tags:
            api.create_tag(repo.repo_id, tag=tag.name, revision=tag.revision,
                           tag_message=tag.message or None)
        if repo.gated:
            api.update_repo_settings(repo.repo_id, gated=repo.gated)
        if repo.visibility == "public":
            api.update_repo_settings(repo.repo_id, private=False)
    for collection in state.collections:
        created = api.create_collection(collection.title, namespace=collection.namespace,
                                        description=collection.description,
                                        private=collection.private)
        for item in collection.items:
            api.add_collection_item(created.slug, item.repo_id, item.repo_type, note=item.note)


def _payload(file: Any, root: Path) -> Any:
    if file.local_path is not None:
        return str(root / file.local_path)
    assert file.content is not None
    return file.content
