"""Diff declared collections against the Hub: create, metadata, membership, notes and order.

A collection is identified by (namespace, title) and, once created, by its slug: of
same-titled collections (the real Hub allows them) the first created is managed and the others
are reported as duplicates (drift), never changed. The config governs the declared items and
their relative order; items a person added (papers, datasets, other repos) are left alone. An
item is removed only if its repo is managed by release and its provenance says release put it
there (`declared["collections"]`: membership, not position, so adding a sibling rewrites no
card), i.e. the config dropped it.

Order is compared by rank among the declared items present, not by absolute position, so
undeclared items interleaved by people do not cause endless reorders.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from release.plan.model import (
    AddCollectionItem,
    Change,
    CreateCollection,
    Notice,
    RemoveCollectionItem,
    UpdateCollection,
    UpdateCollectionItem,
    collection_address,
    collection_item_address,
)
from release.state import (
    DesiredCollection,
    DesiredState,
    ObservedCollection,
    ObservedState,
    collection_key,
    declared_collections,
)


def _declared_membership(observed: ObservedState, repo_id: str, key: str) -> tuple[bool, Any]:
    """(did release put `repo_id` in collection `key`, the position it recorded if any), per
    the repo's provenance. Cards since issue 16 record membership only (a position changes
    with every sibling), so the position is known only from older cards."""
    repo = observed.repo(repo_id)
    provenance = repo.provenance if repo is not None else None
    if provenance is None:
        return False, None
    recorded = declared_collections(provenance.declared)
    return key in recorded, recorded.get(key)


class CollectionDiff:
    def __init__(self, want: DesiredCollection, have: ObservedCollection | None,
                 observed: ObservedState, left_alone: Set[str] = frozenset()) -> None:
        self.want = want
        self.have = have
        self.observed = observed
        #: Declared repos release does not manage (unmanaged, not adopted): never added,
        #: never re-noted or moved; their index still counts, so the others keep theirs.
        self.left_alone = left_alone
        self.key = collection_key(want.namespace, want.title)
        self.changes: list[Change] = []
        self.notices: list[Notice] = []

    def _ids(self) -> dict[str, Any]:
        return {"namespace": self.want.namespace, "title": self.want.title,
                "slug": self.have.slug if self.have is not None else None}

    def _was_member(self, repo_id: str) -> bool:
        return _declared_membership(self.observed, repo_id, self.key)[0]

    def _was_declared_at(self, repo_id: str, index: int) -> bool:
        """Was the item at `index` when release last wrote it? Known only from cards that
        recorded positions; otherwise unknown, never reported as drift."""
        return _declared_membership(self.observed, repo_id, self.key)[1] == index

    def plan(self) -> tuple[list[Change], list[Notice]]:
        want, have = self.want, self.have
        if have is None:
            self.changes.append(CreateCollection(namespace=want.namespace, title=want.title,
                                                 description=want.description,
                                                 private=want.private))
            self._adds({})
            return self.changes, self.notices
        if have.duplicates:
            self.notices.append(Notice(
                address=collection_address(self.want.namespace, self.want.title),
                code="duplicate-collection", drift=True,
                message=f"{len(have.duplicates)} other collection(s) in {self.want.namespace} "
                        f"have the title '{self.want.title}' ({', '.join(have.duplicates)}); "
                        f"release manages the first created, {have.slug}, and leaves the "
                        "others alone: delete them on the Hub if they are not wanted"))
        self._metadata(have)
        # An item is its repo's, under the id the repo has now (a moved repo keeps its place).
        present = {(i.item_type, self.observed.aliases.current(i.item_id)): i
                   for i in have.items}
        self._removals(have)
        self._adds(present)
        self._updates(present)
        return self.changes, self.notices

    def _metadata(self, have: ObservedCollection) -> None:
        description = (self.want.description is not None
                       and self.want.description != have.description)
        private = self.want.private != have.private
        if description or private:
            self.changes.append(UpdateCollection(
                **self._ids(),
                old_description=have.description if description else None,
                new_description=self.want.description if description else None,
                old_private=have.private if private else None,
                new_private=self.want.private if private else None))

    def _removals(self, have: ObservedCollection) -> None:
        wanted = {(i.repo_type, i.repo_id) for i in self.want.items}
        for item in sorted(have.items, key=lambda i: i.position):
            if (item.item_type, self.observed.aliases.current(item.item_id)) in wanted:
                continue
            if self._was_member(item.item_id):
                self.changes.append(RemoveCollectionItem(
                    **self._ids(), item_id=item.item_id, item_type=item.item_type,
                    object_id=item.object_id, note=item.note, position=item.position))
            else:
                self.notices.append(Notice(
                    address=collection_item_address(self.want.namespace, self.want.title,
                                                    item.item_id),
                    code="undeclared-collection-item",
                    message=f"{item.item_type} {item.item_id} in collection {self.key} is not "
                            "declared; left alone"))

    def _adds(self, present: Mapping[tuple[str, str], Any]) -> None:
        for index, item in enumerate(self.want.items):
            if (item.repo_type, item.repo_id) in present or item.repo_id in self.left_alone:
                continue
            drift = self._was_member(item.repo_id)
            self.changes.append(AddCollectionItem(
                **self._ids(), item_id=item.repo_id, item_type=item.repo_type, note=item.note,
                position=index, drift=drift,
                reason="item was removed from the collection outside release" if drift else ""))

    def _updates(self, present: Mapping[tuple[str, str], Any]) -> None:
        kept = [(index, item) for index, item in enumerate(self.want.items)
                if (item.repo_type, item.repo_id) in present]
        by_position = sorted(kept, key=lambda k: present[(k[1].repo_type, k[1].repo_id)].position)
        observed_rank = {id(item): rank for rank, (_, item) in enumerate(by_position)}
        for rank, (index, item) in enumerate(kept):
            have = present[(item.repo_type, item.repo_id)]
            reorder = observed_rank[id(item)] != rank
            renote = item.note is not None and item.note != have.note
            if not (reorder or renote) or item.repo_id in self.left_alone:
                continue
            drift = reorder and not renote and self._was_declared_at(item.repo_id, index)
            reason = ("items were reordered outside release" if drift else
                      "the order differs from the config's (release records membership, not "
                      "order: whether the config or a person moved it is not known)"
                      if reorder and not renote else "")
            self.changes.append(UpdateCollectionItem(
                **self._ids(), item_id=item.repo_id, item_type=item.repo_type,
                object_id=have.object_id, old_note=have.note,
                new_note=item.note if renote else have.note, old_position=have.position,
                new_position=index if reorder else have.position, drift=drift,
                reason=reason))


def plan_collections(desired: DesiredState, observed: ObservedState,
                     left_alone: Set[str] = frozenset()) -> tuple[list[Change], list[Notice]]:
    changes: list[Change] = []
    notices: list[Notice] = []
    for want in sorted(desired.collections, key=lambda c: (c.namespace, c.title)):
        have = observed.collections.get((want.namespace, want.title))
        more, told = CollectionDiff(want, have, observed, left_alone).plan()
        changes.extend(more)
        notices.extend(told)
    return changes, notices
