"""The apply order within a repo is enforced by the applier, whatever order a (hand-edited)
saved plan lists the changes in: create first, main's commit, each branch created (from its
start point's new head) before its commit, tags, gating, publish last."""

from __future__ import annotations

import random

from applykit import Demo

from release.apply.repo import RepoApplier


def test_repo_order_is_enforced_for_a_shuffled_plan(demo: Demo) -> None:
    _, plan = demo.plan()
    changes = [c for c in plan.changes if getattr(c, "repo_id", None) == "acme/Demo-7B"]
    shuffled = list(changes)
    random.Random(7).shuffle(shuffled)
    assert shuffled != changes
    ordered = RepoApplier(None, "acme/Demo-7B", shuffled, {}, None).changes  # type: ignore[arg-type]
    kinds = [c.kind for c in ordered]
    assert kinds[0] == "create_repo"
    assert kinds[-2:] == ["set_gating", "set_visibility"]  # gate, then publish last
    content = [i for i, c in enumerate(ordered)
               if c.kind in ("update_card", "commit_files", "create_branch")]
    assert max(content) < kinds.index("create_tag")
    position = {(c.kind, getattr(c, "branch", None)): i for i, c in enumerate(ordered)}
    main_commit = position[("update_card", "main")]
    for branch in ("run-a", "run-b"):  # created from main's new head, then committed to
        assert main_commit < position[("create_branch", branch)] \
            < position[("commit_files", branch)]
