"""`release status` against the local hub: verdicts, reasons, exit codes, request cost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download

from release.workflow import Project, load_desired
from tests.content.conftest import ContentProject, publish

UPSTREAM = "https://github.com/acme/trainer"


@pytest.fixture
def published(content: ContentProject) -> ContentProject:
    publish(content.api(), load_desired(Project(content.conf), [content.override]).state,
            content.root)
    content.hub.reset_stats()
    return content


def _status(run_cli, content: ContentProject, *args: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = run_cli("status", content.override, "--format", "json", "--detailed-exitcode",
                     *args, cwd=content.root)
    assert result.code in (0, 2), result.err
    return result.code, json.loads(result.out)


def _rows(report: dict) -> dict[str, dict]:
    return {row["variant"]: row for row in report["variants"]}


def test_nothing_published(content: ContentProject, run_cli) -> None:
    code, report = _status(run_cli, content)
    assert code == 2
    assert {v: r["verdict"] for v, r in _rows(report).items()} == {
        "1B-SFT": "not published", "1B-DPO": "not published"}
    plain = run_cli("status", content.override, cwd=content.root)
    assert plain.code == 0  # without --detailed-exitcode, disagreement is not an error


def test_published_variants_are_in_sync_and_cost_what_a_plan_costs(
        published: ContentProject, run_cli) -> None:
    code, report = _status(run_cli, published)
    assert code == 0
    assert report["all_agree"] is True and report["other"] == []
    # Status reads what 'release plan' reads (one truth): warm (trees and collection slugs
    # cached), the same requests, endpoint by endpoint.
    published.hub.reset_stats()
    _status(run_cli, published)
    status_cost = published.hub.stats()["by_endpoint"]
    published.hub.reset_stats()
    assert run_cli("plan", published.override, cwd=published.root).code == 0
    assert published.hub.stats()["by_endpoint"] == status_cost
    assert status_cost["list_models"] == 1
    dpo = _rows(report)["1B-DPO"]
    head = published.api().list_repo_refs("acme/Demo-1B-DPO")
    branches = {b.name: b.target_commit for b in head.branches}
    assert dpo["verdict"] == "in sync" and dpo["reasons"] == []
    assert dpo["hub"]["main_sha"] == branches["main"]
    assert dpo["hub"]["upstream_repo"] == dpo["config"]["upstream_repo"] == UPSTREAM
    assert dpo["hub"]["upstream_commit"] == dpo["config"]["upstream_commit"] == "1a2b3c4"
    assert dpo["hub"]["config_digest"] == dpo["config"]["config_digest"]
    assert dpo["tags"] == [{"name": "v1.0", "revision": "dpo_1b_seed7",
                            "target": branches["dpo_1b_seed7"],
                            "revision_head": branches["dpo_1b_seed7"], "at_head": True}]
    assert report["requests"] >= 2  # the client's own calls elsewhere may add to the meter


def test_text_output(published: ContentProject, run_cli) -> None:
    result = run_cli("status", published.override, cwd=published.root)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["VARIANT", "REPO", "MAIN", "RELEASE", "HUB", "UPSTREAM",
                                "CONFIG", "UPSTREAM", "VERDICT"]
    assert lines[1].startswith("demo/1B-SFT") and lines[1].endswith("in sync")
    assert lines[2].startswith("demo/1B-DPO") and "v1.0 -> " in lines[2]
    assert lines[-1] == "Status: 2 in sync."


def test_a_new_upstream_commit_in_the_config_is_config_ahead(published: ContentProject,
                                                             run_cli) -> None:
    code, report = _status(run_cli, published, "families.demo.upstream.commit=9f8e7d6")
    assert code == 2
    sft = _rows(report)["1B-SFT"]
    assert sft["verdict"] == "config ahead"
    assert sft["reasons"][0] == (f"upstream: the Hub has {UPSTREAM}@1a2b3c4, the config "
                                 f"declares {UPSTREAM}@9f8e7d6")
    assert sft["reasons"][1].startswith("the variant's config changed since it was published")
    text = run_cli("status", published.override, "families.demo.upstream.commit=9f8e7d6",
                   cwd=published.root)
    assert f"    - upstream: the Hub has {UPSTREAM}@1a2b3c4" in text.out
    assert text.out.endswith("Status: 2 config ahead. Run 'release plan' to see what apply "
                             "would do.\n")


def test_a_changed_setting_is_config_ahead_for_that_variant_only(published: ContentProject,
                                                                 run_cli) -> None:
    _, report = _status(run_cli, published,
                        "families.demo.variants.1B-DPO.card.summary=Now better.")
    rows = _rows(report)
    assert (rows["1B-SFT"]["verdict"], rows["1B-DPO"]["verdict"]) == ("in sync", "config ahead")


def test_changes_made_on_the_hub_are_drift(published: ContentProject, run_cli) -> None:
    api = published.api()
    api.update_repo_settings("acme/Demo-1B-DPO", private=True)
    api.delete_tag("acme/Demo-1B-DPO", tag="v1.0")
    readme = hf_hub_download("acme/Demo-1B-SFT", "README.md", token=api.token,
                             endpoint=api.endpoint)
    edited = Path(readme).read_text().replace("license: apache-2.0", "license: mit", 1)
    api.upload_file(path_or_fileobj=edited.encode(), path_in_repo="README.md",
                    repo_id="acme/Demo-1B-SFT")
    code, report = _status(run_cli, published)
    assert code == 2
    rows = _rows(report)
    assert rows["1B-DPO"]["verdict"] == "hub drifted"
    assert sorted(rows["1B-DPO"]["reasons"]) == [
        "settings:acme/Demo-1B-DPO: visibility was set to private outside release",
        "tag:acme/Demo-1B-DPO@v1.0: tag was deleted outside release"]
    assert rows["1B-SFT"]["verdict"] == "hub drifted"
    assert rows["1B-SFT"]["reasons"] == [
        "card:acme/Demo-1B-SFT: README.md was edited outside release (it no longer matches "
        "the digest release recorded in it)"]


def test_status_and_plan_agree_on_drift_plan_shows(content: ContentProject,
                                                    run_cli) -> None:
    """Issue 10, item 3: status said "in sync" where plan showed drift. Each out-of-band change
    (README body edited, run branch deleted, release tag moved) is drift in both."""
    published = content
    applied = run_cli("apply", content.override, "--auto-approve", cwd=content.root)
    assert applied.code == 0, applied.err
    assert _status(run_cli, content)[0] == 0
    api = published.api()
    sft, dpo = "acme/Demo-1B-SFT", "acme/Demo-1B-DPO"
    readme = hf_hub_download(sft, "README.md", token=api.token, endpoint=api.endpoint)
    api.upload_file(path_or_fileobj=(Path(readme).read_text() + "\nEdited.\n").encode(),
                    path_in_repo="README.md", repo_id=sft)      # body only: metadata unchanged
    api.delete_branch(sft, branch="sft_1b_seed1")                 # a run branch deleted
    first = [c.commit_id for c in api.list_repo_commits(dpo, revision="dpo_1b_seed7")][-1]
    api.delete_tag(dpo, tag="v1.0")
    api.create_tag(dpo, tag="v1.0", revision=first)               # the release tag moved

    plan = run_cli("plan", published.override, "--detailed-exitcode", "--format", "json",
                   cwd=published.root)
    assert plan.code == 2
    drift = {c["address"] for c in json.loads(plan.out)["changes"] if c["drift"]}
    drift |= {n["address"] for n in json.loads(plan.out)["notices"] if n["drift"]}
    code, report = _status(run_cli, published)
    assert code == 2 and report["all_agree"] is False
    rows = _rows(report)
    assert rows["1B-SFT"]["verdict"] == rows["1B-DPO"]["verdict"] == "hub drifted"
    reasons = [r for row in rows.values() for r in row["reasons"]]
    assert {r.split(": ", 1)[0] for r in reasons} == drift == {
        f"card:{sft}", f"branch:{sft}@sft_1b_seed1", f"files:{sft}@sft_1b_seed1",
        f"tag:{dpo}@v1.0"}
    text = run_cli("status", published.override, "--detailed-exitcode", cwd=published.root)
    assert text.code == 2
    assert "tag:acme/Demo-1B-DPO@v1.0: tag v1.0 was moved outside release" in text.out
    assert text.out.endswith("Status: 2 hub drifted. Run 'release plan' to see what apply "
                             "would do.\n")


def test_a_tag_not_yet_created_is_config_ahead(published: ContentProject, run_cli) -> None:
    _, report = _status(run_cli, published, "+families.demo.variants.1B-SFT.release.tag=v0.9")
    sft = _rows(report)["1B-SFT"]
    assert sft["verdict"] == "config ahead"
    assert ("tag:acme/Demo-1B-SFT@v0.9: tag v0.9 -> main (its head after this plan's "
            "commit)") in sft["reasons"]
    assert sft["tags"][0]["target"] is None


def test_a_repo_created_by_hand_is_unmanaged(content: ContentProject, run_cli) -> None:
    api = content.api()
    api.create_repo("acme/Demo-1B-SFT")
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# By hand\n",
                    path_in_repo="README.md", repo_id="acme/Demo-1B-SFT")
    _, report = _status(run_cli, content)
    sft = _rows(report)["1B-SFT"]
    assert sft["verdict"] == "unmanaged"
    assert sft["hub"]["main_sha"] is not None and sft["hub"]["upstream_commit"] is None
