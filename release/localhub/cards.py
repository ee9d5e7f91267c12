"""README front matter: parsed into `cardData`, and validated for `POST /api/validate-yaml`."""

from __future__ import annotations

import datetime
from typing import Any

import yaml

from release.config.hub_metadata import LICENSES, PIPELINE_TAGS, language_problem


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


# The Hub validates README metadata on every commit and in `POST /api/validate-yaml`, answering
# Joi-style messages such as `"license" must be one of [apache-2.0, mit, ...]` (quoted in
# huggingface_hub#4218) under 400 `Invalid metadata in README.md` (hub-api.md section 9: also
# reported for `datasets[0]` values and `model-index` types). The value lists are the ones
# `release validate` checks the config against (release/config/hub_metadata.py).
EMPTY_METADATA_WARNING = (
    "Empty or missing yaml metadata in repo card "
    "(https://huggingface.co/docs/hub/model-cards#model-card-metadata)"
)


def metadata_errors(card: dict[str, Any]) -> list[str]:
    """What the Hub would refuse in parsed card metadata, one message per problem."""
    errors: list[str] = []

    def strings(key: str) -> list[tuple[str, Any]]:
        value = card.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        return [(key, value)]

    for where, value in strings("license"):
        if value not in LICENSES:
            errors.append(f'"{where}" must be one of [{", ".join(sorted(LICENSES))}]')
    pipeline = card.get("pipeline_tag")
    if pipeline is not None and pipeline not in PIPELINE_TAGS:
        errors.append(f'"pipeline_tag" must be one of [{", ".join(sorted(PIPELINE_TAGS))}]')
    for key in ("language", "datasets", "tags", "base_model"):
        for where, value in strings(key):
            if not isinstance(value, str):
                errors.append(f'"{where}" must be a string')
            elif key == "language" and language_problem(value):
                errors.append(f'"{where}" with value "{value}" is not a valid language code')
    if "model-index" in card and not isinstance(card["model-index"], list):
        errors.append('"model-index" must be an array')
    return errors


def check_readme(text: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a README, as `validate-yaml` reports them."""
    try:
        card = parse_card_data(text)
    except ValueError as err:
        return [str(err)], []
    if not card:
        return [], [EMPTY_METADATA_WARNING]
    return metadata_errors(card), []
