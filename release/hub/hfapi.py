"""The one place release leans on a private `HfApi` hook: `_validate_yaml`.

huggingface_hub's `create_commit` sends `POST /api/validate-yaml` for every commit that adds a
README.md, before uploading (hf_api.py: `self._validate_yaml(content, ...)`). `release apply`
already asks the Hub that exact question for every card it writes, before the first write
(`workflow.refuse_invalid_cards`, through this same method), so asking again per commit costs
one request per card for an answer it has. `ReleaseHfApi` remembers the README texts the Hub
accepted in this session and skips the repeat; any other text goes to the Hub as before.

Skipping is safe: the Hub validates the metadata again on the commit itself (400 `Invalid
metadata in README.md`), so nothing invalid lands either way. If huggingface_hub renames or
stops calling the hook, tests/localhub/test_hfapi_hook.py fails (it counts validate-yaml
requests on the local hub), rather than the saving silently disappearing or doubling.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from huggingface_hub import HfApi


def _key(content: str, repo_type: str | None) -> str:
    return f"{repo_type or 'model'}:{hashlib.sha256(content.encode('utf-8')).hexdigest()}"


class ReleaseHfApi(HfApi):
    """`HfApi` that asks the Hub to validate a given README text at most once per session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._validated: set[str] = set()
        self._validated_lock = threading.Lock()

    def _validate_yaml(self, content: str, *, repo_type: str | None = None,
                       token: bool | str | None = None) -> None:
        key = _key(content, repo_type)
        with self._validated_lock:
            if key in self._validated:
                return  # the Hub accepted this exact text already; the commit checks it again
        super()._validate_yaml(content, repo_type=repo_type, token=token)  # raises if refused
        with self._validated_lock:
            self._validated.add(key)
