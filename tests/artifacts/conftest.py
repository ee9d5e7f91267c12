"""Fixtures for artifact tests: a checkpoint folder, and back-dating files so they are cacheable.

A file modified within `RACY_WINDOW_NS` of being hashed is deliberately not cached; tests that
expect cache hits age their files first, as a checkpoint written before planning would be.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

Ager = Callable[..., None]


def _age(*paths: Path, seconds: float = 60) -> None:
    past = time.time() - seconds
    for path in paths:
        targets = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for target in targets:
            os.utime(target, (past, past))


@pytest.fixture
def age() -> Ager:
    """age(path_or_folder, ..., seconds=60): move mtimes into the past."""
    return _age


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "ckpt"
    root.mkdir()
    return root
