"""The run branches of one repo commit side by side (issue 18, step 4), and the order that
matters holds: a branch after its start point's commit, the tag after its revision's commit,
gating and publishing last and only once every content change of the repo landed.

One repo (acme/Wide-7B) with main and six run branches, each with its own checkpoint folder;
the release tag is on run-3; the repo is public and gated. The local hub holds each commit
for a while (a latency fault) so that revisions overlap when they can.
"""

from __future__ import annotations

import threading

from applykit import Demo, Watcher, use_family, write_checkpoint

from release.apply.result import ChangeResult
from release.apply.runner import ApplyEvents

RUNS = 6
WIDE = """\
demo:
  namespace: acme
  repo_name: "Wide-{size}"
  matrix:
    size: [7B]
  defaults:
    visibility: public
    gated: auto
    card:
      summary: One repo, many run branches.
      intended_use: Tests of release apply.
      metadata: {license: apache-2.0}
    artifacts:
      folder: "checkpoints/main-{size_lower}"
      include: ["*.json", "*.safetensors"]
    release: {tag: v1.0, revision: run-3}
  runs:
    branch: "run-{n}"
    artifacts: "checkpoints/wide-{branch}"
    variants:
      "7B": [RUNS]
  upstream: {repo: "https://github.com/acme/train", commit: abc1234}
""".replace("[RUNS]", "[" + ", ".join(f"{{n: {n}}}" for n in range(RUNS)) + "]")
REPO = "acme/Wide-7B"
BRANCHES = [f"run-{n}" for n in range(RUNS)]
WEIGHTS = {"README.md", "config.json", "model.safetensors", "tokenizer.json",
           "tokenizer_config.json"}


def wide(demo: Demo) -> None:
    use_family(demo.root, WIDE)
    for n in range(RUNS):
        write_checkpoint(demo.root / "checkpoints" / f"wide-run-{n}", 100 + n)


class Recorder(ApplyEvents):
    """The order results arrive in (from any thread)."""

    def __init__(self) -> None:
        self.results: list[ChangeResult] = []
        self.lock = threading.Lock()

    def change_done(self, result: ChangeResult) -> None:
        with self.lock:
            self.results.append(result)


def test_run_branches_commit_side_by_side_and_tag_and_publish_come_after(demo: Demo) -> None:
    wide(demo)
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "commit", "kind": "latency", "latency_ms": 400}])
    demo.hub.reset_stats()
    watcher = Watcher(demo.hub, {REPO: {b: WEIGHTS for b in ["main", *BRANCHES]}})
    events = Recorder()
    watcher.start()
    try:
        result = demo.apply(plan, desired, parallelism=4, events=events)
        watcher.wait_polls(2)
    finally:
        watcher.stop.set()
        watcher.join(5)
    demo.hub.set_faults([])
    assert result.status == "complete", result.to_json()
    assert watcher.violations == []  # never public before every branch holds its files
    # The revisions overlapped: several commits were in the hub at once, never more than the
    # bound (4).
    peak = demo.hub.stats()["in_flight_peak"]["commit"]
    assert 2 <= peak <= 4, peak

    order = [r.address for r in events.results]
    done = {r.address: i for i, r in enumerate(events.results)}
    main_commit = done[f"card:{REPO}"]
    for branch in BRANCHES:  # each branch created from main's new head, then committed to
        assert main_commit < done[f"branch:{REPO}@{branch}"] < done[f"files:{REPO}@{branch}"]
    last_content = max(i for i, r in enumerate(events.results)
                       if r.change.kind in ("update_card", "commit_files", "create_branch"))
    for later in (f"tag:{REPO}@v1.0", f"settings:{REPO}"):
        assert done[later] > last_content, order

    # The tag is at run-3's own commit (the one holding run-3's files), not at main or another
    # branch's head; each branch's head is its files' commit, on top of main's.
    api = demo.api
    refs = api.list_repo_refs(REPO)
    heads = {b.name: b.target_commit for b in refs.branches}
    commits = {r.address: r.commit for r in result.results}
    assert {t.name: t.target_commit for t in refs.tags} == {"v1.0": heads["run-3"]}
    assert heads["run-3"] == commits[f"files:{REPO}@run-3"]
    for branch in BRANCHES:
        history = api.list_repo_commits(REPO, revision=branch)
        assert history[0].commit_id == commits[f"files:{REPO}@{branch}"] == heads[branch]
        assert history[1].commit_id == heads["main"]
    info = api.model_info(REPO, expand=["private", "gated"])
    assert (info.private, info.gated) == (False, "auto")
    again = demo.plan_of(desired)[1]
    assert not again.changes, [c.address for c in again.changes]


def test_a_failed_revision_stops_tags_and_publishing(demo: Demo) -> None:
    wide(demo)
    desired, plan = demo.plan()
    # run-2's checkpoint changes after the plan: apply refuses to upload what was not reviewed.
    write_checkpoint(demo.root / "checkpoints" / "wide-run-2", 999)
    demo.hub.set_faults([{"endpoint": "commit", "kind": "latency", "latency_ms": 200}])
    result = demo.apply(plan, desired, parallelism=4)
    demo.hub.set_faults([])
    assert result.status == "failed"
    status = {r.address: r for r in result.results}
    assert status[f"files:{REPO}@run-2"].status == "failed"
    assert "changed since the plan" in (status[f"files:{REPO}@run-2"].error or "")
    for later in (f"tag:{REPO}@v1.0", f"settings:{REPO}"):
        assert status[later].status == "skipped", status[later]
        assert "files:acme/Wide-7B@run-2 failed" in status[later].note
    # Nothing after the failure was published or tagged; what did land is real and complete.
    api = demo.api
    info = api.model_info(REPO, expand=["private", "gated"])
    assert info.private is True and not info.gated
    assert api.list_repo_refs(REPO).tags == []
    for r in result.results:
        if r.status == "applied" and r.change.kind == "commit_files":
            branch = r.address.rsplit("@", 1)[1]
            assert WEIGHTS - {"README.md"} <= set(api.list_repo_files(REPO, revision=branch))


def test_two_applies_of_a_wide_repo_at_once_converge_without_duplicates(demo: Demo) -> None:
    wide(demo)
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "commit", "kind": "latency", "latency_ms": 100}])
    demo.hub.set_latency(3)
    results = demo.apply_twice_at_once(plan, desired, parallelism=4, timeout_s=120)
    demo.hub.set_latency(0)
    demo.hub.set_faults([])
    for result in results:
        assert result.status == "complete", result.to_json()
    api = demo.api
    assert len(api.list_repo_commits(REPO)) == 2  # initial + card and files
    for branch in BRANCHES:  # main's two, then exactly one commit with the run's files
        assert len(api.list_repo_commits(REPO, revision=branch)) == 3, branch
    again = demo.plan_of(desired)[1]
    assert not again.changes, [c.address for c in again.changes]


def test_a_cold_plan_reads_the_branches_of_one_repo_side_by_side(demo: Demo) -> None:
    import shutil

    wide(demo)
    desired, plan = demo.plan()
    assert demo.apply(plan, desired, parallelism=4).status == "complete"
    shutil.rmtree(demo.root / ".release" / "cache", ignore_errors=True)  # cold, as on CI
    demo.hub.set_faults([{"endpoint": "list_repo_tree", "kind": "latency", "latency_ms": 200}])
    demo.hub.reset_stats()
    again = demo.plan_of(desired)[1]
    demo.hub.set_faults([])
    assert not again.changes, [c.address for c in again.changes]
    stats = demo.hub.stats()
    # One tree per branch, as before, but several at once (the reader's bound is 8).
    assert stats["by_endpoint"]["list_repo_tree"] == 1 + RUNS
    assert 2 <= stats["in_flight_peak"]["list_repo_tree"] <= 8, stats["in_flight_peak"]
