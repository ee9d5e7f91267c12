"""HubWriter: every write `release apply` makes, and nothing else writes.

huggingface_hub does not retry most write calls (create_repo, settings, refs, the commit POST;
see hub-api.md section 2). Here each call is retried on 429 (honouring Retry-After), 5xx and
connection errors *when repeating it is safe*:
  * idempotent calls (create with exist_ok, settings, deletes with missing_ok) are simply
    repeated;
  * a commit is never blindly repeated: its message carries a unique `Release-Apply-Id`
    trailer, and after a lost response the branch history is checked for it first, so a commit
    that landed is recognised instead of duplicated. `parent_commit` makes the retry a
    compare-and-swap: if anything else moved the branch, the Hub answers 412 and we stop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from release.hub.errors import status_of

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
APPLY_ID_TRAILER = "Release-Apply-Id"


@dataclass
class RetryPolicy:
    """Bounded exponential backoff; a server's Retry-After wins, capped at `max_wait`."""

    attempts: int = 5
    base_wait: float = 0.5
    max_wait: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def wait_for(self, attempt: int, exc: BaseException) -> float:
        response = getattr(exc, "response", None)
        header = response.headers.get("Retry-After") if response is not None else None
        if header is not None and header.strip().isdigit():
            return min(float(header), self.max_wait)
        return min(self.base_wait * (2 ** attempt), self.max_wait)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limits, server errors, and connections that broke."""
    import httpx2

    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    return isinstance(exc, (httpx2.TransportError, ConnectionError))


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
                found = with_retries(before_retry, RetryPolicy(
                    attempts=policy.attempts, base_wait=policy.base_wait,
                    max_wait=policy.max_wait, sleep=policy.sleep))
                if found is not None:
                    return found
    raise AssertionError("unreachable")  # the loop either returns or raises


@dataclass
class HubWriter:
    """The write calls apply needs, each safe to re-run."""

    api: Any  # huggingface_hub.HfApi
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def create_repo(self, repo_id: str, repo_type: str = "model") -> None:
        # Always private: a repo becomes public only after its content is in (see apply order).
        with_retries(lambda: self.api.create_repo(repo_id, repo_type=repo_type, private=True,
                                                  exist_ok=True), self.policy)

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

    def create_branch(self, repo_id: str, branch: str, start_point: str | None,
                      repo_type: str = "model") -> None:
        with_retries(lambda: self.api.create_branch(repo_id, branch=branch, revision=start_point,
                                                    repo_type=repo_type, exist_ok=True),
                     self.policy)

    def delete_branch(self, repo_id: str, branch: str, repo_type: str = "model") -> None:
        self._delete_ref(lambda: self.api.delete_branch(repo_id, branch=branch,
                                                        repo_type=repo_type))

    def create_tag(self, repo_id: str, tag: str, revision: str, message: str,
                   repo_type: str = "model") -> None:
        with_retries(lambda: self.api.create_tag(repo_id, tag=tag, revision=revision,
                                                 tag_message=message or None,
                                                 repo_type=repo_type, exist_ok=True),
                     self.policy)

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

    def commit(self, repo_id: str, branch: str, operations: Sequence[Any], message: str,
               description: str, apply_id: str, parent_commit: str | None,
               repo_type: str = "model", make_operations: Callable[[], Sequence[Any]] | None = None
               ) -> str:
        """One atomic commit on `branch`; returns its oid. Never creates a duplicate.

        `make_operations` rebuilds the operations for a retry (CommitOperationAdd objects are
        single-use in huggingface_hub).
        """
        trailer = f"{APPLY_ID_TRAILER}: {apply_id}"
        full_description = f"{description}\n\n{trailer}".strip()
        ops = list(operations)

        def attempt() -> str:
            nonlocal ops
            current, ops = ops, list(make_operations()) if make_operations else ops
            info = self.api.create_commit(repo_id, operations=current, commit_message=message,
                                          commit_description=full_description, revision=branch,
                                          parent_commit=parent_commit, repo_type=repo_type)
            return str(info.oid)

        def landed() -> str | None:
            return self.find_commit(repo_id, branch, apply_id, repo_type)

        return with_retries(attempt, self.policy, before_retry=landed)

    def find_commit(self, repo_id: str, branch: str, apply_id: str,
                    repo_type: str = "model", depth: int = 20) -> str | None:
        """The oid of the commit on `branch` carrying this apply id, if it is among the newest."""
        marker = f"{APPLY_ID_TRAILER}: {apply_id}"
        for index, commit in enumerate(self.api.list_repo_commits(repo_id, revision=branch,
                                                                  repo_type=repo_type)):
            if marker in (commit.message or ""):
                return str(commit.commit_id)
            if index + 1 >= depth:
                break
        return None
