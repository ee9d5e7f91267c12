"""Repo ids are case-insensitive on the Hub (issue 14): a config whose repo_name differs only
in case from the repo on the Hub plans and applies as that same repo, and says so."""

from __future__ import annotations

from applykit import FAMILY, Demo, use_family


def test_a_repo_name_differing_only_in_case_is_the_same_repo(demo: Demo, capsys) -> None:
    first = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert first.code == 0, first.out + first.err
    api = demo.api
    use_family(demo.root, FAMILY.replace('repo_name: "Demo-{size}"', 'repo_name: "demo-{size}"'))

    plan = demo.cli("plan", "--format", "json", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.err
    assert '"repo-id-case"' in plan.out
    assert '"create-repo"' not in plan.out and '"unmanaged-collision"' not in plan.out
    text = demo.cli("plan", *demo.hub_args, capsys=capsys).out
    assert "acme/demo-1B is acme/Demo-1B on the Hub: repo ids are case-insensitive" in text
    # Only the cards change (they name the repo): on main, and on 7B's release revision run-b;
    # nothing is created, nothing destroyed.
    assert "Plan: 0 to add, 3 to change, 0 to destroy." in text

    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    assert [r.id for r in api.list_models(author="acme")] == ["acme/Demo-1B", "acme/Demo-7B"]
    [listed] = api.list_collections(owner="acme")
    assert sorted(i.item_id for i in api.get_collection(listed.slug).items) == [
        "acme/Demo-1B", "acme/Demo-7B"]
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert again.code == 0, again.out
    assert "repo ids are case-insensitive" in again.out
