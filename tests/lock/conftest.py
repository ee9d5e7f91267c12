"""A project whose family takes checkpoints on main and on three run branches, and a hub.

`LockProject.cli(...)` runs `release` in the project as a user would (in-process), always
against the test's local hub; `remove_folders()` makes the project look like a fresh clone on a
pull-request runner: the config and the lock, no weights.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from release.checkpoints import write_checkpoint
from release.localhub import DEFAULT_TOKEN, LocalHub
from tests.content.conftest import age

REPO_ROOT = Path(__file__).resolve().parents[2]

FAMILY = """\
demo:
  namespace: acme
  repo_name: "Demo-{size}"
  matrix: {size: [1B]}
  defaults:
    visibility: private
    card: {summary: A demo model.}
    artifacts: {folder: "ckpt/{size_lower}/main"}
  runs:
    branch: "step{step}"
    artifacts: "ckpt/{size_lower}/step{step}"
    variants: {"1B": [{step: 1000}, {step: 2000}, {step: 3000}]}
"""
FOLDERS = {"ckpt/1b/main": 4, "ckpt/1b/step1000": 1, "ckpt/1b/step2000": 2,
           "ckpt/1b/step3000": 3}


@dataclass
class LockProject:
    root: Path
    hub: LocalHub
    run_cli: Callable[..., Any]

    def cli(self, *args: str) -> Any:
        command, *rest = args
        return self.run_cli(command, f"hub.endpoint={self.hub.endpoint}", *rest, cwd=self.root)

    def family(self, text: str) -> None:
        (self.root / "conf" / "families" / "demo.yaml").write_text(textwrap.dedent(text))

    @property
    def lock(self) -> Path:
        return self.root / "release.lock"

    def remove_folders(self) -> None:
        shutil.rmtree(self.root / "ckpt")

    def writes(self) -> int:
        return int(self.hub.stats()["writes"])


def write_folders(root: Path, folders: dict[str, int] = FOLDERS) -> None:
    for folder, seed in folders.items():
        write_checkpoint(root / folder, hidden_size=16, layers=1, vocab_size=512, seed=seed)
    age(root)


@pytest.fixture
def lockproject(tmp_path: Path, local_hub_default: LocalHub, run_cli: Any,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[LockProject]:
    root = tmp_path / "project"
    (root / "conf" / "families").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "conf" / "hub", root / "conf" / "hub")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    (root / "conf" / "config.yaml").write_text(
        "defaults:\n  - hub: local\n  - families: [demo]\n  - _self_\n", encoding="utf-8")
    project = LockProject(root, local_hub_default, run_cli)
    project.family(FAMILY)
    write_folders(root)
    monkeypatch.setenv("HF_TOKEN", DEFAULT_TOKEN)
    yield project
