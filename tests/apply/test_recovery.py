"""A commit retried after a failure is accepted only when proven to be this change: the head
of its branch, carrying this apply's id, on top of the parent the commit was built on, and
holding the planned files (issue 10, item 0). Until then nothing of the repo is published."""

from __future__ import annotations

import hashlib

from applykit import SOLO_FAMILY, Demo, branch_files, use_family
from huggingface_hub import CommitOperationAdd

from release.apply import Applier
from release.hub.client import connect
from release.hub.observe import HubReader, ShaCache
from release.hub.write import HubWriter, RetryPolicy

SOLO = "acme/Solo-7B"


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_released_right(demo: Demo) -> None:
    """run-b holds run-b's weights, v1.0 tags run-b's head, and the repo is public."""
    api = demo.api
    run_b = branch_files(api, SOLO, "run-b")
    main = branch_files(api, SOLO, "main")
    weights = demo.root / "checkpoints"
    assert run_b["model.safetensors"] == _sha256(weights / "7b-run-b" / "model.safetensors")
    assert main["model.safetensors"] == _sha256(weights / "main-7b" / "model.safetensors")
    refs = api.list_repo_refs(SOLO)
    heads = {b.name: b.target_commit for b in refs.branches}
    assert {t.name: t.target_commit for t in refs.tags} == {"v1.0": heads["run-b"]}
    head = api.list_repo_commits(SOLO, revision="run-b")[0]
    assert head.title.startswith("files: ~") and "on run-b." in (head.message or "")
    assert api.model_info(SOLO).private is False


def test_retried_run_branch_commit_is_not_mistaken_for_mains(demo: Demo) -> None:
    # The reproduction: one repo, main and a run branch with their own folders, the
    # release tag on the run branch, every other commit POST failing with a 503 (seed 10: the
    # run branch's first POST fails). The retry used to find main's commit on the freshly
    # created run branch (same apply id), skip the commit, tag main's files and publish.
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "commit", "kind": "error", "status": 503, "rate": 0.5}],
                        seed=10)
    result = demo.apply(plan, desired, parallelism=1)
    demo.hub.clear_faults()
    assert result.status == "complete", result.to_json()
    by_address = {r.address: r for r in result.results}
    run_b = by_address[f"files:{SOLO}@run-b"]
    assert "found after a lost response" not in run_b.note
    assert demo.waits  # the fault did fire
    _assert_released_right(demo)
    _, again = demo.plan()
    assert not again.has_changes


def test_commit_whose_response_was_lost_is_proven_then_accepted(demo: Demo) -> None:
    # The run branch's commit lands, then its answer is lost (503 after the Hub stored it):
    # the retry finds it at the head, on top of main's new head, holding run-b's files.
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "commit", "kind": "lost", "status": 503, "rate": 0.5}],
                        seed=10)
    result = demo.apply(plan, desired, parallelism=1)
    demo.hub.clear_faults()
    assert result.status == "complete", result.to_json()
    run_b = {r.address: r for r in result.results}[f"files:{SOLO}@run-b"]
    assert run_b.note == "found after a lost response (parent and files checked)"
    assert demo.hub.stats()["by_endpoint"]["commit"] == 2  # main, run-b: never sent again
    _assert_released_right(demo)
    titles = [c.title for c in demo.api.list_repo_commits(SOLO, revision="run-b")]
    assert len(titles) == 3  # initial, main's, run-b's: never two


def test_branch_moved_after_a_lost_response_fails_and_publishes_nothing(demo: Demo) -> None:
    # run-b's commit lands, its answer is lost, and before the retry someone else commits on
    # top of it: the head is no longer this apply's commit on its parent, so nothing is
    # "recovered"; the retry's parent check (412) finds the planned files gone, the change
    # fails, and the tag, the gating and the publish are not attempted.
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan()
    api = demo.api

    def someone_commits(wait: float) -> None:
        demo.waits.append(wait)
        if len(demo.waits) == 1:
            api.create_commit(SOLO, [CommitOperationAdd("model.safetensors", b"other weights")],
                              commit_message="someone else", revision="run-b")

    # seed 10: main's commit goes through, run-b's lands and its answer is lost.
    demo.hub.set_faults([{"endpoint": "commit", "kind": "lost", "status": 503, "rate": 0.5}],
                        seed=10)
    policy = RetryPolicy(attempts=5, base_wait=0.01, sleep=someone_commits)
    result = demo.apply(plan, desired, parallelism=1, policy=policy)
    demo.hub.clear_faults()
    assert result.status == "failed"
    by_address = {r.address: r for r in result.results}
    failed = by_address[f"files:{SOLO}@run-b"]
    assert failed.status == "failed"
    assert "412: the branch moved since the plan" in failed.error
    assert "does not hold the planned content (model.safetensors)" in failed.error
    for address in (f"tag:{SOLO}@v1.0", f"settings:{SOLO}"):
        assert by_address[address].status == "skipped"
    assert api.model_info(SOLO, expand=["private", "gated"]).private is True
    assert api.model_info(SOLO, expand=["gated"]).gated is False
    assert api.list_repo_refs(SOLO).tags == []


def test_recovered_commit_is_proven_by_its_files(demo: Demo) -> None:
    # A head commit with this apply's id and the right parent but other files (forged here:
    # nothing else writes this apply's id) is refused, not accepted: lineage alone is no proof.
    use_family(demo.root, SOLO_FAMILY)
    api = demo.api
    api.create_repo(SOLO, private=True)  # an empty repo an earlier apply created: resumed
    desired, plan = demo.plan()
    parent = api.model_info(SOLO).sha
    forged = HubWriter(api, demo.policy())
    forged.commit(SOLO, "main", [CommitOperationAdd("model.safetensors", b"not planned")],
                  "forged", "", "apply-x", parent)
    demo.hub.set_faults([{"endpoint": "commit", "kind": "error", "status": 503, "times": 1}])
    with connect("local", demo.hub.endpoint, cache_dir=demo.root / "cache") as session:
        writer = HubWriter(session.api, demo.policy(), meter=session.meter)
        reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
        result = Applier(plan=plan, writer=writer, tree=reader.tree, apply_id="apply-x",
                         parallelism=1, meter=session.meter, root=demo.root).run()
    demo.hub.clear_faults()
    by_address = {r.address: r for r in result.results}
    card = by_address[f"card:{SOLO}"]
    assert card.status == "failed"
    assert "a commit of this apply was found after a lost response" in card.error
    assert "does not hold the planned content" in card.error
    assert all(r.status == "skipped" for r in result.results
               if r.address.startswith(("branch:", "tag:", "settings:")))
    assert api.model_info(SOLO).private is True
    assert api.list_repo_refs(SOLO).tags == []
