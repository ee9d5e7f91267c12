"""Runs found on disk (`runs.discover`): parsed from folder names, recorded in the lock."""

from __future__ import annotations

import difflib
import json

from tests.lock.conftest import LockProject, write_folders

DISCOVER = """\
demo:
  namespace: acme
  repo_name: "Demo-{size}"
  matrix: {size: [1B]}
  defaults:
    visibility: private
    card: {summary: A demo model.}
  runs:
    branch: "stage{stage}-step{step}-tokens{tokens}"
    discover: "ckpt/olmo-{size_lower}/stage{stage}-step{step}-tokens{tokens}"
    artifacts: "ckpt/explicit/{branch}"
    variants: {"1B": [{stage: 9, step: 1, tokens: 1B}]}
"""
RUNS = {"ckpt/olmo-1b/stage1-step1000-tokens4B": 1, "ckpt/olmo-1b/stage1-step2000-tokens9B": 2,
        "ckpt/olmo-1b/stage1-step11931-tokens50B": 3, "ckpt/olmo-1b/stage2-step500-tokens2B": 4,
        "ckpt/explicit/stage9-step1-tokens1B": 5}


def _branches(project: LockProject) -> list[str]:
    shown = project.cli("show", "--format", "json")
    assert shown.code == 0, shown.err
    (repo,) = json.loads(shown.out)["repos"]
    return [branch["name"] for branch in repo["branches"]]


def _discovering(project: LockProject) -> LockProject:
    project.family(DISCOVER)
    write_folders(project.root, RUNS)
    return project


def test_each_matching_folder_is_a_run_in_natural_order(lockproject: LockProject) -> None:
    project = _discovering(lockproject)
    (project.root / "ckpt/olmo-1b/not-a-run").mkdir()
    assert _branches(project) == [
        "main", "stage9-step1-tokens1B",  # the declared run first, then the discovered ones
        "stage1-step1000-tokens4B", "stage1-step2000-tokens9B", "stage1-step11931-tokens50B",
        "stage2-step500-tokens2B"]


def test_the_lock_records_the_runs_so_a_clone_without_folders_knows_them(
        lockproject: LockProject) -> None:
    project = _discovering(lockproject)
    assert project.cli("lock").code == 0
    assert '"run": {"stage": "1", "step": "2000", "tokens": "9B"}' in project.lock.read_text()
    branches = _branches(project)
    code_with = project.cli("plan", "--format", "json", "--detailed-exitcode")
    project.remove_folders()
    assert _branches(project) == branches
    code_without = project.cli("plan", "--format", "json", "--detailed-exitcode")
    assert (code_without.code, code_without.out) == (code_with.code, code_with.out) == (
        2, code_with.out)
    assert project.writes() == 0


def test_a_new_run_folder_needs_the_lock_and_adds_only_its_lines(
        lockproject: LockProject) -> None:
    project = _discovering(lockproject)
    assert project.cli("lock").code == 0
    before = project.lock.read_text().splitlines()
    write_folders(project.root, {"ckpt/olmo-1b/stage2-step900-tokens4B": 6})
    stopped = project.cli("plan")
    assert stopped.code == 1
    assert stopped.err.startswith(
        "Error: release.lock: files:acme/Demo-1B@stage2-step900-tokens4B: no entry in "
        "release.lock (its folder 'ckpt/olmo-1b/stage2-step900-tokens4B' is here); run "
        "`release lock")
    assert project.cli("lock").code == 0
    after = project.lock.read_text().splitlines()
    diff = [line for line in difflib.ndiff(before, after) if line[:2] in ("+ ", "- ")]
    assert all(line.startswith("+ ") for line in diff)  # nothing else moved
    added = [line[2:] for line in diff if line[2:]]
    assert len(added) == 1 + 6  # the revision line and one line per file (and a blank line)
    assert added[0].startswith('{"revision": "acme/Demo-1B@stage2-step900-tokens4B"')
    assert project.cli("plan").code == 0


def test_two_runs_on_one_branch_are_a_config_error_with_its_line(
        lockproject: LockProject) -> None:
    project = _discovering(lockproject)
    project.family(DISCOVER.replace("{stage: 9, step: 1, tokens: 1B}",
                                    "{stage: 1, step: 1000, tokens: 4B}"))
    result = project.cli("validate")
    assert result.code == 1
    assert result.err == (
        "Error: conf/families/demo.yaml:10:15: families.demo.runs.discover: branch "
        "'stage1-step1000-tokens4B' is declared twice for '1B' (by the run found in folder "
        "'ckpt/olmo-1b/stage1-step1000-tokens4B')\n")


def test_a_pattern_without_run_values_is_a_config_error(lockproject: LockProject) -> None:
    project = _discovering(lockproject)
    project.family(DISCOVER.replace('discover: "ckpt/olmo-{size_lower}/stage{stage}-step{step}-'
                                    'tokens{tokens}"', 'discover: "ckpt/olmo-{size_lower}"'))
    result = project.cli("validate")
    assert result.code == 1
    assert result.err == (
        "Error: conf/families/demo.yaml:10:15: families.demo.runs.discover: "
        "'ckpt/olmo-{size_lower}' has no run placeholder to parse from folder names (e.g. "
        "\"checkpoints/{size_lower}/step{step}\")\n")
