"""`release status`: per variant, does the Hub agree with the config and the upstream code?

The gap Ajibode et al. (arXiv 2508.10157) measure is that most model families are only partly
synchronised between the code repo and the Hub, and nobody can tell which weights came from
which commit. Every card this tool writes records the upstream repo and commit and the
per-variant config digest (`Provenance`), so status shows, for each variant: what is on the
Hub (main's head, the release tag and its target), which upstream commit it came from, which
upstream commit the config now declares, and whether they agree.

One truth: status is a view of `release plan`. It takes the same observed state (the plan's
`HubReader`) and the same plan (`build_plan`, its diff and drift rules), and sorts each
repo's changes and notices into a verdict, so it cannot say "in sync" where the plan shows a
change or drift (a card edited on the Hub, a run branch deleted, a tag moved). Its cost is
therefore a plan's: one listing per namespace, refs per managed repo, trees and README only
when not cached or changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from release.config.names import natural_key
from release.plan.describe import Summary
from release.plan.model import Change, Notice, Plan
from release.state import DesiredRepo, DesiredState, ObservedRepo, ObservedState, Provenance
from release.upstream import UpstreamLag

FORMAT_VERSION = "1.1"  # 1.1: published revisions with their trailers, the upstream lag

Verdict = Literal["in sync", "config ahead", "hub drifted", "not published", "unmanaged"]
VERDICTS: tuple[Verdict, ...] = ("in sync", "config ahead", "hub drifted", "not published",
                                 "unmanaged")


# --------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class TagStatus:
    """A declared release tag: where it points on the Hub and where its revision's head is."""

    name: str
    revision: str
    target: str | None  # None: the tag is not on the Hub
    revision_head: str | None = None

    @property
    def at_head(self) -> bool:
        return self.target is not None and self.target == self.revision_head


@dataclass(frozen=True)
class PublishedRevision:
    """A revision users load (main, or a release tag) and what its commit's trailers say
    about where it came from: the config commit, the pull request, the apply, the upstream."""

    name: str  # "main" or the tag
    commit: str
    made_by_release: bool = False
    trailers: Mapping[str, str] = field(default_factory=dict)  # SHOWN_TRAILERS names

    def to_dict(self) -> dict[str, Any]:
        from release.origin import SHOWN_TRAILERS

        return {"name": self.name, "commit": self.commit,
                "made_by_release": self.made_by_release,
                **{key: self.trailers.get(key) for key in SHOWN_TRAILERS}}


@dataclass(frozen=True)
class VariantStatus:
    """One row of `release status`."""

    repo_id: str
    family: str
    variant: str
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    main_sha: str | None = None
    tags: tuple[TagStatus, ...] = ()
    hub_upstream_repo: str | None = None
    hub_upstream_commit: str | None = None
    config_upstream_repo: str | None = None
    config_upstream_commit: str | None = None
    hub_config_digest: str | None = None
    config_digest: str = ""
    published: tuple[PublishedRevision, ...] = ()
    upstream_lag: UpstreamLag | None = None  # of hub_upstream_commit, where a clone tells

    @property
    def agrees(self) -> bool:
        return self.verdict == "in sync"

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id, "family": self.family, "variant": self.variant,
            "verdict": self.verdict, "reasons": list(self.reasons),
            "hub": {"main_sha": self.main_sha,
                    "upstream_repo": self.hub_upstream_repo,
                    "upstream_commit": self.hub_upstream_commit,
                    "config_digest": self.hub_config_digest},
            "config": {"upstream_repo": self.config_upstream_repo,
                       "upstream_commit": self.config_upstream_commit,
                       "config_digest": self.config_digest},
            "tags": [{"name": t.name, "revision": t.revision, "target": t.target,
                      "revision_head": t.revision_head, "at_head": t.at_head}
                     for t in self.tags],
            "published": [revision.to_dict() for revision in self.published],
            "upstream_lag": self.upstream_lag.to_dict() if self.upstream_lag else None,
        }


@dataclass(frozen=True)
class StatusReport:
    """The rows, plus what the plan holds outside any variant (a collection's own settings,
    orphaned repos): those keep the report from agreeing too."""

    variants: tuple[VariantStatus, ...]
    requests: int = 0
    other: tuple[str, ...] = ()

    @property
    def all_agree(self) -> bool:
        return all(row.agrees for row in self.variants) and not self.other

    def counts(self) -> dict[str, int]:
        return {verdict: sum(row.verdict == verdict for row in self.variants)
                for verdict in VERDICTS}


def published_commits(desired: DesiredState,
                      observed: ObservedState) -> dict[str, list[tuple[str, str]]]:
    """{repo id: [(main or tag, commit)]}: the published revisions of each managed repo whose
    commits status reads the trailers of (main's head, and each declared release tag's
    target)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for repo in desired.repos:
        have = observed.repo(repo.repo_id)
        if have is None or have.provenance is None or have.sha is None:
            continue
        found[repo.repo_id] = [("main", have.sha)] + [
            (tag.name, have.tags[tag.name]) for tag in repo.tags if tag.name in have.tags]
    return found


def build_status(desired: DesiredState, observed: ObservedState, plan: Plan,
                 order: Mapping[tuple[str, str], int] | None = None,
                 published: Mapping[str, Sequence[PublishedRevision]] | None = None,
                 lags: Mapping[str, UpstreamLag] | None = None) -> StatusReport:
    """Sort `plan` (made from `desired` and `observed`) into a row per declared variant: a
    pure function, no network.

    `order` ((family, variant) -> index, e.g. matrix order) sorts rows within a family;
    without it rows follow the repo ids. `published`: each repo's published revisions with
    their commits' trailers (read by the caller, see `published_commits`); `lags`: repo id
    -> how far its published upstream commit is behind upstream (`release.upstream`).
    """
    declared = {repo.repo_id for repo in desired.repos}
    changes: dict[str, list[Change]] = {}
    notices: dict[str, list[Notice]] = {}
    other: list[str] = []
    for change in plan.changes:
        owner = _owner(change)
        if owner in declared:
            changes.setdefault(owner, []).append(change)
        else:
            other.append(_line(change))
    for notice in plan.notices:
        owner = notice.repo_id or ""
        if owner in declared:
            notices.setdefault(owner, []).append(notice)
        elif notice.drift or notice.code == "orphaned":
            other.append(f"{notice.address}: {notice.message}")
    rows = [replace(variant_status(repo, observed.repo(repo.repo_id),
                                   changes.get(repo.repo_id, []), notices.get(repo.repo_id, [])),
                    published=tuple((published or {}).get(repo.repo_id, ())),
                    upstream_lag=(lags or {}).get(repo.repo_id))
            for repo in desired.repos]
    rows.sort(key=lambda row: (row.family, (order or {}).get((row.family, row.variant), 0),
                               natural_key(row.repo_id)))
    return StatusReport(tuple(rows), requests=observed.requests, other=tuple(other))


def _owner(change: Change) -> str:
    """The repo a change belongs to: its repo, or the repo a collection item names."""
    return str(getattr(change, "repo_id", None) or getattr(change, "item_id", None) or "")


def _line(change: Change) -> str:
    return f"{change.address}: {change.reason if change.drift else Summary().visit(change)}"


def variant_status(want: DesiredRepo, have: ObservedRepo | None,
                   changes: Sequence[Change], notices: Sequence[Notice]) -> VariantStatus:
    """One row: the verdict of the plan's changes and notices for this repo."""
    assert want.provenance is not None, "expand() records provenance for every repo"
    config = want.provenance
    tags = tuple(_tag_status(tag.name, tag.revision, have) for tag in want.tags)
    base: dict[str, Any] = {
        "repo_id": want.repo_id, "family": want.family, "variant": want.variant,
        "config_upstream_repo": config.upstream_repo,
        "config_upstream_commit": config.upstream_commit,
        "config_digest": config.config_digest, "tags": tags}
    if have is None:
        return VariantStatus(**base, verdict="not published",
                             reasons=("the repo does not exist on the Hub (or this token "
                                      "cannot see it)",))
    recorded = have.provenance
    base["main_sha"] = have.sha
    if recorded is None and any(n.code == "unmanaged-collision" for n in notices):
        return VariantStatus(**base, verdict="unmanaged",
                             reasons=("the repo exists but its card has no release "
                                      "provenance (set adopt: true to manage it)",))
    if recorded is not None:
        base.update(hub_upstream_repo=recorded.upstream_repo,
                    hub_upstream_commit=recorded.upstream_commit,
                    hub_config_digest=recorded.config_digest)
    drifted = [_line(c) for c in changes if c.drift]
    drifted += [f"{n.address}: {n.message}" for n in notices if n.drift]
    ahead = [_line(c) for c in changes if not c.drift]
    if ahead and recorded is not None:
        ahead = _upstream_reasons(want, recorded) + ahead
    verdict: Verdict = "hub drifted" if drifted else "config ahead" if ahead else "in sync"
    return VariantStatus(**base, verdict=verdict, reasons=tuple(drifted + ahead))


def _tag_status(name: str, revision: str, have: ObservedRepo | None) -> TagStatus:
    if have is None:
        return TagStatus(name, revision, None)
    head = have.branches.get(revision, have.sha if revision == "main" else None)
    return TagStatus(name, revision, have.tags.get(name), head)


def _upstream_reasons(want: DesiredRepo, recorded: Provenance) -> list[str]:
    """Why the config is ahead, in the provenance's words: upstream commit, config digest."""
    assert want.provenance is not None
    config = want.provenance
    reasons = []
    if (recorded.upstream_repo, recorded.upstream_commit) != (config.upstream_repo,
                                                              config.upstream_commit):
        reasons.append(f"upstream: the Hub has {_upstream(recorded)}, the config declares "
                       f"{_upstream(config)}")
    if recorded.config_digest != config.config_digest:
        reasons.append(f"the variant's config changed since it was published (digest "
                       f"{_short_digest(recorded.config_digest)} on the Hub, "
                       f"{_short_digest(config.config_digest)} in the config)")
    return reasons


def _upstream(provenance: Provenance) -> str:
    if not provenance.upstream_repo:
        return "no upstream"
    return provenance.upstream_repo + (f"@{provenance.upstream_commit}"
                                       if provenance.upstream_commit else "")


def _short_digest(digest: str | None) -> str:
    return (digest or "none").removeprefix("sha256:")[:12]


def _short_sha(sha: str | None) -> str:
    return sha[:8] if sha else "-"


# --------------------------------------------------------------------------------------------
# Rendering


def render_json(report: StatusReport) -> str:
    """Versioned, deterministic JSON (minor = additive, as for plans)."""
    document = {"format_version": FORMAT_VERSION, "requests": report.requests,
                "all_agree": report.all_agree, "summary": report.counts(),
                "variants": [row.to_dict() for row in report.variants],
                "other": list(report.other)}
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render_text(report: StatusReport) -> str:
    """A table (variant, Hub revision, release tag, upstream on Hub / in config, verdict)."""
    header = ("VARIANT", "REPO", "MAIN", "RELEASE", "HUB UPSTREAM", "CONFIG UPSTREAM",
              "VERDICT")
    rows = [(f"{row.family}/{row.variant}", row.repo_id, _short_sha(row.main_sha),
             _tags_text(row.tags) if row.verdict != "not published" else "-",
             row.hub_upstream_commit or "-", row.config_upstream_commit or "-", row.verdict)
            for row in report.variants]
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
             .rstrip() for cells in [header, *rows]]
    out = [lines[0]]
    for line, row in zip(lines[1:], report.variants, strict=True):
        out.append(line)
        if row.verdict not in ("in sync", "not published"):  # the verdict says it all
            out.extend(f"    - {reason}" for reason in row.reasons)
    published = [(row.repo_id, revision) for row in report.variants
                 for revision in row.published]
    if published:
        out += ["", "Published revisions (from their commits' trailers):"]
        width = max(len(f"{repo_id}@{r.name}") for repo_id, r in published)
        out += [f"  {f'{repo_id}@{r.name}'.ljust(width)}  {_short_sha(r.commit)}  "
                f"{_origin_text(r)}" for repo_id, r in published]
    lags = _lag_lines(report.variants)
    if lags:
        out += ["", "Lag to upstream (the published upstream commit against the upstream "
                    "branch head):"]
        width = max(len(label) for label, _ in lags)
        out += [f"  {label.ljust(width)}  {text}" for label, text in lags]
    if report.other:
        out += ["", "Outside any variant:"] + [f"    - {line}" for line in report.other]
    counts = report.counts()
    summary = ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    out.append("")
    out.append(f"Status: {summary or 'nothing declared'}."
               + ("" if report.all_agree else " Run 'release plan' to see what apply would do."))
    return "\n".join(out) + "\n"


def _lag_lines(rows: Sequence[VariantStatus]) -> list[tuple[str, str]]:
    """(who, lag) lines: a family's variants that lag alike (one upstream commit, one clone)
    share a line, `tulu3 (6 variants)`, so a family of hundreds stays readable."""
    by_text: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if row.upstream_lag is not None:
            by_text.setdefault((row.family, row.upstream_lag.text()), []).append(row.variant)
    return [(f"{family}/{variants[0]}" if len(variants) == 1
             else f"{family} ({len(variants)} variants)", text)
            for (family, text), variants in by_text.items()]


def _origin_text(revision: PublishedRevision) -> str:
    if not revision.made_by_release:
        return "not made by release apply (no Release-Apply-Id trailer)"
    trailers = revision.trailers
    parts = [f"config {_short_sha(trailers['config_commit'])}"
             if "config_commit" in trailers else "config commit unknown",
             f"PR {trailers['pull_request']}" if "pull_request" in trailers else "",
             f"upstream {trailers['upstream_commit']}" if "upstream_commit" in trailers else "",
             f"apply {trailers['apply_id'][:12]}" if "apply_id" in trailers else ""]
    return ", ".join(part for part in parts if part)


def _tags_text(tags: Iterable[TagStatus]) -> str:
    parts = []
    for tag in tags:
        if tag.target is None:
            parts.append(f"{tag.name} (missing)")
        else:
            where = "" if tag.at_head else f", {tag.revision} head {_short_sha(tag.revision_head)}"
            parts.append(f"{tag.name} -> {_short_sha(tag.target)}{where}")
    return "; ".join(parts) or "-"
