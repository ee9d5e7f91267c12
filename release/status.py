"""`release status`: per variant, does the Hub agree with the config and the upstream code?

The gap Ajibode et al. (arXiv 2508.10157) measure is that most model families are only partly
synchronised between the code repo and the Hub, and nobody can tell which weights came from
which commit. Every card this tool writes records the upstream repo and commit and the
per-variant config digest (`Provenance`), so one listing per namespace is enough to answer, for
each variant: what is on the Hub (main's head, the release tag and its target), which upstream
commit it came from, which upstream commit the config now declares, and whether they agree.

Cost: one paginated `list_models(author=ns, expand=[sha, private, gated, cardData,
lastModified])` per namespace, plus one `list_repo_refs` per published repo that declares a
release tag. No tree, file or README reads: status is cheap enough to run in every CI job.

Content (the checkpoint bytes) is `release plan`'s business: status compares what the config
and the Hub *say*, not the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from release.state import PROVENANCE_KEY, DesiredRepo, DesiredState, Provenance, split_card

FORMAT_VERSION = "1.0"
LIST_EXPAND = ["sha", "private", "gated", "cardData", "lastModified"]

Verdict = Literal["in sync", "config ahead", "hub drifted", "not published", "unmanaged"]
VERDICTS: tuple[Verdict, ...] = ("in sync", "config ahead", "hub drifted", "not published",
                                 "unmanaged")


# --------------------------------------------------------------------------------------------
# What the Hub says (read once, then diffed by a pure function)


@dataclass(frozen=True)
class HubRepo:
    """One repo as the namespace listing (and, for tagged variants, its refs) describe it."""

    repo_id: str
    sha: str | None
    private: bool
    gated: Any
    card_data: Mapping[str, Any] = field(default_factory=dict)
    last_modified: str | None = None
    branches: Mapping[str, str] | None = None  # None: refs were not read
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True)
class HubSnapshot:
    repos: Mapping[str, HubRepo]
    requests: int = 0


def read_hub(api: Any, desired: DesiredState, *, endpoint: str = "",
             max_workers: int = 8) -> HubSnapshot:
    """List each declared namespace once; read refs only of published repos that declare a tag."""
    from release.hub.errors import to_hub_error

    declared = {repo.repo_id: repo for repo in desired.repos}
    listed: dict[str, HubRepo] = {}
    for namespace in desired.namespaces:
        try:
            for info in api.list_models(author=namespace, expand=LIST_EXPAND):
                if info.id not in declared:
                    continue
                card = info.card_data.to_dict() if info.card_data is not None else {}
                modified = info.last_modified.isoformat() if info.last_modified else None
                listed[info.id] = HubRepo(repo_id=info.id, sha=info.sha,
                                          private=bool(info.private),
                                          gated=info.gated if info.gated in ("auto", "manual")
                                          else False, card_data=card, last_modified=modified)
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(f"namespace:{namespace}", exc, endpoint) from exc

    def with_refs(repo: HubRepo) -> HubRepo:
        try:
            refs = api.list_repo_refs(repo.repo_id)
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(f"repo:{repo.repo_id}", exc, endpoint) from exc
        return HubRepo(repo.repo_id, repo.sha, repo.private, repo.gated, repo.card_data,
                       repo.last_modified,
                       branches={ref.name: ref.target_commit for ref in refs.branches},
                       tags={ref.name: ref.target_commit for ref in refs.tags})

    tagged = [repo for repo_id, repo in sorted(listed.items()) if declared[repo_id].tags]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for repo in pool.map(with_refs, tagged):
            listed[repo.repo_id] = repo
    return HubSnapshot(listed)


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
class VariantStatus:
    """One row of `release status`."""

    repo_id: str
    family: str
    variant: str
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    main_sha: str | None = None
    last_modified: str | None = None
    tags: tuple[TagStatus, ...] = ()
    hub_upstream_repo: str | None = None
    hub_upstream_commit: str | None = None
    config_upstream_repo: str | None = None
    config_upstream_commit: str | None = None
    hub_config_digest: str | None = None
    config_digest: str = ""

    @property
    def agrees(self) -> bool:
        return self.verdict == "in sync"

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id, "family": self.family, "variant": self.variant,
            "verdict": self.verdict, "reasons": list(self.reasons),
            "hub": {"main_sha": self.main_sha, "last_modified": self.last_modified,
                    "upstream_repo": self.hub_upstream_repo,
                    "upstream_commit": self.hub_upstream_commit,
                    "config_digest": self.hub_config_digest},
            "config": {"upstream_repo": self.config_upstream_repo,
                       "upstream_commit": self.config_upstream_commit,
                       "config_digest": self.config_digest},
            "tags": [{"name": t.name, "revision": t.revision, "target": t.target,
                      "revision_head": t.revision_head, "at_head": t.at_head}
                     for t in self.tags],
        }


@dataclass(frozen=True)
class StatusReport:
    variants: tuple[VariantStatus, ...]
    requests: int = 0

    @property
    def all_agree(self) -> bool:
        return all(row.agrees for row in self.variants)

    def counts(self) -> dict[str, int]:
        return {verdict: sum(row.verdict == verdict for row in self.variants)
                for verdict in VERDICTS}


def build_status(desired: DesiredState, hub: HubSnapshot,
                 order: Mapping[tuple[str, str], int] | None = None) -> StatusReport:
    """Compare each declared variant with the Hub: a pure function, no network.

    `order` ((family, variant) -> index, e.g. matrix order) sorts rows within a family;
    without it rows follow the repo ids.
    """
    rows = [variant_status(repo, hub.repos.get(repo.repo_id)) for repo in desired.repos]
    rows.sort(key=lambda row: (row.family, (order or {}).get((row.family, row.variant), 0),
                               row.repo_id))
    return StatusReport(tuple(rows), requests=hub.requests)


def variant_status(want: DesiredRepo, have: HubRepo | None) -> VariantStatus:
    assert want.provenance is not None, "expand() records provenance for every repo"
    config = want.provenance
    base: dict[str, Any] = dict(repo_id=want.repo_id, family=want.family, variant=want.variant,
                config_upstream_repo=config.upstream_repo,
                config_upstream_commit=config.upstream_commit,
                config_digest=config.config_digest)
    if have is None:
        return VariantStatus(**base, verdict="not published",
                             reasons=("the repo does not exist on the Hub (or this token cannot "
                                      "see it)",),
                             tags=tuple(TagStatus(t.name, t.revision, None) for t in want.tags))
    recorded = Provenance.from_metadata(have.card_data)
    tags = tuple(_tag_status(tag.name, tag.revision, have) for tag in want.tags)
    seen: dict[str, Any] = dict(base, main_sha=have.sha, last_modified=have.last_modified,
                                tags=tags)
    if recorded is None:
        return VariantStatus(**seen, verdict="unmanaged",
                             reasons=("the repo exists but its card has no release provenance "
                                      "(set adopt: true to manage it)",))
    seen.update(hub_upstream_repo=recorded.upstream_repo,
                hub_upstream_commit=recorded.upstream_commit,
                hub_config_digest=recorded.config_digest)
    drifted = _drift(want, have, recorded, tags)
    ahead = _ahead(want, have, recorded, tags)
    verdict: Verdict = "hub drifted" if drifted else "config ahead" if ahead else "in sync"
    return VariantStatus(**seen, verdict=verdict, reasons=tuple(drifted + ahead))


def _tag_status(name: str, revision: str, have: HubRepo) -> TagStatus:
    branches = have.branches or {}
    head = branches.get(revision, have.sha if revision == "main" else None)
    return TagStatus(name, revision, (have.tags or {}).get(name), head)


def _drift(want: DesiredRepo, have: HubRepo, recorded: Provenance,
           tags: Sequence[TagStatus]) -> list[str]:
    """Differences the config did not ask for: the Hub was changed outside release."""
    declared = recorded.declared
    reasons = []
    visibility = "private" if have.private else "public"
    if declared.get("visibility", visibility) != visibility:
        reasons.append(f"visibility is {visibility} on the Hub; release last set "
                       f"{declared['visibility']}")
    if "gated" in declared and declared["gated"] != have.gated:
        reasons.append(f"gating is {have.gated!r} on the Hub; release last set "
                       f"{declared['gated']!r}")
    declared_tags = declared.get("tags")
    for tag in tags:
        if tag.target is None and isinstance(declared_tags, Mapping) and tag.name in declared_tags:
            reasons.append(f"release tag {tag.name} was deleted on the Hub")
    unchanged = want.provenance is not None and \
        recorded.config_digest == want.provenance.config_digest
    # With the config unchanged since the card was written, its metadata must still match.
    if unchanged and _metadata(have.card_data) != _metadata(split_card(want.card_text)[0]):
        reasons.append("the card's metadata was edited on the Hub")
    return reasons


def _ahead(want: DesiredRepo, have: HubRepo, recorded: Provenance,
           tags: Sequence[TagStatus]) -> list[str]:
    """Differences the config asks for: `release apply` would publish them."""
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
    declared_tags = recorded.declared.get("tags")
    for tag in tags:
        if tag.target is None and not (isinstance(declared_tags, Mapping)
                                       and tag.name in declared_tags):
            reasons.append(f"release tag {tag.name} is declared but not on the Hub yet")
    return reasons


def _metadata(card_data: Mapping[str, Any]) -> dict[str, Any]:
    """Card metadata without the provenance block, normalised through JSON."""
    plain = {k: v for k, v in card_data.items() if k != PROVENANCE_KEY and v is not None}
    normalised: dict[str, Any] = json.loads(json.dumps(plain, sort_keys=True, default=str))
    return normalised


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
                "variants": [row.to_dict() for row in report.variants]}
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
    counts = report.counts()
    summary = ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    out.append("")
    out.append(f"Status: {summary or 'nothing declared'}."
               + ("" if report.all_agree else " Run 'release plan' to see what apply would do."))
    return "\n".join(out) + "\n"


def _tags_text(tags: Iterable[TagStatus]) -> str:
    parts = []
    for tag in tags:
        if tag.target is None:
            parts.append(f"{tag.name} (missing)")
        else:
            where = "" if tag.at_head else f", {tag.revision} head {_short_sha(tag.revision_head)}"
            parts.append(f"{tag.name} -> {_short_sha(tag.target)}{where}")
    return "; ".join(parts) or "-"
