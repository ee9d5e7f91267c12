"""A Hub-compatible HTTP server that the unmodified huggingface_hub client talks to.

See ../../shared/reference/hub-api.md for the surface it implements and the pitfalls it handles.
"""

from __future__ import annotations

from release.localhub.auth import DEFAULT_TOKEN, DEFAULT_USER, AuthConfig
from release.localhub.server import LocalHub, build_app, serve

__all__ = ["DEFAULT_TOKEN", "DEFAULT_USER", "AuthConfig", "LocalHub", "build_app", "serve"]
