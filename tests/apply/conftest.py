"""Fixtures of the apply tests; the helpers they use live in `applykit` (a unique module name:
every test directory's conftest is importable as `conftest`, so helpers must not live there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from applykit import DEMO_COMMITS, TEXT_ONLY, Demo, commit_counts, write_demo_project

from release.localhub import LocalHub


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """A fresh demo project and an empty local hub (open mode) it points at."""
    with LocalHub(tmp_path / "hub-data") as hub:
        yield Demo(write_demo_project(tmp_path / "project"), hub)


@pytest.fixture(scope="session")
def reference_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo project applied once, uninterrupted, on its own hub: what convergence means."""
    root = tmp_path_factory.mktemp("reference")
    with LocalHub(root / "hub-data") as hub:
        demo = Demo(write_demo_project(root / "project"), hub)
        desired, plan = demo.plan()
        result = demo.apply(plan, desired)
        assert result.status == "complete", result.to_json()
        snapshot = demo.snapshot()
    assert commit_counts(snapshot) == DEMO_COMMITS
    return snapshot


@pytest.fixture(scope="session")
def text_only_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`reference_snapshot` for the demo with JSON checkpoint files only (`TEXT_ONLY`)."""
    root = tmp_path_factory.mktemp("reference-text")
    with LocalHub(root / "hub-data") as hub:
        demo = Demo(write_demo_project(root / "project"), hub)
        desired, plan = demo.plan(TEXT_ONLY)
        result = demo.apply(plan, desired)
        assert result.status == "complete", result.to_json()
        snapshot = demo.snapshot()
    assert commit_counts(snapshot) == DEMO_COMMITS
    return snapshot
