"""Renderers for `release show`: a table per family, or the full desired state as JSON.

Renderers return strings; the CLI prints them. Both outputs are deterministic.

The JSON is a versioned public format with its own model (`show_document`), written key by
key: a field added to the internal desired state does not appear in it until it is added
here, with a minor bump of `JSON_FORMAT_VERSION` (minor = additive, major = breaking, as for
plans).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from release.state import (
    DesiredBranch,
    DesiredCollection,
    DesiredRepo,
    DesiredState,
    Provenance,
)

Json = Any  # a JSON value

JSON_FORMAT_VERSION = 1
_HEADERS = ("VARIANT", "REPO", "VISIBILITY", "GATING", "REVISIONS")
_MAX_BRANCHES = 6  # OLMo-style families have hundreds of checkpoint branches


def render_json(state: DesiredState) -> str:
    """The whole desired state (file contents left out: the card is `card_text`)."""
    return json.dumps(show_document(state), indent=2, ensure_ascii=False) + "\n"


def show_document(state: DesiredState) -> dict[str, Json]:
    """`release show --format json`, version `JSON_FORMAT_VERSION`."""
    return {"format_version": JSON_FORMAT_VERSION,
            "namespaces": list(state.namespaces),
            "repos": [_repo(repo) for repo in state.repos],
            "collections": [_collection(c) for c in state.collections],
            "families": list(state.families),
            "prune": state.prune,
            "config_digest": state.config_digest}


def _repo(repo: DesiredRepo) -> dict[str, Json]:
    return {"repo_id": repo.repo_id, "family": repo.family, "variant": repo.variant,
            "axes": [[axis, value] for axis, value in repo.axes],
            "visibility": repo.visibility, "gated": repo.gated, "card_text": repo.card_text,
            "branches": [_branch(branch) for branch in repo.branches],
            "tags": [{"name": t.name, "revision": t.revision, "message": t.message,
                      "move": t.move} for t in repo.tags],
            "provenance": None if repo.provenance is None else _provenance(repo.provenance),
            "repo_type": repo.repo_type, "adopt": repo.adopt,
            "visibility_managed": repo.visibility_managed}


def _branch(branch: DesiredBranch) -> dict[str, Json]:
    return {"name": branch.name,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256,
                       "git_sha1": f.git_sha1, "local_path": f.local_path}
                      for f in branch.files],
            "prune_files": branch.prune_files, "start_point": branch.start_point,
            "source": branch.source}


def _provenance(provenance: Provenance) -> dict[str, Json]:
    return {"family": provenance.family, "variant": provenance.variant,
            "config_digest": provenance.config_digest,
            "upstream_repo": provenance.upstream_repo,
            "upstream_commit": provenance.upstream_commit,
            "card_digest": provenance.card_digest,
            "declared": json.loads(json.dumps(provenance.declared))}


def _collection(collection: DesiredCollection) -> dict[str, Json]:
    return {"namespace": collection.namespace, "title": collection.title,
            "description": collection.description, "private": collection.private,
            "items": [{"repo_id": i.repo_id, "repo_type": i.repo_type, "note": i.note}
                      for i in collection.items]}


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


# --------------------------------------------------------------------------------------------
# release card


def find_repo(state: DesiredState, selector: str) -> DesiredRepo:
    """The declared repo `selector` names: its repo id, `family/variant`, or a variant key
    that only one family has. Anything else: an error listing what exists (did you mean)."""
    from release.config.diagnostics import closest
    from release.errors import ReleaseError

    by_name: dict[str, list[DesiredRepo]] = {}
    for repo in state.repos:
        for name in (repo.repo_id, f"{repo.family}/{repo.variant}", repo.variant):
            by_name.setdefault(name.lower(), []).append(repo)
    found = by_name.get(selector.lower(), [])
    if len(found) == 1:
        return found[0]
    names = [f"{repo.family}/{repo.variant}" for repo in state.repos]
    if found:
        raise ReleaseError(f"'{selector}' is a variant of {len(found)} families; name one: "
                           + ", ".join(f"{r.family}/{r.variant}" for r in found))
    guess = closest(selector, names + [repo.repo_id for repo in state.repos]
                    + [repo.variant for repo in state.repos])
    hint = f" (did you mean '{guess}'?)" if guess else ""
    shown = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
    raise ReleaseError(f"no declared variant '{selector}'{hint}; the config declares: "
                       f"{shown or 'none'}")


def card_of(repo: DesiredRepo, revision: str = "main") -> str:
    """The README.md apply commits to `revision` of `repo` (main, a release revision, or a
    release tag's name), exactly: the bytes are the desired file's."""
    from release.errors import ReleaseError

    if not repo.card_text:
        raise ReleaseError(f"release does not manage the card of {repo.repo_id} (card.managed: "
                           "false): its README.md is the Hub's")
    tags = {tag.name: tag.revision for tag in repo.tags}
    branch = repo.branch(tags.get(revision, revision))
    readme = next((f for f in branch.files if f.path == "README.md"), None) if branch else None
    if readme is None or readme.content is None:
        carried = ["main", *(f"{name} ({rev})" for name, rev in sorted(tags.items())
                             if rev != "main")]
        what = (f"release commits no card to {revision} (a run branch keeps the card main "
                "had when it was created, and a release revision of a card.file card the "
                "README.md it has)" if branch is not None
                else f"{repo.repo_id} has no revision or release tag '{revision}'")
        raise ReleaseError(f"{what}; cards of {repo.repo_id} are on: {', '.join(carried)}")
    return readme.content.decode("utf-8")
