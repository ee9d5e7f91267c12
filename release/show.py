"""Renderers for `release show`: a table per family, or the full desired state as JSON.

Renderers return strings; the CLI prints them. Both outputs are deterministic.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from release.state import DesiredRepo, DesiredState

JSON_FORMAT_VERSION = 1
_HEADERS = ("VARIANT", "REPO", "VISIBILITY", "GATING", "REVISIONS")
_MAX_BRANCHES = 6  # OLMo-style families have hundreds of checkpoint branches


def render_json(state: DesiredState) -> str:
    """The whole desired state (file contents left out: the card is `card_text`)."""
    document = {"format_version": JSON_FORMAT_VERSION, **_jsonable(state)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_table(state: DesiredState, order: Mapping[tuple[str, str], int] | None = None) -> str:
    """One table per family: variant, repo id, visibility, gating, revisions (and their source).

    Args:
        order: (family, variant) -> position, to list variants in matrix order.
    """
    sections = []
    for family in state.families:
        repos = [repo for repo in state.repos if repo.family == family]
        if order is not None:
            repos.sort(key=lambda repo: order.get((repo.family, repo.variant), 0))
        sections.append(_family_section(family, repos, state))
    prune = "on: managed repos no longer declared are deleted" if state.prune else "off"
    sections.append(f"prune: {prune}\n")
    return "\n".join(sections)


def _family_section(family: str, repos: list[DesiredRepo], state: DesiredState) -> str:
    namespaces = ", ".join(sorted({repo.namespace for repo in repos}))
    heading = f"{family} ({namespaces}): {len(repos)} repo{'s' if len(repos) != 1 else ''}"
    repo_ids = {repo.repo_id for repo in repos}
    for collection in state.collections:
        if any(item.repo_id in repo_ids for item in collection.items):
            visibility = "private" if collection.private else "public"
            heading += f"; collection '{collection.title}' ({visibility})"
    rows: list[tuple[str, ...]] = [_HEADERS]
    for repo in repos:
        revisions = _revisions(repo)
        gating = repo.gated if repo.gated else "-"
        visibility = repo.visibility if repo.visibility_managed else "as on the Hub (adopted)"
        rows.append((repo.variant, repo.repo_id, visibility, str(gating), revisions[0]))
        rows += [("", "", "", "", line) for line in revisions[1:]]
    return heading + "\n" + _table(rows)


def _revisions(repo: DesiredRepo) -> list[str]:
    lines = []
    branches = list(repo.branches)
    for branch in branches[:_MAX_BRANCHES]:
        lines.append(branch.name + (f"  <- {branch.source}" if branch.source else ""))
    if len(branches) > _MAX_BRANCHES:
        lines.append(f"... {len(branches) - _MAX_BRANCHES} more branches")
    for tag in repo.tags:
        lines.append(f"tag {tag.name} -> {tag.revision}" + (" (may move)" if tag.move else ""))
    return lines


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  " + "  ".join(cell.ljust(width)
                              for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "content"}  # bytes; the card is already in card_text
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
