"""Hub-shaped HTTP errors: status, message, and the X-Error-Code the client maps to its types."""

from __future__ import annotations

from typing import Any

# The Hub's text for a stale parentCommit, as huggingface_hub's `test_create_commit_conflict`
# asserts it (tests/test_hf_api.py).
STALE_PARENT_MESSAGE = (
    "The branch was updated since you opened this page. Please refresh and try again."
)
INVALID_TOKEN_MESSAGE = "Invalid credentials in Authorization header"


class HubError(Exception):
    """An error answered as `{"error": message}` with the Hub's status and error-code headers."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.code:
            headers["X-Error-Code"] = self.code
            # Header values must be latin-1; messages are ASCII by construction but be safe.
            headers["X-Error-Message"] = self.message.encode("ascii", "replace").decode()
        return headers


def repo_not_found(repo_id: str, anonymous: bool) -> HubError:
    """401 for anonymous callers and 404 otherwise, as the Hub hides private repos."""
    return HubError(401 if anonymous else 404, f"Repository not found: {repo_id}", "RepoNotFound")


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def entry_not_found(path: str, commit: str | None = None) -> HubError:
    headers = {"X-Repo-Commit": commit} if commit else None
    return HubError(404, f"Entry not found: {path}", "EntryNotFound", headers=headers)


def bad_request(message: str) -> HubError:
    return HubError(400, message)


def forbidden(message: str) -> HubError:
    return HubError(403, message)


def unauthenticated(message: str = "You must be authenticated to do this") -> HubError:
    return HubError(401, message)


def conflict(message: str, **extra: Any) -> HubError:
    return HubError(409, message, extra=extra)
