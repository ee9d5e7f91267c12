"""`release apply FILE`: exactly the saved plan, no prompt; refused as stale, naming the objects,
with zero write requests, when the Hub moved; the rule that tells a plan file from overrides."""

from __future__ import annotations

import json
from pathlib import Path

from applykit import DEMO_COMMITS, Demo, commit_counts
from huggingface_hub import CommitOperationAdd


def _save_plan(demo: Demo, capsys, *extra: str) -> Path:
    run = demo.cli("plan", "-o", "plan.json", *demo.hub_args, *extra, capsys=capsys)
    assert run.code == 0, run.err
    return demo.root / "plan.json"


def test_saved_plan_is_applied_without_a_prompt(demo: Demo, reference_snapshot,
                                                capsys) -> None:
    assert demo.cli("plan", "-o", "release.plan", *demo.hub_args, capsys=capsys).code == 0
    # Not .json, but it parses as a plan: the first argument is the plan file. No TTY needed.
    run = demo.run("apply", "release.plan", *demo.hub_args)
    assert run.code == 0, run.err
    assert "Applying the saved plan release.plan" in run.err
    assert "Apply complete: 18 added, 0 changed, 0 destroyed." in run.out
    assert demo.snapshot() == reference_snapshot


def test_stale_saved_plan_is_refused_naming_objects_with_nothing_written(demo: Demo,
                                                                         capsys) -> None:
    assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
    # A change to the config: a new file on run-a of Demo-7B, saved as a plan ...
    (demo.root / "checkpoints" / "7b-run-a" / "extra.json").write_text('{"x": 1}')
    plan_file = _save_plan(demo, capsys)
    assert "files:acme/Demo-7B@run-a" in plan_file.read_text()
    # ... then someone commits to that branch and flips a setting before it is applied.
    demo.api.create_commit("acme/Demo-7B", [CommitOperationAdd("notes.txt", b"hi")],
                           commit_message="outside", revision="run-a")
    demo.api.update_repo_settings("acme/Demo-1B", gated="manual")
    writes = demo.hub.stats()["writes"]

    run = demo.cli("apply", str(plan_file), *demo.hub_args, capsys=capsys)
    assert run.code == 1
    assert "saved plan is stale" in run.err
    assert "files:acme/Demo-7B@run-a" in run.err
    assert "settings:acme/Demo-1B" not in run.err  # the plan does not rely on it
    assert demo.hub.stats()["writes"] == writes  # zero write requests
    assert "extra.json" not in demo.api.list_repo_files("acme/Demo-7B", revision="run-a")


def test_fresh_saved_plan_applies_and_a_spent_one_is_stale(demo: Demo, capsys) -> None:
    plan_file = _save_plan(demo, capsys)
    first = demo.cli("apply", str(plan_file), "--format", "json", *demo.hub_args,
                     capsys=capsys)
    assert first.code == 0, first.err
    assert json.loads(first.out)["summary"]["applied"] == 18
    writes = demo.hub.stats()["writes"]
    again = demo.cli("apply", str(plan_file), *demo.hub_args, capsys=capsys)
    assert again.code == 1 and "saved plan is stale" in again.err
    assert "repo:acme/Demo-1B" in again.err
    assert demo.hub.stats()["writes"] == writes
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS


def test_plan_file_rules(demo: Demo, capsys) -> None:
    missing = demo.cli("apply", "nope.json", *demo.hub_args, capsys=capsys)
    assert missing.code == 1 and "plan file not found: nope.json" in missing.err
    plan_file = _save_plan(demo, capsys)
    overrides = demo.cli("apply", str(plan_file), *demo.hub_args, "prune=true",
                         capsys=capsys)
    assert overrides.code == 1 and "only hub overrides" in overrides.err
    targets = demo.cli("apply", str(plan_file), "--target", "acme/Demo-1B", *demo.hub_args,
                       capsys=capsys)
    assert targets.code == 1 and "--target cannot narrow a saved plan" in targets.err
    assert demo.hub.stats()["writes"] == 0


def test_local_file_changed_after_planning_fails_only_that_repo(demo: Demo, capsys) -> None:
    plan_file = _save_plan(demo, capsys)
    weights = demo.root / "checkpoints" / "7b-run-b" / "model.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(original[:-4] + b"\0\0\0\0")  # same size, other content
    run = demo.cli("apply", str(plan_file), *demo.hub_args, capsys=capsys)
    assert run.code == 1
    assert "Apply failed" in run.out and "re-running 'release apply'" in run.out
    assert "changed since the plan was made" in run.out
    infos = {m.id: m for m in demo.api.list_models(author="acme", expand=["private"])}
    assert infos["acme/Demo-7B"].private  # its release did not finish: never published
    assert "v1.0" not in {t.name for t in demo.api.list_repo_refs("acme/Demo-7B").tags}
    snapshot = demo.snapshot()
    assert commit_counts(snapshot)["acme/Demo-1B"] == DEMO_COMMITS["acme/Demo-1B"]
    collection = snapshot["collections"]["Demo Models"]["items"]
    assert [item[1] for item in collection] == ["acme/Demo-1B"]  # the unfinished repo is left out

    weights.write_bytes(original)  # restored, as the error message suggests
    rerun = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert rerun.code == 0, rerun.out + rerun.err
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS
    final = demo.snapshot()["collections"]["Demo Models"]["items"]
    assert [item[1] for item in final] == ["acme/Demo-1B", "acme/Demo-7B"]
