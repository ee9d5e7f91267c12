"""Collections end to end: membership, order and notes published, then changed out of band."""

from __future__ import annotations

import pytest

from release.plan.model import (
    AddCollectionItem,
    CreateCollection,
    UpdateCollectionItem,
)
from release.workflow import Project, hub_session, load_desired, make_plan
from tests.content.conftest import ContentProject, publish

SFT, DPO = "acme/Demo-1B-SFT", "acme/Demo-1B-DPO"


@pytest.fixture
def published(content: ContentProject) -> ContentProject:
    publish(content.api(), load_desired(Project(content.conf), [content.override]).state,
            content.root)
    return content


def _plan(content: ContentProject, *overrides: str):  # type: ignore[no-untyped-def]
    project = Project(content.conf)
    desired = load_desired(project, [content.override, *overrides])
    with hub_session(project, desired.config) as session:
        return make_plan(session, desired.state)


def _collection(content: ContentProject):  # type: ignore[no-untyped-def]
    api = content.api()
    (listed,) = [c for c in api.list_collections(owner="acme") if c.title == "Demo Models"]
    return api.get_collection(listed.slug)


def test_published_collection_has_the_declared_items_order_and_notes(
        published: ContentProject) -> None:
    collection = _collection(published)
    assert (collection.description, collection.private) == ("The demo family.", False)
    items = sorted(collection.items, key=lambda item: item.position)
    assert [(i.item_id, i.note) for i in items] == [(SFT, None), (DPO, "The released model.")]
    assert not _plan(published).has_changes


def test_an_item_removed_out_of_band_is_drift_and_restored(published: ContentProject) -> None:
    collection = _collection(published)
    dpo = next(item for item in collection.items if item.item_id == DPO)
    published.api().delete_collection_item(collection.slug, dpo.item_object_id)
    plan = _plan(published)
    (change,) = plan.changes
    assert isinstance(change, AddCollectionItem)
    assert (change.item_id, change.note, change.position) == (DPO, "The released model.", 1)
    assert change.drift and "removed from the collection outside release" in change.reason


def test_items_reordered_out_of_band_are_restored(published: ContentProject) -> None:
    """Cards record membership, not positions (a position changes with every sibling: issue
    16), so who reordered is unknown: the order is restored, not reported as drift."""
    collection = _collection(published)
    dpo = next(item for item in collection.items if item.item_id == DPO)
    published.api().update_collection_item(collection.slug, dpo.item_object_id, position=0)
    changes = _plan(published).changes
    assert changes and all(isinstance(c, UpdateCollectionItem) and not c.drift
                           and "order" in c.reason for c in changes)
    assert {c.item_id for c in changes} <= {SFT, DPO}


def test_a_note_changed_in_the_config_is_planned(published: ContentProject) -> None:
    (change,) = _plan(published, "families.demo.collection.notes.1B-DPO=Use this one.").changes
    assert isinstance(change, UpdateCollectionItem)
    assert (change.item_id, change.old_note, change.new_note) == (
        DPO, "The released model.", "Use this one.")
    assert not change.drift


def test_an_item_added_by_a_person_is_left_alone(published: ContentProject) -> None:
    collection = _collection(published)
    published.api().create_repo("acme/someone-elses-model")
    published.api().add_collection_item(collection.slug, "acme/someone-elses-model", "model")
    plan = _plan(published)
    assert not plan.has_changes
    assert [(n.code, n.address) for n in plan.notices] == [
        ("undeclared-collection-item",
         "collection-item:acme/Demo Models@acme/someone-elses-model")]


def test_a_deleted_collection_is_recreated_with_its_items(published: ContentProject) -> None:
    published.api().delete_collection(_collection(published).slug)
    changes = _plan(published).changes
    assert isinstance(changes[0], CreateCollection)
    adds = [c for c in changes[1:] if isinstance(c, AddCollectionItem)]
    assert [(c.item_id, c.position, c.drift) for c in adds] == [(SFT, 0, True), (DPO, 1, True)]
