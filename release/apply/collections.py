"""Apply collection changes, after every repo: in plan order, one collection at a time.

A collection the plan creates gets its slug from the create call; its items follow. An item
whose repo did not finish in this apply (failed or skipped) is not added: a collection never
advertises a half-released repo; re-running apply adds it once the repo is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from release.apply.repo import ApplyContext
from release.apply.result import ChangeResult, run_measured
from release.errors import HubError
from release.plan.model import (
    AddCollectionItem,
    CollectionChange,
    CreateCollection,
    PlanVisitor,
    RemoveCollectionItem,
    UpdateCollection,
    UpdateCollectionItem,
)


class CollectionApplier(PlanVisitor[None]):
    """Runs the collection changes; `unfinished` names repos this apply did not complete."""

    def __init__(self, ctx: ApplyContext, changes: Sequence[CollectionChange],
                 unfinished: set[str]) -> None:
        self.ctx = ctx
        self.changes = list(changes)
        self.unfinished = unfinished
        self.slugs: dict[tuple[str, str], str] = {}
        self.failed: set[tuple[str, str]] = set()
        self.note = ""

    def run(self, on_result: Callable[[ChangeResult], None] | None = None) -> list[ChangeResult]:
        results = []
        for change in self.changes:
            key = (change.namespace, change.title)
            item = getattr(change, "item_id", None)
            if self.ctx.stop.is_set():
                result = ChangeResult(change, "skipped", note="interrupted before it started")
            elif key in self.failed:
                result = ChangeResult(change, "skipped",
                                      note="not attempted: an earlier change to this "
                                           "collection failed")
            elif isinstance(change, AddCollectionItem) and item in self.unfinished:
                result = ChangeResult(change, "skipped",
                                      note=f"not added: {item} did not finish in this apply")
            else:
                result = self._run_one(change)
                if result.status == "failed":
                    self.failed.add(key)
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results

    def _run_one(self, change: CollectionChange) -> ChangeResult:
        self.note = ""
        result = run_measured(change, lambda: self.visit(change), self.ctx.meter)
        if result.status == "applied":
            result.note = self.note
        return result

    def _slug(self, change: CollectionChange) -> str:
        slug = self.slugs.get((change.namespace, change.title)) or change.slug
        if slug is None:
            raise HubError(change.address, "the collection's slug is unknown (its creation "
                           "did not run)", "run 'release plan' again")
        return slug

    def visit_create_collection(self, c: CreateCollection) -> None:
        created = self.ctx.writer.create_collection(c.namespace, c.title, c.description,
                                                    c.private)
        self.slugs[(c.namespace, c.title)] = created.slug
        if bool(created.private) != c.private or (created.description or None) != c.description:
            # exists_ok found one made meanwhile (a concurrent apply, or a lost response).
            self.ctx.writer.update_collection(created.slug, description=c.description,
                                              private=c.private)

    def visit_update_collection(self, c: UpdateCollection) -> None:
        self.ctx.writer.update_collection(self._slug(c), description=c.new_description,
                                          private=c.new_private)

    def visit_add_collection_item(self, c: AddCollectionItem) -> None:
        slug = self._slug(c)
        collection = self.ctx.writer.add_collection_item(slug, c.item_id, c.item_type, c.note)
        item = _find(collection, c.item_id, c.item_type)
        if item is None:  # the reply is the full collection; re-read once if it is not there
            item = _find(self.ctx.writer.get_collection(slug), c.item_id, c.item_type)
        if item is None:
            raise HubError(c.address, "added, but the collection does not list it",
                           "run 'release plan' again")
        note = c.note if (item.note or None) != c.note else None
        if item.position != c.position or note is not None:
            self.ctx.writer.update_collection_item(
                slug, item.item_object_id, note=note,
                position=c.position if item.position != c.position else None)

    def visit_remove_collection_item(self, c: RemoveCollectionItem) -> None:
        self.ctx.writer.delete_collection_item(self._slug(c), c.object_id)

    def visit_update_collection_item(self, c: UpdateCollectionItem) -> None:
        note = c.new_note if c.new_note != c.old_note else None
        self.ctx.writer.update_collection_item(
            self._slug(c), c.object_id, note=note,
            position=c.new_position if c.reorders else None)


def _find(collection: Any, item_id: str, item_type: str) -> Any:
    return next((i for i in collection.items
                 if i.item_id == item_id and i.item_type == item_type), None)
