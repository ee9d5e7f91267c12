"""A managed collection keeps one identity, on a hub that answers 409 for an existing title and
on one that creates a second collection instead, as the real Hub does (issue 10, item 10):
a lost create response is looked up, not repeated; two applies creating it at once end with
one; a same-titled duplicate made by someone else is reported as drift and left alone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from applykit import Demo, write_demo_project

from release.localhub import LocalHub

TITLE = "Demo Models"


@pytest.fixture(params=["409", "duplicates"])
def hub_demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Demo]:
    """The demo project on a hub in either mode."""
    duplicates = request.param == "duplicates"
    with LocalHub(tmp_path / "hub-data", duplicate_collections=duplicates) as hub:
        yield Demo(write_demo_project(tmp_path / "project"), hub)


def _collections(demo: Demo) -> list:
    return [demo.api.get_collection(c.slug) for c in demo.api.list_collections(owner="acme")
            if c.title == TITLE]


def _items(collection) -> list[str]:
    return [i.item_id for i in sorted(collection.items, key=lambda i: i.position)]


def test_lost_create_response_is_looked_up_not_repeated(hub_demo: Demo) -> None:
    demo = hub_demo
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "collections_create", "kind": "lost", "times": 1}])
    result = demo.apply(plan, desired)
    demo.hub.clear_faults()
    assert result.status == "complete", result.to_json()
    [collection] = _collections(demo)
    assert _items(collection) == ["acme/Demo-1B", "acme/Demo-7B"]
    assert collection.private is False
    _, again = demo.plan()
    assert not again.has_changes and not again.notices


def test_two_applies_creating_it_at_once_end_with_one(hub_demo: Demo) -> None:
    demo = hub_demo
    desired, plan = demo.plan()
    demo.hub.set_faults([{"endpoint": "collections_create", "kind": "latency",
                          "latency_ms": 200}])  # both creates are in flight together
    results = demo.apply_twice_at_once(plan, desired)
    demo.hub.clear_faults()
    assert [r.status for r in results] == ["complete", "complete"], [r.to_json() for r in results]
    [collection] = _collections(demo)
    assert _items(collection) == ["acme/Demo-1B", "acme/Demo-7B"]


def test_a_duplicate_made_outside_release_is_drift_and_left_alone(tmp_path: Path,
                                                                   capsys) -> None:
    with LocalHub(tmp_path / "hub-data", duplicate_collections=True) as hub:
        demo = Demo(write_demo_project(tmp_path / "project"), hub)
        assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
        [managed] = _collections(demo)
        other = demo.api.create_collection(TITLE, namespace="acme", description="someone's")
        demo.api.add_collection_item(other.slug, "acme/Demo-7B", "model", note="theirs")
        shutil.rmtree(demo.root / ".release", ignore_errors=True)  # a fresh CI runner
        plan = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
        # Nothing to change, but drift: --detailed-exitcode counts drift notices (exit 2).
        assert plan.code == 2, plan.out
        assert "No changes to apply, but 1 object changed outside release" in plan.out
        assert "duplicate-collection" in plan.out or "other collection(s)" in plan.out
        assert other.slug in plan.out and f"manages the first created, {managed.slug}" \
            in plan.out
        assert "(changed outside release)" in plan.out  # ... but drift, reported
        # A note change goes to the managed collection; the duplicate is not touched.
        family = demo.root / "conf" / "families" / "demo.yaml"
        family.write_text(family.read_text().replace(
            "    title: Demo Models\n", '    title: Demo Models\n    notes: {"7B": "big"}\n'))
        run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
        assert run.code == 0, run.out + run.err
        notes = {i.item_id: i.note for i in demo.api.get_collection(managed.slug).items}
        assert notes["acme/Demo-7B"] == "big"
        untouched = demo.api.get_collection(other.slug)
        assert [(i.item_id, i.note) for i in untouched.items] == [("acme/Demo-7B", "theirs")]
        assert untouched.description == "someone's"
        assert len(_collections(demo)) == 2
