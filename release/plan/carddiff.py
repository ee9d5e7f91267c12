"""Reviewable card diffs: field-level for the YAML front matter, unified for the Markdown body.

A card change is shown as what a reviewer cares about (which metadata keys change, which lines of
the body) instead of two walls of text (Terraform users' complaint about big before->after
strings). Pure: computed from the two card texts the plan carries.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from release.state import split_card


@dataclass(frozen=True)
class MetadataChange:
    """One metadata key (dotted for nested mappings) that the card commit adds, changes or drops."""

    key: str
    action: Literal["add", "change", "remove"]
    old: Any = None
    new: Any = None


def _flatten(meta: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    # Nested mappings (the provenance block, model-index entries keyed by name) are compared per
    # leaf so a reviewer sees `release.config_digest` change, not the whole block; lists stay
    # whole because their items have no stable key.
    flat: dict[str, Any] = {}
    for key in meta:
        value = meta[key]
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def metadata_changes(old_text: str | None, new_text: str) -> tuple[MetadataChange, ...]:
    """The metadata keys that differ between two cards, sorted by key."""
    old = _flatten(split_card(old_text)[0]) if old_text is not None else {}
    new = _flatten(split_card(new_text)[0])
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            changes.append(MetadataChange(key, "add", None, new[key]))
        elif key not in new:
            changes.append(MetadataChange(key, "remove", old[key], None))
        elif _canonical(old[key]) != _canonical(new[key]):
            changes.append(MetadataChange(key, "change", old[key], new[key]))
    return tuple(changes)


def body_diff(old_text: str | None, new_text: str, context: int = 3) -> str:
    """A unified diff of the card bodies (front matter excluded), '' when the bodies are equal."""
    old_body = split_card(old_text)[1] if old_text is not None else ""
    new_body = split_card(new_text)[1]
    lines = difflib.unified_diff(old_body.splitlines(), new_body.splitlines(),
                                 "a/README.md", "b/README.md", n=context, lineterm="")
    return "\n".join(lines)
