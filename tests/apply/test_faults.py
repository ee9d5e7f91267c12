"""Apply under injected faults: 429 (Retry-After honoured), 5xx and connection resets are
retried and converge with no duplicate commit; a lost commit response is found, not repeated;
a branch moved by someone else fails that repo only, with a stale message; the client's no-op
short cut is recognised."""

from __future__ import annotations

from applykit import DEMO_COMMITS, Demo, commit_counts
from huggingface_hub import CommitOperationAdd

from release.hub.client import request_meter
from release.hub.pacing import pacer
from release.hub.write import HubWriter


def test_apply_converges_under_429_5xx_and_resets(demo: Demo, reference_snapshot) -> None:
    desired, plan = demo.plan()
    limiter = pacer()
    rate_limited, paused = limiter.stats.rate_limited, len(limiter.stats.pauses)
    demo.hub.set_faults([
        {"endpoint": "create_repo", "kind": "rate_limit", "retry_after": 2, "times": 1},
        {"endpoint": "commit", "kind": "error", "status": 503, "times": 2},
        {"endpoint": "commit", "kind": "reset", "times": 1},
        {"endpoint": "create_branch", "kind": "reset", "times": 1},
        {"endpoint": "create_tag", "kind": "rate_limit", "retry_after": 1, "times": 1},
        {"endpoint": "update_repo_settings", "kind": "error", "status": 502, "times": 1},
        {"endpoint": "collections_add_item", "kind": "error", "status": 500, "times": 1},
    ], seed=3)
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    fired = demo.hub.stats()["by_endpoint"]
    assert fired["commit"] == 5 + 3  # five commits, three of them tried twice
    # Both 429s paused the pool for as long as the Hub asked, then the request went again.
    assert limiter.stats.rate_limited - rate_limited == 2
    waits = sorted(round(w) for _, w in limiter.stats.pauses[paused:])
    assert waits == [1, 2], limiter.stats.pauses[paused:]
    demo.hub.clear_faults()
    assert demo.snapshot() == reference_snapshot  # same files, same number of commits
    _, again = demo.plan()
    assert not again.has_changes


def test_lost_commit_response_is_found_not_repeated(demo: Demo) -> None:
    from huggingface_hub import CommitOperationDelete

    api = demo.api
    api.create_repo("acme/lost", private=True)
    api.create_commit("acme/lost", [CommitOperationAdd("old.txt", b"old")], commit_message="old")
    parent = api.model_info("acme/lost").sha
    writer = HubWriter(api, demo.policy(), meter=request_meter())

    def operations() -> list:
        return [CommitOperationAdd("a.txt", b"a"), CommitOperationDelete("old.txt")]

    landed = writer.commit("acme/lost", "main", operations(), "swap", "", "apply-1", parent)
    # The same commit again, as the retry after a lost response: its POST fails (503), the
    # branch history is searched for the apply id before retrying, and the commit is found.
    demo.hub.set_faults([{"endpoint": "commit", "kind": "error", "status": 503, "times": 1}])
    again = writer.commit("acme/lost", "main", operations(), "swap", "", "apply-1", parent,
                          make_operations=operations)
    assert again.oid == landed.oid and again.recovered
    assert demo.hub.stats()["by_endpoint"]["commit"] == 1 + 1 + 1  # old, landed, the 503
    assert len(api.list_repo_commits("acme/lost")) == 3  # initial, old, swap: never two swaps


def test_branch_moved_by_someone_else_fails_that_repo_only(demo: Demo, capsys) -> None:
    assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
    summary = "A tiny model family, second edition."
    desired, plan = demo.plan(f"families.demo.defaults.card.summary='{summary}'")
    demo.api.create_commit("acme/Demo-7B", [CommitOperationAdd("notes.txt", b"hi")],
                           commit_message="someone else", revision="main")
    result = demo.apply(plan, desired)  # no stale check: the commit's parent check must catch it
    assert result.status == "failed"
    by_address = {r.address: r for r in result.results}
    failed = by_address["card:acme/Demo-7B"]
    assert failed.status == "failed"
    assert "412: the branch moved since the plan" in failed.error
    assert "run 'release plan' again" in failed.error
    assert by_address["card:acme/Demo-1B"].status == "applied"
    titles = [c.title for c in demo.api.list_repo_commits("acme/Demo-7B")]
    assert titles[0] == "someone else" and len(titles) == 3  # nothing of ours on top


def test_client_no_op_short_cut_is_recognised(demo: Demo, capsys) -> None:
    assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
    (demo.root / "checkpoints" / "7b-run-a" / "extra.json").write_text('{"x": 1}')
    desired, plan = demo.plan()
    # Someone (a concurrent apply) already committed exactly this file: the client answers the
    # commit from its no-op short cut, with a head that is not the plan's parent.
    demo.api.create_commit("acme/Demo-7B", [CommitOperationAdd("extra.json", b'{"x": 1}')],
                           commit_message="same content", revision="run-a")
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    files = next(r for r in result.results if r.address == "files:acme/Demo-7B@run-a")
    assert files.note == "already on the Hub (nothing to commit)" and files.writes == 0
    assert commit_counts(demo.snapshot())["acme/Demo-7B"]["run-a"] == \
        DEMO_COMMITS["acme/Demo-7B"]["run-a"] + 1
