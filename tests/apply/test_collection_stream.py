"""Collections are ordered streams alongside the repo pool (issue 12, item 3): an item is added
once its repo is done (published last), not after every repo; a collection whose items' repos
all failed is neither created nor filled (issue 13's leftover), proven by fault injection."""

from __future__ import annotations

import threading

from applykit import Demo

from release.apply import ApplyEvents
from release.apply.result import ChangeResult
from release.plan.changes import AddCollectionItem, CreateCollection, RepoChange


class Recorder(ApplyEvents):
    def __init__(self) -> None:
        self.done: list[ChangeResult] = []
        self._lock = threading.Lock()

    def change_done(self, result: ChangeResult) -> None:
        with self._lock:
            self.done.append(result)


def test_an_item_is_added_once_its_repo_is_done_while_other_repos_still_run(
        demo: Demo, reference_snapshot) -> None:
    desired, plan = demo.plan()
    # Slow branch creations: the second repo is still creating its branches when the first
    # repo is done, so its item can only be added alongside, if collections stream.
    demo.hub.set_faults([{"endpoint": "create_branch", "kind": "latency", "latency_ms": 400}])
    events = Recorder()
    result = demo.apply(plan, desired, parallelism=1, events=events)
    assert result.status == "complete", result.to_json()
    order = [r.change for r in events.done]
    items = [i for i, c in enumerate(order) if isinstance(c, AddCollectionItem)]
    last_repo_change = max(i for i, c in enumerate(order) if isinstance(c, RepoChange))
    assert items and items[0] < last_repo_change  # streamed, not after every repo
    for index in items:  # ... but never before its own repo finished (publish included)
        repo_id = order[index].item_id
        assert all(i < index for i, c in enumerate(order)
                   if isinstance(c, RepoChange) and c.repo_id == repo_id)
    assert demo.snapshot() == reference_snapshot


def test_a_collection_is_not_created_when_every_repo_of_it_failed(demo: Demo,
                                                                  reference_snapshot) -> None:
    desired, plan = demo.plan()
    assert any(isinstance(c, CreateCollection) for c in plan.changes)
    demo.hub.set_faults([{"endpoint": "commit", "kind": "refuse", "status": 403,
                          "message": "Private repository storage limit reached"}])
    result = demo.apply(plan, desired)
    assert result.status != "complete"
    by_kind = {}
    for r in result.results:
        by_kind.setdefault(type(r.change), []).append(r)
    [create] = by_kind[CreateCollection]
    assert create.status == "skipped"
    assert "not created: none of its items' repos finished" in create.note
    assert all(r.status == "skipped" and "did not finish" in r.note
               for r in by_kind[AddCollectionItem])
    assert demo.hub.stats()["by_endpoint"].get("collections_create", 0) == 0
    assert list(demo.api.list_collections(owner="acme")) == []

    demo.hub.set_faults([])
    desired, again = demo.plan()
    assert demo.apply(again, desired).status == "complete"
    assert demo.snapshot() == reference_snapshot
