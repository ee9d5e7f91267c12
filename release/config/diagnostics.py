"""Building config errors that name the location, the key path and the closest valid key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from release.config.sources import KeyPath, SourceMap, format_path
from release.errors import ConfigError


def config_error(sources: SourceMap | None, path: KeyPath, problem: str, *,
                 at_key: bool = False, hint: str | None = None) -> ConfigError:
    """`<file:line:col>: <key.path>: <problem> (<hint>)`; `at_key`: point at the key."""
    location = None
    if sources is not None:
        location = sources.key_location(path) if at_key else sources.value_location(path)
    key = format_path(path)
    return ConfigError(f"{key}: {problem}", location=location, key=key, hint=hint)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, if any is close enough."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], shown: str = "'{}'") -> str | None:
    """The hint `did you mean 'x'?`; `shown` formats the suggestion (e.g. "'{{{}}}'")."""
    match = closest(word, candidates)
    return f"did you mean {shown.format(match)}?" if match is not None else None
