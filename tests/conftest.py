"""Test-wide environment: offline-safe Hub client settings, set before huggingface_hub loads."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Must happen at import time: huggingface_hub reads most of these once, when imported.
_HF_HOME = tempfile.mkdtemp(prefix="release-tests-hf-home-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
for _var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
             "HUGGINGFACE_CO_STAGING", "HF_OIDC_RESOURCE", "HF_ENDPOINT"):
    os.environ.pop(_var, None)

# Local hub fixtures (local_hub, local_hub_default, make_api) for every test package.
pytest_plugins = ["release.localhub.testing"]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `release ARGS...` in-process in `cwd`, as a user would; returns code and output."""
    from release.cli import main

    def run(*args: str, cwd: Path) -> CliResult:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
