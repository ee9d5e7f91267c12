"""A Hub-compatible HTTP server that the unmodified huggingface_hub client talks to.

See ../../shared/reference/hub-api.md for the surface it implements and the pitfalls it handles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from release.localhub.auth import DEFAULT_TOKEN, DEFAULT_USER, AuthConfig

if TYPE_CHECKING:
    from release.localhub.server import LocalHub, build_app, serve

__all__ = ["DEFAULT_TOKEN", "DEFAULT_USER", "AuthConfig", "LocalHub", "build_app", "serve"]

_SERVER = ("LocalHub", "build_app", "serve")


def __getattr__(name: str) -> Any:
    """The server (uvicorn and the app, a second or so of imports) is loaded when first asked
    for: a client of a hub elsewhere needs only the default token and the quota parser."""
    if name in _SERVER:
        from release.localhub import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
