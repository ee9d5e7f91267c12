"""`release status` shows where each published revision came from (issue 16): the config
commit, pull request, apply id and upstream commit its commit's trailers record, in text and
JSON, for the cost of the plan's reads when apply ran here (it records the commits it makes),
and one request per published commit otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess

from applykit import Demo


def _git_project(demo: Demo) -> str:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", str(demo.root)], check=True)
    subprocess.run([*git, "add", "conf"], cwd=demo.root, check=True)
    subprocess.run([*git, "commit", "-qm", "config"], cwd=demo.root, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=demo.root, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_status_shows_each_published_revisions_trailers(demo: Demo, capsys,
                                                         monkeypatch) -> None:
    config_commit = _git_project(demo)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF", "refs/pull/42/merge")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    refs = demo.api.list_repo_refs("acme/Demo-7B")
    heads = {b.name: b.target_commit for b in refs.branches}
    apply_id = demo.api.list_repo_commits("acme/Demo-7B")[0].message.split(
        "Release-Apply-Id: ")[1].strip()

    for _ in range(2):  # the second plan, as status, reads trees from the cache
        demo.hub.reset_stats()
        run = demo.cli("plan", "--format", "json", *demo.hub_args, capsys=capsys)
    plan_requests = demo.hub.stats()["total"]
    demo.hub.reset_stats()
    run = demo.cli("status", "--format", "json", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    report = json.loads(run.out)
    # Apply recorded the commits it made: status costs what the plan costs.
    assert demo.hub.stats()["total"] == report["requests"] == plan_requests
    assert report["format_version"] == "1.1"
    row = next(r for r in report["variants"] if r["repo_id"] == "acme/Demo-7B")
    expected = {"made_by_release": True, "config_commit": config_commit,
                "pull_request": "https://github.com/acme/models/pull/42",
                "apply_id": apply_id, "upstream_commit": "abc1234"}
    assert row["published"] == [{"name": "main", "commit": heads["main"], **expected},
                                {"name": "v1.0", "commit": heads["run-b"], **expected}]

    text = demo.cli("status", *demo.hub_args, capsys=capsys).out
    assert "Published revisions (from their commits' trailers):" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("acme/Demo-7B@v1.0"))
    assert (f"{heads['run-b'][:8]}  config {config_commit[:8]}, PR "
            "https://github.com/acme/models/pull/42, upstream abc1234, apply "
            f"{apply_id[:12]}") in line

    # Elsewhere (a fresh cache: CI), one request per published commit: 3 here.
    shutil.rmtree(demo.root / ".release" / "cache")
    demo.hub.reset_stats()
    run = demo.cli("plan", "--format", "json", *demo.hub_args, capsys=capsys)
    cold_plan = demo.hub.stats()["total"]
    shutil.rmtree(demo.root / ".release" / "cache")
    demo.hub.reset_stats()
    report = json.loads(demo.cli("status", "--format", "json", *demo.hub_args,
                                 capsys=capsys).out)
    assert demo.hub.stats()["total"] == report["requests"] == cold_plan + 3
    print(f"status requests: {plan_requests} after apply here, {cold_plan + 3} cold "
          f"(plan {cold_plan})")
    assert [r["published"] for r in report["variants"]][1][1]["apply_id"] == apply_id


def test_a_revision_not_made_by_release_says_so(demo: Demo, capsys) -> None:
    from huggingface_hub import CommitOperationAdd

    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    demo.api.create_commit("acme/Demo-1B", [CommitOperationAdd("notes.txt", b"hi")],
                           commit_message="by hand")
    report = json.loads(demo.cli("status", "--format", "json", *demo.hub_args,
                                 capsys=capsys).out)
    row = next(r for r in report["variants"] if r["repo_id"] == "acme/Demo-1B")
    assert row["published"][0]["made_by_release"] is False
    assert row["published"][0]["apply_id"] is None
    text = demo.cli("status", *demo.hub_args, capsys=capsys).out
    assert "not made by release apply (no Release-Apply-Id trailer)" in text
