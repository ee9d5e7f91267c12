"""README front matter: parsed into `cardData`, and validated for `POST /api/validate-yaml`."""

from __future__ import annotations

import datetime
from typing import Any

import yaml


def split_front_matter(text: str) -> str | None:
    """The YAML between the leading `---` lines, or None when the README has no front matter."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:index])
    return None


def parse_card_data(text: str) -> dict[str, Any] | None:
    """Metadata as a JSON-safe dict; ValueError when the front matter is not a YAML mapping."""
    block = split_front_matter(text)
    if block is None:
        return None
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as err:
        raise ValueError(f"Invalid YAML in README.md metadata: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("README.md metadata must be a YAML mapping")
    return _json_safe(data)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def card_tags(card: dict[str, Any]) -> list[str]:
    """The tags the Hub derives from card metadata (a subset: tags, library, license)."""
    raw = card.get("tags") or []
    tags = [raw] if isinstance(raw, str) else [str(t) for t in raw]
    if card.get("library_name"):
        tags.append(str(card["library_name"]))
    if card.get("license"):
        tags.append(f"license:{card['license']}")
    return list(dict.fromkeys(tags))
