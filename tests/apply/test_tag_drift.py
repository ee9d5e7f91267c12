"""A release tag moved outside release is drift (issue 10, item 2), told apart from a tag that
release itself left behind when it committed more to the tagged branch: each content commit
records where the branch's release tags stay (`Release-Tag:` trailers).

The demo's Demo-7B has `release: {tag: v1.0, revision: run-b}`."""

from __future__ import annotations

import json

from applykit import Demo

REPO = "acme/Demo-7B"


def _apply(demo: Demo, capsys, *overrides: str) -> None:
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, *overrides, capsys=capsys)
    assert run.code == 0, run.out + run.err


def _heads(demo: Demo) -> tuple[dict[str, str], dict[str, str]]:
    refs = demo.api.list_repo_refs(REPO)
    return ({b.name: b.target_commit for b in refs.branches},
            {t.name: t.target_commit for t in refs.tags})


def _plan(demo: Demo, capsys, *overrides: str) -> tuple[int, dict]:
    run = demo.cli("plan", "--detailed-exitcode", "--format", "json", *demo.hub_args,
                   *overrides, capsys=capsys)
    assert run.code in (0, 2), run.err
    return run.code, json.loads(run.out)


def _tag_notices(plan: dict) -> list[tuple[str, bool]]:
    return [(n["code"], n["drift"]) for n in plan["notices"]
            if n["address"] == f"tag:{REPO}@v1.0"]


def test_release_commits_after_the_tag_are_not_drift_a_moved_tag_is(demo: Demo,
                                                                     capsys) -> None:
    _apply(demo, capsys)
    branches, tags = _heads(demo)
    released = tags["v1.0"]
    assert released == branches["run-b"]
    message = demo.api.list_repo_commits(REPO, revision="run-b")[0].message
    assert "Release-Tag: v1.0\n" in message + "\n"  # the commit release tagged says so

    # A new checkpoint file on run-b: release commits, the tag stays on the released commit.
    (demo.root / "checkpoints" / "7b-run-b" / "extra.json").write_text('{"x": 1}')
    _apply(demo, capsys)
    branches, tags = _heads(demo)
    assert tags["v1.0"] == released != branches["run-b"]
    message = demo.api.list_repo_commits(REPO, revision="run-b")[0].message
    assert f"Release-Tag: v1.0 {released}" in message  # kept there, recorded
    code, plan = _plan(demo, capsys)
    assert code == 0 and plan["changes"] == []
    assert _tag_notices(plan) == [("tag-points-elsewhere", False)]

    # Moved outside release (here: to main's head): drift, exit 2, restored only by move_tag.
    demo.api.delete_tag(REPO, tag="v1.0")
    demo.api.create_tag(REPO, tag="v1.0", revision=branches["main"])
    code, plan = _plan(demo, capsys)
    assert code == 2 and plan["changes"] == []
    assert _tag_notices(plan) == [("tag-moved", True)]
    notice = next(n for n in plan["notices"] if n["code"] == "tag-moved")
    assert f"release left it at {released[:12]}" in notice["message"]
    assert "release.move_tag: true" in notice["message"] and "move: true" not in \
        notice["message"].replace("move_tag: true", "")
    _apply(demo, capsys)  # without move_tag: nothing to apply, the tag is left alone
    assert _heads(demo)[1]["v1.0"] == branches["main"]

    move = "+families.demo.variants.7B.release.move_tag=true"
    lift = "+families.demo.variants.7B.protect=false"  # public and tagged: protected
    code, plan = _plan(demo, capsys, move, lift)
    moves = [c for c in plan["changes"] if c["kind"] == "move_tag"]
    assert [c["flags"] for c in moves] == [["destroys", "moves-tag", "drift"]]
    _apply(demo, capsys, move, lift)
    branches, tags = _heads(demo)
    assert tags["v1.0"] == branches["run-b"]
    assert _plan(demo, capsys, move, lift)[0] == 0


def test_a_tag_added_to_an_existing_branch_is_guarded_too(demo: Demo, capsys) -> None:
    untagged = "~families.demo.variants.7B.release"
    _apply(demo, capsys, untagged)
    _apply(demo, capsys)  # v1.0 added: created at run-b's existing head, no commit on run-b
    branches, tags = _heads(demo)
    assert tags["v1.0"] == branches["run-b"]
    assert _plan(demo, capsys)[0] == 0

    demo.api.delete_tag(REPO, tag="v1.0")
    demo.api.create_tag(REPO, tag="v1.0", revision=branches["run-a"])
    code, plan = _plan(demo, capsys)
    assert code == 2 and _tag_notices(plan) == [("tag-moved", True)]
