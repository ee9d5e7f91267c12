"""A repo this apply has just created is fresh: its main head (the Hub's initial commit) is not
read, and main's first commit goes without a parent check (issue 12, "no list_repo_refs after a
fresh create_repo"). What keeps that safe, proven here by fault injection:
* a failed first commit is never blindly repeated: main's history is read first, and every
  retry carries the initial commit as its parent (a compare-and-swap again);
* another apply that meets the repo (create_repo's 409) waits for the creator's first commit
  and never commits over it: two applies of different configs never both report "applied";
* a repo someone else created and leaves empty is not written to."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from applykit import DEMO_COMMITS, SOLO_FAMILY, TEXT_ONLY, Demo, commit_counts, use_family
from huggingface_hub import CommitOperationAdd

from release.apply import Applier
from release.hub.client import connect
from release.hub.observe import HubReader, ShaCache
from release.hub.write import HubWriter, RetryPolicy

SOLO = "acme/Solo-7B"
FOUND = "found after a lost response (parent and files checked)"


def _by_address(result) -> dict:
    return {r.address: r for r in result.results}


def _titles(demo: Demo, repo_id: str, branch: str = "main") -> list[str]:
    return [c.title for c in demo.api.list_repo_commits(repo_id, revision=branch)]


def test_apply_from_empty_reads_no_refs(demo: Demo, text_only_snapshot) -> None:
    # Main's first commits hold small text files only (TEXT_ONLY): sent right after creation.
    desired, plan = demo.plan(TEXT_ONLY)
    demo.hub.reset_stats()
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    by_endpoint = demo.hub.stats()["by_endpoint"]
    assert by_endpoint["create_repo"] == 2
    assert "list_repo_refs" not in by_endpoint, by_endpoint  # was one per created repo
    assert "list_repo_commits" not in by_endpoint  # no recovery read without a failure
    assert demo.snapshot() == text_only_snapshot


@pytest.mark.parametrize(("fault", "landed"), [
    ({"kind": "lost", "status": 503}, True),  # the commit lands, its answer is a 503
    ({"kind": "lost_reset"}, True),  # the commit lands, the connection is reset
    ({"kind": "error", "status": 503}, False),  # refused before the Hub saw it
    ({"kind": "reset"}, False),  # the connection reset before the Hub saw it
])
def test_failed_first_commit_of_a_fresh_repo_lands_once(demo: Demo, text_only_snapshot,
                                                         fault: dict, landed: bool) -> None:
    desired, plan = demo.plan(TEXT_ONLY)
    demo.hub.reset_stats()
    # The first commit POST of the apply: main's first commit of the first repo, just created.
    demo.hub.set_faults([{"endpoint": "commit", "times": 1, **fault}])
    result = demo.apply(plan, desired, parallelism=1)
    demo.hub.clear_faults()
    assert result.status == "complete", result.to_json()
    by_endpoint = demo.hub.stats()["by_endpoint"]
    # Landed: found by the history read, never sent again; not landed: sent once more.
    assert by_endpoint["commit"] == 5 + (0 if landed else 1)
    assert by_endpoint["list_repo_commits"] == 1  # the recovery read, and only it
    notes = [r.note for r in result.results if r.address.startswith("card:")]
    assert notes.count(FOUND) == (1 if landed else 0), notes
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS  # exactly one commit on each main
    assert demo.snapshot() == text_only_snapshot
    _, again = demo.plan(TEXT_ONLY)
    assert not again.has_changes


def _someone_commits_at(demo: Demo, wait_number: int, path: str, data: bytes) -> RetryPolicy:
    """A fast retry policy under which someone else commits `path` on Solo's main during the
    `wait_number`-th wait before a retry (after the failed attempt, before the history read)."""
    def sleep(wait: float) -> None:
        demo.waits.append(wait)
        if len(demo.waits) == wait_number:
            demo.api.create_commit(SOLO, [CommitOperationAdd(path, data)],
                                   commit_message="someone else", revision="main")
    return RetryPolicy(attempts=5, base_wait=0.01, sleep=sleep)


def _nothing_released(demo: Demo, result) -> None:
    by_address = _by_address(result)
    for address in (f"branch:{SOLO}@run-b", f"tag:{SOLO}@v1.0", f"settings:{SOLO}"):
        assert by_address[address].status == "skipped", by_address[address]
    assert demo.api.model_info(SOLO, expand=["private"]).private is True
    assert demo.api.list_repo_refs(SOLO).tags == []


@pytest.mark.parametrize("kind", ["lost", "error"])
def test_someone_commits_before_the_retry_of_a_fresh_first_commit(demo: Demo, kind: str) -> None:
    # Solo's main commit fails (lost: it landed; error: it did not), and someone commits other
    # content on main before the retry. The history is then neither [ours, initial] nor
    # [initial]: the retry carries the initial commit as parent, the Hub answers 412, and the
    # planned content is not on main: the change fails, nothing is published. A blind retry
    # (no parent) would have committed over someone's commit and reported "applied".
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan(TEXT_ONLY)
    demo.hub.set_faults([{"endpoint": "commit", "kind": kind, "status": 503, "times": 1}])
    policy = _someone_commits_at(demo, 1, "config.json", b'{"someone": 1}\n')
    result = demo.apply(plan, desired, parallelism=1, policy=policy)
    demo.hub.clear_faults()
    assert result.status == "failed"
    card = _by_address(result)[f"card:{SOLO}"]
    assert card.status == "failed"
    assert "412: the branch moved since the plan" in card.error
    # lost: only the file someone replaced differs; error: none of the files landed.
    wrong = "(config.json)" if kind == "lost" else "(README.md, config.json"
    assert f"does not hold the planned content {wrong}" in card.error, card.error
    _nothing_released(demo, result)
    titles = _titles(demo, SOLO)
    assert titles[0] == "someone else" and len(titles) == (3 if kind == "lost" else 2)


def test_retries_after_the_history_read_check_the_parent(demo: Demo) -> None:
    # The first attempt fails (nothing landed), the history read finds only the initial
    # commit; the second attempt fails too, and someone commits before the third: that one
    # must carry the initial commit as parent (412), not go without a parent check.
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan(TEXT_ONLY)
    demo.hub.set_faults([{"endpoint": "commit", "kind": "error", "status": 503, "times": 2}])
    policy = _someone_commits_at(demo, 2, "README.md", b"someone's card\n")
    result = demo.apply(plan, desired, parallelism=1, policy=policy)
    demo.hub.clear_faults()
    assert result.status == "failed"
    card = _by_address(result)[f"card:{SOLO}"]
    assert "412: the branch moved since the plan" in card.error, card.error
    _nothing_released(demo, result)
    assert _titles(demo, SOLO)[0] == "someone else" and len(_titles(demo, SOLO)) == 2


def _applier(demo: Demo, plan, session, **kwargs) -> Applier:
    writer = HubWriter(session.api, demo.policy(), meter=session.meter)
    reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
    return Applier(plan=plan, writer=writer, tree=reader.tree, parallelism=1,
                   meter=session.meter, root=demo.root, **kwargs)


def test_a_repo_another_writer_created_and_leaves_empty_is_not_written(demo: Demo) -> None:
    # Someone creates the repo (private, empty) after the plan: create_repo meets it on its
    # first attempt, waits for a first commit that never comes, and gives up, writing nothing.
    use_family(demo.root, SOLO_FAMILY)
    _, plan = demo.plan()
    demo.api.create_repo(SOLO, private=True)
    started = time.monotonic()
    with connect("local", demo.hub.endpoint, cache_dir=demo.root / "cache") as session:
        result = _applier(demo, plan, session, creator_wait_s=1.5).run()
    assert time.monotonic() - started >= 1.5
    create = _by_address(result)[f"repo:{SOLO}"]
    assert create.status == "failed"
    assert "created by another writer (a concurrent apply?) that has not made its first " \
        "commit within 1.5 s; nothing was written" in create.error
    assert "run 'release plan' again" in create.error
    assert all(r.status == "skipped" for r in result.results if r is not create)
    assert len(_titles(demo, SOLO)) == 1  # the initial commit only


def test_content_someone_else_gives_a_repo_being_waited_for_is_refused(demo: Demo) -> None:
    # Same, but while the apply waits, someone commits a card of their own: not release's
    # provenance, so the apply stops waiting and fails without writing.
    use_family(demo.root, SOLO_FAMILY)
    _, plan = demo.plan()
    demo.api.create_repo(SOLO, private=True)
    demo.hub.reset_stats()
    results = []
    with connect("local", demo.hub.endpoint, cache_dir=demo.root / "cache") as session:
        worker = threading.Thread(target=lambda: results.append(
            _applier(demo, plan, session, creator_wait_s=30).run()))
        worker.start()
        deadline = time.monotonic() + 20
        while demo.hub.stats()["by_endpoint"].get("model_info", 0) < 1:  # the first look
            assert time.monotonic() < deadline
            time.sleep(0.01)
        demo.api.create_commit(SOLO, [CommitOperationAdd("README.md", b"---\nlicense: mit\n"
                                                         b"---\nsomeone's model\n")],
                               commit_message="someone else", revision="main")
        worker.join(30)
    [result] = results
    create = _by_address(result)[f"repo:{SOLO}"]
    assert create.status == "failed"
    assert "another writer created it after the plan was made and gave it content release " \
        "did not write; nothing was written to it" in create.error
    assert _titles(demo, SOLO) == ["someone else", _titles(demo, SOLO)[-1]]


SUMMARY_B = "The same family, described by a second config."


def test_two_applies_of_different_configs_creating_one_repo_never_both_apply(
        demo: Demo) -> None:
    # Two applies of two configs (different card summaries) planned against the same empty hub
    # and run at once, request by request interleaved: for each repo exactly one card lands,
    # the other apply fails on that repo (naming it) and writes nothing over it. Ten rounds,
    # the hub emptied between them.
    desired = {"a": demo.desired(),
               "b": demo.desired(f"families.demo.defaults.card.summary='{SUMMARY_B}'")}
    for round_ in range(10):
        plans = {name: demo.plan_of(wanted)[1] for name, wanted in desired.items()}
        cards = {name: {c.repo_id: c.new_text for c in plan.changes
                        if c.address.startswith("card:")} for name, plan in plans.items()}
        assert cards["a"].keys() == cards["b"].keys() == {"acme/Demo-1B", "acme/Demo-7B"}
        demo.hub.set_latency(4)
        results: dict[str, Any] = {}
        start = threading.Barrier(2)

        def apply(name: str) -> None:
            start.wait()
            results[name] = demo.apply(plans[name], desired[name], parallelism=2)

        threads = [threading.Thread(target=apply, args=(name,)) for name in plans]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        demo.hub.set_latency(0)
        assert results.keys() == {"a", "b"}, f"round {round_}: an apply did not finish"
        _check_one_winner_per_repo(demo, cards, results, round_)
        for repo in demo.api.list_models(author="acme"):
            demo.api.delete_repo(repo.id)
        for collection in demo.api.list_collections(owner="acme"):
            demo.api.delete_collection(collection.slug)


def _check_one_winner_per_repo(demo: Demo, cards: dict, results: dict, round_: int) -> None:
    counts = commit_counts(demo.snapshot())
    for repo_id in ("acme/Demo-1B", "acme/Demo-7B"):
        card = {name: _by_address(result)[f"card:{repo_id}"]
                for name, result in results.items()}
        applied = [name for name, r in card.items() if r.status == "applied"]
        assert len(applied) == 1, (round_, repo_id, {n: (r.status, r.note, r.error)
                                                     for n, r in card.items()})
        [winner] = applied
        [loser] = set(card) - {winner}
        assert "already" not in card[winner].note  # different contents: never "already"
        assert card[loser].status == "failed"
        assert repo_id in card[loser].error and "run 'release plan' again" in card[loser].error
        assert results[loser].status == "failed"  # the CLI's exit 1
        text = Path(demo.api.hf_hub_download(repo_id, "README.md", revision="main",
                                             cache_dir=demo.root / f"dl-{round_}")).read_text()
        assert text == cards[winner][repo_id], (round_, repo_id)
        assert counts[repo_id]["main"] == DEMO_COMMITS[repo_id]["main"]  # no commit over it


@pytest.mark.parametrize("fault", [None, {"kind": "error", "status": 503}, {"kind": "reset"}])
def test_fresh_first_commit_of_text_files_asks_no_preupload(demo: Demo, fault: dict | None
                                                            ) -> None:
    # Main's first commit of a fresh repo, README.md and JSON files only: preupload's answer is
    # known (regular, new), so it is not asked (preset_regular_uploads); after a failed attempt
    # whose history read finds only the initial commit, the retry is still not asked. The run
    # branches' commits are not into a fresh repo: asked as before.
    desired, plan = demo.plan(TEXT_ONLY)
    demo.hub.reset_stats()
    if fault is not None:
        demo.hub.set_faults([{"endpoint": "commit", "times": 1, **fault}])
    result = demo.apply(plan, desired, parallelism=1)
    demo.hub.clear_faults()
    assert result.status == "complete", result.to_json()
    by_endpoint = demo.hub.stats()["by_endpoint"]
    assert by_endpoint["commit"] == 5 + (fault is not None)
    assert by_endpoint["preupload"] == 3  # run-a, run-a, run-b; never main's
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS
    _, again = demo.plan(TEXT_ONLY)
    assert not again.has_changes


def test_no_preset_once_something_else_landed(demo: Demo) -> None:
    # Main's first commit lands, its answer is lost, and someone commits before the retry: the
    # branch no longer holds only the initial commit, so the retry asks preupload (and gets a
    # 412 from its parent check).
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan(TEXT_ONLY)
    demo.hub.reset_stats()
    demo.hub.set_faults([{"endpoint": "commit", "kind": "lost", "status": 503, "times": 1}])
    policy = _someone_commits_at(demo, 1, "config.json", b'{"someone": 1}')
    result = demo.apply(plan, desired, parallelism=1, policy=policy)
    demo.hub.clear_faults()
    assert result.status == "failed"
    assert "412: the branch moved" in _by_address(result)[f"card:{SOLO}"].error
    by_endpoint = demo.hub.stats()["by_endpoint"]
    # someone's commit asks preupload too (a plain client): 1 of it, 1 of the retry.
    assert by_endpoint["preupload"] == 2, by_endpoint
    assert by_endpoint["commit"] == 3  # ours (lost), someone's, the retry (412)


def test_a_first_commit_that_uploads_weights_keeps_its_parent_check(demo: Demo) -> None:
    # Main's first commit of Solo uploads weights first (LFS, slowed here): meanwhile another
    # writer, e.g. an apply that planned, saw the repo empty and resumed it, commits on main.
    # The initial head was read right after the creation, so our commit carries it as parent:
    # the Hub answers 412 and nothing of ours lands over that commit (found by the new-user
    # review: without the parent check both applies reported the card applied).
    use_family(demo.root, SOLO_FAMILY)
    desired, plan = demo.plan()
    demo.hub.reset_stats()
    demo.hub.set_faults([{"endpoint": "lfs_upload", "kind": "latency", "latency_ms": 2000,
                          "times": 1}])
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(
        demo.apply(plan, desired, parallelism=1)))
    worker.start()
    deadline = time.monotonic() + 30
    while demo.hub.stats()["by_endpoint"].get("lfs_upload", 0) == 0:
        assert time.monotonic() < deadline, demo.hub.stats()
        time.sleep(0.05)
    demo.api.create_commit(SOLO, [CommitOperationAdd("README.md", b"the other apply's card\n")],
                           commit_message="someone else", revision="main")
    worker.join(60)
    demo.hub.clear_faults()
    assert results and results[0].status == "failed", results
    card = _by_address(results[0])[f"card:{SOLO}"]
    assert "412: the branch moved since the plan" in card.error, card.error
    _nothing_released(demo, results[0])
    assert _titles(demo, SOLO)[0] == "someone else" and len(_titles(demo, SOLO)) == 2
    # The one read that makes it safe: main's head right after the creation.
    assert demo.hub.stats()["by_endpoint"]["list_repo_refs"] >= 1


def test_only_repos_whose_first_commit_uploads_weights_read_their_initial_head(
        demo: Demo, reference_snapshot) -> None:
    desired, plan = demo.plan()
    weights = {c.repo_id for c in plan.content_commits() if c.branch == "main"
               and c.files is not None
               and any(o.path.endswith(".safetensors") for o in c.files.operations)}
    assert weights  # the demo uploads weights to main
    demo.hub.reset_stats()
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    by_endpoint = demo.hub.stats()["by_endpoint"]
    assert by_endpoint.get("list_repo_refs", 0) == len(weights), by_endpoint
    assert demo.snapshot() == reference_snapshot
