"""A run branch with no files of its own, in a repo the plan creates, is made at the repo's
initial commit (issue 12): no commit deleting what main got, one commit per repo saved. Against
the local hub: the branch's head is main's first commit and holds only `.gitattributes`; the
next plan has nothing to do; giving the run files later is an ordinary commit, not drift; an
apply stopped before main's first commit is resumed; two applies at once converge; a branch
someone else put there with content is refused."""

from __future__ import annotations

from typing import Any

import pytest
from applykit import Demo, branch_files, commit_counts, use_family, write_checkpoint

from release.errors import StalePlanError
from release.plan import CommitFiles, CreateBranch

REPOS = ("acme/Seed-1B", "acme/Seed-7B")


def family(run_artifacts: bool = False) -> str:
    artifacts = '    artifacts: "checkpoints/{size_lower}-{branch}"\n' if run_artifacts else ""
    return f"""\
demo:
  namespace: acme
  repo_name: "Seed-{{size}}"
  matrix:
    size: [1B, 7B]
  defaults:
    visibility: private
    card:
      summary: Run branches without files of their own.
      intended_use: Tests of release apply.
      metadata: {{license: apache-2.0}}
    artifacts:
      folder: "checkpoints/main-{{size_lower}}"
      include: ["*.json", "*.safetensors"]
  variants:
    "7B": {{visibility: public, gated: auto}}
  runs:
    branch: "run-{{name}}"
{artifacts}    variants:
      "1B": [{{name: seed1}}]
      "7B": [{{name: seed1}}]
  upstream: {{repo: "https://github.com/acme/train", commit: abc1234}}
"""


def _initial_commit(demo: Demo, repo_id: str) -> str:
    commits = list(demo.api.list_repo_commits(repo_id, revision="main"))
    return str(commits[-1].commit_id)  # newest first: the last is the repo's first commit


def _head(demo: Demo, repo_id: str, branch: str) -> str:
    refs = demo.api.list_repo_refs(repo_id)
    return next(b.target_commit for b in refs.branches if b.name == branch)


def _assert_at_initial_commit(demo: Demo) -> None:
    for repo_id in REPOS:
        assert _head(demo, repo_id, "run-seed1") == _initial_commit(demo, repo_id), repo_id
        assert set(branch_files(demo.api, repo_id, "run-seed1")) == {".gitattributes"}
    assert commit_counts(demo.snapshot()) == {repo_id: {"main": 2, "run-seed1": 1}
                                              for repo_id in REPOS}


def _no_changes(demo: Demo, capsys: Any) -> None:
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out


def test_file_less_run_branch_is_made_at_the_initial_commit(demo: Demo, capsys) -> None:
    use_family(demo.root, family())
    desired, plan = demo.plan()
    branches = [c for c in plan.changes if isinstance(c, CreateBranch)]
    assert [(c.repo_id, c.branch, c.initial) for c in branches] == [
        (repo_id, "run-seed1", True) for repo_id in REPOS]
    assert not [c for c in plan.changes if isinstance(c, CommitFiles) and c.branch != "main"]
    shown = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert "create branch run-seed1 at the repo's initial commit (no files of its own)" \
        in shown.out, shown.out
    demo.hub.reset_stats()
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    # One commit per repo (main's); before issue 12, two (+ the run branch's deletion commit).
    assert demo.hub.stats()["by_endpoint"]["commit"] == len(REPOS)
    _assert_at_initial_commit(demo)
    _no_changes(demo, capsys)


def test_giving_the_run_files_later_is_a_commit_not_drift(demo: Demo, capsys) -> None:
    use_family(demo.root, family())
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    for seed, size in enumerate(("1b", "7b")):
        write_checkpoint(demo.root / "checkpoints" / f"{size}-run-seed1", 10 + seed)
    use_family(demo.root, family(run_artifacts=True))
    _, plan = demo.plan()
    changed = [c for c in plan.changes if c.kind not in ("update_card",)]
    # The card lists the run's files' folder: it changes too; the branch gets one commit.
    assert [(c.kind, c.address) for c in changed] == [
        ("commit_files", f"files:{repo_id}@run-seed1") for repo_id in REPOS], plan.changes
    for commit in changed:
        assert isinstance(commit, CommitFiles) and not commit.drift, commit
        assert commit.parent_commit == _initial_commit(demo, commit.repo_id)
    assert not plan.drift_notices and not plan.drift
    out = demo.cli("plan", *demo.hub_args, capsys=capsys).out
    assert "outside release" not in out and "drift" not in out, out
    applied = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert applied.code == 0, applied.out + applied.err
    assert "config.json" in branch_files(demo.api, "acme/Seed-7B", "run-seed1")
    _no_changes(demo, capsys)


def test_an_apply_stopped_before_mains_first_commit_is_resumed(demo: Demo, capsys) -> None:
    use_family(demo.root, family())
    demo.hub.set_faults([{"endpoint": "commit", "kind": "refuse", "status": 403,
                          "message": "Private repository storage limit reached"}])
    desired, plan = demo.plan()
    stopped = demo.apply(plan, desired)
    assert stopped.status != "complete"
    demo.hub.clear_faults()
    # Each repo exists, private, with the run branch at its initial commit and nothing else.
    for repo_id in REPOS:
        assert set(branch_files(demo.api, repo_id, "main")) == {".gitattributes"}
        assert _head(demo, repo_id, "run-seed1") == _head(demo, repo_id, "main")
    desired, plan = demo.plan()
    assert not plan.notices, plan.notices
    assert not [c for c in plan.changes if isinstance(c, CreateBranch)]  # already there
    assert all("resuming" in c.reason for c in plan.changes if c.kind == "commit_files")
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    _assert_at_initial_commit(demo)
    _no_changes(demo, capsys)


def test_a_resumed_repo_without_the_branch_gets_it_at_its_initial_commit(demo: Demo,
                                                                          capsys) -> None:
    use_family(demo.root, family())
    demo.api.create_repo("acme/Seed-7B", private=True)  # what a kill right after create leaves
    desired, plan = demo.plan()
    branch = next(c for c in plan.changes
                  if isinstance(c, CreateBranch) and c.repo_id == "acme/Seed-7B")
    assert branch.initial
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    _assert_at_initial_commit(demo)
    _no_changes(demo, capsys)


def test_two_concurrent_applies_converge(demo: Demo, capsys) -> None:
    use_family(demo.root, family())
    desired, plan = demo.plan()
    demo.hub.set_latency(4)  # interleave the two applies request by request
    results = demo.apply_twice_at_once(plan, desired)
    demo.hub.set_latency(0)
    for result in results:
        assert result.status == "complete", result.to_json()
    notes = [r.note for result in results for r in result.results
             if r.change.kind == "create_branch"]
    assert any("already existed" in note for note in notes), notes
    _assert_at_initial_commit(demo)
    _no_changes(demo, capsys)


def test_a_lost_answer_to_the_branch_creation_is_recognised(demo: Demo, capsys) -> None:
    use_family(demo.root, family())
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "create_branch", "kind": "lost", "times": 1}])
    result = demo.apply(plan, desired)
    demo.hub.clear_faults()
    assert result.status == "complete", result.to_json()
    notes = [r.note for r in result.results if r.change.kind == "create_branch"]
    assert any("already existed" in note for note in notes), notes
    _assert_at_initial_commit(demo)


def test_a_branch_with_content_put_there_by_someone_else_is_refused(demo: Demo) -> None:
    from huggingface_hub import CommitOperationAdd

    use_family(demo.root, family())
    api = demo.api
    api.create_repo("acme/Seed-7B", private=True)  # resumed: an earlier apply was stopped
    desired, plan = demo.plan()
    # After the plan: someone puts a run-seed1 holding a file of theirs there.
    api.create_branch("acme/Seed-7B", branch="run-seed1")
    api.create_commit("acme/Seed-7B", [CommitOperationAdd("theirs.txt", b"x")],
                      commit_message="someone else's work", revision="run-seed1")
    with pytest.raises(StalePlanError, match="branch:acme/Seed-7B@run-seed1"):
        demo.apply(plan, desired, check_stale=True)
    # Past the stale check (the fixture's apply skips it): the branch itself is checked.
    result = demo.apply(plan, desired)
    failed = [r for r in result.results if r.status == "failed"]
    assert [r.change.address for r in failed] == ["branch:acme/Seed-7B@run-seed1"], \
        result.to_json()
    assert "holds more than the repo's initial files" in str(failed[0].error)
    assert "release plan" in str(failed[0].error)  # the next step
    # Nothing after it in that repo: main got no commit, theirs is untouched.
    assert set(branch_files(api, "acme/Seed-7B", "main")) == {".gitattributes"}
    assert "theirs.txt" in branch_files(api, "acme/Seed-7B", "run-seed1")


def test_the_same_plan_applied_twice_finds_its_branch(demo: Demo) -> None:
    # The second apply finds the repo with content (main moved off the initial commit): the
    # branch the first made is recognised; a missing one is not made from main's content.
    use_family(demo.root, family())
    desired, plan = demo.plan()
    first = demo.apply(plan, desired)
    assert first.status == "complete", first.to_json()
    demo.api.delete_branch("acme/Seed-1B", branch="run-seed1")
    again = demo.apply(plan, desired)
    by_address = {r.change.address: r for r in again.results}
    kept = by_address["branch:acme/Seed-7B@run-seed1"]
    assert kept.status == "applied" and "already existed" in kept.note, again.to_json()
    gone = by_address["branch:acme/Seed-1B@run-seed1"]
    assert gone.status == "failed", again.to_json()
    assert "the branch does not exist: not made from main's content" in str(gone.error)
    refs = {b.name for b in demo.api.list_repo_refs("acme/Seed-1B").branches}
    assert refs == {"main"}  # not made from main's content
