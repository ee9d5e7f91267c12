"""`release apply` as a user runs it: converges, then a second apply writes nothing; the example
config end to end; confirmation rules; the JSON report; commit trailers; no token anywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from applykit import DEMO_COMMITS, REPO_ROOT, Demo, commit_counts

from release.localhub import LocalHub
from release.localhub.auth import DEFAULT_TOKEN


def test_apply_converges_and_second_apply_writes_nothing(demo: Demo, reference_snapshot,
                                                         capsys) -> None:
    first = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert first.code == 0, first.err
    assert "Apply complete: 18 added, 0 changed, 0 destroyed." in first.out
    assert demo.snapshot() == reference_snapshot
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS

    plan = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert plan.code == 0 and "No changes." in plan.out

    before = demo.hub.stats()["writes"]
    second = demo.cli("apply", "--auto-approve", "--format", "json", *demo.hub_args,
                      capsys=capsys)
    assert second.code == 0
    report = json.loads(second.out)
    assert report["status"] == "no-changes" and report["writes"] == 0  # our meter
    assert demo.hub.stats()["writes"] == before  # the hub's own counter


def test_json_report_says_what_was_done(demo: Demo, capsys) -> None:
    run = demo.cli("apply", "--auto-approve", "--format", "json", *demo.hub_args,
                   capsys=capsys)
    assert run.code == 0, run.err
    report = json.loads(run.out)  # stdout is only the JSON; the plan and progress go to stderr
    assert report["status"] == "complete"
    assert report["summary"] == {"add": 18, "change": 0, "destroy": 0, "applied": 18,
                                 "failed": 0, "skipped": 0}
    by_address = {c["address"]: c for c in report["changes"]}
    card = by_address["card:acme/Demo-7B"]
    files = by_address["files:acme/Demo-7B@main"]
    assert card["status"] == "applied" and len(card["commit"]) == 40
    assert files["commit"] == card["commit"]  # card and main's files: one commit
    assert card["bytes_uploaded"] > 4000 and card["requests"] >= 3
    tag = by_address["tag:acme/Demo-7B@v1.0"]
    assert tag["commit"] == by_address["files:acme/Demo-7B@run-b"]["commit"]
    assert report["requests"] == sum(c["requests"] for c in report["changes"])
    assert report["writes"] > 0 and report["bytes_uploaded"] >= card["bytes_uploaded"]
    assert "Apply complete: 18 added, 0 changed, 0 destroyed." in run.err
    assert DEFAULT_TOKEN not in run.out + run.err


def test_commits_carry_provenance_trailers(demo: Demo, capsys) -> None:
    assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
    for branch in ("main", "run-b"):
        newest = next(iter(demo.api.list_repo_commits("acme/Demo-7B", revision=branch)))
        message = newest.message
        for trailer in ("Release-Family: demo", "Release-Variant: 7B",
                        "Release-Config-Digest: sha256:", "Upstream-Repo: https://github.com/"
                        "acme/train", "Upstream-Commit: abc1234", "Release-Apply-Id: "):
            assert trailer in message, (branch, message)


def test_unattended_apply_is_refused_and_writes_nothing(demo: Demo) -> None:
    before = demo.hub.stats()["writes"]
    run = demo.run("apply", *demo.hub_args)  # stdin is /dev/null: nobody can confirm
    assert run.code == 1
    assert "Plan: 18 to add" in run.out
    assert "refusing to apply unattended" in run.err and "--auto-approve" in run.err
    assert demo.hub.stats()["writes"] == before
    assert list(demo.api.list_models(author="acme")) == []


def test_target_limits_the_apply(demo: Demo, capsys) -> None:
    run = demo.cli("apply", "--auto-approve", "--target", "acme/Demo-1B", *demo.hub_args,
                   capsys=capsys)
    assert run.code == 0, run.err
    assert "--target is in effect" in run.err
    assert [m.id for m in demo.api.list_models(author="acme")] == ["acme/Demo-1B"]


def test_a_target_of_an_unknown_kind_is_an_error_not_no_changes(demo: Demo, capsys) -> None:
    # 'bogus:...' reads as an address, but no address has that kind: a typo ('branh:') must
    # not give "No changes" and exit 0.
    for command in (("plan",), ("apply", "--auto-approve")):
        run = demo.cli(*command, "--target", "bogus:acme/Demo-1B", *demo.hub_args,
                       capsys=capsys)
        assert run.code == 1, run.out
        assert "--target 'bogus:acme/Demo-1B': 'bogus' is not a kind of address" in run.err
    assert demo.hub.stats()["writes"] == 0
    ok = demo.cli("plan", "--target", "b*:acme/Demo-7B@*", *demo.hub_args, capsys=capsys)
    assert ok.code == 0, ok.err  # a glob over kinds (branch:) is fine


def test_example_config_end_to_end(tmp_path: Path, capsys) -> None:
    """The shipped example (tulu3 + olmo2): apply, re-plan clean, second apply zero writes."""
    root = tmp_path / "example"
    shutil.copytree(REPO_ROOT / "conf", root / "conf")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    with LocalHub(tmp_path / "hub-data") as hub:
        demo = Demo(root, hub)
        assert demo.cli("checkpoints", capsys=capsys).code == 0
        first = demo.cli("apply", "--auto-approve", "--format", "json", *demo.hub_args,
                         capsys=capsys)
        assert first.code == 0, first.err
        report = json.loads(first.out)
        assert report["status"] == "complete" and report["summary"]["failed"] == 0
        assert report["summary"]["add"] == report["summary"]["applied"] > 40
        public = {m.id for m in demo.api.list_models(author="allenai", expand=["private"])
                  if not m.private}
        assert public == {"allenai/Llama-3.1-Tulu-3-8B-DPO", "allenai/OLMo-2-1124-7B"}

        again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
        assert again.code == 0 and "No changes." in again.out, again.out
        writes = hub.stats()["writes"]
        second = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
        assert second.code == 0 and "No changes." in second.out
        assert hub.stats()["writes"] == writes
