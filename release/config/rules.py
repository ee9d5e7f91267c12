"""Checks that need the expanded names: repo ids, refs, placeholders, selectors, duplicates.

The schema says each value has the right shape; these rules say the family as a whole makes
sense to the Hub and to git. They run on the typed config (offline, no token) and report every
problem with the location of the value to change.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from release.config import hub_metadata, schema
from release.config.diagnostics import config_error, did_you_mean
from release.config.names import (
    TemplateError,
    dataset_id_problem,
    fill,
    git_ref_problem,
    placeholders_in,
    repo_id_problem,
)
from release.config.schema import FamilyConfig, ReleaseConfig
from release.config.sources import KeyPath, SourceMap, format_path
from release.config.variants import Variant, matches, placeholders, resolve_variants
from release.errors import ConfigError, looks_like_token

# The Hub's collection limits. Description and note: huggingface_hub's docstrings and CLI help
# ("max 150 characters", "500 characters maximum"; the Hub answers 400 above them). Title: not
# documented; 60 is the limit of the Hub's collection form (unverified against the API).
COLLECTION_TITLE_MAX = 60
COLLECTION_DESCRIPTION_MAX = 150
COLLECTION_NOTE_MAX = 500


class _Report:
    """Errors in the order found, each once (a bad template fails for every variant)."""

    def __init__(self, sources: SourceMap | None) -> None:
        self.sources = sources
        self.errors: dict[str, ConfigError] = {}

    def add(self, path: KeyPath, problem: str, *, at_key: bool = False,
            hint: str | None = None) -> None:
        error = config_error(self.sources, path, problem, at_key=at_key, hint=hint)
        self.errors.setdefault(str(error), error)

    def has(self, path: KeyPath) -> bool:
        return any(error.key == format_path(path) for error in self.errors.values())

    def template(self, path: KeyPath, err: TemplateError, values: Mapping[str, Any]) -> None:
        hint = None
        if err.placeholder is not None:
            hint = did_you_mean(err.placeholder, values, shown="'{{{}}}'") or (
                "placeholders here: " + ", ".join(f"{{{name}}}" for name in values))
        self.add(path, str(err), hint=hint)


def check_rules(config: ReleaseConfig, sources: SourceMap | None = None) -> list[ConfigError]:
    """Every naming and consistency problem in `config`."""
    report = _Report(sources)
    _check_hub(config.hub, report)
    owners: dict[str, tuple[str, str]] = {}  # repo id -> (family, variant), across families
    for name, family in config.families.items():
        _check_family(name, family, report, owners)
    _check_moves(config, report)
    return list(report.errors.values())


def _check_moves(config: ReleaseConfig, report: _Report) -> None:
    """The `moved` entries: valid ids, a declared target, no two moves to one id, no cycle."""
    from release.config.moves import declared_moves

    if not any(family.moved for family in config.families.values()):
        return
    for problem in declared_moves(config)[1]:
        report.add(problem.path, problem.message, hint=problem.hint)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HF_TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def _check_hub(hub: schema.HubConfig, report: _Report) -> None:
    """The token's variable name and the endpoint, before anything connects."""
    path: KeyPath = ("hub", "token_env")
    name = hub.token_env
    if name is not None and looks_like_token(name):
        # The value is a secret: the message never shows it (the location is file:line, and
        # an override's text is redacted where it is printed).
        report.add(path, "this looks like a token itself, not the name of the environment "
                   "variable that holds it (the value is not shown)",
                   hint="keep tokens out of the config: export HF_TOKEN=<token> and write "
                   "token_env: HF_TOKEN; if this file was shared, revoke the token at "
                   "https://huggingface.co/settings/tokens")
    elif name is not None and not _ENV_NAME.match(name):
        report.add(path, f"'{name}' is not an environment variable name (letters, digits "
                   "and '_', not starting with a digit)", hint="e.g. token_env: HF_TOKEN")
    elif hub.kind == schema.HubKind.local and name in _HF_TOKEN_VARIABLES:
        report.add(path, f"the local hub is never given the huggingface.co token in {name}",
                   hint="name a variable of its own, e.g. LOCALHUB_TOKEN, or leave token_env "
                   "unset to use the local hub's default token")
    if hub.rate_limit is not None:
        from release.localhub.ratelimit import QuotaPolicy

        try:  # found here, at its file:line, not when the embedded hub starts
            QuotaPolicy.parse(str(hub.rate_limit))
        except ValueError as err:
            report.add(("hub", "rate_limit"), str(err),
                       hint="a free account's quota is 1000/300s; 100/3s compresses time")
    if hub.endpoint is not None:
        problem = _endpoint_problem(hub.endpoint)
        if problem:
            report.add(("hub", "endpoint"), f"'{hub.endpoint}' {problem}",
                       hint="e.g. http://127.0.0.1:8000 for a local hub started with "
                       "'release hub serve', or https://huggingface.co")


def _endpoint_problem(endpoint: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if not parts.hostname:
        return "has no host name"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "has an invalid port"
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    return None


def _check_family(name: str, family: FamilyConfig, report: _Report,
                  owners: dict[str, tuple[str, str]]) -> None:
    base: KeyPath = ("families", name)
    if not _check_matrix(base, family, report):
        return
    variants = resolve_variants(name, family)
    keys = [variant.key for variant in variants]
    if not variants:
        report.add((*base, "exclude"), "excludes every variant of the matrix")
        return
    _check_selectors(base, family, keys, report)
    if family.chain is not None and family.chain.axis not in family.matrix:
        axes = list(family.matrix)
        report.add((*base, "chain", "axis"), f"'{family.chain.axis}' is not an axis of the "
                   f"matrix (axes: {', '.join(axes)})", hint=did_you_mean(family.chain.axis, axes))
    templated: dict[int, tuple[Any, list[tuple[tuple[str, ...], str]]]] = {}
    for variant in variants:
        _check_variant(base, family, variant, report, owners, templated)
    if family.collection is not None:
        _check_collection((*base, "collection"), family.collection, report)


def _check_matrix(base: KeyPath, family: FamilyConfig, report: _Report) -> bool:
    ok = True
    if not family.matrix:
        report.add((*base, "matrix"), "needs at least one axis, e.g. {size: [8B, 70B]}")
        return False
    for axis, values in family.matrix.items():
        path = (*base, "matrix", axis)
        if not axis.isidentifier():
            report.add(path, "axis names must be identifiers (they are {placeholders})",
                       at_key=True)
            ok = False
        if not values:
            report.add(path, "needs at least one value")
            ok = False
        seen: set[str] = set()  # not a scan of the earlier values: axes may be long
        for index, value in enumerate(values):
            if str(value) in seen:
                report.add((*path, index), f"'{value}' is listed twice")
            seen.add(str(value))
    return ok


def _check_selectors(base: KeyPath, family: FamilyConfig, keys: list[str],
                     report: _Report) -> None:
    all_keys = [key for key, _ in _all_cells(family)]
    sections: list[tuple[KeyPath, list[str], list[str]]] = [
        ((*base, "variants"), list(family.variants), keys),
        ((*base, "runs", "variants"), list(family.runs.variants), keys),
        ((*base, "exclude"), family.exclude, all_keys),
    ]
    if family.collection is not None:
        sections.append(((*base, "collection", "notes"), list(family.collection.notes), keys))
        sections.append(((*base, "collection", "items"), family.collection.items or [], keys))
    for path, selectors, candidates in sections:
        listed = path[-1] in ("exclude", "items")  # lists: located by index, not by key
        for index, selector in enumerate(selectors):
            if not any(matches(selector, key) for key in candidates):
                where = (*path, index) if listed else (*path, selector)
                report.add(where, f"selector '{selector}' matches no variant (variants: "
                           f"{', '.join(candidates)})", at_key=not listed,
                           hint=did_you_mean(selector, candidates))


def _all_cells(family: FamilyConfig) -> list[tuple[str, Any]]:
    from release.config.variants import variant_keys

    return variant_keys(dataclasses.replace(family, exclude=[]))


def _check_embargo(variant: Variant, report: _Report) -> None:
    from datetime import date

    embargo = variant.settings.policy.embargo if variant.settings.policy else None
    if embargo is None:
        return
    try:
        date.fromisoformat(str(embargo))
    except ValueError:
        report.add(variant.origin(("policy", "embargo")), f"'{embargo}' is not a date",
                   hint="write the first day publishing is allowed as YYYY-MM-DD (UTC)")


def _check_variant(base: KeyPath, family: FamilyConfig, variant: Variant, report: _Report,
                   owners: dict[str, tuple[str, str]],
                   templated: dict[int, tuple[Any, list[tuple[tuple[str, ...], str]]]] | None
                   = None) -> None:
    values = placeholders(variant, family.namespace)
    _check_embargo(variant, report)
    for var in variant.settings.vars or {}:
        if var in values and values[var] != (variant.settings.vars or {})[var]:
            report.add(variant.origin(("vars", var)), f"'{var}' is already a placeholder "
                       "(an axis, a derived name or family/namespace/variant)", at_key=True)
    try:
        repo_name = fill(family.repo_name, values)
    except TemplateError as err:
        report.template((*base, "repo_name"), err, values)
        return
    repo_id = f"{family.namespace}/{repo_name}"
    _check_repo_id(base, family, variant, repo_id, report, owners)
    values = {**values, "repo_name": repo_name, "repo_id": repo_id}
    # Per settings object: variants matching the same selectors share theirs.
    known = templated if templated is not None else {}
    found = known.get(id(variant.settings))
    if found is None or found[0] is not variant.settings:
        found = known[id(variant.settings)] = (variant.settings,
                                               list(_templated_fields(variant.settings)))
    for field_path, template in found[1]:
        try:
            filled = fill(template, values)
        except TemplateError as err:
            report.template(variant.origin(field_path), err, values)
            continue
        if field_path[-1] in ("base_model", "new_version"):
            problem = repo_id_problem(filled)
            if problem:
                report.add(variant.origin(field_path), f"'{filled}' is not a Hub repo id: "
                           f"{problem}")
    _check_card_metadata(variant, values, report)
    _check_retention(variant, report)
    branches = _check_runs(base, family, variant, values, report)
    _check_release(variant, values, branches, report)


def _check_retention(variant: Variant, report: _Report) -> None:
    """`retention`: something to retire, and run values that the variant's runs have."""
    retention = variant.settings.retention
    if retention is None:
        return

    def where(*field: str) -> KeyPath:
        return variant.origin(("retention", *field))

    if retention.keep_last is None and retention.retire is None:
        report.add(variant.origin(("retention",)), "retires nothing: set keep_last (keep the "
                   "last N runs) and/or retire (a selector of the runs to retire)",
                   hint="e.g. retention: {keep_last: 20, per: stage}")
    if retention.keep_last is not None and retention.keep_last < 0:
        report.add(where("keep_last"), f"must be 0 or more, got {retention.keep_last}")
    names = list(dict.fromkeys(key for run in variant.runs for key in run.values))
    if not names:
        return
    named: list[tuple[tuple[str, ...], str | None]] = [
        (("per",), retention.per), (("order_by",), retention.order_by)]
    named += [(("retire", key), key) for key in retention.retire or {}]
    for field, name in named:
        if name is not None and name not in names:
            report.add(where(*field), f"'{name}' is not a value of {variant.key}'s runs "
                       f"(run values: {', '.join(names)})", at_key=field[0] == "retire",
                       hint=did_you_mean(name, names))


def _check_card_metadata(variant: Variant, values: Mapping[str, Any], report: _Report) -> None:
    """The front matter the Hub would reject on commit (400), caught here instead of mid-apply.

    base_model / new_version are checked with the other templated fields.
    """
    metadata = variant.settings.card.metadata

    def where(*field: str) -> KeyPath:
        return variant.origin(("card", "metadata", *field))

    if metadata.license is not None:
        problem = hub_metadata.license_problem(metadata.license)
        if problem:
            report.add(where("license"), problem,
                       hint=did_you_mean(metadata.license, hub_metadata.LICENSES))
        elif metadata.license == "other" and not metadata.license_name:
            report.add(where("license"), "license: other needs license_name (and "
                       "license_link) naming the license", hint="or use a Hub license id")
    if metadata.pipeline_tag is not None:
        problem = hub_metadata.pipeline_tag_problem(metadata.pipeline_tag)
        if problem:
            report.add(where("pipeline_tag"), problem,
                       hint=did_you_mean(metadata.pipeline_tag, hub_metadata.PIPELINE_TAGS))
    for index, code in enumerate(metadata.language or []):
        problem = hub_metadata.language_problem(str(code))
        if problem:
            report.add((*where("language"), index), problem)
    for index, dataset in enumerate(metadata.datasets or []):
        try:
            filled = fill(str(dataset), values)
        except TemplateError as err:
            report.template((*where("datasets"), index), err, values)
            continue
        problem = dataset_id_problem(filled)
        if problem:
            report.add((*where("datasets"), index), f"'{filled}' is not a Hub dataset id: "
                       f"{problem}", hint="name the dataset's repo on the Hub, e.g. "
                       "'allenai/tulu-3-sft-mixture', not a local path")


def _check_repo_id(base: KeyPath, family: FamilyConfig, variant: Variant, repo_id: str,
                   report: _Report, owners: dict[str, tuple[str, str]]) -> None:
    problem = repo_id_problem(repo_id)
    if problem:
        path = (*base, "repo_name")
        if not report.has(path):  # one is enough: the template fails the same way for all
            report.add(path, f"variant '{variant.key}' expands to '{repo_id}', which the Hub "
                       f"rejects: {problem}")
        return
    owner = owners.setdefault(repo_id.lower(), (variant.family, variant.key))
    if owner != (variant.family, variant.key):
        used = set(placeholders_in(family.repo_name))
        unused = [axis for axis in family.matrix if not ({axis, f"{axis}_lower",
                                                          f"{axis}_upper"} & used)]
        hint = f"use every axis in the name, e.g. '{{{unused[0]}}}'" if unused else None
        other = owner[1] if owner[0] == variant.family else f"{owner[0]}/{owner[1]}"
        report.add((*base, "repo_name"), f"variants '{other}' and '{variant.key}' both expand "
                   f"to '{repo_id}'", hint=hint)


def _templated_fields(obj: Any, prefix: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], str]]:
    """(field path, template) of every set string field marked as a template."""
    for name, templated in _field_kinds(type(obj)):
        value = getattr(obj, name)
        if dataclasses.is_dataclass(value):
            yield from _templated_fields(value, (*prefix, name))
        elif templated and isinstance(value, str):
            yield (*prefix, name), value


def _field_kinds(cls: type) -> tuple[tuple[str, bool], ...]:
    """(name, marked as a template) of each field of a schema class: asked once per variant."""
    if cls not in _FIELD_KINDS:
        _FIELD_KINDS[cls] = tuple((spec.name, bool(spec.metadata.get(schema.TEMPLATE)))
                                  for spec in dataclasses.fields(cls))
    return _FIELD_KINDS[cls]


_FIELD_KINDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _check_runs(base: KeyPath, family: FamilyConfig, variant: Variant,
                values: Mapping[str, Any], report: _Report) -> list[str]:
    branch_path = (*base, "runs", "branch")
    template = family.runs.branch
    if family.runs.discover is not None:
        _check_discover(base, family, values, report)
    if variant.runs and template is None:
        report.add(branch_path, "runs are declared but no branch template names them",
                   hint="e.g. branch: \"{stage_lower}_{size_lower}_{date}_seed{seed}\"")
        return []
    if template is None:
        return []
    literal_problem = git_ref_problem(fill(template, {n: "x" for n in placeholders_in(template)})
                                      ) if _fillable(template) else None
    if literal_problem:
        report.add(branch_path, f"'{template}' is not a valid git ref name: it {literal_problem}")
        return []
    branches: list[str] = []
    for run in variant.runs:
        shadowed = [key for key in run.values if key in values]
        for key in shadowed:
            report.add((*run.path, key), f"run value '{key}' would shadow the placeholder "
                       f"'{{{key}}}'", at_key=True)
        run_values = {**values, **run.values}
        try:
            branch = fill(template, run_values)
        except TemplateError as err:
            report.template(branch_path, err, run_values)
            continue
        problem = git_ref_problem(branch)
        if problem:
            report.add(run.path, f"branch '{branch}' (from '{template}') is not a valid git ref "
                       f"name: it {problem}")
        elif branch == "main" or branch in branches:
            found = f" (by the run found in folder '{run.folder}')" if run.folder else ""
            report.add(run.path, f"branch '{branch}' is declared twice for "
                       f"'{variant.key}'{found}")
        branches.append(branch)
        if family.runs.artifacts is not None and run.folder is None:
            try:
                fill(family.runs.artifacts, {**run_values, "branch": branch})
            except TemplateError as err:
                report.template((*base, "runs", "artifacts"), err, {**run_values,
                                                                    "branch": branch})
    return branches


def _check_discover(base: KeyPath, family: FamilyConfig, values: Mapping[str, Any],
                    report: _Report) -> None:
    from release.config.discover import run_fields

    path = (*base, "runs", "discover")
    pattern = family.runs.discover or ""
    if family.runs.branch is None:
        report.add(path, "runs found on disk need a branch name: set runs.branch",
                   hint="e.g. branch: \"stage{stage}-step{step}-tokens{tokens}\"")
    if not run_fields(pattern, values):
        report.add(path, f"'{pattern}' has no run placeholder to parse from folder names",
                   hint="e.g. \"checkpoints/{size_lower}/step{step}\"")
    elif not _fillable(pattern):
        report.add(path, f"'{pattern}' is not a valid template (unmatched brace?)")


def _fillable(template: str) -> bool:
    try:
        fill(template, {name: "x" for name in placeholders_in(template)})
    except TemplateError:
        return False
    return True


def _check_release(variant: Variant, values: Mapping[str, Any], branches: list[str],
                   report: _Report) -> None:
    release = variant.settings.release
    if release is None:
        return
    if release.tag is None:
        report.add(variant.origin(("release",)) + ("tag",), "missing required value")
        return
    try:
        tag = fill(release.tag, values)
        revision = fill(release.revision or "main", values)
    except TemplateError:
        return  # reported with the other templated fields
    problem = git_ref_problem(tag)
    if problem:
        report.add(variant.origin(("release", "tag")),
                   f"tag '{tag}' is not a valid git ref name: it {problem}")
    if revision != "main" and revision not in branches:
        report.add(variant.origin(("release", "revision")),
                   f"revision '{revision}' is neither 'main' nor a run branch of "
                   f"'{variant.key}'", hint=did_you_mean(revision, ["main", *branches]))


def _check_collection(path: KeyPath, collection: schema.CollectionConfig,
                      report: _Report) -> None:
    if not collection.title.strip():
        report.add((*path, "title"), "must not be empty")
    if len(collection.title) > COLLECTION_TITLE_MAX:
        report.add((*path, "title"), f"is {len(collection.title)} characters; the Hub allows at "
                   f"most {COLLECTION_TITLE_MAX}")
    description = collection.description or ""
    if len(description) > COLLECTION_DESCRIPTION_MAX:
        report.add((*path, "description"), f"is {len(description)} characters; the Hub allows "
                   f"at most {COLLECTION_DESCRIPTION_MAX}")
    for selector, note in collection.notes.items():
        if len(note) > COLLECTION_NOTE_MAX:
            report.add((*path, "notes", selector), f"is {len(note)} characters; the Hub allows "
                       f"at most {COLLECTION_NOTE_MAX}")
