"""The example project's committed release.lock: what `make demo` and a fresh clone rely on."""

from __future__ import annotations

import shutil
from pathlib import Path

from release.localhub import LocalHub

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_fresh_clone_plans_from_the_lock_and_the_generated_checkpoints_match_it(
        tmp_path: Path, local_hub_default: LocalHub, run_cli) -> None:  # type: ignore[no-untyped-def]
    for name in ("conf", "templates"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name)
    shutil.copy(REPO_ROOT / "release.lock", tmp_path / "release.lock")
    hub = f"hub.endpoint={local_hub_default.endpoint}"

    fresh = run_cli("plan", hub, "--format", "json", "--detailed-exitcode", cwd=tmp_path)
    assert fresh.code == 2, fresh.err  # no checkpoint folder exists: the lock is enough
    assert not (tmp_path / "checkpoints").exists()

    generated = run_cli("checkpoints", cwd=tmp_path)  # what `make demo` then does
    assert generated.code == 0 and "5 checkpoint folders written" in generated.out
    with_folders = run_cli("plan", hub, "--format", "json", "--detailed-exitcode", cwd=tmp_path)
    assert with_folders.code == 2, with_folders.err  # the folders agree with the lock...
    assert with_folders.out == fresh.out  # ...and the plan is the same, byte for byte
    relocked = run_cli("lock", hub, cwd=tmp_path)
    assert relocked.code == 0 and "release.lock unchanged" in relocked.out, relocked.out
