"""Apply one repo's changes, in the order that keeps a half-done release private.

Order (enforced here, whatever order a saved plan lists them in): create (private) -> hide
(visibility to private) -> file-less run branches of a new repo, at its initial commit (before
main's first commit moves main off it) -> content commits and branch creations (branch order:
start points first; a branch is created from its start point's head, then gets its commit) ->
branch deletes -> tags -> gating -> publish (visibility to public) last. The first failure stops
the repo: nothing starts after it, so a repo whose content did not land is never published.

Content runs as a tree of revisions: each branch's creation and commit are one sequence, and
the branches started from it (a run branch from main) follow once it is done, side by side
within the apply's bound on concurrent work (`release.pool`). Tags, gating and publishing wait
for every content change of the repo, and run only if all of them landed (each proven: a
recovered or short-cut commit is checked against the planned files).

Compare-and-swap everywhere: a commit carries `parent_commit` (the head the plan saw, or the
head this apply just made; the one exception, main's first commit of a repo this apply has just
created, is argued in `_content`); branches and tags are created at commit shas, never at names; a
409 / 412 / no-op answer is accepted only after reading back that the Hub holds exactly what
this change wanted (a concurrent apply of the same plan), otherwise the repo fails as stale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.apply.content import (
    Copies,
    LocalFiles,
    UploadWatch,
    build_operations,
    card_provenance,
    commit_message,
    files_landed,
    mismatches,
)
from release.apply.result import ChangeResult, run_measured
from release.errors import HubError
from release.hub.errors import status_of
from release.hub.write import Creation, HubWriter
from release.origin import Origin
from release.plan.model import (
    Change,
    CommitFiles,
    ContentCommit,
    CreateBranch,
    CreateRepo,
    CreateTag,
    DeleteBranch,
    DeleteRepo,
    DeleteTag,
    MoveRepo,
    MoveTag,
    Phase,
    SetGating,
    SetVisibility,
    UpdateCard,
    known_repo,
    unreachable,
)
from release.pool import Pool
from release.state import Provenance

if TYPE_CHECKING:
    from release.hub.api import Meter

EMPTY_REPO_FILES = frozenset({".gitattributes"})
RERUN = "run 'release plan' again and review the new plan"
#: How long an apply whose create_repo met a repo that another writer has just created (empty,
#: private, no card) waits for that writer's first commit, polling from 0.5 s up to every 4 s.
CREATOR_WAIT_S = 60.0


def ordered(changes: Sequence[Change]) -> list[Change]:
    """`changes` in apply order: by `Change.phase`; within content, a branch after its start point,
    created before it gets its commit (main's commit first); otherwise the plan's order."""
    starts = {c.branch: c.start_point for c in changes if isinstance(c, CreateBranch)}

    def depth(branch: str, seen: frozenset[str] = frozenset()) -> int:
        if branch == "main" or branch not in starts or branch in seen:
            return 0
        return depth(starts[branch], seen | {branch}) + 1

    def key(change: Change) -> tuple[int, int, int]:
        if isinstance(change, (UpdateCard, CommitFiles, CreateBranch)):
            step = 0 if isinstance(change, CreateBranch) else 1
            return change.phase, depth(change.branch), step
        return change.phase, 0, 0

    return sorted(changes, key=key)  # stable: ties keep the plan's order


@dataclass
class ApplyContext:
    """What every repo worker shares: the writer, a reader for trees, and the apply's id."""

    writer: HubWriter
    tree: Callable[[str, str], Mapping[str, Any]]  # (repo_id, commit) -> {path: ObservedFile}
    apply_id: str
    config_digest: str
    stop: threading.Event
    meter: Meter | None = None  # for per-change costs
    on_result: Callable[[ChangeResult], None] | None = None
    root: Path = Path(".")  # the project: plans name checkpoint files relative to it
    copies: Mapping[str, Copies] = field(default_factory=dict)  # repo id -> Hub copies
    origin: Origin | None = None  # config commit and pull request, for the commit trailers
    files: LocalFiles = field(default_factory=LocalFiles)  # checks local files, reads rarely
    pool: Pool = field(default_factory=lambda: Pool(1))  # the apply's bound on concurrent work
    #: Upload progress: (repo id, bytes streamed), and (change address, path, size, note) per file
    #: on the Hub.
    on_bytes: Callable[[str, int], None] | None = None
    on_file: Callable[[str, str, int, str], None] | None = None
    remember_commit: Callable[[str, str], None] | None = None  # (sha, message) of a commit made
    creator_wait_s: float = CREATOR_WAIT_S  # see `RepoApplier._await_first_commit`


@dataclass
class Revision:
    """One branch's content changes (its creation, then its commit), and the revisions that
    start from it: they run once it is done."""

    branch: str
    changes: list[Change]
    children: list[Revision] = field(default_factory=list)


def revision_tree(content: Sequence[Change]) -> list[Revision]:
    """The content changes (in apply order) as revisions under their start points; a branch
    whose start point gets no change here (or a start-point cycle in a hand-edited plan) is a
    root: roots are independent of each other."""
    revisions: dict[str, Revision] = {}
    for change in content:
        branch = change.branch  # type: ignore[attr-defined] # content changes have one
        revisions.setdefault(branch, Revision(branch, [])).changes.append(change)
    starts = {c.branch: c.start_point for c in content if isinstance(c, CreateBranch)}

    def parent(branch: str) -> str | None:
        start = starts.get(branch)
        if start is None or start not in revisions:
            return None
        seen, at = {branch}, start
        while at in starts and starts[at] in revisions:  # a cycle leaves nobody a root
            if at in seen:
                return None
            seen.add(at)
            at = starts[at]
        return start

    roots: list[Revision] = []
    for branch, revision in revisions.items():
        above = parent(branch)
        (revisions[above].children if above is not None else roots).append(revision)
    return roots


class RepoApplier:
    """Runs one repo's changes in order; `run()` returns a result for every change."""

    def __init__(self, ctx: ApplyContext, repo_id: str, changes: Sequence[Change],
                 observed_heads: Mapping[str, str], provenance: Provenance | None) -> None:
        self.ctx = ctx
        self.repo_id = repo_id
        self.changes = ordered(changes)
        self.heads: dict[str, str] = dict(observed_heads)
        self.commits = _content_commits(self.changes)
        self.committed: dict[str, str] = {}  # branch -> commit oid made (or found) by this apply
        cards = [c for c in self.changes if isinstance(c, UpdateCard)]
        self.provenance = card_provenance(cards[0].new_text) if cards else provenance
        self._change = threading.local()  # note and commit of the change a thread is running
        self._lock = threading.Lock()
        self._head_lock = threading.Lock()
        self._stopped_by: str | None = None  # why nothing more starts (a failure, a stop)
        #: The repo was created by this apply (create_repo answered 200): main holds only the
        #: Hub's initial commit, whose sha was not read; main's first commit goes without a
        #: parent check (see `_content`).
        self.fresh = False
        #: The repo was created and given its content by another apply of release (create_repo
        #: met it with our provenance): main's planned commit is checked, never made on top.
        self.adopted = False

    @property
    def note(self) -> str:
        return str(getattr(self._change, "note", ""))

    @note.setter
    def note(self, text: str) -> None:
        self._change.note = text

    @property
    def commit_oid(self) -> str | None:
        oid: str | None = getattr(self._change, "commit_oid", None)
        return oid

    @commit_oid.setter
    def commit_oid(self, oid: str | None) -> None:
        self._change.commit_oid = oid

    # -- driver -------------------------------------------------------------------------------

    def run(self) -> list[ChangeResult]:
        before = [c for c in self.changes if c.phase < Phase.CONTENT]
        content = [c for c in self.changes if c.phase == Phase.CONTENT]
        after = [c for c in self.changes if c.phase > Phase.CONTENT]
        results = self._sequence(before)
        results += self._revisions(revision_tree(content))
        return results + self._sequence(after)

    def _revisions(self, revisions: list[Revision]) -> list[ChangeResult]:
        """Each revision's changes, then the revisions started from it; side by side."""
        def one(revision: Revision) -> list[ChangeResult]:
            results = self._sequence(revision.changes)
            return results + self._revisions(revision.children)

        return [r for results in self.ctx.pool.fan_out(one, revisions) for r in results]

    def _sequence(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        folded: dict[int, ChangeResult] = {}  # a publish sent in the gating's settings call
        for index, change in enumerate(changes):
            with self._lock:
                if self._stopped_by is None and self.ctx.stop.is_set():
                    self._stopped_by = "interrupted before this change started"
                stopped_by = self._stopped_by
            if id(change) in folded:
                result = folded.pop(id(change))
            elif stopped_by is not None and self._landed_with_an_earlier_change(change):
                result = self._run_one(change)  # no Hub call: says which commit holds it
            elif stopped_by is not None:
                result = ChangeResult(change, "skipped", note=stopped_by)
            else:
                publish = _publish_after(changes, index)
                if isinstance(change, SetGating) and publish is not None:
                    result, folded[id(publish)] = self._gate_and_publish(change, publish)
                else:
                    result = self._run_one(change)
                if result.status == "failed":
                    with self._lock:
                        self._stopped_by = self._stopped_by \
                            or f"not attempted: {change.address} failed before it"
            results.append(result)
            if self.ctx.on_result is not None:
                self.ctx.on_result(result)
        return results

    def _gate_and_publish(self, gating: SetGating, publish: SetVisibility
                          ) -> tuple[ChangeResult, ChangeResult]:
        """Gating and publishing in ONE settings call (the Hub applies both at once, so the
        repo is never public ungated), still the last write of the repo. Both results share
        its outcome; the call's cost is charged to the gating."""
        notes: dict[str, str] = {}

        def both() -> None:
            old_known = gating.old is not None or publish.old is not None
            private, gated = self.writer.settings(self.repo_id) if old_known else (True, None)
            self.note = ""
            gate = gating.old is None or not self._settled(gating.address, "gating", gated,
                                                           gating.old, gating.new)
            notes["gating"], self.note = self.note, ""
            now = "private" if private else "public"
            show = publish.old is None or not self._settled(publish.address, "visibility",
                                                            now, publish.old, publish.new)
            notes["publish"] = self.note
            if gate or show:
                self.writer.update_settings(self.repo_id, private=False if show else None,
                                            gated=gating.new if gate else None)
            if show and not notes["publish"]:
                notes["publish"] = "in the same settings call as the gating"

        result = run_measured(gating, both, self.ctx.meter)
        other = ChangeResult(publish, result.status, error=result.error)
        if result.status == "applied":
            result.note, other.note = notes.get("gating", ""), notes.get("publish", "")
        return result, other

    def _landed_with_an_earlier_change(self, change: Change) -> bool:
        """Card and files of a branch are one commit: once it landed, both changes did."""
        return isinstance(change, (UpdateCard, CommitFiles)) \
            and (change.branch if isinstance(change, CommitFiles) else "main") in self.committed

    def _run_one(self, change: Change) -> ChangeResult:
        self.note, self.commit_oid = "", None
        result = run_measured(change, self.handler(change), self.ctx.meter)
        if result.status == "applied":
            result.note, result.commit = self.note, self.commit_oid
        return result

    def handler(self, change: Change) -> Callable[[], None]:
        """What carries `change` out. Every repo kind has one: a kind left out fails mypy."""
        kind = known_repo(change)
        match kind:
            case CreateRepo():
                return partial(self.create_repo, kind)
            case MoveRepo():
                return partial(self.move_repo, kind)
            case DeleteRepo():
                return partial(self.delete_repo, kind)
            case SetVisibility():
                return partial(self.set_visibility, kind)
            case SetGating():
                return partial(self.set_gating, kind)
            case UpdateCard():
                return partial(self.update_card, kind)
            case CommitFiles():
                return partial(self.commit_files, kind)
            case CreateBranch() if kind.initial:
                return partial(self.create_initial_branch, kind)
            case CreateBranch():
                return partial(self.create_branch, kind)
            case DeleteBranch():
                return partial(self.delete_branch, kind)
            case CreateTag():
                return partial(self.create_tag, kind)
            case MoveTag():
                return partial(self.move_tag, kind)
            case DeleteTag():
                return partial(self.delete_tag, kind)
            case _:
                unreachable(kind)

    @property
    def writer(self) -> HubWriter:
        return self.ctx.writer

    def _head(self, branch: str) -> str | None:
        """The head this apply knows for `branch`, reading it from the Hub if it does not (once:
        the revisions started from one unknown head ask for it together)."""
        head = self.heads.get(branch)
        if head is None:
            with self._head_lock:
                head = self.heads.get(branch)
                if head is None:
                    head = self.writer.head(self.repo_id, branch)
                    if head is not None:
                        self.heads[branch] = head
        return head

    # -- repos --------------------------------------------------------------------------------

    def create_repo(self, c: CreateRepo) -> None:
        made = self.writer.create_repo(c.repo_id, c.repo_type)
        if made is Creation.CREATED:
            if self._first_commit_is_quick():
                # Fresh: main's head is the Hub's initial commit; not read (one request per
                # repo). Main's first commit follows within a few requests (see `_content`).
                self.fresh = True
                return
            # Main's first commit uploads large files first (minutes to hours): another apply
            # planning meanwhile sees an empty repo and may resume it, so that commit keeps
            # its parent check, on the initial commit read right now, before anyone can write.
            head = self.writer.head(c.repo_id, "main")
            if head is None:
                raise HubError(c.address, "created, but its main branch cannot be read", RERUN)
            self.heads["main"] = head
            return
        # 409: a retry after a lost response, a concurrent apply, or someone else's repo.
        info = self.writer.repo_info(c.repo_id, c.repo_type)
        found = self._found(c, info)
        if found == "empty" and made is Creation.EXISTED:
            # Someone else created it just now, most likely a concurrent apply whose first
            # commit (sent without a parent check, see `_content`) is on its way: committing
            # here could land first and be overwritten by it. Wait for it instead.
            info, found = self._await_first_commit(c), "ours"
        if found == "other":
            raise HubError(c.address, "a repo with this name appeared on the Hub after the "
                           "plan was made, and release did not create it; nothing was written "
                           "to it", RERUN)
        self.heads["main"] = str(info.sha)
        if found == "ours":
            # Another apply of release made it and committed its content: this apply checks
            # that content against its plan and never commits over it (two applies of
            # different configs must not both report their card applied).
            self.adopted = True
            self.note = "already existed (created by an earlier or concurrent apply)"
            return
        # Empty after a failed attempt: most likely our own attempt created it and its answer
        # was lost, so main's first commit goes with a parent check on the initial commit.
        # The residual window: a lost answer AND another apply creating the same repo at that
        # moment; that apply's first commit has no parent check and may land over ours (see
        # README, "Two applies at once").
        self.note = "already existed (created by an earlier attempt whose answer was lost, " \
            "or by a concurrent apply)"

    def _first_commit_is_quick(self) -> bool:
        """Whether main's planned first commit is sent right after the repo's creation: only
        small text files (the card, configs), which need no preupload and no LFS upload
        (`may_be_regular`), so nothing stands between the creation and the commit but the
        initial branches. Then that commit may go without a parent check (see `_content`)."""
        from release.hub.hfapi import may_be_regular  # imports huggingface_hub

        commit = self.commits.get("main")
        if commit is None:
            return True  # no commit on main: nothing goes without a parent check
        files = commit.files.operations if commit.files is not None else ()
        return all(op.op == "delete" or may_be_regular(op.path, op.size) for op in files)

    def _found(self, c: CreateRepo, info: Any) -> str:
        """What `info` (repo_info: sha, private, cardData) shows: "ours" (release's provenance
        for this family and variant), "empty" (private, no card, only the initial files) or
        "other"."""
        card = info.card_data.to_dict() if info.card_data is not None else {}
        found = Provenance.from_metadata(card)
        if found is not None and (found.family, found.variant) == (c.family, c.variant):
            return "ours"
        if found is None and not card and info.private and self._holds_initial_files(info.sha):
            return "empty"
        return "other"

    def _await_first_commit(self, c: CreateRepo) -> Any:
        """repo_info of the repo once release's provenance for it appears (its creator's first
        commit), polling with backoff for at most `creator_wait_s`; HubError if something else
        appears, if it stays empty, or if the apply is stopped."""
        deadline = time.monotonic() + self.ctx.creator_wait_s
        delay = 0.5
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HubError(c.address, "created by another writer (a concurrent apply?) "
                               "that has not made its first commit within "
                               f"{self.ctx.creator_wait_s:g} s; nothing was written", RERUN)
            if self.ctx.stop.wait(min(delay, left)):
                raise HubError(c.address, "interrupted while waiting for the first commit of "
                               "the writer that created it; nothing was written", RERUN)
            delay = min(delay * 2, 4.0)
            info = self.writer.repo_info(c.repo_id, c.repo_type)
            found = self._found(c, info)
            if found == "ours":
                return info
            if found == "other":
                raise HubError(c.address, "another writer created it after the plan was made "
                               "and gave it content release did not write; nothing was written "
                               "to it", RERUN)

    def move_repo(self, c: MoveRepo) -> None:
        if self.writer.move_repo(c.old_repo_id, c.repo_id, c.repo_type):
            return
        # 404 (the old id is gone) or 409 (the new one exists): an earlier attempt whose answer
        # was lost, a concurrent apply of this plan, or someone else. Read the Hub to tell.
        before = self.writer.find_repo(c.old_repo_id, c.repo_type)
        if before is not None and str(before.id).lower() != c.repo_id.lower():
            raise HubError(c.address, f"{c.repo_id} appeared on the Hub after the plan was made "
                           f"and {c.old_repo_id} is still there; nothing was moved", RERUN)
        info = before if before is not None else self.writer.find_repo(c.repo_id, c.repo_type)
        if info is None:
            raise HubError(c.address, f"neither {c.old_repo_id} nor {c.repo_id} is on the Hub "
                           "any more; nothing was moved", RERUN)
        card = info.card_data.to_dict() if info.card_data is not None else {}
        found = Provenance.from_metadata(card)
        ours = (c.head is not None and info.sha == c.head) or (
            found is not None and (found.family, found.variant) == (c.family, c.variant))
        if not ours:
            raise HubError(c.address, f"{c.repo_id} exists but is not {c.old_repo_id} moved "
                           f"(main at {str(info.sha)[:12]}, the plan saw "
                           f"{(c.head or '?')[:12]}); nothing was moved", RERUN)
        self.note = ("already moved (an earlier attempt whose answer was lost, or a concurrent "
                     "apply)")

    def delete_repo(self, c: DeleteRepo) -> None:
        from huggingface_hub.errors import RepositoryNotFoundError

        try:
            info = self.writer.repo_info(c.repo_id, c.repo_type)
        except RepositoryNotFoundError:
            self.note = "already gone"
            return
        if c.head is not None and info.sha != c.head:
            raise HubError(c.address, f"main moved to {str(info.sha)[:12]} since the plan saw "
                           f"{c.head[:12]}; not deleted", RERUN)
        self.writer.delete_repo(c.repo_id, c.repo_type)

    # The Hub has no compare-and-swap for settings: read right before writing, and write only
    # over the value the plan saw (a repo this plan created: nothing to compare, ours).

    def set_visibility(self, c: SetVisibility) -> None:
        if c.old is not None:
            private, _ = self.writer.settings(c.repo_id)
            if self._settled(c.address, "visibility", "private" if private else "public",
                             c.old, c.new):
                return
        self.writer.update_settings(c.repo_id, private=c.new == "private")

    def set_gating(self, c: SetGating) -> None:
        if c.old is not None:
            _, gated = self.writer.settings(c.repo_id)
            if self._settled(c.address, "gating", gated, c.old, c.new):
                return
        self.writer.update_settings(c.repo_id, gated=c.new)

    def _settled(self, address: str, name: str, now: Any, old: Any, new: Any) -> bool:
        """True if `now` is already `new`; raise if it is neither what the plan saw nor that."""
        if now == new:
            self.note = f"{name} already {new}"
            return True
        if now != old:
            raise HubError(address, f"{name} changed to {now!r} since the plan saw {old!r}; "
                           "not changed", RERUN)
        return False

    # -- content ------------------------------------------------------------------------------

    def update_card(self, c: UpdateCard) -> None:
        self._content(c, "main")

    def commit_files(self, c: CommitFiles) -> None:
        self._content(c, c.branch)

    def _content(self, change: UpdateCard | CommitFiles, branch: str) -> None:
        if branch in self.committed:  # card and files of main are one commit
            self.commit_oid = self.committed[branch]
            self.note = "in the same commit as the card" if isinstance(change, CommitFiles) \
                else "in the same commit as the files"
            return
        commit = self.commits[branch]
        parent = commit.parent_commit or self.heads.get(branch)
        if branch == "main" and self.adopted:
            # Created and committed by another apply (see `create_repo`): ours only if it
            # holds exactly this plan's content; never a commit over it.
            self._require_content(change, commit, parent, "another apply created the repo "
                                  "and committed to it")
            self._done(branch, str(parent), "already on the Hub (committed by the apply "
                       "that created the repo)")
            return
        # The one commit without a parent check: main's first commit of a repo this apply has
        # just created, when that commit holds only small text files (`create_repo`,
        # `_first_commit_is_quick`), so it is sent a few requests after the creation. Nobody
        # else has committed to it: only release writes to a repo it creates private; another
        # apply of release that meets it at create_repo (409) waits for this commit
        # (`_await_first_commit`). The residual window: another apply that *plans* within
        # those few requests (or during a rate-limit wait between them), sees the repo empty
        # and resumes it, could commit first and be overwritten (README, "Two applies at
        # once"); a first commit that uploads large files first keeps its parent check. The
        # writer reads main's history before any retry, and retries with the initial commit
        # as parent (`HubWriter.commit(fresh=True)`).
        fresh = parent is None and branch == "main" and self.fresh
        if parent is None and not fresh:
            raise HubError(change.address, f"no known head for {branch} to commit on top of "
                           "(never committing without a parent check)", RERUN)
        title, description = commit_message(commit, self.provenance, self.ctx.config_digest,
                                            self.ctx.apply_id, self.ctx.origin)
        copies = self.ctx.copies.get(self.repo_id, {})
        watch = self._watch(commit.files.address if commit.files is not None else change.address)
        built: list[list[Any]] = []  # the last one is what the landed commit carried

        def operations() -> list[Any]:
            built.append(build_operations(commit, self.ctx.root, copies, self.ctx.files, watch))
            return built[-1]

        try:
            outcome = self.writer.commit(
                self.repo_id, branch, operations(), title, description,
                self.ctx.apply_id, parent, make_operations=operations, fresh=fresh)
        except Exception as exc:
            if status_of(exc) != 412:
                raise
            head = self.writer.head(self.repo_id, branch)
            self._require_content(change, commit, head, "412: the branch moved since the plan")
            self._done(branch, str(head), "already on the Hub (the branch had moved: a "
                       "concurrent apply of the same plan?)")
            return
        if outcome.posted is not True:
            # The client's no-op short cut returns the current head WITHOUT checking
            # parent_commit: converged only if that head holds exactly the planned content.
            self._require_content(change, commit, outcome.oid, "the branch moved")
            self._done(branch, outcome.oid, "already on the Hub (nothing to commit)")
            return
        if outcome.recovered:
            # Its lineage is proven (this apply's id, on top of `parent`); now its content.
            self._require_content(change, commit, outcome.oid,
                                  "a commit of this apply was found after a lost response")
            self._done(branch, outcome.oid, "found after a lost response (parent and files "
                       "checked)")
        else:
            if self.ctx.remember_commit is not None:
                self.ctx.remember_commit(outcome.oid, f"{title}\n\n{description}")
            self._done(branch, outcome.oid, "")
        if watch is not None:  # files no LFS upload reported: on the Hub once it landed
            for path, size, note in files_landed(built[-1]):
                watch.sent(path, size, note)

    def _watch(self, address: str) -> UploadWatch | None:
        on_bytes, on_file = self.ctx.on_bytes, self.ctx.on_file
        if on_bytes is None or on_file is None:
            return None
        return UploadWatch(moved=partial(on_bytes, self.repo_id),
                           sent=partial(on_file, address))

    def _require_content(self, change: Change, commit: ContentCommit, head: str | None,
                         why: str) -> None:
        if head is None:
            raise HubError(change.address, f"{why}, and {commit.branch} no longer exists", RERUN)
        wrong = mismatches(self.ctx.tree(self.repo_id, head), commit)
        if wrong:
            listed = ", ".join(wrong[:3]) + (", ..." if len(wrong) > 3 else "")
            raise HubError(change.address, f"{why}: {commit.branch} is at {head[:12]}, which "
                           f"does not hold the planned content ({listed}); nothing was "
                           "committed", RERUN)

    def _done(self, branch: str, oid: str, note: str) -> None:
        self.heads[branch] = oid
        self.committed[branch] = oid
        self.commit_oid, self.note = oid, note

    # -- branches -----------------------------------------------------------------------------

    def create_branch(self, c: CreateBranch) -> None:
        start = self._head(c.start_point)
        if start is None:
            raise HubError(c.address, f"its start point {c.start_point} does not exist", RERUN)
        if self.writer.create_branch(c.repo_id, c.branch, start):
            self.heads[c.branch] = start
            return
        current = self.writer.head(c.repo_id, c.branch)
        if c.branch in self.commits:
            # Its commit's parent check decides whether what is there is ours.
            self.heads[c.branch] = start
        elif current != start:
            raise HubError(c.address, f"the branch appeared after the plan was made, at "
                           f"{(current or '?')[:12]}, not at {c.start_point}'s head "
                           f"{start[:12]}", RERUN)
        self.note = "already existed"

    def create_initial_branch(self, c: CreateBranch) -> None:
        """A file-less run branch of a new repo, at its initial commit (`CreateBranch.initial`).

        It runs in `Phase.INITIAL_BRANCHES`, after the repo's creation and before main's first
        commit, while main's head is still the initial commit: made at that sha when known (a
        resumed repo, or one found empty after a lost answer), else, in a repo this apply has
        just created (`fresh`: its initial commit's sha was not read), at main's head as the
        Hub resolves it, which is the initial commit: nobody else commits to a repo release
        created private before its first commit (see `_content`). A 409 is accepted only for a
        branch holding nothing but the Hub's initial files (an earlier attempt whose answer was
        lost, or a concurrent apply of this plan).
        """
        if self.adopted:
            # Another apply created the repo and committed to it: main is no longer at the
            # initial commit. The branch that apply made (before its first commit) is fine;
            # making one here from main's content is not.
            current = self.writer.head(c.repo_id, c.branch)
            if current is None:
                raise HubError(c.address, "another apply created the repo and committed to "
                               "it, and the branch does not exist: not made from main's "
                               "content", RERUN)
            start = None
        else:
            start = None if self.fresh else self._head("main")
            if start is None and not self.fresh:
                raise HubError(c.address, "the repo's main branch cannot be read", RERUN)
            if self.writer.create_branch(c.repo_id, c.branch, start):
                if start is not None:
                    self.heads[c.branch] = start
                return
            current = self.writer.head(c.repo_id, c.branch)
        if current is None or (current != start and not self._holds_initial_files(current)):
            raise HubError(c.address, f"the branch appeared after the plan was made, at "
                           f"{(current or '?')[:12]}, which holds more than the repo's "
                           "initial files", RERUN)
        self.heads[c.branch] = current
        self.note = "already existed (at the repo's initial files)"

    def _holds_initial_files(self, commit: str) -> bool:
        return set(self.ctx.tree(self.repo_id, commit)) <= EMPTY_REPO_FILES

    def delete_branch(self, c: DeleteBranch) -> None:
        current = self.writer.head(c.repo_id, c.branch)
        if current is None:
            self.note = "already gone"
            return
        if current != c.head:
            raise HubError(c.address, f"the branch moved to {current[:12]} since the plan saw "
                           f"{c.head[:12]}; not deleted", RERUN)
        self.writer.delete_branch(c.repo_id, c.branch)

    # -- tags ---------------------------------------------------------------------------------

    def _tag_target(self, c: CreateTag | MoveTag) -> str:
        # None in the plan: "the head of the revision after this apply's commit".
        target = c.target or self._head(c.revision)
        if target is None:
            raise HubError(c.address, f"its revision {c.revision} does not exist", RERUN)
        return target

    def _put_tag(self, c: CreateTag | MoveTag, target: str) -> None:
        if self.writer.create_tag(c.repo_id, c.tag, target, c.message):
            self.commit_oid = target
            return
        current = self.writer.refs(c.repo_id)[1].get(c.tag)
        if current != target:
            raise HubError(c.address, f"the tag appeared after the plan was made and points "
                           f"at {(current or '?')[:12]}, not {target[:12]}; release moves a "
                           "tag only when the config sets move: true", RERUN)
        self.commit_oid, self.note = target, "already existed"

    def create_tag(self, c: CreateTag) -> None:
        self._put_tag(c, self._tag_target(c))

    def move_tag(self, c: MoveTag) -> None:
        target = self._tag_target(c)
        current = self.writer.refs(c.repo_id)[1].get(c.tag)
        if current == target:
            self.commit_oid, self.note = target, "already there"
            return
        if current is not None and current != c.old_target:
            raise HubError(c.address, f"the tag moved to {current[:12]} since the plan saw "
                           f"{c.old_target[:12]}; not moved", RERUN)
        if current is not None:
            self.writer.delete_tag(c.repo_id, c.tag)
        self._put_tag(c, target)

    def delete_tag(self, c: DeleteTag) -> None:
        current = self.writer.refs(c.repo_id)[1].get(c.tag)
        if current is None:
            self.note = "already gone"
            return
        if current != c.old_target:
            raise HubError(c.address, f"the tag moved to {current[:12]} since the plan saw "
                           f"{c.old_target[:12]}; not deleted", RERUN)
        self.writer.delete_tag(c.repo_id, c.tag)


def _publish_after(changes: Sequence[Change], index: int) -> SetVisibility | None:
    """The publish right after the change at `index`, if there is one (gating is the phase
    just before publishing: both can go out in one settings call)."""
    following = changes[index + 1] if index + 1 < len(changes) else None
    if isinstance(following, SetVisibility) and following.new == "public":
        return following
    return None


def _content_commits(changes: Sequence[Change]) -> dict[str, ContentCommit]:
    """Card + files per branch: one atomic commit each (see `Plan.content_commits`)."""
    from release.plan.model import Plan

    return {commit.branch: commit for commit in Plan(changes=tuple(changes)).content_commits()}
