"""One table from huggingface_hub / httpx2 exceptions to a HubError a person can act on.

Modelled on huggingface_hub's `cli/_errors.py`: name the object, say what happened, give the
next command to run. The token is never part of the message.
"""

from __future__ import annotations

from typing import TypeVar

from release.errors import HubError

E = TypeVar("E", bound=BaseException)


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


#: How huggingface_hub words the Hub's refusal of a README's metadata (a ValueError raised by
#: its validate-yaml call before create_commit uploads anything).
INVALID_METADATA = "Invalid metadata in README.md"


def card_metadata_problems(message: str) -> list[str]:
    """`card.metadata.<field>: <the Hub's words>` per line of the Hub's refusal, whose lines
    read like `- "license" must be one of [apache-2.0, mit, ...]` (huggingface_hub#4218); the
    allowed-value lists are cut short."""
    import re

    problems = []
    for line in message.splitlines()[1:]:
        line = line.strip().removeprefix("- ")
        if not line:
            continue
        found = re.match(r'"([^"]+)"\s*(.*)', line)
        field, words = (found.group(1), found.group(2)) if found else ("", line)
        if len(words) > 80:
            words = words[:77].rstrip(", ") + "...]"
        problems.append(f"card.metadata.{field}: {words}" if field else words)
    return problems or ["(the Hub gave no details)"]


def to_hub_error(address: str, exc: BaseException, endpoint: str = "") -> HubError:
    """Translate an exception raised while working on `address` into a HubError."""
    import httpx2
    from huggingface_hub import errors as hf

    already = _in_chain(exc, HubError)
    if already is not None:
        return already  # e.g. the pacer's WaitLimitReached: already says what to do
    if isinstance(exc, ValueError) and str(exc).startswith(INVALID_METADATA):
        # Before unwrapping: the ValueError's own text lists the refused fields.
        return HubError(address, "the Hub refused the card's metadata: "
                        + "; ".join(card_metadata_problems(str(exc))),
                        "fix those card.metadata fields in the config ('release validate' checks "
                        "the Hub's lists) and re-run")
    # huggingface_hub wraps some failures (LFS uploads: RuntimeError "Error while uploading");
    # what to tell the user is in the cause.
    if status_of(exc) is None and not isinstance(exc, httpx2.HTTPError):
        exc = _in_chain(exc, httpx2.HTTPError) or exc
    status = status_of(exc)
    server = getattr(exc, "server_message", "") or ""
    if isinstance(exc, hf.GatedRepoError):
        return HubError(address, "the repo is gated and this token has not been granted access",
                        "request access on the Hub or use a token of the repo's owner")
    if isinstance(exc, hf.RevisionNotFoundError):
        return HubError(address, "revision not found",
                        "run 'release plan' again to re-read the Hub")
    if isinstance(exc, hf.RepositoryNotFoundError):
        return HubError(address, "repo not found, or not visible to this token",
                        "check the namespace and that the token can read it")
    if status == 401:
        return HubError(address, "401 — the token is missing or invalid",
                        "set a valid token in the environment variable the hub config names "
                        "(default HF_TOKEN) or run 'hf auth login'")
    if status == 403:
        return _forbidden(address, server)
    if status == 409:
        return HubError(address, f"409 — already exists on the Hub ({server or 'conflict'})",
                        "run 'release plan' again to re-read the Hub")
    if status == 412:
        return HubError(address, "412 — the branch moved since the plan was made",
                        "run 'release plan' again and review the new plan")
    if status == 429:
        return HubError(address, "429 — rate limited by the Hub, retries exhausted",
                        "wait a few minutes and re-run; apply converges where it stopped")
    if status is not None and status >= 500:
        return HubError(address, f"{status} — the Hub failed ({server or 'server error'})",
                        "re-run later; apply converges where it stopped")
    if status == 404 and address == "hub":
        # The first request (whoami) found no Hub API there: a wrong endpoint, not a network
        # problem (a server answered).
        where = endpoint or "the endpoint"
        return HubError(address, f"{where} answered 404 to the Hub API ({server or 'not found'})",
                        "check hub.endpoint: it is the server's root URL, e.g. "
                        "https://huggingface.co or http://127.0.0.1:8000 for 'release hub serve'")
    if status is not None:
        return HubError(address, f"{status} — {server or type(exc).__name__}")
    where = f" at {endpoint}" if endpoint else ""
    if isinstance(exc, (httpx2.ReadError, httpx2.WriteError, httpx2.RemoteProtocolError,
                        httpx2.CloseError)):
        return HubError(address, f"the Hub{where} kept resetting the connection "
                        f"({type(exc).__name__}, retried)",
                        "the Hub was reached, so this is likely transient: re-run; apply "
                        "converges where it stopped")
    if isinstance(exc, httpx2.TimeoutException) and not isinstance(exc, httpx2.ConnectTimeout):
        return HubError(address, f"the Hub{where} did not answer in time "
                        f"({type(exc).__name__})", "re-run; apply converges where it stopped")
    if isinstance(exc, httpx2.HTTPError) or isinstance(exc, OSError):
        return HubError(address, f"cannot reach the Hub{where}: {type(exc).__name__}",
                        "check the network and the hub endpoint; re-run when it is reachable")
    return HubError(address, f"{type(exc).__name__}: {exc}")


def _forbidden(address: str, server: str) -> HubError:
    """A 403 says what the Hub said: it is not always the token (hub-api.md section 9).

    Past the private storage quota the Hub answers 403 `Private repository storage limit
    reached` (huggingface_hub#3048); a rights problem names the namespace.
    """
    namespace = address.split(":", 1)[-1].split("/", 1)[0]
    if "storage" in server.lower():
        return HubError(address, f"403 — the Hub refused: {server}",
                        "free private storage (delete private repos you no longer need, or "
                        "make released ones public) or raise the account's storage plan, then "
                        "re-run 'release apply'; it converges where it stopped")
    if server:
        return HubError(address, f"403 — the Hub refused: {server}",
                        f"check that the token may write to '{namespace}' ('hf auth login' "
                        "with a write token), then re-run 'release apply'")
    return HubError(address, f"403 — the token has no write access to '{namespace}'",
                    "use a token with write rights on that namespace ('hf auth login')")


def _in_chain(exc: BaseException, kind: type[E]) -> E | None:
    """`exc` or the first of its causes that is a `kind`."""
    seen: BaseException | None = exc
    for _ in range(8):  # causes do not loop in practice; bound it anyway
        if seen is None:
            return None
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
