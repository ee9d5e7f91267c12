"""Fixtures of the error tests; the helpers live in `errorkit` (a unique module name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from errorkit import Newcomer, Result

from release.localhub import LocalHub


@pytest.fixture
def newcomer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Newcomer:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELEASE_CONFIG_DIR", raising=False)
    return Newcomer(tmp_path)


@pytest.fixture
def release(newcomer: Newcomer, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`release(*argv)` -> Result, in-process from the project folder."""
    from release.cli import main

    def run(*argv: str) -> Result:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def open_hub(tmp_path: Path) -> Iterator[LocalHub]:
    """A served local hub in open mode (any namespace), as `release hub serve` runs it."""
    with LocalHub(tmp_path / "served-hub") as hub:
        yield hub
