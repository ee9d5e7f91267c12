"""Two applies of the same plan at once never duplicate a commit, and converge; a watcher
polling the hub during apply never sees a repo public without its card and files."""

from __future__ import annotations

from applykit import DEMO_COMMITS, Demo, Watcher, commit_counts

from release.localhub.auth import DEFAULT_TOKEN
from release.localhub.testing import hub_api


def test_two_concurrent_applies_of_one_plan_make_no_duplicate_commits(
        demo: Demo, reference_snapshot) -> None:
    desired, plan = demo.plan()
    demo.hub.set_latency(4)  # interleave the two applies request by request
    results = demo.apply_twice_at_once(plan, desired)
    demo.hub.set_latency(0)
    for result in results:
        assert result.status == "complete", result.to_json()
    # Both did the work, or found it done: at least one change was answered "already there".
    notes = [r.note for result in results for r in result.results if r.note]
    assert any("already" in note for note in notes), notes
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS
    assert demo.snapshot() == reference_snapshot


def test_watcher_never_sees_a_public_repo_without_its_card_and_files(demo: Demo) -> None:
    weights = {"README.md", "config.json", "model.safetensors", "tokenizer.json",
               "tokenizer_config.json"}
    expected = {"acme/Demo-7B": {"main": weights, "run-a": weights, "run-b": weights},
                "acme/control": {"main": {"README.md"}}}
    desired, plan = demo.plan()
    demo.hub.set_latency(3)
    watcher = Watcher(demo.hub, expected)
    watcher.start()
    try:
        result = demo.apply(plan, desired)
        assert result.status == "complete", result.to_json()
        watcher.wait_polls(2)  # the final state is watched too
        assert watcher.violations == []
        assert watcher.public_seen > 0
        # The watcher does catch what it looks for: a repo made public while still empty.
        api = hub_api(demo.hub, DEFAULT_TOKEN)
        api.create_repo("acme/control", private=False)
        watcher.wait_polls(2)
        assert watcher.violations and "acme/control" in watcher.violations[0]
    finally:
        watcher.stop.set()
        watcher.join(5)
    assert watcher.polls > 10
