"""`release import`: the config of repos that already live on the Hub.

The Hub is read once (`HubReader.survey`: one listing, refs, main's tree and README.md per
repo, the namespace's collections); everything here after that is pure: the observed repos
become family configs such that `release plan` right after shows "No changes".

How each thing on the Hub is written:
* names: a `matrix` with a naming template when the repo names, split at '-', vary in
  positions whose values combine into exactly the set of repos (`Tulu-3-{size}-{stage}`);
  otherwise one variant per repo (`matrix: {name: [...]}`, `repo_name: "{name}"`);
* visibility and gating: per variant (under a `"*"` selector when all agree), so the visibility
  of an adopted repo is managed (see `DesiredRepo.visibility_managed`);
* the card: `card.file`, the README.md captured verbatim under templates/imported/<namespace>/
  (release adds only its provenance block when it next writes it); `card.managed: false` for a
  repo without README.md;
* branches other than main: runs (`runs.branch: "{run}"`); files are not declared (no artifact
  folder): release then manages no file there and deletes nothing;
* one tag per repo (the config holds one release tag per variant) at the head of a branch;
* the namespace collection holding most of the family's repos: title, description,
  visibility, notes, and `items` when it holds only some of them or in another order;
* repos release made (a provenance block in the card) keep the family and variant names
  their cards record: renaming them would rewrite every card. Repos it did not make are
  `adopt: true`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from release.config.names import natural_key
from release.errors import ReleaseError
from release.state import (
    PROVENANCE_KEY,
    ObservedCollection,
    ObservedRepo,
    ObservedState,
    Provenance,
    split_card,
)

#: Where captured cards go, under the templates directory.
CARDS_DIR = "imported"
FAMILY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_SIZE = re.compile(r"\d+(\.\d+)?[KMBT]\Z", re.IGNORECASE)
_STAGES = frozenset({"sft", "dpo", "rl", "rlvr", "ppo", "grpo", "instruct", "base", "chat",
                     "it", "pt", "rm"})


@dataclass(frozen=True)
class Selection:
    """Which repos of `namespace` to import: listed ids, names matching a glob, or all."""

    namespace: str
    match: str | None = None
    repo_ids: tuple[str, ...] = ()

    def __call__(self, repo_id: str) -> bool:
        if not self.repo_ids and self.match is None:
            return True
        name = repo_id.split("/", 1)[-1]
        return (repo_id.lower() in {r.lower() for r in self.repo_ids}
                or (self.match is not None and fnmatchcase(name, self.match)))


@dataclass(frozen=True)
class ImportedFamily:
    """One family config to write, and the card files it names (path under templates/)."""

    name: str
    config: dict[str, Any]
    cards: Mapping[str, str]
    repo_ids: tuple[str, ...]
    matrix: bool  # inferred from the names (else one variant per repo)
    notes: tuple[str, ...] = ()  # what the config leaves as it is on the Hub, said on import

    def yaml(self, namespace: str) -> str:
        import yaml

        shape = "a matrix inferred from the names" if self.matrix else "one variant per repo"
        header = (f"# Imported from the Hub by `release import {namespace}`: "
                  f"{len(self.repo_ids)} repo(s), {shape}.\n# `release plan` shows no changes "
                  "until this file or the Hub changes; edit it as any family.\n")
        # Flow style for the innermost lists and mappings: `size: [8B, 70B]`, as people write.
        return header + yaml.safe_dump({self.name: _escaped(self.config)}, sort_keys=False,
                                       allow_unicode=True, width=100, default_flow_style=None)


def _escaped(value: Any) -> Any:
    """`value` with `${` written `\\${`: OmegaConf would read a collection description or
    note holding `${...}` as an interpolation."""
    if isinstance(value, str):
        return value.replace("${", "\\${")
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


@dataclass
class _Repo:
    """One surveyed repo and what the import decided for it."""

    observed: ObservedRepo
    readme: str | None
    provenance: Provenance | None
    key: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.observed.repo_id.split("/", 1)[1]


def check_selection(observed: ObservedState, selection: Selection) -> None:
    """Refuse an import that finds nothing, or misses a repo it was asked for by id."""
    namespace = selection.namespace
    found = {repo_id.lower() for repo_id in observed.repos}
    missing = [r for r in selection.repo_ids if r.lower() not in found]
    if missing:
        raise ReleaseError(f"repo:{missing[0]}: not found in {namespace} (it does not exist, or "
                           "it is private and this token cannot see it); nothing was written")
    if observed.repos:
        return
    if selection.match:
        raise ReleaseError(f"namespace:{namespace}: no model repo matches --match "
                           f"'{selection.match}'; check the pattern ('release import "
                           f"{namespace}' alone imports every repo)")
    raise ReleaseError(f"namespace:{namespace}: no model repos that this token can see "
                       "(the namespace does not exist, is empty, or holds only private repos "
                       "of another account); check the name and the token")


def default_family_name(selection: Selection) -> str:
    """The namespace, or the pattern's literal part: `Tulu-3-*` -> `tulu-3`."""
    base = selection.namespace
    if selection.match:
        literal = re.sub(r"[*?\[\]].*", "", selection.match).strip("-_. ")
        base = literal or base
    name = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-_")
    return name or "imported"


def import_families(observed: ObservedState, namespace: str, family: str,
                    cards_dir: str = CARDS_DIR) -> list[ImportedFamily]:
    """The family configs of the surveyed repos: `family` for those release did not make,
    one per recorded family for those it did."""
    groups: dict[str, list[_Repo]] = {}
    for repo_id in sorted(observed.repos, key=natural_key):
        have = observed.repos[repo_id]
        readme = observed.readmes.get(repo_id)
        provenance = Provenance.from_metadata(split_card(readme)[0]) if readme else None
        if provenance is not None and not provenance.family:
            provenance = None
        name = provenance.family if provenance is not None else family
        groups.setdefault(name, []).append(_Repo(have, readme, provenance))
    return [_family(name, repos, namespace, observed.collections, cards_dir)
            for name, repos in groups.items()]


def _family(name: str, repos: list[_Repo], namespace: str,
            collections: Mapping[tuple[str, str], ObservedCollection],
            cards_dir: str) -> ImportedFamily:
    made_by_release = all(r.provenance is not None for r in repos)
    recorded = [r.provenance.variant if r.provenance else None for r in repos]
    inferred = infer_matrix([r.name for r in repos])
    is_matrix = inferred is not None and (not made_by_release or inferred[2] == recorded)
    if inferred is not None and is_matrix:
        repo_name, matrix, keys = inferred
        for repo, key in zip(repos, keys, strict=True):
            repo.key = key
        per_repo_names = False
    elif made_by_release:
        # Keys are the recorded variants; each names its repo through a var.
        matrix = {"name": [str(key) for key in recorded]}
        repo_name, per_repo_names = "{repo}", True
        for repo, recorded_key in zip(repos, recorded, strict=True):
            repo.key = str(recorded_key)
    else:
        matrix = {"name": [r.name for r in repos]}
        repo_name, per_repo_names = "{name}", False
        for repo in repos:
            repo.key = repo.name
    order = list(_cells(matrix))
    repos.sort(key=lambda r: order.index(r.key))
    notes: list[str] = []
    cards: dict[str, str] = {}
    runs: dict[str, list[dict[str, str]]] = {}
    for repo in repos:
        settings = repo.settings
        if per_repo_names:
            settings["vars"] = {"repo": repo.name}
        declared = repo.provenance.declared if repo.provenance else {}
        if repo.provenance is not None and "visibility" not in declared:
            settings["adopt"] = True  # its visibility was not managed when release made it
        else:
            settings["visibility"] = "private" if repo.observed.private else "public"
        settings["gated"] = repo.observed.gated
        settings["card"] = _card(repo, namespace, cards_dir, cards)
        branches = sorted((b for b in repo.observed.branches if b != "main"), key=natural_key)
        if branches:
            runs[repo.key] = [{"run": branch} for branch in branches]
        release, skipped = _release_tag(repo)
        if release is not None:
            settings["release"] = release
        notes += [f"{repo.observed.repo_id}: tag {tag} is left as it is (a variant declares "
                  "one release tag, at a branch head)" for tag in skipped]
    config: dict[str, Any] = {"namespace": namespace, "repo_name": repo_name, "matrix": matrix}
    if not made_by_release:
        config["defaults"] = {"adopt": True}
    config["variants"] = _variants(repos)
    if runs:
        config["runs"] = {"branch": "{run}", "variants": runs}
    upstream = next((r.provenance for r in repos if r.provenance and r.provenance.upstream_repo),
                    None)
    if upstream is not None:
        config["upstream"] = {"repo": upstream.upstream_repo,
                              **({"commit": upstream.upstream_commit}
                                 if upstream.upstream_commit else {})}
    collection, more = _collection(repos, order, namespace, collections)
    if collection is not None:
        config["collection"] = collection
    notes += more
    return ImportedFamily(name=name, config=config, cards=cards,
                          repo_ids=tuple(r.observed.repo_id for r in repos),
                          matrix=is_matrix,
                          notes=tuple(notes))


def infer_matrix(names: Sequence[str]) -> tuple[str, dict[str, list[str]], list[str]] | None:
    """(repo_name template, matrix, each name's variant key) when the names, split at '-',
    differ only in positions whose values combine into exactly these names; else None."""
    if len(names) < 2:
        return None
    split = [name.split("-") for name in names]
    width = len(split[0])
    if any(len(parts) != width for parts in split) or len(set(names)) != len(names):
        return None
    varying = [i for i in range(width) if len({parts[i] for parts in split}) > 1]
    values = {i: sorted({parts[i] for parts in split}, key=natural_key) for i in varying}
    cells = {tuple(parts[i] for i in varying) for parts in split}
    if len(cells) != len(names) or set(itertools.product(*values.values())) != cells:
        return None
    axes = _axis_names([values[i] for i in varying])
    template = "-".join("{" + axes[varying.index(i)] + "}" if i in varying
                        else part.replace("{", "{{").replace("}", "}}")
                        for i, part in enumerate(split[0]))
    matrix = {axis: values[i] for axis, i in zip(axes, varying, strict=True)}
    keys = ["-".join(parts[i] for i in varying) for parts in split]
    return template, matrix, keys


def _axis_names(columns: list[list[str]]) -> list[str]:
    """`size` for 8B/70B, `stage` for SFT/DPO, else `part`; numbered when repeated."""
    names: list[str] = []
    for column in columns:
        if all(_SIZE.match(value) for value in column):
            base = "size"
        elif all(value.lower() in _STAGES for value in column):
            base = "stage"
        else:
            base = "part"
        name, number = base, 2
        while name in names:
            name, number = f"{base}{number}", number + 1
        names.append(name)
    return names


def _cells(matrix: Mapping[str, list[str]]) -> list[str]:
    return ["-".join(values) for values in itertools.product(*matrix.values())]


def _card(repo: _Repo, namespace: str, cards_dir: str, cards: dict[str, str]) -> dict[str, Any]:
    """`card.file` holding the README.md as it is (a card release made: without its provenance
    block, which release writes itself), or `managed: false` for a repo without one."""
    if repo.readme is None:
        return {"managed": False}
    path = f"{cards_dir}/{namespace}/{repo.name}.md"
    text = repo.readme
    if repo.provenance is not None:
        metadata, body = split_card(text)
        text = _without_provenance(metadata, body)
    cards[path] = text
    return {"file": path}


def _without_provenance(metadata: Mapping[str, Any], body: str) -> str:
    import yaml

    front = {k: v for k, v in metadata.items() if k != PROVENANCE_KEY}
    if not front:
        return body
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{dumped}\n---\n{body}"


def _release_tag(repo: _Repo) -> tuple[dict[str, str] | None, list[str]]:
    """The tag a variant declares (the one release recorded, else the last at a branch head in
    natural order) and the tags left undeclared."""
    have = repo.observed
    heads = have.branches
    recorded = repo.provenance.declared.get("tags") if repo.provenance else None
    candidates = [tag for tag in sorted(have.tags, key=natural_key)
                  if any(head == have.tags[tag] for head in heads.values())]
    chosen = None
    if isinstance(recorded, Mapping):
        chosen = next((tag for tag in recorded if tag in have.tags), None)
    if chosen is None and candidates:
        chosen = candidates[-1]
    skipped = [tag for tag in sorted(have.tags, key=natural_key) if tag != chosen]
    if chosen is None:
        return None, skipped
    revision = None
    if isinstance(recorded, Mapping) and isinstance(recorded.get(chosen), str):
        revision = recorded[chosen]
    if revision is None or revision not in heads:
        at = [b for b, head in heads.items() if head == have.tags[chosen]]
        revision = "main" if "main" in at or not at else min(at, key=natural_key)
    return {"tag": chosen, "revision": revision}, skipped


def _variants(repos: list[_Repo]) -> dict[str, Any]:
    """Per-variant settings; visibility and gating under `"*"` when every variant agrees."""
    variants: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    for key in ("visibility", "gated"):
        values = [r.settings.get(key, _UNSET) for r in repos]
        if len(repos) > 1 and _UNSET not in values and all(v == values[0] for v in values):
            shared[key] = values[0]
    if shared:
        variants["*"] = shared
    for repo in repos:
        own = {k: v for k, v in repo.settings.items() if k not in shared}
        if own:
            variants[repo.key] = own
    return variants


_UNSET = object()


def _collection(repos: list[_Repo], order: list[str], namespace: str,
                collections: Mapping[tuple[str, str], ObservedCollection],
                ) -> tuple[dict[str, Any] | None, list[str]]:
    """The namespace collection holding most of these repos, as the family's collection."""
    by_id = {r.observed.repo_id.lower(): r for r in repos}
    holding = []
    for (_, title), collection in sorted(collections.items()):
        members = [by_id[i.item_id.lower()] for i in collection.items
                   if i.item_type == "model" and i.item_id.lower() in by_id]
        if members:
            holding.append((len(members), title, collection, members))
    if not holding:
        return None, []
    holding.sort(key=lambda h: (-h[0], h[1]))
    _, title, chosen, members = holding[0]
    notes = [f"collection '{other}' also holds some of these repos; it is left as it is "
             "(a family declares one collection)" for _, other, _, _ in holding[1:]]
    config: dict[str, Any] = {"title": title}
    if chosen.description:
        config["description"] = chosen.description
    config["visibility"] = "private" if chosen.private else "public"
    item_notes = {by_id[i.item_id.lower()].key: i.note for i in chosen.items
                  if i.note and i.item_id.lower() in by_id}
    if item_notes:
        config["notes"] = item_notes
    keys = [m.key for m in members]
    if keys != order:
        config["items"] = keys  # only some of the variants, or not in matrix order
    others = [i.item_id for i in chosen.items if i.item_id.lower() not in by_id]
    if others:
        notes.append(f"collection '{title}': {len(others)} other item(s) are left as they are "
                     f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})")
    return config, notes


def planned_writes(families: Sequence[ImportedFamily], config_dir: Path,
                   templates_dir: Path) -> dict[Path, str]:
    """Every file the import writes, with its text."""
    writes: dict[Path, str] = {}
    for family in families:
        namespace = str(family.config["namespace"])
        writes[config_dir / "families" / f"{family.name}.yaml"] = family.yaml(namespace)
        for path, text in family.cards.items():
            writes[templates_dir / path] = text
    return writes


_FAMILIES_LINE = re.compile(r"^(?P<head>\s*-\s*families:\s*\[)(?P<names>[^\]]*)(?P<tail>\].*)$",
                            re.MULTILINE)


def enable_families(config_text: str, names: Sequence[str]) -> str | None:
    """config.yaml with `names` added to its `- families: [...]` line; None if it has no such
    line (the user adds them)."""
    found = _FAMILIES_LINE.search(config_text)
    if found is None:
        return None
    present = [n.strip() for n in found.group("names").split(",") if n.strip()]
    wanted = present + [n for n in names if n not in present]
    return (config_text[:found.start()] + found.group("head") + ", ".join(wanted)
            + found.group("tail") + config_text[found.end():])


# --------------------------------------------------------------------------------------------
# The edge: read the Hub, refuse or write the files.


@dataclass(frozen=True)
class ImportResult:
    families: tuple[ImportedFamily, ...]
    written: tuple[Path, ...]
    skipped: tuple[str, ...]  # repos another family of the config already declares
    requests: int  # Hub requests the survey made
    writes: int  # Hub write requests (always 0: the survey only reads)
    enabled: Path | None  # config.yaml, when its families list was extended
    to_enable: tuple[str, ...]  # families the user must list in config.yaml themselves


def run_import(config_dir: Path, overrides: Sequence[str], selection: Selection,
               family: str | None, force: bool) -> ImportResult:
    """`release import`: survey the Hub (read-only), then write the family files and cards.

    Everything that can refuse (the family name, the Hub, files that exist) does so before the
    first file is written.
    """
    from release.artifacts.lock import read_lock
    from release.desired import expand
    from release.hub.observe import HubReader, ShaCache
    from release.workflow import Project, hub_session, load_project_config

    name = family or default_family_name(selection)
    if not FAMILY_NAME.match(name):
        raise ReleaseError(f"--family '{name}': a family name is letters, digits, '-' and '_' "
                           "(it names conf/families/NAME.yaml)")
    project = Project(config_dir)
    config = load_project_config(project, overrides, read_lock(project.lock_path))
    with hub_session(project, config) as session:
        before, writes_before = session.meter.total, session.meter.writes
        reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
        observed = reader.survey(selection.namespace, selection)
        requests = session.meter.total - before
        writes = session.meter.writes - writes_before
    check_selection(observed, selection)
    # A repo the config already declares stays where it is: importing it again would declare
    # it twice. Only the repos of a family named with --family are imported again (with
    # --force, that re-imports the family).
    owners = {repo.repo_id.lower(): repo.family
              for repo in expand(config, base_dir=project.root).repos
              if repo.family != family}
    skipped = tuple(repo_id for repo_id in observed.repos if repo_id.lower() in owners)
    if skipped:
        kept = {k: v for k, v in observed.repos.items() if k not in skipped}
        if not kept:
            declared_by = sorted({owners[repo_id.lower()] for repo_id in skipped})
            raise ReleaseError(f"namespace:{selection.namespace}: every repo selected is "
                               f"already declared by {config_dir.as_posix()} (families "
                               f"{', '.join(declared_by)}); nothing to import")
        observed = ObservedState(repos=kept, collections=observed.collections,
                                 readmes={k: v for k, v in observed.readmes.items()
                                          if k in kept}, identity=observed.identity)
    families = import_families(observed, selection.namespace, name)
    templates_dir = project.root / config.templates_dir
    writes_planned = planned_writes(families, config_dir, templates_dir)
    existing = [path for path in writes_planned if path.exists()]
    if existing and not force:
        from release.config.sources import display_path

        listed = ", ".join(display_path(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise ReleaseError(f"{listed}{more} already exist(s); nothing was written (--force "
                           "overwrites them; --family NAME writes another family)")
    config_file = config_dir / "config.yaml"
    config_text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    enabled_text = enable_families(config_text, [f.name for f in families])
    for path, text in writes_planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # a card's line endings as on the Hub
    enabled = None
    if enabled_text is not None and enabled_text != config_text:
        config_file.write_text(enabled_text, encoding="utf-8")
        enabled = config_file
    to_enable = () if enabled_text is not None else tuple(f.name for f in families)
    return ImportResult(families=tuple(families), written=tuple(writes_planned),
                        skipped=skipped, requests=requests, writes=writes, enabled=enabled,
                        to_enable=to_enable)
