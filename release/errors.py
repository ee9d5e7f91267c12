"""The one small error tree. The CLI maps each class to a message and exit code 1."""

from __future__ import annotations

import re
import threading


class ReleaseError(Exception):
    """Anything the user can act on. `str(err)` is the message printed, without a traceback."""

    exit_code = 1


class ConfigError(ReleaseError):
    """A problem in the YAML or the overrides: carries where (file:line:col or the override)."""

    def __init__(self, message: str, location: str | None = None, key: str | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.location = location
        self.key = key
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigErrors(ReleaseError):
    """Several config errors found in one pass, so the user fixes them all at once."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))


class HubError(ReleaseError):
    """A Hub request failed: names the object's address and the next step."""

    def __init__(self, address: str, message: str, next_step: str | None = None) -> None:
        self.address = address
        self.message = message
        self.next_step = next_step
        text = f"{address}: {message}"
        if next_step:
            text += f"; {next_step}"
        super().__init__(text)


class StalePlanError(ReleaseError):
    """A saved plan no longer matches the Hub: names the objects that changed since."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        listed = "\n".join(f"  - {a}" for a in addresses)
        super().__init__(
            "saved plan is stale: these objects changed on the Hub since it was made:\n"
            f"{listed}\nrun 'release plan' again and review the new plan"
        )


class PolicyError(ReleaseError):
    """The plan would do something the config does not allow (e.g. destroy without opt-in)."""


# --------------------------------------------------------------------------------------------
# Secrets: every message the CLI prints goes through `redact`, so a token that reached a
# message by any path (an override's text, a pasted `token_env:`) is never shown.

#: huggingface.co user tokens (`hf_` + 34 letters/digits) and old org tokens (`api_org_...`).
TOKEN_PATTERN = re.compile(r"\b(?:hf|api_org)_[A-Za-z0-9]{20,}\b")
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def register_secret(value: str) -> None:
    """Remember a token in use (whatever its shape) so `redact` hides it too."""
    if value:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """`text` with every known or token-shaped secret replaced by `hf_***`."""
    with _SECRETS_LOCK:
        known = sorted(_SECRETS, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, "hf_***")
    return TOKEN_PATTERN.sub("hf_***", text)


def looks_like_token(value: str) -> bool:
    """A Hub token rather than an environment variable's name.

    Hub tokens start with a lowercase `hf_` (`api_org_` for old org tokens); variable names are
    conventionally upper case (`HF_TOKEN`), so the lowercase prefix tells them apart. A long
    string mixing cases and digits is a secret of another shape.
    """
    if value.startswith(("hf_", "api_org_")):
        return True
    return len(value) >= 30 and any(c.islower() for c in value) and any(
        c.isupper() for c in value) and any(c.isdigit() for c in value)
