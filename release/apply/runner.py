"""`Applier`: carry a plan out on the Hub — repos in parallel, collections after them.

* Stale check first (saved plans): re-read exactly the objects whose fingerprints the plan
  recorded and refuse, naming them, before any write.
* Each repo runs in a worker (`RepoApplier`), at most `parallelism` at a time; a failure stops
  that repo only. The bound counts work, not repos: a repo's independent revisions (run
  branches) borrow the slots other repos leave free (`release.pool`). Each collection is one
  ordered stream (`CollectionApplier`) on a thread of its own alongside the repo pool: an item
  waits for its repo's worker (publish included) and is skipped if the repo did not finish.
* `stop` (set on SIGINT by the CLI) stops scheduling: no new change starts, in-flight calls
  finish, the rest is reported skipped. Nothing is ever half-written by stopping, and
  re-running apply (a fresh plan) converges from wherever it stopped — or was killed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.address import Address, AddressKind, Aliases
from release.apply.collections import CollectionApplier
from release.apply.content import Copies, LocalFiles, upload_size
from release.apply.repo import CREATOR_WAIT_S, ApplyContext, RepoApplier
from release.apply.result import ApplyResult, ChangeResult
from release.errors import StalePlanError
from release.hub.write import HubWriter
from release.origin import Origin
from release.plan.fingerprint import stale_addresses
from release.plan.model import Change, CollectionChange, Plan, RepoChange
from release.pool import Pool
from release.state import ObservedState, Provenance

if TYPE_CHECKING:
    from release.hub.api import Meter
    from release.hub.observe import HubReader

DEFAULT_PARALLELISM = 8


class ApplyEvents:
    """Progress callbacks (the CLI prints them); every method may be called from any thread."""

    def repo_started(self, repo_id: str, changes: int, upload_bytes: int) -> None: ...

    def change_done(self, result: ChangeResult) -> None: ...

    def repo_done(self, repo_id: str, results: list[ChangeResult]) -> None: ...

    def tick(self, bytes_sent: int) -> None: ...

    def upload_moved(self, repo_id: str, size: int) -> None:
        """`size` more bytes of an LFS upload of `repo_id` went out (as they stream)."""

    def file_sent(self, address: str, path: str, size: int, note: str = "") -> None:
        """One local file of change `address` is on the Hub (LFS: uploaded; a small file: in
        its landed commit; `note` says how when its upload was not seen here)."""


def check_stale(plan: Plan, reader: HubReader) -> ObservedState:
    """Re-observe the plan's fingerprinted objects; raise StalePlanError naming any changed."""
    observed = reader.observe_addresses(plan.fingerprints, Aliases(plan.aliases))
    stale = stale_addresses(plan, observed)
    if stale:
        raise StalePlanError(stale)
    return observed


def new_apply_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Applier:
    """Applies `plan` through `writer`; `tree(repo_id, sha)` reads a commit's files (cached)."""

    plan: Plan
    writer: HubWriter
    tree: Callable[[str, str], Mapping[str, Any]]
    #: {repo id: Provenance} for the commit trailers of repos whose card this plan leaves alone
    provenance: Mapping[str, Provenance] = field(default_factory=dict)
    parallelism: int = DEFAULT_PARALLELISM
    stop: threading.Event = field(default_factory=threading.Event)
    events: ApplyEvents = field(default_factory=ApplyEvents)
    apply_id: str = field(default_factory=new_apply_id)
    meter: Meter | None = None
    root: Path = Path(".")  # the project: plans name checkpoint files relative to it
    copies: Mapping[str, Copies] = field(default_factory=dict)  # repo id -> Hub copies
    origin: Origin | None = None  # config commit and pull request, for the commit trailers
    files: LocalFiles = field(default_factory=LocalFiles)  # checks local files, reads rarely
    #: (commit sha, message) of each commit made: `release status` then reads it for free
    remember_commit: Callable[[str, str], None] | None = None
    #: How long a repo another apply has just created waits for that apply's first commit.
    creator_wait_s: float = CREATOR_WAIT_S
    _known_heads: dict[str, dict[str, str]] = field(default_factory=dict, init=False,
                                                    repr=False)

    def run(self) -> ApplyResult:
        with Pool(self.parallelism, name="apply-revision") as pool:
            return self._run(pool)

    def _run(self, pool: Pool) -> ApplyResult:
        started = time.monotonic()
        baseline = self.meter.snapshot() if self.meter is not None else None
        ctx = ApplyContext(writer=self.writer, tree=self.tree, apply_id=self.apply_id,
                           config_digest=self.plan.config_digest, stop=self.stop,
                           meter=self.meter, on_result=self.events.change_done,
                           root=self.root, copies=self.copies, origin=self.origin,
                           files=self.files, pool=pool, on_bytes=self.events.upload_moved,
                           on_file=self.events.file_sent, remember_commit=self.remember_commit,
                           creator_wait_s=self.creator_wait_s)
        per_repo, streams = self._split()
        self._known_heads = self._index_heads()
        by_change: dict[int, ChangeResult] = {}
        done = {repo_id: threading.Event() for repo_id in per_repo}
        unfinished: set[str] = set()

        def finished(repo_id: str) -> bool:
            """Blocks a collection stream until this apply is done with `repo_id`."""
            event = done.get(repo_id)
            if event is not None:
                event.wait()
            return repo_id not in unfinished

        def repo(repo_id: str, changes: list[Change]) -> list[ChangeResult]:
            try:
                results = self._repo(ctx, repo_id, changes)
                if any(r.status != "applied" for r in results):
                    unfinished.add(repo_id)
                return results
            except BaseException:
                unfinished.add(repo_id)
                raise
            finally:
                done[repo_id].set()

        with ThreadPoolExecutor(max_workers=max(1, self.parallelism),
                                thread_name_prefix="apply") as repos, \
                ThreadPoolExecutor(max_workers=max(1, min(len(streams), self.parallelism)),
                                   thread_name_prefix="collection") as side:
            futures: list[Future[list[ChangeResult]]] = [
                repos.submit(repo, repo_id, changes) for repo_id, changes in per_repo.items()]
            futures += [side.submit(CollectionApplier(ctx, changes, finished).run,
                                    self.events.change_done) for changes in streams]
            pending = set(futures)
            while pending:
                # A short timeout keeps the main thread responsive to SIGINT and progress.
                _, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                if self.meter is not None and baseline is not None:
                    self.events.tick(self.meter.snapshot()["bytes_sent"]
                                     - baseline["bytes_sent"])
            for future in futures:
                for result in future.result():
                    by_change[id(result.change)] = result
        outcome = ApplyResult(apply_id=self.apply_id,
                              results=[by_change[id(c)] for c in self.plan.changes],
                              interrupted=self.stop.is_set(),
                              seconds=time.monotonic() - started)
        if self.meter is not None and baseline is not None:
            now = self.meter.snapshot()
            outcome.requests = now["total"] - baseline["total"]
            outcome.writes = now["writes"] - baseline["writes"]
            outcome.bytes_uploaded = now["bytes_sent"] - baseline["bytes_sent"]
        return outcome

    def _split(self) -> tuple[dict[str, list[Change]], list[list[CollectionChange]]]:
        """Repo changes by repo, and collection changes by collection (each in plan order)."""
        per_repo: dict[str, list[Change]] = {}
        per_collection: dict[tuple[str, str], list[CollectionChange]] = {}
        for change in self.plan.changes:
            if isinstance(change, RepoChange):
                per_repo.setdefault(change.repo_id, []).append(change)
            elif isinstance(change, CollectionChange):
                per_collection.setdefault((change.namespace, change.title), []).append(change)
            else:  # pragma: no cover - the union has only these two families
                raise TypeError(f"cannot apply {change.kind!r} ({change.address})")
        return per_repo, list(per_collection.values())

    def _repo(self, ctx: ApplyContext, repo_id: str, changes: list[Change]) -> list[ChangeResult]:
        if self.stop.is_set():
            results = [ChangeResult(c, "skipped", note="interrupted before it started")
                       for c in changes]
            for result in results:
                self.events.change_done(result)
            return results
        commits = Plan(changes=tuple(changes)).content_commits()
        self.events.repo_started(repo_id, len(changes), sum(upload_size(c) for c in commits))
        worker = RepoApplier(ctx, repo_id, changes, self._known_heads.get(repo_id, {}),
                             self._provenance(repo_id))
        with ctx.pool.slot():
            results = worker.run()
        self.events.repo_done(repo_id, results)
        return results

    def _index_heads(self) -> dict[str, dict[str, str]]:
        """{repo id: {branch: head}} the plan recorded (its fingerprints), read once: scanning
        every fingerprint per repo was O(N^2) at N = 1000."""
        heads: dict[str, dict[str, str]] = {}
        for text, fingerprint in self.plan.fingerprints.items():
            if not isinstance(fingerprint, Mapping) or not fingerprint.get("head"):
                continue
            address = Address.parse(text)
            head = str(fingerprint["head"])
            if address.repo_id is None:
                continue
            repo = heads.setdefault(address.repo_id, {})
            if address.kind in (AddressKind.BRANCH, AddressKind.FILES) and address.ref:
                repo[address.ref] = head
            elif address.kind in (AddressKind.CARD, AddressKind.REPO):
                repo.setdefault("main", head)
        return heads

    def _provenance(self, repo_id: str) -> Provenance | None:
        return self.provenance.get(repo_id)
