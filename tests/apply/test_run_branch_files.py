"""A run branch the tool creates holds exactly its run's files (issue 10, item 7): what it
inherits from main and the run's folder lacks is deleted in its first commit, and the next plan
has nothing to say about the branch."""

from __future__ import annotations

from applykit import Demo, branch_files


def test_new_run_branch_gets_exactly_its_runs_files(demo: Demo, capsys) -> None:
    (demo.root / "checkpoints" / "main-7b" / "generation_config.json").write_text('{"t": 1}')
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.err
    assert "- generation_config.json" in plan.out  # shown on each new run branch's commit
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err + run.out
    api = demo.api
    assert "generation_config.json" in branch_files(api, "acme/Demo-7B", "main")
    for branch in ("run-a", "run-b"):
        files = branch_files(api, "acme/Demo-7B", branch)
        assert set(files) == {".gitattributes", "README.md", "config.json", "model.safetensors",
                              "tokenizer.json", "tokenizer_config.json"}, (branch, files)
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert again.code == 0, again.out
    assert "No changes" in again.out
    assert "undeclared" not in again.out
