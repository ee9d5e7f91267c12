"""HubWriter: every write `release apply` makes, and nothing else writes.

huggingface_hub does not retry most write calls (create_repo, settings, refs, collections, the
commit POST; see hub-api.md section 2). Here each call is retried on 429 (honouring Retry-After
or RateLimit), 5xx and connection errors *when repeating it is safe*:
  * idempotent calls (settings, deletes that accept "already gone") are simply repeated;
  * creates report "already existed" (409) instead of failing, so a retry after a lost
    response, or a concurrent apply, is recognised; the caller decides whether what exists is
    what it wanted;
  * a commit is never blindly repeated: its message carries a unique `Release-Apply-Id`
    trailer, and after a failed attempt the branch is read first. Still at `parent_commit`:
    nothing landed, the retry is sent (`parent_commit` makes it a compare-and-swap). At a
    commit carrying this apply's id *whose parent is `parent_commit`*: that is a candidate
    (`recovered`), which the caller must prove by its tree before accepting it. Anything
    else: the retry is sent and the Hub's 412 hands the decision to the caller. (The apply id
    alone proves nothing: a run branch created from main in the same apply carries main's
    commit, with the same id, as its head.)
    The one commit sent without `parent_commit` is the first commit of a repo this apply has
    just created (`fresh=True`, see `commit`); its recovery reads the branch's history instead,
    and every retry of it carries the repo's initial commit as `parent_commit`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, cast

from release.hub.api import HubApi, Meter
from release.hub.errors import status_of
from release.state import first_created

if TYPE_CHECKING:
    from huggingface_hub.hf_api import CollectionItemType_T, ExpandModelProperty_T

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
APPLY_ID_TRAILER = "Release-Apply-Id"
#: Where a content commit leaves its branch's release tags: `Release-Tag: v1.0` (this commit)
#: or `Release-Tag: v1.0 <sha>` (kept there). Read back by `HubReader` to tell a tag moved
#: outside release from one left behind by release's own later commits.
TAG_TRAILER = "Release-Tag"
_RATELIMIT_RESET = re.compile(r"\bt=(\d+)")


@dataclass
class RetryPolicy:
    """Bounded exponential backoff; a server's Retry-After wins, capped at `max_wait`."""

    attempts: int = 5
    base_wait: float = 0.5
    max_wait: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def wait_for(self, attempt: int, exc: BaseException) -> float:
        response = getattr(exc, "response", None)
        headers = response.headers if response is not None else {}
        header = headers.get("Retry-After")
        if header is not None and header.strip().isdigit():
            return min(float(header), self.max_wait)
        reset = _RATELIMIT_RESET.search(headers.get("RateLimit", "") or "")
        if reset is not None:
            return min(float(reset.group(1)), self.max_wait)
        return min(self.base_wait * (2 ** attempt), self.max_wait)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limits, server errors, and connections that broke."""
    import httpx2

    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    if isinstance(exc, (httpx2.TransportError, ConnectionError)):
        return True
    # huggingface_hub wraps a failed LFS upload in RuntimeError("Error while uploading ...").
    return isinstance(exc, RuntimeError) and exc.__cause__ is not None \
        and is_transient(exc.__cause__)


def with_retries(call: Callable[[], T], policy: RetryPolicy,
                 before_retry: Callable[[], T | None] | None = None) -> T:
    """Run `call`, retrying transient failures.

    `before_retry` runs before each retry and may return a result that makes the retry
    unnecessary (used to find a commit whose response was lost).
    """
    for attempt in range(policy.attempts):
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc) or attempt == policy.attempts - 1:
                raise
            policy.sleep(policy.wait_for(attempt, exc))
            if before_retry is not None:
                found = with_retries(before_retry, policy)
                if found is not None:
                    return found
    raise AssertionError("unreachable")  # the loop either returns or raises


def _expand(*properties: str) -> ExpandModelProperty_T:
    """`repo_info`'s expand list. huggingface_hub annotates the parameter as one property but
    sends (and the Hub takes) a list: typed here once, as the client's annotation says."""
    return cast("ExpandModelProperty_T", list(properties))


def _conflict(exc: BaseException) -> bool:
    return status_of(exc) == 409


def _carries(commit: Any, apply_id: str) -> bool:
    """Whether a listed commit's message carries this apply's id trailer."""
    marker = f"{APPLY_ID_TRAILER}: {apply_id}"
    return marker in (commit.message or "") or marker in (commit.title or "")


def _not_found(exc: BaseException) -> bool:
    from huggingface_hub.errors import RepositoryNotFoundError

    return isinstance(exc, RepositoryNotFoundError)


@dataclass(frozen=True)
class CommitOutcome:
    """What one `commit` call did.

    `posted` is True when a commit POST was sent and answered (a new commit), False when the
    client's no-op short cut answered without sending one (every file already identical at the
    branch head, `parent_commit` NOT checked), None when no meter could tell. `recovered` marks
    a commit found after its response was lost: the branch head, carrying this apply's id, with
    `parent_commit` as its parent. Its tree is NOT checked here: the caller proves it.
    """

    oid: str
    posted: bool | None
    recovered: bool = False


class Creation(Enum):
    """What `HubWriter.create_repo` found."""

    #: The Hub created the repo for this call (200): nobody else can have written to it before.
    CREATED = "created"
    #: 409 on the first attempt: the repo existed before this apply asked for it.
    EXISTED = "existed"
    #: 409 after an attempt that failed (5xx, reset): most likely that attempt created the repo
    #: and its answer was lost, but a concurrent creator cannot be told apart from it.
    EXISTED_AFTER_RETRY = "existed after a retry"


@dataclass
class HubWriter:
    """The write calls apply needs, each safe to re-run, plus the few reads they depend on."""

    api: HubApi  # huggingface_hub.HfApi
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    meter: Meter | None = None  # tells a real commit from the client's no-op short cut

    # -- repos --------------------------------------------------------------------------------

    def create_repo(self, repo_id: str, repo_type: str = "model") -> Creation:
        """Create the repo, always private. A 409 says whether it came on the first attempt
        (someone else's repo, or a concurrent apply's) or after a failed one (maybe ours).

        A 200 on any attempt is CREATED: an earlier attempt that had created the repo would
        make this one answer 409. (A 429 is re-sent by the pacer, below this count: the Hub
        refused it before doing anything.)
        """
        tries = 0

        def create() -> Creation:
            nonlocal tries
            tries += 1
            try:
                self.api.create_repo(repo_id, repo_type=repo_type, private=True)
            except Exception as exc:
                if _conflict(exc):
                    return Creation.EXISTED if tries == 1 else Creation.EXISTED_AFTER_RETRY
                raise
            return Creation.CREATED
        return with_retries(create, self.policy)

    def move_repo(self, from_id: str, to_id: str, repo_type: str = "model") -> bool:
        """Rename `from_id` to `to_id` (the Hub redirects the old id). False when the Hub
        refuses because `from_id` is gone (404) or `to_id` exists (409): after a lost answer
        that is the move itself, done; the caller reads the Hub to tell."""
        def move() -> bool:
            try:
                self.api.move_repo(from_id, to_id, repo_type=repo_type)
            except Exception as exc:
                if status_of(exc) in (404, 409) or _not_found(exc):
                    return False
                raise
            return True
        return with_retries(move, self.policy)

    def find_repo(self, repo_id: str, repo_type: str = "model") -> Any | None:
        """`repo_info` of the repo known as `repo_id`, or None when there is none. The Hub
        redirects a moved repo's old id: the answer's `id` is the id it has now."""
        from huggingface_hub.errors import RepositoryNotFoundError

        try:
            return self.repo_info(repo_id, repo_type)
        except RepositoryNotFoundError:
            return None

    def delete_repo(self, repo_id: str, repo_type: str = "model") -> None:
        with_retries(lambda: self.api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True),
                     self.policy)

    def update_settings(self, repo_id: str, *, private: bool | None = None,
                        gated: Any = None, repo_type: str = "model") -> None:
        kwargs: dict[str, Any] = {}
        if private is not None:
            kwargs["private"] = private
        if gated is not None:
            kwargs["gated"] = gated
        with_retries(lambda: self.api.update_repo_settings(repo_id, repo_type=repo_type,
                                                           **kwargs), self.policy)

    def settings(self, repo_id: str, repo_type: str = "model") -> tuple[bool, Any]:
        """(private, gated) as the Hub holds them now (one request)."""
        info = with_retries(lambda: self.api.repo_info(
            repo_id, repo_type=repo_type, expand=_expand("private", "gated")), self.policy)
        return bool(info.private), info.gated or False

    def repo_info(self, repo_id: str, repo_type: str = "model") -> Any:
        """sha, private and card metadata of an existing repo (one request)."""
        return with_retries(lambda: self.api.repo_info(
            repo_id, repo_type=repo_type, expand=_expand("sha", "private", "cardData")),
            self.policy)

    # -- refs ---------------------------------------------------------------------------------

    def refs(self, repo_id: str, repo_type: str = "model") -> tuple[dict[str, str],
                                                                     dict[str, str]]:
        """(branches, tags) as {name: commit}."""
        refs = with_retries(lambda: self.api.list_repo_refs(repo_id, repo_type=repo_type),
                            self.policy)
        return ({r.name: r.target_commit for r in refs.branches},
                {r.name: r.target_commit for r in refs.tags})

    def head(self, repo_id: str, branch: str, repo_type: str = "model") -> str | None:
        """The head commit of `branch`, or None if there is no such branch."""
        return self.refs(repo_id, repo_type)[0].get(branch)

    def create_branch(self, repo_id: str, branch: str, start_point: str | None,
                      repo_type: str = "model") -> bool:
        """Create `branch` at `start_point` (best a commit sha). False if it already existed."""
        return self._create_ref(lambda: self.api.create_branch(
            repo_id, branch=branch, revision=start_point, repo_type=repo_type))

    def delete_branch(self, repo_id: str, branch: str, repo_type: str = "model") -> None:
        self._delete_ref(lambda: self.api.delete_branch(repo_id, branch=branch,
                                                        repo_type=repo_type))

    def create_tag(self, repo_id: str, tag: str, revision: str, message: str,
                   repo_type: str = "model") -> bool:
        """Tag `revision` (best a commit sha). False if the tag already existed (not moved)."""
        return self._create_ref(lambda: self.api.create_tag(
            repo_id, tag=tag, revision=revision, tag_message=message or None,
            repo_type=repo_type))

    def _create_ref(self, call: Callable[[], Any]) -> bool:
        """Create a branch or tag; False on 409 (it exists: a retry after a lost response, or a
        concurrent apply). The caller checks where it points."""
        def create() -> bool:
            try:
                call()
            except Exception as exc:
                if _conflict(exc):
                    return False
                raise
            return True
        return with_retries(create, self.policy)

    def delete_tag(self, repo_id: str, tag: str, repo_type: str = "model") -> None:
        self._delete_ref(lambda: self.api.delete_tag(repo_id, tag=tag, repo_type=repo_type))

    def _delete_ref(self, call: Callable[[], Any]) -> None:
        from huggingface_hub.errors import RevisionNotFoundError

        def delete() -> None:
            try:
                call()
            except RevisionNotFoundError:
                pass  # already gone: a retry after a lost response lands here
        with_retries(delete, self.policy)

    # -- commits ------------------------------------------------------------------------------

    def commit(self, repo_id: str, branch: str, operations: Sequence[Any], message: str,
               description: str, apply_id: str, parent_commit: str | None,
               repo_type: str = "model", make_operations: Callable[[], Sequence[Any]] | None = None,
               *, fresh: bool = False) -> CommitOutcome:
        """One atomic commit on `branch`. Never creates a duplicate.

        `make_operations` rebuilds the operations for a retry (CommitOperationAdd objects are
        single-use in huggingface_hub). A 412 (the branch moved) is raised to the caller, who
        knows what content to look for.

        `parent_commit` is required, except with `fresh=True`: the first commit on `branch` of
        a repo this apply created moments ago (`create_repo` answered CREATED), so the branch
        holds only the Hub's initial commit and the caller did not read it. That commit is sent
        without `parent_commit`; if it fails, the branch's history is read before any retry:
        exactly [this apply's commit, the initial commit] -> a candidate (`recovered`, the
        caller proves its tree); [the initial commit] alone -> nothing landed; anything else ->
        something else landed. In both latter cases the retry carries the initial commit as
        `parent_commit`: a compare-and-swap again, so in the last case the Hub answers 412.
        """
        from release.hub.hfapi import preset_regular_uploads  # imports huggingface_hub

        if (parent_commit is None) != fresh:
            raise ValueError("a commit needs parent_commit, except the first commit of a fresh "
                             "repo (fresh=True), which has none")
        trailer = f"{APPLY_ID_TRAILER}: {apply_id}"
        full_description = f"{description}\n\n{trailer}".strip() \
            if trailer not in description else description
        ops: list[Any] | None = list(operations)
        parent = parent_commit  # a fresh commit's retries get the initial commit as parent
        # The branch is known to hold only the Hub's initial commit: fresh, and after a failed
        # attempt only if the history read found nothing else. Then preupload's answer for
        # small text files is known, and set on every build of the operations, retries too.
        initial_only = fresh

        def attempt() -> CommitOutcome:
            nonlocal ops
            # The first try uses `operations`; a retry builds fresh ones, only then (building
            # may check local files against the plan).
            current, ops = ops, None
            if current is None:
                current = list(make_operations() if make_operations else operations)
            preset_regular_uploads(current, fresh_repo=initial_only)
            before = self.meter.thread_counters().commit_posts if self.meter else 0
            info = self.api.create_commit(repo_id, operations=current, commit_message=message,
                                          commit_description=full_description, revision=branch,
                                          parent_commit=parent, repo_type=repo_type)
            posted = (self.meter.thread_counters().commit_posts > before) if self.meter \
                else None
            if isinstance(info, Future):  # never: no run_as_future; the client's type allows it
                info = info.result()
            return CommitOutcome(oid=str(info.oid), posted=posted)

        def landed() -> CommitOutcome | None:
            nonlocal parent, initial_only
            if parent is None:
                oid, parent, initial_only = self.landed_first_commit(repo_id, branch, apply_id,
                                                                     repo_type)
            else:
                initial_only = False  # only the first look tells; a retry after it asks again
                oid = self.landed_commit(repo_id, branch, apply_id, parent, repo_type)
            return None if oid is None else CommitOutcome(oid=oid, posted=True, recovered=True)

        return with_retries(attempt, self.policy, before_retry=landed)

    def landed_commit(self, repo_id: str, branch: str, apply_id: str,
                      parent_commit: str, repo_type: str = "model") -> str | None:
        """The head of `branch` if it is this apply's commit on top of `parent_commit`.

        Only the head counts: a commit of ours further down (main's, on a branch created from
        main in this apply) or one with another parent is not the commit being retried. One
        history read, on the recovery path only.
        """
        from huggingface_hub.errors import RevisionNotFoundError

        try:
            history = self.api.list_repo_commits(repo_id, revision=branch, repo_type=repo_type)
        except RevisionNotFoundError:
            return None
        if len(history) < 2 or history[1].commit_id != parent_commit:
            return None
        return str(history[0].commit_id) if _carries(history[0], apply_id) else None

    def landed_first_commit(self, repo_id: str, branch: str, apply_id: str,
                            repo_type: str = "model") -> tuple[str | None, str, bool]:
        """After a failed first commit of a fresh repo (sent without `parent_commit`): (the
        head, if the branch holds exactly this apply's commit on the initial commit; the
        initial commit, the parent every retry carries; whether the branch holds the initial
        commit alone). One history read, recovery only.

        A branch that is gone raises (RevisionNotFoundError): there is nothing to commit on.
        """
        history = self.api.list_repo_commits(repo_id, revision=branch, repo_type=repo_type)
        initial = str(history[-1].commit_id)
        if len(history) == 2 and _carries(history[0], apply_id):
            return str(history[0].commit_id), initial, False
        return None, initial, len(history) == 1

    # -- collections --------------------------------------------------------------------------

    def create_collection(self, namespace: str, title: str, description: str | None,
                          private: bool) -> Any:
        """Create (or, after a lost response or a concurrent apply, find) the collection.

        The real Hub creates a second collection for an existing title instead of answering
        409, so a failed attempt is never simply repeated: the namespace is searched for the
        title first, and a collection found there is the answer.
        """
        def landed() -> Any:
            slugs = self.collection_slugs(namespace, title)
            return self.get_collection(first_created(slugs)) if slugs else None

        return with_retries(lambda: self.api.create_collection(
            title, namespace=namespace, description=description, private=private,
            exists_ok=True), self.policy, before_retry=landed)

    def collection_slugs(self, namespace: str, title: str) -> list[str]:
        """Slugs of the namespace's collections titled `title` (one listing)."""
        return [c.slug for c in with_retries(
            lambda: list(self.api.list_collections(owner=namespace)), self.policy)
            if c.title == title]

    def delete_collection(self, slug: str) -> None:
        with_retries(lambda: self.api.delete_collection(slug, missing_ok=True), self.policy)

    def get_collection(self, slug: str) -> Any:
        return with_retries(lambda: self.api.get_collection(slug), self.policy)

    def update_collection(self, slug: str, *, description: str | None = None,
                          private: bool | None = None) -> None:
        with_retries(lambda: self.api.update_collection_metadata(
            slug, description=description, private=private), self.policy)

    def add_collection_item(self, slug: str, item_id: str, item_type: str,
                            note: str | None) -> Any:
        """Add the item (or find it, if already there); returns the collection."""
        # The item type comes from a validated repo type (model, dataset, space).
        kind = cast("CollectionItemType_T", item_type)
        return with_retries(lambda: self.api.add_collection_item(
            slug, item_id, kind, note=note, exists_ok=True), self.policy)

    def update_collection_item(self, slug: str, object_id: str, *, note: str | None = None,
                               position: int | None = None) -> None:
        with_retries(lambda: self.api.update_collection_item(
            slug, object_id, note=note, position=position), self.policy)

    def delete_collection_item(self, slug: str, object_id: str) -> None:
        with_retries(lambda: self.api.delete_collection_item(slug, object_id, missing_ok=True),
                     self.policy)
