"""After an apply, changes made outside release with the raw huggingface_hub client show up in
the plan as exactly those drifts, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from release.localhub import LocalHub
from release.localhub.testing import hub_api
from tests.e2e.conftest import hub_override

SFT = "allenai/Llama-3.1-Tulu-3-8B-SFT"
DPO = "allenai/Llama-3.1-Tulu-3-8B-DPO"
OLMO = "allenai/OLMo-2-1124-7B"
RUN = "sft_tulu3_8b_2024-01-15_seed42"


@pytest.fixture
def applied(project: Path, hub: LocalHub, run_cli) -> Path:
    result = run_cli("apply", hub_override(hub), "--auto-approve", cwd=project)
    assert result.code == 0, result.err
    again = run_cli("plan", hub_override(hub), "--detailed-exitcode", cwd=project)
    assert again.code == 0 and "No changes." in again.out
    return project


def _plan(run_cli, project: Path, hub: LocalHub) -> dict:
    result = run_cli("plan", hub_override(hub), "--format", "json", cwd=project)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _changes(plan: dict) -> set[tuple[str, str, str, bool]]:
    return {(c["kind"], c["address"], c["action"], c["drift"]) for c in plan["changes"]}


def test_out_of_band_changes_are_reported_as_exactly_those_drifts(
        applied: Path, hub: LocalHub, run_cli) -> None:
    api = hub_api(hub)
    api.update_repo_settings(DPO, private=True)                       # visibility flipped in the UI
    api.update_repo_settings(SFT, gated="auto")                       # gating changed in the UI
    card = api.hf_hub_download(OLMO, "README.md")
    edited = Path(card).read_text() + "\nEdited on the website.\n"
    api.create_commit(OLMO, [CommitOperationAdd("README.md", edited.encode())],
                      commit_message="Update README.md")              # card edited in the UI
    api.delete_branch(SFT, branch=RUN)                                # branch deleted
    tag_target = api.list_repo_refs(OLMO).tags[0].target_commit
    api.delete_tag(OLMO, tag="v1.0")                                  # tag deleted

    plan = _plan(run_cli, applied, hub)

    assert _changes(plan) == {
        ("set_visibility", f"settings:{DPO}", "update", True),
        ("set_gating", f"settings:{SFT}", "update", True),
        ("update_card", f"card:{OLMO}", "update", True),
        ("create_branch", f"branch:{SFT}@{RUN}", "create", True),
        ("commit_files", f"files:{SFT}@{RUN}", "create", True),
        ("create_tag", f"tag:{OLMO}@v1.0", "create", True),
    }
    publish = next(c for c in plan["changes"] if c["kind"] == "set_visibility")
    assert publish["flags"] == ["publishes", "drift"]
    # The card edit is shown as a body diff a reviewer can read.
    card_change = next(c for c in plan["changes"] if c["kind"] == "update_card")
    assert "-Edited on the website." in card_change["body_diff"]
    assert tag_target  # the tag existed before; restoring it re-tags main's head

    text = run_cli("plan", hub_override(hub), "--no-color", cwd=applied).out
    assert "Changes made outside release" in text


def test_a_moved_tag_is_drift_and_moved_back_only_with_move_tag(
        applied: Path, hub: LocalHub, run_cli) -> None:
    api = hub_api(hub)
    old = api.list_repo_refs(OLMO).tags[0].target_commit
    first = [c.commit_id for c in api.list_repo_commits(OLMO)][-1]
    assert first != old
    api.delete_tag(OLMO, tag="v1.0")
    api.create_tag(OLMO, tag="v1.0", revision=first)                  # tag moved out of band

    plan = _plan(run_cli, applied, hub)
    assert plan["changes"] == []  # a release tag is never moved without `move_tag` ...
    moved = [n for n in plan["notices"] if n["address"] == f"tag:{OLMO}@v1.0"]
    assert [(n["code"], n["drift"]) for n in moved] == [("tag-moved", True)]  # ... but drift
    assert f"release left it at {old[:12]}" in moved[0]["message"]
    assert "release.move_tag: true" in moved[0]["message"]
    text = run_cli("plan", hub_override(hub), "--detailed-exitcode", "--no-color", cwd=applied)
    assert text.code == 2
    assert "tag-moved: tag v1.0 was moved outside release" in text.out
    assert "No changes to apply, but 1 object changed outside release" in text.out
    assert "The Hub matches the configuration" not in text.out

    move = "families.olmo2.variants.7B.release.move_tag=true"
    result = run_cli("plan", hub_override(hub), move, "--format", "json", cwd=applied)
    changes = {c["kind"]: c for c in json.loads(result.out)["changes"]}
    # move_tag decides how release treats the tag, not what the card shows (issue 16): the
    # only change is the tag, flagged, and drift.
    assert list(changes) == ["move_tag"]
    assert changes["move_tag"]["flags"] == ["destroys", "moves-tag", "drift"]
    assert changes["move_tag"]["fields"]["old_target"] == first
    # The repo is public and tagged, so protected; but this move puts the tag back where
    # release left it, which restores the release: allowed without lifting protection.
    applied_run = run_cli("apply", hub_override(hub), move, "--auto-approve", cwd=applied)
    assert applied_run.code == 0, applied_run.err
    heads = {b.name: b.target_commit for b in api.list_repo_refs(OLMO).branches}
    assert api.list_repo_refs(OLMO).tags[0].target_commit == heads["main"] == old
    lift = "+families.olmo2.variants.7B.protect=false"
    final = run_cli("plan", hub_override(hub), move, lift, "--detailed-exitcode",
                    cwd=applied)
    assert final.code == 0, final.out


def test_a_collection_item_removed_out_of_band_is_drift(applied: Path, hub: LocalHub,
                                                       run_cli) -> None:
    api = hub_api(hub)
    collection = next(c for c in api.list_collections(owner="allenai") if c.title == "OLMo 2")
    full = api.get_collection(collection.slug)
    api.delete_collection_item(full.slug, full.items[0].item_object_id)

    plan = _plan(run_cli, applied, hub)

    kinds = {(c["kind"], c["drift"]) for c in plan["changes"]}
    assert ("add_collection_item", True) in kinds
    assert all(c["address"].startswith("collection") for c in plan["changes"])
