"""Plan -> apply -> plan converges: after applying a plan, the next plan has no changes.

The "apply" here is an in-memory visitor over ObservedState (not the real applier, which talks
to a Hub): it checks that the differ's changes say everything needed to reach the config, in an
order that works (content before tags, branches after their start points), and shows how an
applier visits the same list the renderers do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from plancase import case_paths, load_case

from release.plan import build_plan, render_text
from release.plan.model import (
    AddCollectionItem,
    Change,
    CollectionChange,
    CommitFiles,
    CreateBranch,
    CreateCollection,
    CreateRepo,
    CreateTag,
    DeleteBranch,
    DeleteRepo,
    DeleteTag,
    MoveRepo,
    MoveTag,
    RemoveCollectionItem,
    SetGating,
    SetVisibility,
    UpdateCard,
    UpdateCollection,
    UpdateCollectionItem,
    known,
    unreachable,
)
from release.state import (
    ObservedCollection,
    ObservedCollectionItem,
    ObservedFile,
    ObservedRepo,
    ObservedState,
    split_card,
)


class InMemoryApply:
    def __init__(self, observed: ObservedState) -> None:
        self.repos: dict[str, dict[str, Any]] = {
            rid: {"private": r.private, "gated": r.gated, "card_data": dict(r.card_data),
                  "readme_oid": r.readme_oid, "branches": dict(r.branches), "tags": dict(r.tags),
                  "files": {b: dict(f) for b, f in r.files.items()}}
            for rid, r in observed.repos.items()}
        self.collections = {key: {"slug": c.slug, "description": c.description,
                                  "private": c.private, "items": list(c.items)}
                            for key, c in observed.collections.items()}
        self.commits = 0
        self.card_commits: set[tuple[str, str]] = set()
        self.readmes = dict(observed.readmes)  # what the reader downloads when the oid differs

    def apply(self, change: Change) -> None:
        kind = known(change)
        match kind:
            case CreateRepo():
                self.create_repo(kind)
            case MoveRepo():
                self.move_repo(kind)
            case DeleteRepo():
                self.delete_repo(kind)
            case SetVisibility():
                self.set_visibility(kind)
            case SetGating():
                self.set_gating(kind)
            case UpdateCard():
                self.update_card(kind)
            case CommitFiles():
                self.commit_files(kind)
            case CreateBranch():
                self.create_branch(kind)
            case DeleteBranch():
                self.delete_branch(kind)
            case CreateTag():
                self.create_tag(kind)
            case MoveTag():
                self.move_tag(kind)
            case DeleteTag():
                self.delete_tag(kind)
            case CreateCollection():
                self.create_collection(kind)
            case UpdateCollection():
                self.update_collection(kind)
            case AddCollectionItem():
                self.add_collection_item(kind)
            case RemoveCollectionItem():
                self.remove_collection_item(kind)
            case UpdateCollectionItem():
                self.update_collection_item(kind)
            case _:
                unreachable(kind)

    def _commit(self, repo_id: str, branch: str, parent: str | None) -> dict[str, Any]:
        repo = self.repos[repo_id]
        if parent is not None:
            assert repo["branches"][branch] == parent, "parent_commit check (412 on the Hub)"
        self.commits += 1
        repo["branches"][branch] = f"h{self.commits}"
        return repo

    def create_repo(self, c: CreateRepo) -> None:
        assert c.repo_id not in self.repos
        self.commits += 1
        self.repos[c.repo_id] = {
            "private": True, "gated": False, "card_data": {}, "readme_oid": None,
            "branches": {"main": f"h{self.commits}"}, "tags": {},
            "files": {"main": {".gitattributes": ObservedFile(".gitattributes", 1, "g" * 40)}}}

    def move_repo(self, c: MoveRepo) -> None:
        # The Hub moves the repo whole; collection items follow it.
        assert c.repo_id not in self.repos, "409 on the Hub"
        self.repos[c.repo_id] = self.repos.pop(c.old_repo_id)
        if c.old_repo_id in self.readmes:
            self.readmes[c.repo_id] = self.readmes.pop(c.old_repo_id)
        for collection in self.collections.values():
            collection["items"] = [dataclasses.replace(i, item_id=c.repo_id)
                                   if i.item_id == c.old_repo_id else i
                                   for i in collection["items"]]

    def delete_repo(self, c: DeleteRepo) -> None:
        del self.repos[c.repo_id]

    def set_visibility(self, c: SetVisibility) -> None:
        self.repos[c.repo_id]["private"] = c.new == "private"

    def set_gating(self, c: SetGating) -> None:
        self.repos[c.repo_id]["gated"] = c.new

    def update_card(self, c: UpdateCard) -> None:
        repo = self._commit(c.repo_id, "main", c.parent_commit)
        self.card_commits.add((c.repo_id, "main"))
        repo["files"].setdefault("main", {})["README.md"] = ObservedFile(
            "README.md", len(c.new_text.encode()), c.new_oid)
        repo["card_data"], _ = split_card(c.new_text)
        repo["readme_oid"] = c.new_oid
        self.readmes[c.repo_id] = c.new_text

    def commit_files(self, c: CommitFiles) -> None:
        if (c.repo_id, c.branch) in self.card_commits:
            repo = self.repos[c.repo_id]  # the card's commit: card + main files are one commit
        else:
            repo = self._commit(c.repo_id, c.branch, c.parent_commit)
        files = repo["files"].setdefault(c.branch, {})
        for op in c.operations:
            if op.op == "delete":
                del files[op.path]
            elif op.git_sha1 is None:
                files[op.path] = ObservedFile(op.path, op.size or 0, "p" * 40, op.sha256)
            else:
                files[op.path] = ObservedFile(op.path, op.size or 0, op.git_sha1)

    def create_branch(self, c: CreateBranch) -> None:
        repo = self.repos[c.repo_id]
        repo["branches"][c.branch] = repo["branches"][c.start_point]
        repo["files"][c.branch] = dict(repo["files"].get(c.start_point, {}))

    def delete_branch(self, c: DeleteBranch) -> None:
        del self.repos[c.repo_id]["branches"][c.branch]

    def create_tag(self, c: CreateTag) -> None:
        repo = self.repos[c.repo_id]
        assert c.tag not in repo["tags"]
        head = repo["branches"][c.revision]
        assert c.target is None or c.target == head
        repo["tags"][c.tag] = head

    def move_tag(self, c: MoveTag) -> None:
        repo = self.repos[c.repo_id]
        assert repo["tags"][c.tag] == c.old_target
        repo["tags"][c.tag] = repo["branches"][c.revision]

    def delete_tag(self, c: DeleteTag) -> None:
        del self.repos[c.repo_id]["tags"][c.tag]

    def _collection(self, c: CollectionChange) -> dict[str, Any]:
        return self.collections[(c.namespace, c.title)]

    def create_collection(self, c: CreateCollection) -> None:
        self.collections[(c.namespace, c.title)] = {
            "slug": f"{c.namespace}/new", "description": c.description,
            "private": c.private, "items": []}

    def update_collection(self, c: UpdateCollection) -> None:
        collection = self._collection(c)
        if c.new_description is not None:
            collection["description"] = c.new_description
        if c.new_private is not None:
            collection["private"] = c.new_private

    @staticmethod
    def _move(items: list[ObservedCollectionItem], item: ObservedCollectionItem,
              position: int) -> None:
        items.remove(item)
        items.insert(min(position, len(items)), item)

    def add_collection_item(self, c: AddCollectionItem) -> None:
        items = self._collection(c)["items"]
        item = ObservedCollectionItem(c.item_id, c.item_type, f"o-{c.item_id}", 0, c.note)
        items.append(item)
        self._move(items, item, c.position)

    def remove_collection_item(self, c: RemoveCollectionItem) -> None:
        items = self._collection(c)["items"]
        items[:] = [i for i in items if i.object_id != c.object_id]

    def update_collection_item(self, c: UpdateCollectionItem) -> None:
        items = self._collection(c)["items"]
        item = next(i for i in items if i.object_id == c.object_id)
        updated = dataclasses.replace(item, note=c.new_note)
        items[items.index(item)] = updated
        self._move(items, updated, c.new_position)

    def state(self, requests: int = 0) -> ObservedState:
        repos = {rid: ObservedRepo(repo_id=rid, private=r["private"], gated=r["gated"],
                                   sha=r["branches"]["main"], card_data=r["card_data"],
                                   readme_oid=r["readme_oid"], branches=r["branches"],
                                   tags=r["tags"], files=r["files"])
                 for rid, r in self.repos.items()}
        collections: Mapping[tuple[str, str], ObservedCollection] = {
            key: ObservedCollection(
                slug=c["slug"], namespace=key[0], title=key[1], description=c["description"],
                private=c["private"],
                items=tuple(dataclasses.replace(i, position=n) for n, i in enumerate(c["items"])))
            for key, c in self.collections.items()}
        return ObservedState(repos=repos, collections=collections, requests=requests,
                             readmes={rid: text for rid, text in self.readmes.items()
                                      if rid in repos})


CASES = [p for p in case_paths() if not load_case(p)["targets"]]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_apply_then_plan_again_is_empty(path: Path) -> None:
    case = load_case(path)
    plan = build_plan(case["desired"], case["observed"])
    applier = InMemoryApply(case["observed"])
    for change in plan.changes:
        applier.apply(change)
    again = build_plan(case["desired"], applier.state())
    assert again.changes == (), render_text(again)
