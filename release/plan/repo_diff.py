"""Diff one declared repo against what the Hub holds: the changes in apply order, and notices.

Apply order within a repo: create -> visibility flips *to private* (hide before changing
anything) -> card + files on main -> per branch (start points first): create branch, its files
-> branches to delete -> tags -> gating -> visibility flips *to public* (always last, so a
half-published repo is never public).

Drift rule: when the Hub differs from the config and the provenance's `declared` value for that
attribute equals the desired one, the config did not ask for the difference, so it was made
outside release (or by an interrupted apply). The plan still restores the config (the config is
the source of truth) but marks the change `drift`. A key missing from `declared` means "unknown":
never reported as drift.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

from release.plan.model import (
    Change,
    CommitFiles,
    CreateBranch,
    CreateRepo,
    CreateTag,
    DeleteBranch,
    DeleteTag,
    FileOperation,
    MoveRepo,
    MoveTag,
    Notice,
    SetGating,
    SetVisibility,
    UpdateCard,
    repo_address,
)
from release.state import (
    DesiredBranch,
    DesiredFile,
    DesiredRepo,
    DesiredTag,
    ObservedFile,
    ObservedRepo,
    Provenance,
    card_digest,
    git_blob_sha1,
    same_card,
    split_card,
)

README = "README.md"
#: Never deleted by `prune_files` nor reported as undeclared: the Hub writes it in every repo.
HUB_FILES = frozenset({".gitattributes"})
_MISSING = object()

FileState = ObservedFile | DesiredFile


def _same(have: FileState, want: DesiredFile) -> bool:
    if isinstance(have, ObservedFile):
        return have.matches(want)
    return have.sha256 == want.sha256


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "?"


def branch_order(branches: tuple[DesiredBranch, ...]) -> list[DesiredBranch]:
    """main first, then every branch after its start point, ties by name."""
    by_name = {b.name: b for b in branches}
    order: list[DesiredBranch] = []
    done: set[str] = set()

    def place(branch: DesiredBranch, path: frozenset[str]) -> None:
        if branch.name in done or branch.name in path:  # a cycle is the config checker's job
            return
        start = by_name.get(branch.start_point)
        if start is not None and branch.name != "main":
            place(start, path | {branch.name})
        done.add(branch.name)
        order.append(branch)

    for name in sorted(by_name, key=lambda n: (n != "main", n)):
        place(by_name[name], frozenset())
    return order


def file_operation(want: DesiredFile, op: str, have: FileState | None = None) -> FileOperation:
    content = encoding = None
    if want.local_path is None and want.content is not None:
        # A generated file has no path to re-read at apply: the plan carries it.
        try:
            content, encoding = want.content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            content, encoding = base64.b64encode(want.content).decode("ascii"), "base64"
    old_oid = old_sha256 = None
    old_size = None
    if isinstance(have, ObservedFile):
        old_oid, old_sha256, old_size = have.oid, have.lfs_sha256, have.size
    elif have is not None:
        old_oid, old_sha256, old_size = have.git_sha1, have.sha256, have.size
    return FileOperation(path=want.path, op=op,  # type: ignore[arg-type]
                         size=want.size, sha256=want.sha256, git_sha1=want.git_sha1,
                         local_path=want.local_path, content=content, content_encoding=encoding,
                         old_size=old_size, old_oid=old_oid, old_sha256=old_sha256)


def delete_operation(have: FileState) -> FileOperation:
    if isinstance(have, ObservedFile):
        return FileOperation(path=have.path, op="delete", old_size=have.size, old_oid=have.oid,
                             old_sha256=have.lfs_sha256)
    return FileOperation(path=have.path, op="delete", old_size=have.size,
                         old_oid=have.git_sha1, old_sha256=have.sha256)


class RepoDiff:
    """Plans one declared repo. `have` is None when the repo does not exist on the Hub."""

    def __init__(self, want: DesiredRepo, have: ObservedRepo | None, *, prune: bool,
                 readme_text: str | None) -> None:
        self.want = want
        self.have = have
        self.prune = prune
        self.readme_text = readme_text
        self.provenance: Provenance | None = have.provenance if have is not None else None
        self.declared: Mapping[str, Any] = self.provenance.declared if self.provenance else {}
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        # Files each branch will hold after apply, and its head when known at plan time.
        self.files_after: dict[str, dict[str, FileState]] = {}
        self.head_after: dict[str, str | None] = {}
        # Release revisions (not main) whose card this plan rewrites -> why: "" (the card
        # changes), "upgrade" (it still holds main's older card) or "edited" (outside release).
        self.card_on: dict[str, str] = {}

    # -- entry --------------------------------------------------------------------------------

    def plan(self) -> tuple[list[Change], list[Notice]]:
        want, have = self.want, self.have
        moved = have is not None and have.repo_id.lower() != want.repo_id.lower()
        if self.left_alone:
            found = f"{have.repo_id} (moved to {want.repo_id} by the config)" if moved and \
                have is not None else want.repo_id
            self.notices.append(Notice(
                address=repo_address("repo", want.repo_id), code="unmanaged-collision",
                message=f"{found} exists on the Hub but is not managed by release (no "
                        "provenance block in its card); left alone: not changed, not tagged, "
                        "not added to collections. Set adopt: true on this variant to manage "
                        "it.", repo_id=want.repo_id))
            return [], self.notices
        if moved and have is not None:  # found under a previous id (`moved`): move it first
            self.changes.append(MoveRepo(repo_id=want.repo_id, old_repo_id=have.repo_id,
                                         repo_type=want.repo_type, family=want.family,
                                         variant=want.variant, head=have.sha))
        if have is not None and have.hub_id is not None:
            self.notices.append(Notice(
                address=repo_address("repo", want.repo_id), code="repo-id-case",
                message=f"{want.repo_id} is {have.hub_id} on the Hub: repo ids are "
                        "case-insensitive there, so this is the same repo and is planned as "
                        "such (the Hub keeps its spelling; rename it on the Hub to change it)",
                repo_id=want.repo_id))
        if have is None:
            self.changes.append(CreateRepo(repo_id=want.repo_id, repo_type=want.repo_type,
                                           family=want.family, variant=want.variant))
        visibility = self._visibility()
        if visibility is not None and visibility.new == "private":
            self.changes.append(visibility)
        self._content()
        self._undeclared_branches()
        self._retention_notices()
        self._tags()
        gating = self._gating()
        if gating is not None:
            self.changes.append(gating)
        if visibility is not None and visibility.new == "public":
            self.changes.append(visibility)
        return self.changes, self.notices

    @property
    def left_alone(self) -> bool:
        """The repo exists, release did not create it, and the config does not adopt it."""
        return (self.have is not None and self.provenance is None and not self.want.adopt
                and not self.resumes_creation)

    @property
    def adopted_as_is(self) -> bool:
        """An adopted repo release has never written (no provenance block): nothing on it can
        have been changed "outside release", so no difference there is drift."""
        return (self.have is not None and self.provenance is None and self.want.adopt
                and not self.resumes_creation)

    @property
    def resumes_creation(self) -> bool:
        """An apply created this repo (private) and was stopped before its first commit.

        Such a repo is still empty: private, no card, no tags, every branch at main's head,
        and main (whose tree the reader read) holds only the Hub's initial files. Treating it as
        ours lets the next apply finish the release; there is nothing in it to lose.
        """
        have = self.have
        if have is None or self.provenance is not None or not have.private or have.tags:
            return False
        main = have.files.get("main")
        return (main is not None and set(main) <= HUB_FILES and bool(have.branches)
                and all(head == have.sha for head in have.branches.values()))

    # -- helpers ------------------------------------------------------------------------------

    def _declared(self, key: str) -> Any:
        return self.declared.get(key, _MISSING)

    def _observed_head(self, branch: str) -> str | None:
        if self.have is None:
            return None
        head = self.have.branches.get(branch)
        return self.have.sha if head is None and branch == "main" else head

    def _address(self, kind: str, ref: str | None = None) -> str:
        return repo_address(kind, self.want.repo_id, ref)

    # -- settings -----------------------------------------------------------------------------

    def _visibility(self) -> SetVisibility | None:
        want = self.want
        if self.have is not None and not want.visibility_managed:
            return None  # an adopted repo keeps its visibility unless a variant sets one
        if self.have is None:
            if want.visibility == "private":
                return None
            return SetVisibility(repo_id=want.repo_id, old=None, new=want.visibility)
        old = "private" if self.have.private else "public"
        if old == want.visibility:
            return None
        drift = self._declared("visibility") == want.visibility
        return SetVisibility(repo_id=want.repo_id, old=old, new=want.visibility, drift=drift,
                             reason=f"visibility was set to {old} outside release" if drift
                             else "")

    def _gating(self) -> SetGating | None:
        want = self.want
        if self.have is None:
            if not want.gated:
                return None
            return SetGating(repo_id=want.repo_id, old=None, new=want.gated)
        if self.have.gated == want.gated:
            return None
        declared = self._declared("gated")
        drift = declared is not _MISSING and declared == want.gated
        return SetGating(repo_id=want.repo_id, old=self.have.gated, new=want.gated, drift=drift,
                         reason=f"gating was set to {self.have.gated!r} outside release"
                         if drift else "")

    # -- content ------------------------------------------------------------------------------

    def _content(self) -> None:
        branches = branch_order(self.want.branches)
        if not any(b.name == "main" for b in branches):
            branches.insert(0, DesiredBranch(name="main"))
        initial = self._initial_branches(branches)
        for branch in branches:  # first: apply makes them before main's commit (their phase)
            if branch.name in initial:
                self._initial_branch(branch)
        for branch in branches:
            if branch.name == "main":
                self._main(branch)
            elif branch.name not in initial:
                self._branch(branch)

    def _initial_branches(self, branches: list[DesiredBranch]) -> set[str]:
        """The branches created at the repo's initial commit (`CreateBranch.initial`): in a
        repo this plan creates, or resumes creating (main still at the Hub's initial commit),
        each missing branch with no files of its own (a release revision has the card: not
        one of these) whose start point is main or another such branch. Created from main
        after its commit, it would need a second commit deleting what main got; at the initial
        commit it already holds exactly its run's files: none."""
        if self.have is not None and not self.resumes_creation:
            return set()
        found: set[str] = set()
        for branch in branches:  # start points first
            if (branch.name != "main" and self._observed_head(branch.name) is None
                    and not self._wanted(branch)
                    and (branch.start_point == "main" or branch.start_point in found)):
                found.add(branch.name)
        return found

    def _initial_branch(self, branch: DesiredBranch) -> None:
        self.changes.append(CreateBranch(repo_id=self.want.repo_id, branch=branch.name,
                                         start_point=branch.start_point, initial=True))
        # The Hub's initial files (listed when the repo was observed, i.e. resumed).
        self.files_after[branch.name] = {path: file for path, file
                                         in self._observed_files("main").items()
                                         if path in HUB_FILES}
        # A resumed repo's main head is the initial commit; a new repo's is known after apply.
        self.head_after[branch.name] = self._observed_head("main")

    def _observed_files(self, branch: str) -> dict[str, FileState]:
        if self.have is None:
            return {}
        return dict(self.have.files.get(branch, {}))

    def _main(self, branch: DesiredBranch) -> None:
        head = self._observed_head("main")
        base = self._observed_files("main")
        card = self._card(head)
        commit = self._commit(branch, base, head, exists=self.have is not None)
        if card is not None:
            self.changes.append(card)
        if commit is not None:
            self.changes.append(commit)
        after = self._after(branch, base)
        if self.want.card_text:
            after[README] = DesiredFile.from_bytes(README, self.want.card_text.encode())
        self.files_after["main"] = after
        pending = card is not None or commit is not None or self.have is None
        self.head_after["main"] = None if pending else head

    def _branch(self, branch: DesiredBranch) -> None:
        head = self._observed_head(branch.name)
        drift = False
        if head is None:
            declared = self._declared("branches")
            drift = isinstance(declared, (list, tuple)) and branch.name in declared
            self.changes.append(CreateBranch(
                repo_id=self.want.repo_id, branch=branch.name, start_point=branch.start_point,
                drift=drift, reason="branch was deleted outside release" if drift else ""))
            base = dict(self.files_after.get(branch.start_point)
                        or self._observed_files(branch.start_point))
        else:
            base = self._observed_files(branch.name)
        # A branch this plan creates gets exactly its run's files: what it inherits from its
        # start point and the run does not declare is deleted in its first commit.
        fresh = head is None
        commit = self._commit(branch, base, head, exists=not fresh, deleted=drift, fresh=fresh)
        if commit is not None:
            self.changes.append(commit)
        self.files_after[branch.name] = self._after(branch, base, fresh)
        if commit is not None:
            self.head_after[branch.name] = None
        elif head is not None:
            self.head_after[branch.name] = head
        else:
            self.head_after[branch.name] = self.head_after.get(branch.start_point)

    def _wanted(self, branch: DesiredBranch) -> dict[str, DesiredFile]:
        return {f.path: f for f in branch.files
                if not (branch.name == "main" and f.path == README)}

    def _after(self, branch: DesiredBranch, base: dict[str, FileState],
               fresh: bool = False) -> dict[str, FileState]:
        wanted = self._wanted(branch)
        prune = branch.prune_files or fresh
        keep = HUB_FILES | ({README} if fresh else set())
        after: dict[str, FileState] = {p: f for p, f in base.items()
                                       if p in wanted or not prune or p in keep}
        after.update(wanted)
        return after

    def _commit(self, branch: DesiredBranch, base: dict[str, FileState], head: str | None,
                exists: bool, deleted: bool = False, fresh: bool = False) -> CommitFiles | None:
        """The files commit of `branch`; `deleted`: the branch was deleted outside release, so
        restoring its files is part of that drift; `fresh`: this plan creates the branch, so
        the files it inherits and does not declare are deleted (they exist nowhere yet)."""
        wanted = self._wanted(branch)
        operations = []
        for path, want in wanted.items():
            have = base.get(path)
            if have is None:
                operations.append(file_operation(want, "add"))
            elif not _same(have, want):
                if path == README and exists:
                    why = self._release_card(branch.name, have, want)
                    if why is None:
                        continue  # the same card but for its recorded digest: no commit
                    self.card_on[branch.name] = why
                operations.append(file_operation(want, "update", have))
        # README.md is the card: on main it is the card's own change; a run branch inherits
        # main's card when apply creates it from main, which is neither drift nor undeclared.
        protected = HUB_FILES | {README}
        extra = sorted(p for p in base if p not in wanted and p not in protected)
        # A head commit not made by release means someone else changed the files: drift.
        # Unless the repo is one an earlier apply created and was stopped in before its first
        # commit: its head is the Hub's initial commit, and this plan resumes that apply.
        resumes = self.resumes_creation
        foreign_head = (self.have is not None and not resumes and not self.adopted_as_is
                        and self.have.release_heads.get(branch.name) is False)
        if branch.prune_files or fresh:
            operations.extend(delete_operation(base[p]) for p in extra)
        elif extra and exists:
            listed = ", ".join(extra[:5]) + (", ..." if len(extra) > 5 else "")
            # Without a folder the config manages no file there: prune_files deletes nothing.
            why = ("prune_files deletes them" if set(wanted) - {README} else
                   f"the config gives {branch.name} no artifact folder, so release manages no "
                   "file there and prune_files does not apply")
            self.notices.append(Notice(
                address=self._address("files", branch.name), code="undeclared-files",
                message=f"{len(extra)} file(s) on {branch.name} are not declared and are left "
                        f"in place ({why}): {listed}",
                drift=foreign_head, repo_id=self.want.repo_id))
        if not operations:
            return None
        card = self.card_on.get(branch.name)
        drift = deleted or (exists and foreign_head) or card == "edited"
        reason = (f"branch {branch.name} was deleted outside release" if deleted else
                  f"files on {branch.name} were changed outside release" if card != "edited"
                  or foreign_head else
                  f"README.md on {branch.name} was edited outside release (it no longer "
                  "matches the digest release recorded in it)")
        if resumes and not drift:
            reason = ("resuming: an earlier apply created the repo and was stopped before its "
                      "first commit")
        elif card == "upgrade" and not drift:
            reason = (f"one-time upgrade: release now commits the release's card to release "
                      f"revisions; README.md on {branch.name} is still the card main had "
                      "before (written by an older release, or an apply that stopped)")
        return CommitFiles(repo_id=self.want.repo_id, branch=branch.name,
                           parent_commit=head if exists else None,
                           operations=tuple(sorted(operations, key=lambda o: o.path)),
                           drift=drift,
                           reason=reason if drift or resumes or card == "upgrade" else "")

    def _release_card(self, branch: str, have: FileState, want: DesiredFile) -> str | None:
        """Why README.md on release revision `branch` is rewritten, or None when it is the
        same card but for what `same_card` ignores. "edited": changed outside release;
        "upgrade": it is not main's card (release before issue 16 left the card main had
        when the branch was made); "": the card changes, on main too."""
        old_text = self.have.readme_texts.get(branch) if self.have is not None else None
        if old_text is None or want.content is None:
            return ""
        new_text = want.content.decode("utf-8")
        if same_card(old_text, new_text):
            return None
        recorded = Provenance.from_metadata(split_card(old_text)[0])
        if recorded is not None and recorded.card_digest \
                and card_digest(old_text) != recorded.card_digest:
            return "edited"
        main = self._observed_files("main").get(README)
        oid = have.oid if isinstance(have, ObservedFile) else have.git_sha1
        return "upgrade" if isinstance(main, ObservedFile) and main.oid != oid else ""

    def _card(self, head: str | None) -> UpdateCard | None:
        want, have = self.want, self.have
        if not want.card_text:
            return None  # the config does not manage a card for this repo
        new_oid = git_blob_sha1(want.card_text.encode())
        old_oid = None
        if have is not None:
            old_oid = have.readme_oid
            if old_oid is None and README in have.files.get("main", {}):
                old_oid = have.files["main"][README].oid
        if old_oid == new_oid:
            return None
        old_text = self.readme_text if old_oid is not None else None
        if old_text is not None and same_card(old_text, want.card_text):
            # Only the recorded config digest or the block's older form differ: nothing a
            # reader or the differ uses, so no commit (it is rewritten with the next change).
            return None
        if (old_text is not None and want.card_verbatim and self.adopted_as_is
                and card_digest(old_text) == card_digest(want.card_text)):
            # An adopted card the config keeps as written (`card.file`, as `release import`
            # captures it): only the provenance block would be new, and a commit for it alone
            # would be a change nobody asked for. It is written with the card's next change.
            return None
        recorded = self.provenance.card_digest if self.provenance else ""
        drift = old_text is not None and bool(recorded) and card_digest(old_text) != recorded
        resumes = self.resumes_creation
        reason = ("README.md was edited outside release (it no longer matches the digest "
                  "release recorded in it)" if drift else "")
        if resumes:
            reason = ("resuming: the repo is still empty (private, only the Hub's initial commit): an "
                      "earlier apply created it and stopped; this finishes it")
        return UpdateCard(repo_id=want.repo_id, old_text=old_text, new_text=want.card_text,
                          old_oid=old_oid, new_oid=new_oid, parent_commit=head,
                          adopt=have is not None and self.provenance is None and not resumes,
                          drift=drift, reason=reason)

    def _undeclared_branches(self) -> None:
        if self.have is None:
            return
        wanted = {b.name for b in self.want.branches} | {"main"}
        declared = self._declared("branches")
        retired = set(self.want.retired)
        for name in sorted(set(self.have.branches) - wanted):
            ours = isinstance(declared, (list, tuple)) and name in declared
            address = self._address("branch", name)
            if name in retired:
                self._retire(name, ours)
            elif ours and self.prune:
                self.changes.append(DeleteBranch(repo_id=self.want.repo_id, branch=name,
                                                 head=self.have.branches[name]))
            elif ours:
                self.notices.append(Notice(
                    address=address, code="undeclared-branch", repo_id=self.want.repo_id,
                    message=f"branch {name} is no longer declared; left in place "
                            "(prune: true deletes branches release created)"))
            else:
                self.notices.append(Notice(
                    address=address, code="undeclared-branch", repo_id=self.want.repo_id,
                    drift=declared is not _MISSING,
                    message=f"branch {name} was not created by release; left alone"))

    def _retire(self, name: str, ours: bool) -> None:
        """A run branch the variant's `retention` retires: deleted (no `prune` needed: the
        retention is the opt-in) only if release created it and no tag points at its head.
        A tag counts only where this branch is the last one holding the tagged commit: a run
        branch that never got files of its own sits on main's commit (OLMo-style branches
        before their checkpoints land), and deleting it retires no revision."""
        assert self.have is not None
        head = self.have.branches[name]
        kept_heads = {target for branch, target in self.have.branches.items()
                      if branch != name and branch not in self.want.retired}
        tags = sorted(tag for tag, target in self.have.tags.items()
                      if target == head and head not in kept_heads)
        where = f"retention at {self.want.retention_at}"
        if tags:
            self.notices.append(Notice(
                address=self._address("branch", name), code="retention-kept",
                repo_id=self.want.repo_id,
                message=f"run branch {name} is past the {where}, but the tag "
                        f"{', '.join(tags)} points at it on the Hub: a tagged revision is never "
                        "retired; kept (no longer a declared run)"))
        elif ours:
            self.changes.append(DeleteBranch(repo_id=self.want.repo_id, branch=name,
                                             head=head))
        else:
            self.notices.append(Notice(
                address=self._address("branch", name), code="undeclared-branch",
                repo_id=self.want.repo_id,
                message=f"branch {name} is past the {where}, but release did not create it "
                        "(its card does not list it); left alone"))

    def _retention_notices(self) -> None:
        """Say what retention does here: the runs kept although past it, and the count of
        branches it deletes (each listed as a DELETE branch)."""
        want = self.want
        where = f"retention at {want.retention_at}"
        for name, why in want.spared:
            self.notices.append(Notice(
                address=self._address("branch", name), code="retention-kept",
                repo_id=want.repo_id,
                message=f"run branch {name} is past the {where}, but {why}: never retired; "
                        "kept"))
        deleted = [c.branch for c in self.changes
                   if isinstance(c, DeleteBranch) and c.branch in want.retired]
        if deleted:
            self.notices.append(Notice(
                address=repo_address("repo", want.repo_id), code="retention",
                repo_id=want.repo_id,
                message=f"the {where} retires {len(deleted)} run branch(es) of {want.repo_id} "
                        f"(listed as DELETE branch): {', '.join(deleted[:5])}"
                        f"{', ...' if len(deleted) > 5 else ''}"))

    # -- tags ---------------------------------------------------------------------------------

    def _tags(self) -> None:
        want = self.want
        observed: Mapping[str, str] = self.have.tags if self.have is not None else {}
        expected: Mapping[str, str] = self.have.tag_targets if self.have is not None else {}
        declared = self._declared("tags")
        declared_tags: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
        moves: list[Change] = []
        creates: list[Change] = []
        records: dict[str, list[str]] = {}  # revision -> Release-Tag records for its commit
        for tag in sorted(want.tags, key=lambda t: t.name):
            current = observed.get(tag.name)
            target = (self.head_after[tag.revision] if tag.revision in self.head_after
                      else self._observed_head(tag.revision))
            card_changes = self._card_changes(tag.revision) if current is not None else None
            config_same = declared_tags.get(tag.name, _MISSING) == tag.revision
            # Moved outside release: not where release's newest record left it.
            left_at = expected.get(tag.name)
            moved = config_same and left_at is not None and current != left_at
            if current is None:
                drift = config_same and self.have is not None
                creates.append(CreateTag(
                    repo_id=want.repo_id, tag=tag.name, revision=tag.revision,
                    message=tag.message, target=target, drift=drift,
                    reason="tag was deleted outside release" if drift else ""))
                records.setdefault(tag.revision, []).append(tag.name)
            elif target is not None and current == target:
                continue
            elif tag.move:
                # With `move`, release always re-tags in the apply that commits, so a tag off
                # the head with no commit pending means something moved outside release.
                drift = moved or (config_same and target is not None)
                moves.append(MoveTag(
                    repo_id=want.repo_id, tag=tag.name, revision=tag.revision,
                    message=tag.message, old_target=current, target=target, drift=drift,
                    reason=(f"tag was moved outside release (release left it at "
                            f"{_short(left_at)})" if moved else
                            "tag (or its branch) was moved outside release" if drift else "")))
                records.setdefault(tag.revision, []).append(tag.name)
            else:
                records.setdefault(tag.revision, []).append(f"{tag.name} {current}")
                # Only this plan's card commit takes the tag off its head: said just below.
                if card_changes is None or current != self._observed_head(tag.revision):
                    self.notices.append(self._tag_elsewhere(tag.name, tag.revision, current,
                                                            target, left_at if moved else None))
            if card_changes is not None and current is not None:
                self.notices.append(self._released_card(tag, current, card_changes))
        deletes = self._undeclared_tags(observed, declared)
        self.changes.extend(deletes + moves + creates)
        self._record_tags(records)

    def _card_changes(self, revision: str) -> str | None:
        """Does this plan rewrite the card on `revision`? None: no; else why (`card_on`)."""
        if revision == "main":
            return "" if any(isinstance(c, UpdateCard) for c in self.changes) else None
        return self.card_on.get(revision)

    def _released_card(self, tag: DesiredTag, current: str, why: str) -> Notice:
        """The card of a released revision changes: said in the plan, with what happens to
        the tag (it keeps the card it was released with unless the config moves it)."""
        what = {"upgrade": " (one-time upgrade: it still holds the card main had before)",
                "edited": " (README.md there was edited outside release)"}.get(why, "")
        stays = (f"release.move_tag: true moves {tag.name} to the new commit (protected "
                 "repos refuse it until protect: false)" if tag.move else
                 f"the tag stays at {_short(current)}, with the card it was released with, "
                 "unless the config sets release.move_tag: true")
        return Notice(
            address=self._address("tag", tag.name), code="released-card",
            repo_id=self.want.repo_id,
            message=f"the card of released revision {tag.name} ({tag.revision}) changes"
                    f"{what}; {stays}")

    def _tag_elsewhere(self, name: str, revision: str, current: str, target: str | None,
                       moved_from: str | None) -> Notice:
        """A release tag not at its revision's head, left alone (the config does not set
        `release.move_tag`): drift when it was moved outside release."""
        address = self._address("tag", name)
        if moved_from is not None:
            return Notice(
                address=address, code="tag-moved", repo_id=self.want.repo_id, drift=True,
                message=f"tag {name} was moved outside release: it points at "
                        f"{_short(current)}, release left it at {_short(moved_from)}; it is "
                        "moved back only when the config sets release.move_tag: true (then "
                        f"to the head of {revision})")
        where = (f"the head of {revision} ({_short(target)})" if target
                 else f"the new head of {revision} after this plan's commit")
        return Notice(
            address=address, code="tag-points-elsewhere", repo_id=self.want.repo_id,
            message=f"tag {name} points at {_short(current)}, not at {where}; a release tag "
                    "is not moved unless the config sets release.move_tag: true")

    def _record_tags(self, records: Mapping[str, list[str]]) -> None:
        """Write each revision's tag records into the commit this plan makes on it (if any)."""
        main_files = any(isinstance(c, CommitFiles) and c.branch == "main"
                         for c in self.changes)
        for index, change in enumerate(self.changes):
            if not isinstance(change, (CommitFiles, UpdateCard)) or change.branch not in records:
                continue
            if isinstance(change, UpdateCard) and main_files:
                continue  # main's files commit carries them (card and files are one commit)
            recorded = tuple(sorted(records[change.branch]))
            self.changes[index] = dataclasses.replace(change, release_tags=recorded)

    def _undeclared_tags(self, observed: Mapping[str, str], declared: Any) -> list[Change]:
        wanted = {t.name for t in self.want.tags}
        deletes: list[Change] = []
        for name in sorted(set(observed) - wanted):
            ours = isinstance(declared, Mapping) and name in declared
            address = self._address("tag", name)
            if ours and self.prune:
                deletes.append(DeleteTag(repo_id=self.want.repo_id, tag=name,
                                         old_target=observed[name]))
            elif ours:
                self.notices.append(Notice(
                    address=address, code="undeclared-tag", repo_id=self.want.repo_id,
                    message=f"tag {name} is no longer declared; left in place "
                            "(prune: true deletes tags release created)"))
            else:
                self.notices.append(Notice(
                    address=address, code="undeclared-tag", repo_id=self.want.repo_id,
                    drift=declared is not _MISSING,
                    message=f"tag {name} was not created by release; left alone"))
        return deletes
