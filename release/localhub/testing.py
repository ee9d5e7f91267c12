"""Pytest fixtures for the local hub, registered suite-wide from tests/conftest.py.

`local_hub` runs in strict auth mode (users alice and bob, org acme with alice as member);
`local_hub_default` runs the open default the embedded demo uses (`DEFAULT_TOKEN`, any namespace).
`local_hub_duplicating` is `local_hub` answering a collection create with an existing title the way
the real Hub does: a second collection instead of a 409 (`LocalHub(duplicate_collections=True)`).
`quota_hub` is the open default rehearsing the Hub's API quota with time compressed
(`QUOTA_HUB_RATE`: 100 requests per 3-second window instead of 1000 per 300 s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from release.localhub.auth import DEFAULT_TOKEN
from release.localhub.server import LocalHub

ALICE_TOKEN = "hf_alice_write"
ALICE_READ_TOKEN = "hf_alice_read"
BOB_TOKEN = "hf_bob_write"
QUOTA_HUB_RATE = "100/3s"

STRICT_AUTH: dict[str, Any] = {
    "users": ["alice", "bob"],
    "orgs": [{"name": "acme", "members": ["alice"]}],
    "tokens": [
        {"value": ALICE_TOKEN, "user": "alice", "role": "write", "name": "alice-write"},
        {"value": ALICE_READ_TOKEN, "user": "alice", "role": "read", "name": "alice-read"},
        {"value": BOB_TOKEN, "user": "bob", "role": "write", "name": "bob-write"},
    ],
}


def hub_api(hub: LocalHub, token: str | bool | None = DEFAULT_TOKEN) -> HfApi:
    """An unmodified HfApi pointed at the hub. `token=False` sends no token (anonymous)."""
    return HfApi(endpoint=hub.endpoint, token=token)


@pytest.fixture
def local_hub(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub-data", auth=STRICT_AUTH) as hub:
        yield hub


@pytest.fixture
def local_hub_duplicating(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub-data", auth=STRICT_AUTH, duplicate_collections=True) as hub:
        yield hub


@pytest.fixture
def local_hub_default(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub-data") as hub:
        yield hub


@pytest.fixture
def quota_hub(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub-data", rate_limit=QUOTA_HUB_RATE) as hub:
        yield hub


@pytest.fixture
def make_api(local_hub: LocalHub) -> Callable[..., HfApi]:
    """`make_api(ALICE_TOKEN)`: HfApi on the strict `local_hub`; `make_api(False)`: anonymous."""

    def build(token: str | bool = ALICE_TOKEN) -> HfApi:
        return hub_api(local_hub, token)

    return build
