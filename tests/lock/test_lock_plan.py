"""The lock file: plans without the weights, a lock that cannot lie, apply without folders."""

from __future__ import annotations

import json
from pathlib import Path

from tests.content.conftest import age
from tests.lock.conftest import LockProject


def _plan_json(project: LockProject) -> tuple[int, str]:
    result = project.cli("plan", "--format", "json", "--detailed-exitcode")
    assert result.code in (0, 2), result.err
    return result.code, result.out


def _file_commits(plan_json: str) -> dict[str, list[str]]:
    plan = json.loads(plan_json)
    return {c["fields"]["branch"]: sorted(op["path"] for op in c["fields"]["operations"])
            for c in plan["changes"] if c["kind"] == "commit_files"}


def _change_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    age(path.parent)


def test_a_fresh_clone_without_folders_plans_byte_identically(lockproject: LockProject) -> None:
    locked = lockproject.cli("lock")
    assert locked.code == 0, locked.err
    assert "4 revision(s) from folders here" in locked.out
    with_folders = _plan_json(lockproject)
    lockproject.remove_folders()
    without = _plan_json(lockproject)
    assert without == with_folders and without[0] == 2
    assert sorted(_file_commits(without[1])) == ["main", "step1000", "step2000", "step3000"]
    plan = json.loads(without[1])
    local_paths = {op["local_path"] for c in plan["changes"] if c["kind"] == "commit_files"
                   for op in c["fields"]["operations"]}
    assert "ckpt/1b/step2000/model.safetensors" in local_paths  # relative: the same anywhere
    assert lockproject.writes() == 0


def test_one_changed_file_relocked_plans_exactly_that_file(lockproject: LockProject) -> None:
    assert lockproject.cli("lock").code == 0
    applied = lockproject.cli("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    _change_one_byte(lockproject.root / "ckpt/1b/step2000/model.safetensors")

    stale = lockproject.cli("plan")  # the folder no longer matches the lock: stop
    assert stale.code == 1
    line = _line_of(lockproject.lock, '"revision": "acme/Demo-1B@step2000"')
    assert stale.err == (
        f"Error: release.lock:{line}: files:acme/Demo-1B@step2000: folder 'ckpt/1b/step2000' "
        "differs from its entry in release.lock: model.safetensors (content differs). If the "
        "folder is right, refresh the lock with `release lock "
        f"hub.endpoint={lockproject.hub.endpoint} --target files:acme/Demo-1B@step2000` (and "
        "commit it); otherwise restore the folder\n")

    before = lockproject.lock.read_text().splitlines()
    relocked = lockproject.cli("lock", "--target", "files:acme/Demo-1B@step2000")
    assert relocked.code == 0, relocked.err
    assert "1 revision(s) from folders here" in relocked.out and "3 kept" in relocked.out
    after = lockproject.lock.read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1 and '"model.safetensors"' in changed[0][1]  # one line per file

    lockproject.remove_folders()
    code, out = _plan_json(lockproject)
    assert code == 2 and _file_commits(out) == {"step2000": ["model.safetensors"]}


def test_a_lock_target_that_matches_nothing_is_an_error(lockproject: LockProject) -> None:
    assert lockproject.cli("lock").code == 0
    before = lockproject.lock.read_bytes()
    # A typo in the variant, the branch or the family: not "release.lock unchanged", exit 0.
    typo = lockproject.cli("lock", "--target", "files:acme/Demo-1B@step9999",
                           "--target", "files:acme/Demo-1B@step2000")
    assert typo.code == 1, typo.out
    assert typo.err == ("Error: --target: --target 'files:acme/Demo-1B@step9999' matches no "
                        "checkpoint folder revision the config declares (use an address "
                        "files:REPO@BRANCH, a repo id, family/variant, family or folder; globs "
                        "ok)\n")
    assert lockproject.lock.read_bytes() == before


def test_apply_without_folders_copies_content_the_hub_already_holds(
        lockproject: LockProject) -> None:
    assert lockproject.cli("lock").code == 0
    assert lockproject.cli("apply", "--auto-approve").code == 0
    # Promote the step3000 checkpoint to main on a machine that has only the config and lock:
    # main's folder becomes step3000's, whose content is already on the Hub (branch step3000).
    lockproject.family(lockproject_family(main="ckpt/{size_lower}/step3000"))
    assert lockproject.cli("lock").code == 0  # on the cluster, where the folders are
    lockproject.remove_folders()
    before = lockproject.hub.stats()
    assert before["by_endpoint"]["lfs_upload"] > 0  # the first apply did upload the weights
    applied = lockproject.cli("apply", "--auto-approve", "--format", "json")
    assert applied.code == 0, applied.err
    after = lockproject.hub.stats()
    assert after["by_endpoint"]["lfs_upload"] == before["by_endpoint"]["lfs_upload"]
    assert after["writes"] > before["writes"]  # main's commit was made
    assert json.loads(applied.out)["bytes_uploaded"] < 100_000  # the commit, not the weights
    again = lockproject.cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.out


def test_apply_stops_before_any_write_when_content_is_nowhere(
        lockproject: LockProject) -> None:
    assert lockproject.cli("lock").code == 0
    lockproject.remove_folders()
    result = lockproject.cli("apply", "--auto-approve")
    assert result.code == 1
    assert "Error: repo:acme/Demo-1B: 9 file(s) are neither on this machine nor anywhere in " \
           "the repo on the Hub: config.json on main (expected at ckpt/1b/main/config.json)" \
           in result.err
    assert "Nothing was written" in result.err
    assert lockproject.writes() == 0


def lockproject_family(main: str) -> str:
    from tests.lock.conftest import FAMILY

    return FAMILY.replace('"ckpt/{size_lower}/main"', f'"{main}"')


def _line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), start=1)
                if text in line)
