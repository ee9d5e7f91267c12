"""Retirement of checkpoints (issue 15, item 3): `retention` retires run branches, which the
plan shows as destroys; a tagged or released revision is never retired, and a branch release
did not create is never deleted. End to end through the CLI against the local hub."""

from __future__ import annotations

import json

from applykit import Demo, use_family

from release.config.retention import retire
from release.config.schema import RetentionConfig
from release.config.variants import Run

STAGE1 = [1000 * step for step in range(1, 26)]  # 25 runs: step 9000 sorts before 10000
STAGE2 = [1000 * step for step in range(1, 6)]  # 5 runs
RUNS = "\n".join([f"        - {{stage: 1, step: {s}}}" for s in STAGE1]
                 + [f"        - {{stage: 2, step: {s}}}" for s in STAGE2])


def family(retention: str = "", extra_runs: str = "") -> str:
    return f"""\
demo:
  namespace: acme
  repo_name: "Ckpt-{{size}}"
  matrix:
    size: [7B]
  defaults:
    visibility: private
    card:
      summary: Checkpoints on branches.
      intended_use: Tests of retention.
      metadata: {{license: apache-2.0}}
    artifacts:
      folder: "checkpoints/main-{{size_lower}}"
      include: ["*.json", "*.safetensors"]
    release: {{tag: v1.0, revision: stage1-step1000}}
{retention}
  runs:
    branch: "stage{{stage}}-step{{step}}"
    variants:
      "7B":
{RUNS}
{extra_runs}
"""


KEEP_20_OF_STAGE_1 = """\
    retention: {keep_last: 20, retire: {stage: "1"}, order_by: step}"""


def _branches(demo: Demo) -> set[str]:
    return {b.name for b in demo.api.list_repo_refs("acme/Ckpt-7B").branches}


def test_keep_the_last_20_of_stage_1_and_all_of_stage_2(demo: Demo, capsys) -> None:
    use_family(demo.root, family())
    first = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert first.code == 0, first.out + first.err
    assert len(_branches(demo)) == 31  # main + 30 runs
    api = demo.api
    heads = {b.name: b.target_commit for b in api.list_repo_refs("acme/Ckpt-7B").branches}
    # File-less runs all sit on the repo's initial commit, so a tag there pins none of them
    # (the old4 case of tests/plan/cases/retention.yaml): someone adds their evaluation to
    # stage1-step2000 and tags that commit, which only this branch holds.
    assert heads["stage1-step2000"] == heads["stage1-step3000"]
    from huggingface_hub import CommitOperationAdd

    eval_commit = api.create_commit(
        "acme/Ckpt-7B", [CommitOperationAdd("eval.json", b"{}")], commit_message="eval",
        revision="stage1-step2000")
    api.create_tag("acme/Ckpt-7B", tag="milestone", revision=eval_commit.oid)
    # A branch with a run's name that release did not create (someone pushed it by hand).
    api.create_branch("acme/Ckpt-7B", branch="stage1-step500", revision=heads["main"])

    use_family(demo.root, family(KEEP_20_OF_STAGE_1, "        - {stage: 1, step: 500}"))
    plan = demo.cli("plan", "-o", "retire.json", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    out = plan.out
    # Stage 1 has 26 runs: the 6 oldest are past retention (500, 1000 ... 5000). 1000 is the
    # release revision and 2000 is tagged: kept; 500 was not created by release: left alone.
    retired = ["stage1-step3000", "stage1-step4000", "stage1-step5000"]
    for name in retired:
        assert f"- branch:acme/Ckpt-7B@{name}" in out, out
    assert out.count("  DELETE branch") == 2 * len(retired)  # under '!!!' and in the list
    assert "!!! This plan DESTROYS 3 objects" in out, out
    assert "3 to destroy" in out, out
    assert ("stage1-step1000 is past the retention at conf/families/demo.yaml:" in out
            and "it is the release revision" in out), out
    assert "the tag milestone points at it on the Hub" in out, out
    assert "branch stage1-step500 is past the retention" in out \
        and "release did not create it" in out, out
    assert "retires 3 run branch(es)" in out, out
    data = json.loads((demo.root / "retire.json").read_text())
    assert data["summary"]["destroy"] == 3
    assert sorted(c["address"] for c in data["changes"] if c["kind"] == "delete_branch") == [
        f"branch:acme/Ckpt-7B@{name}" for name in retired]

    run = demo.cli("apply", "retire.json", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    left = _branches(demo)
    assert not left & set(retired)
    assert {"stage1-step1000", "stage1-step2000", "stage1-step500"} <= left
    assert {f"stage2-step{s}" for s in STAGE2} <= left  # stage 2 is not retired at all
    assert len(left) == 31 + 1 - 3
    assert {t.name for t in api.list_repo_refs("acme/Ckpt-7B").tags} == {"v1.0", "milestone"}
    card = api.model_info("acme/Ckpt-7B").card_data.to_dict()
    declared = card["release"]["declared"]["branches"]
    assert not set(declared) & {*retired, "stage1-step2000"}
    _, again = demo.plan()  # the hand-made tag and branch stay notices; nothing to change
    assert not again.has_changes, again.changes
    assert {n.code for n in again.notices} >= {"retention-kept"}


def test_retention_is_checked_at_load(demo: Demo, capsys) -> None:
    use_family(demo.root, family("""\
    retention: {keep_last: -1, per: stag, retire: {setp: "1*"}}"""))
    run = demo.cli("validate", capsys=capsys)
    assert run.code == 1, run.out + run.err
    assert "conf/families/demo.yaml:" in run.err, run.err
    assert "families.demo.defaults.retention.keep_last: must be 0 or more" in run.err
    assert "'stag' is not a value of 7B's runs (run values: stage, step)" in run.err
    assert "did you mean 'stage'?" in run.err
    assert "'setp' is not a value of 7B's runs" in run.err
    use_family(demo.root, family("    retention: {per: stage}"))
    run = demo.cli("validate", capsys=capsys)
    assert run.code == 1 and "retires nothing" in run.err, run.err


def test_keep_last_per_group_in_natural_order() -> None:
    runs = tuple(Run({"stage": stage, "step": step}, ())
                 for stage in (1, 2) for step in (9, 10, 100, 2))
    kept = retire(runs, RetentionConfig(keep_last=2, per="stage", order_by="step"),
                  "s{stage}-{step}", {})
    assert kept.retired == ("s1-2", "s1-9", "s2-2", "s2-9")
    assert [(r.values["stage"], r.values["step"]) for r in kept.kept] == [
        (1, 10), (1, 100), (2, 10), (2, 100)]
    spared = retire(runs, RetentionConfig(retire={"stage": "2"}), "s{stage}-{step}", {},
                    release_revision="s2-100")
    assert spared.retired == ("s2-2", "s2-9", "s2-10")
    assert spared.spared == (("s2-100", "it is the release revision (release.revision)"),)
    assert retire(runs, None, "s{stage}-{step}", {}).kept == runs


DISCOVERED = """\
demo:
  namespace: acme
  repo_name: "Found-{size}"
  matrix:
    size: [7B]
  defaults:
    visibility: private
    card:
      summary: Checkpoints found on disk.
      intended_use: Tests of retention.
      metadata: {license: apache-2.0}
    artifacts:
      include: ["*.json", "*.safetensors"]
RETENTION
  runs:
    branch: "step{step}"
    discover: "checkpoints/found-{size_lower}/step{step}"
"""


def test_runs_found_through_the_lock_stay_known_and_retired(demo: Demo, capsys) -> None:
    """Discovered runs whose folders were deleted are known only from release.lock: retiring
    them neither breaks the lock check nor makes them vanish (which would stop retention)."""
    import shutil

    from applykit import write_checkpoint

    for seed, step in enumerate((100, 200, 300, 1000)):
        write_checkpoint(demo.root / "checkpoints" / "found-7b" / f"step{step}", seed, 10)
    use_family(demo.root, DISCOVERED.replace("RETENTION\n", ""))
    locked = demo.cli("lock", *demo.hub_args, capsys=capsys)
    assert locked.code == 0, locked.out + locked.err
    first = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert first.code == 0, first.out + first.err
    assert _found_branches(demo) == {"main", "step100", "step200", "step300", "step1000"}

    for step in (100, 200):  # old checkpoints deleted on the training machine
        shutil.rmtree(demo.root / "checkpoints" / "found-7b" / f"step{step}")
    use_family(demo.root, DISCOVERED.replace(
        "RETENTION", "    retention: {keep_last: 2, order_by: step}"))
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    assert "retires 2 run branch(es) of acme/Found-7B" in plan.out, plan.out
    locked = demo.cli("lock", *demo.hub_args, capsys=capsys)
    assert locked.code == 0, locked.out + locked.err
    lock_text = (demo.root / "release.lock").read_text()
    assert "step100" in lock_text and "step200" in lock_text  # kept: the runs stay known
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    assert _found_branches(demo) == {"main", "step300", "step1000"}
    _, again = demo.plan()
    assert not again.has_changes, again.changes


def _found_branches(demo: Demo) -> set[str]:
    return {b.name for b in demo.api.list_repo_refs("acme/Found-7B").branches}
