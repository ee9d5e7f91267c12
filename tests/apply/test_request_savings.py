"""Fewer requests per repo (issue 12, item 2), each saving counted on the local hub's stats:
one validate-yaml per distinct card metadata (not two per card), one settings call where gating and publishing both
change, one whoami per apply (saved plan or not)."""

from __future__ import annotations

from applykit import Demo

from release.plan.changes import SetGating, SetVisibility, UpdateCard


def test_apply_from_empty_spends_one_validation_per_metadata_and_one_settings_call_per_repo(
        demo: Demo) -> None:
    desired, plan = demo.plan()
    cards = [c for c in plan.changes if isinstance(c, UpdateCard)]
    gated = {c.repo_id for c in plan.changes if isinstance(c, SetGating)}
    published = {c.repo_id for c in plan.changes
                 if isinstance(c, SetVisibility) and c.new == "public"}
    assert gated & published, "the demo must have a repo both gated and published"
    demo.hub.reset_stats()
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    calls = demo.hub.stats()["by_endpoint"]
    assert len(cards) == 2  # with one card.metadata: one request (tests/apply/test_card_validation)
    assert calls["validate_yaml"] == 1
    assert calls["update_repo_settings"] == len(gated | published)
    for info in demo.api.list_models(author="acme", expand=["private", "gated"]):
        assert info.private is (info.id not in published)
        assert bool(info.gated) is (info.id in gated)
    notes = {r.address: r.note for r in result.results if isinstance(r.change, SetVisibility)}
    both = sorted(gated & published)
    assert all(notes[f"settings:{repo_id}"] == "in the same settings call as the gating"
               for repo_id in both)


def test_a_saved_plan_apply_asks_whoami_once(demo: Demo, capsys) -> None:
    assert demo.cli("plan", "-o", "plan.json", *demo.hub_args, capsys=capsys).code == 0
    demo.hub.reset_stats()
    run = demo.cli("apply", "plan.json", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    assert demo.hub.stats()["by_endpoint"]["whoami"] == 1


def test_plan_then_apply_in_one_run_asks_whoami_once(demo: Demo, capsys) -> None:
    demo.hub.reset_stats()
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    assert demo.hub.stats()["by_endpoint"]["whoami"] == 1
