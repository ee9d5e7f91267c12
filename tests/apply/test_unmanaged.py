"""A declared repo that exists on the Hub, was not created by release and is not adopted is
left alone everywhere (issue 10, item 6): no commit, no setting, no tag, and no collection
item for it; its siblings are released as usual."""

from __future__ import annotations

from applykit import Demo
from huggingface_hub import CommitOperationAdd


def test_unmanaged_repo_is_not_added_to_the_collection(demo: Demo, capsys) -> None:
    api = demo.api
    api.create_repo("acme/Demo-1B", private=False)
    api.create_commit("acme/Demo-1B", [CommitOperationAdd("README.md", b"# someone's model\n")],
                      commit_message="someone's")
    before = [c.commit_id for c in api.list_repo_commits("acme/Demo-1B")]
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.err
    assert "acme/Demo-1B exists on the Hub but is not managed by release" in plan.out
    assert "not added to collections" in plan.out
    assert "collection-item:acme/Demo Models@acme/Demo-1B" not in plan.out
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    [listed] = api.list_collections(owner="acme")
    items = [i.item_id for i in api.get_collection(listed.slug).items]
    assert items == ["acme/Demo-7B"]
    assert [c.commit_id for c in api.list_repo_commits("acme/Demo-1B")] == before
    refs = api.list_repo_refs("acme/Demo-1B")
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []
    info = api.model_info("acme/Demo-1B", expand=["private", "gated"])
    assert info.private is False and info.gated is False
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert again.code == 0, again.out
