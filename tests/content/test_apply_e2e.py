"""The same content checks with `release apply` writing the Hub (as a user runs it)."""

from __future__ import annotations

import json

from huggingface_hub.hf_api import RepoFile

from release.plan.model import CommitFiles
from release.workflow import Project, hub_session, load_desired, make_plan
from tests.content.conftest import ContentProject
from tests.content.test_artifacts_e2e import _change_last_byte


def _apply(run_cli, content: ContentProject) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("apply", content.override, "--auto-approve", "--no-color",
                     cwd=content.root)
    assert result.code == 0, result.out + result.err


def test_apply_uploads_the_folders_then_replanning_hashes_and_uploads_nothing(
        content: ContentProject, run_cli) -> None:
    _apply(run_cli, content)
    api = content.api()
    for repo_id, branch in (("acme/Demo-1B-SFT", "sft_1b_seed1"),
                            ("acme/Demo-1B-DPO", "dpo_1b_seed7"), ("acme/Demo-1B-DPO", "main")):
        tree = {e.path: e for e in api.list_repo_tree(repo_id, revision=branch, recursive=True)
                if isinstance(e, RepoFile)}
        assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(tree), branch
        assert tree["model.safetensors"].lfs is not None
    project = Project(content.conf)
    desired = load_desired(project, [content.override])
    assert (desired.bytes_hashed, desired.files_hashed) == (0, 0)
    with hub_session(project, desired.config) as session:
        plan = make_plan(session, desired.state, warnings=desired.warnings)
    assert not plan.has_changes, [c.address for c in plan.changes]

    status = run_cli("status", content.override, "--format", "json", "--detailed-exitcode",
                     cwd=content.root)
    assert status.code == 0, status.out
    assert {row["verdict"] for row in json.loads(status.out)["variants"]} == {"in sync"}


def test_apply_records_the_upstream_commit_in_commit_trailers(content: ContentProject,
                                                              run_cli) -> None:
    _apply(run_cli, content)
    (head, *_) = content.api().list_repo_commits("acme/Demo-1B-SFT", revision="sft_1b_seed1")
    message = f"{head.title}\n{head.message}"
    assert "Upstream-Repo: https://github.com/acme/trainer" in message
    assert "Upstream-Commit: 1a2b3c4" in message


def test_after_apply_touching_one_file_plans_only_that_file_and_apply_converges(
        content: ContentProject, run_cli) -> None:
    _apply(run_cli, content)
    _change_last_byte(content.root / "ckpt/sft_1b_seed1/model.safetensors")
    plan = run_cli("plan", content.override, "--format", "json", cwd=content.root)
    changes = json.loads(plan.out)["changes"]
    files = [c for c in changes if c["kind"] == CommitFiles.kind]
    assert [c["address"] for c in files] == ["files:acme/Demo-1B-SFT@sft_1b_seed1"]
    assert [(op["op"], op["path"]) for op in files[0]["fields"]["operations"]] == [
        ("update", "model.safetensors")]
    assert changes == files  # nothing else: the card does not record file manifests
    assert files[0]["drift"] is False  # the head is release's own commit: not drift
    _apply(run_cli, content)
    again = run_cli("plan", content.override, "--detailed-exitcode", cwd=content.root)
    assert again.code == 0, again.out
