"""Bad lock input: a clear message with release.lock:LINE, exit 1, and no Hub request at all."""

from __future__ import annotations

import re

import pytest

from tests.lock.conftest import FAMILY, LockProject


def _fails(project: LockProject, *args: str) -> str:
    """Run `plan` and `apply`: both exit 1, before any Hub request; returns plan's message."""
    messages = []
    for command in ("plan", "apply"):
        result = project.cli(command, *args, *(["--auto-approve"] if command == "apply" else []))
        assert result.code == 1, (command, result.out, result.err)
        messages.append(result.err)
    assert messages[0] == messages[1]
    assert project.hub.stats()["total"] == 0  # stopped before the Hub was even read
    return messages[0]


def _edit_line(project: LockProject, number: int, text: str) -> None:
    lines = project.lock.read_text().splitlines()
    lines[number - 1] = text
    project.lock.write_text("\n".join(lines) + "\n")


def _line_of(project: LockProject, text: str) -> int:
    return next(n for n, line in enumerate(project.lock.read_text().splitlines(), start=1)
                if text in line)


@pytest.fixture
def locked(lockproject: LockProject) -> LockProject:
    assert lockproject.cli("lock").code == 0
    return lockproject


def test_a_line_that_does_not_parse(locked: LockProject) -> None:
    number = _line_of(locked, '"path": "config.json"')
    _edit_line(locked, number, '{"path": "config.json", "size": 12,')
    assert _fails(locked) == (
        f"Error: release.lock:{number}: not a JSON line (Expecting property name enclosed in "
        "double quotes, column 36); restore release.lock from git, or delete it and run "
        "`release lock` where the checkpoint folders are\n")


def test_an_unknown_format_version(locked: LockProject) -> None:
    number = _line_of(locked, '"format": "release-lock"')
    _edit_line(locked, number, '{"format": "release-lock", "version": 2}')
    assert _fails(locked) == (
        f"Error: release.lock:{number}: lock format version 2 is not known to this release "
        "(it reads version 1); upgrade release, or run `release lock` to rewrite the lock in "
        "this version\n")


def test_a_repo_the_config_does_not_declare(locked: LockProject) -> None:
    text = locked.lock.read_text().replace("acme/Demo-1B@step1000", "acme/Other-1B@step1000")
    locked.lock.write_text(text)
    number = _line_of(locked, "acme/Other-1B@step1000")
    message = _fails(locked)
    assert message.startswith("Error: release.lock: files:acme/Demo-1B@step1000: no entry in "
                              "release.lock (its folder 'ckpt/1b/step1000' is here)")
    locked.cli("lock")  # the folder is here: `release lock` restores the entry, drops the other
    assert "Other-1B" not in locked.lock.read_text()
    locked.remove_folders()
    text = locked.lock.read_text().replace("acme/Demo-1B@step1000", "acme/Other-1B@step1000")
    locked.lock.write_text(text)
    locked.family(FAMILY.replace("{step: 1000}, ", ""))
    assert _fails(locked) == (
        f"Error: release.lock:{number}: files:acme/Other-1B@step1000 is in the lock, but the "
        "config declares no such revision with a folder (family demo); run `release lock "
        f"hub.endpoint={locked.hub.endpoint}` to drop it\n")


def test_a_branch_the_config_no_longer_declares(locked: LockProject) -> None:
    locked.family(FAMILY.replace(", {step: 3000}", ""))
    number = _line_of(locked, "acme/Demo-1B@step3000")
    assert _fails(locked) == (
        f"Error: release.lock:{number}: files:acme/Demo-1B@step3000 is in the lock, but the "
        "config declares no such revision with a folder (family demo); run `release lock "
        f"hub.endpoint={locked.hub.endpoint}` to drop it\n")
    relocked = locked.cli("lock")
    assert "1 dropped" in relocked.out and "files:acme/Demo-1B@step3000" in relocked.out
    assert locked.cli("plan").code == 0


@pytest.mark.parametrize(("edit", "message"), [
    (lambda text: text + text[text.index('{"revision": "acme/Demo-1B@step1000"'):],
     "revision acme/Demo-1B@step1000 is listed twice"),
    (lambda text: re.sub(r'"size": \d+', '"size": -1', text, count=1),
     "'size' must be a byte count, got -1"),
    (lambda text: text.replace('"sha256": "', '"sha256": "zz', 1),
     "'sha256' must be 64 lowercase hex digits"),
    (lambda text: text.replace('"folder": "ckpt/1b/main", ', '', 1),
     "revision acme/Demo-1B@main: 'folder' must be a non-empty string"),
])
def test_a_hand_edited_inconsistent_lock(locked: LockProject, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    locked.lock.write_text(edit(locked.lock.read_text()))
    assert message in _fails(locked)
    assert _fails(locked).startswith("Error: release.lock:")


def test_a_missing_entry_for_an_absent_folder_names_the_lock_call(
        locked: LockProject) -> None:
    locked.family(FAMILY.replace("{step: 3000}", "{step: 3000}, {step: 4000}"))
    locked.remove_folders()
    assert _fails(locked) == (
        "Error: release.lock: files:acme/Demo-1B@step4000: no entry in release.lock (its folder "
        "'ckpt/1b/step4000' is not here); run `release lock "
        f"hub.endpoint={locked.hub.endpoint} --target files:acme/Demo-1B@step4000` where the "
        "folder is, and commit release.lock\n")


def test_a_changed_selection_needs_a_new_lock(locked: LockProject) -> None:
    locked.family(FAMILY.replace('artifacts: {folder: "ckpt/{size_lower}/main"}',
                                 'artifacts: {folder: "ckpt/{size_lower}/main", '
                                 'ignore: ["tokenizer.json"]}'))
    number = _line_of(locked, '"revision": "acme/Demo-1B@main"')
    assert _fails(locked).startswith(
        f"Error: release.lock:{number}: files:acme/Demo-1B@main: the lock was made from folder "
        "'ckpt/1b/main' (include [], ignore []), but the config now says 'ckpt/1b/main' "
        "(include [], ignore ['tokenizer.json'])")


def test_without_a_lock_an_absent_folder_says_how_to_make_one(
        lockproject: LockProject) -> None:
    lockproject.remove_folders()
    first = _fails(lockproject).splitlines()[0]
    assert first == (  # every absent folder is listed, each at the config key naming it
        "Error: conf/families/demo.yaml:8:25: families.demo.defaults.artifacts.folder: "
        "artifact folder 'ckpt/1b/main' does not exist, and there is no release.lock "
        "to take its content from (run `release lock "
        f"hub.endpoint={lockproject.hub.endpoint}` where the checkpoints are and commit "
        "release.lock, or remove the folder from the config)")
