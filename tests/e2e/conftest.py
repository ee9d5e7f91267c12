"""End-to-end: the `release` CLI as a user runs it, against an in-process local hub."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from release.localhub import DEFAULT_TOKEN, LocalHub

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def example_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example config and templates, with its checkpoints generated (read-only)."""
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO_ROOT / "conf", root / "conf")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    from release.checkpoints import generate_missing
    from release.workflow import Project, load_desired

    state = load_desired(Project(root / "conf"), [], scan=False).state
    generate_missing([b.source for r in state.repos for b in r.branches if b.source], root)
    return root


@pytest.fixture
def project(example_project: Path, tmp_path: Path) -> Path:
    """A private copy of the example project (tests may edit it); checkpoints are shared."""
    root = tmp_path / "project"
    shutil.copytree(example_project / "conf", root / "conf")
    shutil.copytree(example_project / "templates", root / "templates")
    (root / "checkpoints").symlink_to(example_project / "checkpoints")
    return root


@pytest.fixture
def hub(local_hub_default: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """The open-mode local hub, its token in HF_TOKEN (so tests can check it never leaks)."""
    monkeypatch.setenv("HF_TOKEN", DEFAULT_TOKEN)
    yield local_hub_default


def hub_override(hub: LocalHub) -> str:
    return f"hub.endpoint={hub.endpoint}"
