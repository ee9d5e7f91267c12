"""What each change means in words: one summary line and diff-style detail lines per kind.

Shared by the text and Markdown renderers. `Summary` matches over the change union as the
applier does, so a kind without a description fails mypy (`unreachable`).
"""

from __future__ import annotations

import json
from typing import Any

from release.plan.carddiff import MetadataChange
from release.plan.model import (
    AddCollectionItem,
    Change,
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
    Notice,
    RemoveCollectionItem,
    SetGating,
    SetVisibility,
    UpdateCard,
    UpdateCollection,
    UpdateCollectionItem,
    known,
    unreachable,
)
from release.state import PROVENANCE_KEY, split_card

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "no-op": " "}
#: File lines listed per commit; a checkpoint of hundreds of shards is summed up after these.
MAX_FILES_SHOWN = 20


def value(v: Any, limit: int = 80) -> str:
    """A short one-line rendering of a metadata or setting value."""
    text = v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def gating(v: Any) -> str:
    return "off" if v is False else "?" if v is None else str(v)


def short(sha: str | None) -> str:
    return sha[:12] if sha else "?"


def size(n: int | None) -> str:
    if n is None:
        return "?"
    amount = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} TB"  # pragma: no cover - the loop always returns


def split_provenance(changes: tuple[MetadataChange, ...]
                     ) -> tuple[list[MetadataChange], list[MetadataChange]]:
    """(card metadata changes, provenance-block changes)."""
    prefix = PROVENANCE_KEY + "."
    card = [m for m in changes if not m.key.startswith(prefix) and m.key != PROVENANCE_KEY]
    return card, [m for m in changes if m.key.startswith(prefix) or m.key == PROVENANCE_KEY]


class Summary:
    """One line: what the change does, in the domain's words."""

    def visit(self, change: Change | Notice) -> str:
        if isinstance(change, Notice):
            return f"{change.code}: {change.message}"
        kind = known(change)
        match kind:
            case CreateRepo():
                return self.create_repo(kind)
            case MoveRepo():
                return self.move_repo(kind)
            case DeleteRepo():
                return self.delete_repo(kind)
            case SetVisibility():
                return self.set_visibility(kind)
            case SetGating():
                return self.set_gating(kind)
            case UpdateCard():
                return self.update_card(kind)
            case CommitFiles():
                return self.commit_files(kind)
            case CreateBranch():
                return self.create_branch(kind)
            case DeleteBranch():
                return self.delete_branch(kind)
            case CreateTag():
                return self.create_tag(kind)
            case MoveTag():
                return self.move_tag(kind)
            case DeleteTag():
                return self.delete_tag(kind)
            case CreateCollection():
                return self.create_collection(kind)
            case UpdateCollection():
                return self.update_collection(kind)
            case AddCollectionItem():
                return self.add_collection_item(kind)
            case RemoveCollectionItem():
                return self.remove_collection_item(kind)
            case UpdateCollectionItem():
                return self.update_collection_item(kind)
            case _:
                unreachable(kind)

    def create_repo(self, c: CreateRepo) -> str:
        return f"create {c.repo_type} repo, private (family {c.family}, variant {c.variant})"

    def move_repo(self, c: MoveRepo) -> str:
        return (f"moved {c.old_repo_id} -> {c.repo_id} (the Hub redirects the old id; "
                "revisions, settings and collection items go with it)")

    def delete_repo(self, c: DeleteRepo) -> str:
        visibility = "private" if c.private else "PUBLIC"
        return (f"DELETE {visibility} repo and all its revisions (family {c.family}, "
                f"variant {c.variant})")

    def set_visibility(self, c: SetVisibility) -> str:
        if c.old is None:
            return f"visibility: {c.new} (flipped last, once everything else is in)"
        return f"visibility: {c.old} -> {c.new}"

    def set_gating(self, c: SetGating) -> str:
        if c.old is None:
            return f"gating: {gating(c.new)}"
        return f"gating: {gating(c.old)} -> {gating(c.new)}"

    def update_card(self, c: UpdateCard) -> str:
        metadata, _ = split_provenance(c.metadata_changes())
        if c.old_oid is None:
            body = split_card(c.new_text)[1]
            text = (f"README.md: new card, {len(metadata)} metadata key(s), "
                    f"{len(body.splitlines())} body line(s)")
        elif not c.compared:
            text = "README.md changes (previous card not fetched: not compared)"
        else:
            parts = [f"{len(metadata)} metadata change(s)"] if metadata else []
            lines = c.body_diff().splitlines()[2:]
            added = sum(1 for line in lines if line.startswith("+"))
            removed = sum(1 for line in lines if line.startswith("-"))
            if lines:
                parts.append(f"body +{added} -{removed} line(s)")
            text = "README.md: " + (", ".join(parts) or "provenance block only")
        if c.adopt:
            text += "; ADOPTS the repo (writes the provenance block)"
        return text

    def commit_files(self, c: CommitFiles) -> str:
        counts = [f"{sign}{n} file{'s' if n != 1 else ''}"
                  for sign, n in (("+", len(c.of("add"))), ("~", len(c.of("update"))),
                                  ("-", len(c.of("delete")))) if n]
        upload = sum(o.size or 0 for o in c.operations if o.op != "delete")
        where = f"on {c.branch}"
        parent = f", parent {short(c.parent_commit)}" if c.parent_commit else ""
        return f"commit {where}: {', '.join(counts)}, {size(upload)} to upload{parent}"

    def create_branch(self, c: CreateBranch) -> str:
        if c.initial:
            return f"create branch {c.branch} at the repo's initial commit (no files of its own)"
        return f"create branch {c.branch} from {c.start_point}"

    def delete_branch(self, c: DeleteBranch) -> str:
        return f"DELETE branch {c.branch} (head {short(c.head)})"

    def create_tag(self, c: CreateTag) -> str:
        at = short(c.target) if c.target else "its head after this plan's commit"
        return f"tag {c.tag} -> {c.revision} ({at})"

    def move_tag(self, c: MoveTag) -> str:
        to = short(c.target) if c.target else "its head after this plan's commit"
        return f"MOVE tag {c.tag}: {short(c.old_target)} -> {c.revision} ({to})"

    def delete_tag(self, c: DeleteTag) -> str:
        return f"DELETE tag {c.tag} (at {short(c.old_target)})"

    def create_collection(self, c: CreateCollection) -> str:
        return f"create {'private' if c.private else 'PUBLIC'} collection {c.title!r}"

    def update_collection(self, c: UpdateCollection) -> str:
        parts = []
        if c.new_description is not None:
            parts.append(f"description: {value(c.old_description)} -> {value(c.new_description)}")
        if c.new_private is not None:
            parts.append(f"private: {c.old_private} -> {c.new_private}")
        return "; ".join(parts)

    def add_collection_item(self, c: AddCollectionItem) -> str:
        note = f", note {value(c.note, 40)}" if c.note else ""
        return f"add {c.item_type} {c.item_id} at position {c.position}{note}"

    def remove_collection_item(self, c: RemoveCollectionItem) -> str:
        return f"remove {c.item_type} {c.item_id} (was at position {c.position})"

    def update_collection_item(self, c: UpdateCollectionItem) -> str:
        parts = []
        if c.reorders:
            parts.append(f"move {c.item_id} from position {c.old_position} to {c.new_position}")
        if c.new_note != c.old_note:
            parts.append(f"note: {value(c.old_note, 40)} -> {value(c.new_note, 40)}")
        return "; ".join(parts)


class Details:
    """Diff-style lines (`+`/`-`/`~` prefixed) for changes with more than fits on one line;
    every other kind (and a notice) has none."""

    def visit(self, change: Change | Notice) -> list[str]:
        if isinstance(change, UpdateCard):
            return self.update_card(change)
        if isinstance(change, CommitFiles):
            return self.commit_files(change)
        return []

    def update_card(self, c: UpdateCard) -> list[str]:
        card, provenance = split_provenance(c.metadata_changes())
        lines = []
        if provenance:
            # The provenance block mirrors the other changes; one line keeps the diff readable.
            keys = ", ".join(m.key.partition(".")[2] or m.key for m in provenance[:4])
            more = ", ..." if len(provenance) > 4 else ""
            lines.append(f"  {PROVENANCE_KEY}: provenance block, {len(provenance)} key(s) "
                         f"{'set' if c.old_oid is None else 'changed'} ({keys}{more})")
        for m in card:
            if m.action == "add":
                lines.append(f"+ {m.key}: {value(m.new)}")
            elif m.action == "remove":
                lines.append(f"- {m.key}: {value(m.old)}")
            else:
                lines.append(f"- {m.key}: {value(m.old)}")
                lines.append(f"+ {m.key}: {value(m.new)}")
        if c.old_oid is not None and c.old_text is not None:
            diff = c.body_diff()
            if diff:
                lines.extend(diff.splitlines())
        elif c.old_oid is None:
            body = split_card(c.new_text)[1].splitlines()
            lines.extend("+ " + line for line in body[:20])
            if len(body) > 20:
                lines.append(f"  ... {len(body) - 20} more line(s)")
        return lines

    def commit_files(self, c: CommitFiles) -> list[str]:
        lines = []
        shown = c.operations if len(c.operations) <= MAX_FILES_SHOWN + 1 \
            else c.operations[:MAX_FILES_SHOWN]
        for o in shown:
            if o.op == "add":
                lines.append(f"+ {o.path} ({size(o.size)})")
            elif o.op == "update":
                lines.append(f"~ {o.path} ({size(o.old_size)} -> {size(o.size)})")
            else:
                lines.append(f"- {o.path} ({size(o.old_size)})")
        if len(shown) < len(c.operations):
            rest = c.operations[len(shown):]
            lines.append(f"  ... {len(rest)} more file(s), "
                         f"{size(sum(o.size or 0 for o in rest if o.op != 'delete'))}")
        return lines
