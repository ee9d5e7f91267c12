"""A repo an apply created but was stopped before its first commit (private, nothing but the
Hub's initial commit) is finished by the next apply, not reported as an unmanaged collision;
a repo that is someone else's (it has content, or is public) still is."""

from __future__ import annotations

from applykit import DEMO_COMMITS, Demo, commit_counts
from huggingface_hub import CommitOperationAdd

from release.plan import CreateRepo, UpdateCard


def test_empty_private_repo_left_by_an_interrupted_apply_is_resumed(
        demo: Demo, reference_snapshot) -> None:
    demo.api.create_repo("acme/Demo-7B", private=True)  # what a kill right after create leaves
    desired, plan = demo.plan()
    assert not [n for n in plan.notices if n.code == "unmanaged-collision"]
    creates = {c.repo_id for c in plan.changes if isinstance(c, CreateRepo)}
    assert creates == {"acme/Demo-1B"}
    card = next(c for c in plan.changes if isinstance(c, UpdateCard)
                and c.repo_id == "acme/Demo-7B")
    assert not card.adopt and "earlier apply created it" in card.reason
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS
    assert demo.snapshot() == reference_snapshot


def test_repo_with_content_or_public_is_still_a_collision(demo: Demo) -> None:
    demo.api.create_repo("acme/Demo-7B", private=True)
    demo.api.create_commit("acme/Demo-7B", [CommitOperationAdd("theirs.txt", b"x")],
                           commit_message="someone else's work")
    demo.api.create_repo("acme/Demo-1B", private=False)  # empty, but public: not ours
    _, plan = demo.plan()
    collisions = {n.repo_id for n in plan.notices if n.code == "unmanaged-collision"}
    assert collisions == {"acme/Demo-1B", "acme/Demo-7B"}
    assert not [c for c in plan.changes if getattr(c, "repo_id", None) in collisions]
