"""The one small error tree. The CLI maps each class to a message and exit code 1."""

from __future__ import annotations


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
