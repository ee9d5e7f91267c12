"""Apply one collection's changes: an ordered stream, running alongside the repo pool.

Each collection's changes run in plan order on a thread of their own while the repos are
applied (`Applier`). An item waits until its repo's worker is done (published last, so an
item of a public collection never points at a half-released repo); an item whose repo did not
finish in this apply (failed or skipped) is not added, and re-running apply adds it once the
repo is done. A collection the plan creates is created only when its first item is about to be
added (it gets its slug from the create call): if none of its items' repos finished, it is not
created at all. A collection with no item from this apply is created at once.

The Hub has no compare-and-swap for collection metadata and notes, so each update reads the
collection right before writing (refusing if the value is neither what the plan saw nor what it
wants: another writer got there first) and right after (refusing to report applied when another
writer's value is there). Two applies disagreeing on a value cannot both report it applied; the
one silent interleaving left needs the other apply's read-to-write gap to span this apply's
write and its read-back (two round trips against the other's one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from release.apply.repo import RERUN, ApplyContext
from release.apply.result import ChangeResult, run_measured
from release.errors import HubError
from release.plan.model import (
    AddCollectionItem,
    CollectionChange,
    CreateCollection,
    RemoveCollectionItem,
    UpdateCollection,
    UpdateCollectionItem,
    known_collection,
    unreachable,
)
from release.state import first_created


class CollectionApplier:
    """Runs collection changes in order. `finished(repo_id)` blocks until this apply is done
    with that repo and tells whether it completed (True at once for a repo not in the apply)."""

    def __init__(self, ctx: ApplyContext, changes: Sequence[CollectionChange],
                 finished: Callable[[str], bool]) -> None:
        self.ctx = ctx
        self.changes = list(changes)
        self.finished = finished
        self.slugs: dict[tuple[str, str], str] = {}
        self.failed: set[tuple[str, str]] = set()
        self.note = ""

    def run(self, on_result: Callable[[ChangeResult], None] | None = None) -> list[ChangeResult]:
        results: list[ChangeResult] = []

        def report(result: ChangeResult) -> None:
            results.append(result)
            if on_result is not None:
                on_result(result)

        with_items = {(c.namespace, c.title) for c in self.changes
                      if isinstance(c, AddCollectionItem)}
        deferred: dict[tuple[str, str], CreateCollection] = {}  # created with the first item
        for change in self.changes:
            key = (change.namespace, change.title)
            if isinstance(change, CreateCollection) and key in with_items \
                    and not self.ctx.stop.is_set():
                deferred[key] = change
                continue
            if isinstance(change, AddCollectionItem) and key not in self.failed \
                    and not self.ctx.stop.is_set() and not self.finished(change.item_id):
                report(ChangeResult(change, "skipped", note=f"not added: {change.item_id} "
                                    "did not finish in this apply"))
                continue
            if key in deferred and not self.ctx.stop.is_set():
                created = self._run_one(deferred.pop(key))
                report(created)
                if created.status == "failed":
                    self.failed.add(key)
            if self.ctx.stop.is_set():
                result = ChangeResult(change, "skipped", note="interrupted before it started")
            elif key in self.failed:
                result = ChangeResult(change, "skipped",
                                      note="not attempted: an earlier change to this "
                                           "collection failed")
            else:
                result = self._run_one(change)
                if result.status == "failed":
                    self.failed.add(key)
            report(result)
        for create in deferred.values():
            note = ("interrupted before it started" if self.ctx.stop.is_set() else
                    "not created: none of its items' repos finished in this apply (re-running "
                    "apply creates it with them)")
            report(ChangeResult(create, "skipped", note=note))
        return results

    def _run_one(self, change: CollectionChange) -> ChangeResult:
        self.note = ""
        result = run_measured(change, self.handler(change), self.ctx.meter)
        if result.status == "applied":
            result.note = self.note
        return result

    def handler(self, change: CollectionChange) -> Callable[[], None]:
        """What carries `change` out. Every collection kind has one: one left out fails mypy."""
        kind = known_collection(change)
        match kind:
            case CreateCollection():
                return partial(self.create_collection, kind)
            case UpdateCollection():
                return partial(self.update_collection, kind)
            case AddCollectionItem():
                return partial(self.add_collection_item, kind)
            case RemoveCollectionItem():
                return partial(self.remove_collection_item, kind)
            case UpdateCollectionItem():
                return partial(self.update_collection_item, kind)
            case _:
                unreachable(kind)

    def _slug(self, change: CollectionChange) -> str:
        slug = self.slugs.get((change.namespace, change.title)) or change.slug
        if slug is None:
            raise HubError(change.address, "the collection's slug is unknown (its creation "
                           "did not run)", "run 'release plan' again")
        return slug

    def create_collection(self, c: CreateCollection) -> None:
        writer = self.ctx.writer
        created = writer.create_collection(c.namespace, c.title, c.description, c.private)
        # A concurrent apply may have created one too (the real Hub allows the same title
        # twice): both keep the first created; the later one, empty and made by this apply
        # seconds ago, is deleted by this apply. One listing per collection created.
        first = first_created([created.slug, *writer.collection_slugs(c.namespace, c.title)])
        if first != created.slug:
            writer.delete_collection(created.slug)
            created = writer.get_collection(first)
            self.note = (f"another apply created it first ({first}); the duplicate this apply "
                         "made was deleted")
        self.slugs[(c.namespace, c.title)] = created.slug
        if bool(created.private) != c.private or (created.description or None) != c.description:
            # exists_ok found one made meanwhile (a concurrent apply, or a lost response).
            self.ctx.writer.update_collection(created.slug, description=c.description,
                                              private=c.private)

    def update_collection(self, c: UpdateCollection) -> None:
        slug = self._slug(c)
        now = self.ctx.writer.get_collection(slug)
        description = _pending(c.address, "description", now.description, c.old_description,
                               c.new_description)
        private = _pending(c.address, "visibility", now.private, c.old_private, c.new_private)
        if description is None and private is None:
            self.note = "already set"
            return
        self.ctx.writer.update_collection(slug, description=description, private=private)
        after = self.ctx.writer.get_collection(slug)
        _written(c.address, "description", after.description, description)
        _written(c.address, "visibility", after.private, private)

    def add_collection_item(self, c: AddCollectionItem) -> None:
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

    def remove_collection_item(self, c: RemoveCollectionItem) -> None:
        self.ctx.writer.delete_collection_item(self._slug(c), c.object_id)

    def update_collection_item(self, c: UpdateCollectionItem) -> None:
        slug = self._slug(c)
        item = self._item(c, slug)
        note = None
        if c.new_note != c.old_note:
            note = _pending(c.address, "the note", item.note, c.old_note, c.new_note)
        position = c.new_position if c.reorders else None
        if note is None and position is None:
            self.note = "already set"
            return
        self.ctx.writer.update_collection_item(slug, c.object_id, note=note, position=position)
        if note is not None:
            _written(c.address, "the note", self._item(c, slug).note, note)

    def _item(self, c: UpdateCollectionItem, slug: str) -> Any:
        found = next((i for i in self.ctx.writer.get_collection(slug).items
                      if i.item_object_id == c.object_id), None)
        if found is None:
            raise HubError(c.address, "the item was removed from the collection since the "
                           "plan was made", RERUN)
        return found


def _pending(address: str, name: str, now: Any, old: Any, new: Any) -> Any:
    """`new` if it still has to be written over `now`; None if already there (or not planned);
    raises if `now` is neither what the plan saw nor `new`: another writer changed it."""
    if new is None or now == new:
        return None
    if now != old:
        raise HubError(address, f"{name} changed to {now!r} since the plan saw {old!r}; "
                       "not changed (another writer got there first)", RERUN)
    return new


def _written(address: str, name: str, now: Any, wrote: Any) -> None:
    """Refuse to report a write applied when the read-back shows another writer's value."""
    if wrote is not None and now != wrote:
        raise HubError(address, f"{name} was set, but another writer changed it to {now!r} "
                       "while this apply ran", RERUN)


def _find(collection: Any, item_id: str, item_type: str) -> Any:
    return next((i for i in collection.items
                 if i.item_id == item_id and i.item_type == item_type), None)
