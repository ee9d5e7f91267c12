"""Expand the checked config into the pure `DesiredState` the planner diffs against the Hub.

Each family's matrix becomes variants (see `release.config.variants`); each variant a repo with
its settings, card, branches (main + one per training run), release tag and provenance. The
result is sorted by repo id and contains no clock, randomness or absolute paths, so expanding
the same config twice gives equal states, and the same card bytes.

Checkpoint files come from an `ArtifactSource` only when the caller passes one: `validate` and
`show` do not read checkpoints, so their branches carry `source` but no files. The source is
asked per revision (`FolderRevision`) and answers with the files and the structure check's
findings: from the lock file (`release.artifacts.locked`), or from the folder itself
(`scanning`, which wraps a `scan_artifacts(folder, include, ignore)` function).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from enum import Enum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from release.cards import DEFAULT_TEMPLATE, CardMaker
from release.config.diagnostics import config_error
from release.config.names import TemplateError, fill, natural_key, placeholder_text
from release.config.retention import Retirement, retire
from release.config.safeguards import protect_layers, safeguards_for, where
from release.config.schema import (
    ArtifactsConfig,
    FamilyConfig,
    ReleaseConfig,
    VariantConfig,
    Visibility,
)
from release.config.sources import KeyPath, SourceMap, display_path, format_path
from release.config.variants import Variant, matches, placeholders, resolve_variants
from release.errors import ConfigError, ConfigErrors, ReleaseError
from release.state import (
    PROVENANCE_KEY,
    DeclaredMove,
    DesiredBranch,
    DesiredCollection,
    DesiredCollectionItem,
    DesiredFile,
    DesiredRepo,
    DesiredState,
    DesiredTag,
    Provenance,
    card_content_digest,
    declared_settings,
    split_card,
)

ScanArtifacts = Callable[[Path, tuple[str, ...], tuple[str, ...]], tuple[DesiredFile, ...]]
CARD_PATH = "README.md"


@dataclasses.dataclass(frozen=True)
class FolderRevision:
    """A revision whose files come from a checkpoint folder: what an artifact source is asked."""

    family: str
    variant: str
    repo_id: str
    branch: str
    folder: str  # as the config names it, relative to the project root
    include: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    run: tuple[tuple[str, str], ...] | None = None  # the values of a run found on disk

    @property
    def revision(self) -> str:
        return f"{self.repo_id}@{self.branch}"

    @property
    def address(self) -> str:
        return f"files:{self.revision}"


@dataclasses.dataclass(frozen=True)
class FolderContent:
    """A revision's files (`local_path` relative to the project root: the same on every machine)
    and what the transformers structure check found in them. `known` is False where a source
    has nothing to say (`release lock` meeting a folder that is neither here nor locked)."""

    files: tuple[DesiredFile, ...]
    structure: tuple[str, ...] = ()
    known: bool = True


ArtifactSource = Callable[[FolderRevision], FolderContent]


def scanning(scan_artifacts: ScanArtifacts, base_dir: Path) -> ArtifactSource:
    """A source that reads each folder as it is now (no lock): it must exist."""

    def source(revision: FolderRevision) -> FolderContent:
        from release.artifacts.structure import check_structure

        path = base_dir / revision.folder
        if path.exists() and not path.is_dir():
            raise ConfigError(f"artifact folder '{revision.folder}' is a file, not a folder",
                              hint="point the config at the checkpoint's folder")
        if not path.is_dir():
            raise ConfigError(f"artifact folder '{revision.folder}' does not exist",
                              hint="train or copy the checkpoint there, generate an example "
                                   "with 'release checkpoints', or remove the folder from the "
                                   "config")
        files = scan_artifacts(path, revision.include, revision.ignore)
        return FolderContent(relative_paths(files, revision.folder),
                             tuple(check_structure(files)))

    return source


def relative_paths(files: tuple[DesiredFile, ...], folder: str) -> tuple[DesiredFile, ...]:
    """`files` with `local_path` as `folder/path`: plans name files the same on every machine."""
    return tuple(dataclasses.replace(f, local_path=f"{folder}/{f.path}")
                 if f.local_path is not None else f for f in files)


@dataclasses.dataclass(frozen=True)
class StructureWarning:
    """A release revision whose checkpoint folder does not look loadable (policy `warn`)."""

    repo_id: str
    branch: str
    folder: str
    problems: tuple[str, ...]

    @property
    def address(self) -> str:
        return f"files:{self.repo_id}@{self.branch}"

    @property
    def message(self) -> str:
        return (f"release revision {self.branch} (from '{self.folder}') is not a complete "
                f"transformers checkpoint: {'; '.join(self.problems)} (artifacts.structure: "
                "fail refuses to plan it, off stops checking)")


@dataclasses.dataclass(frozen=True)
class Expansion:
    """The desired state and what expanding it found worth a warning."""

    state: DesiredState
    warnings: tuple[StructureWarning, ...] = ()


def expand(config: ReleaseConfig, *, base_dir: Path = Path("."),
           templates_dir: Path | None = None,
           scan_artifacts: ScanArtifacts | None = None,
           artifacts: ArtifactSource | None = None) -> DesiredState:
    """The desired state of every declared repo and collection (warnings dropped).

    Args:
        base_dir: the project root; artifact folders and `templates_dir` are relative to it.
        templates_dir: card templates (default: `base_dir / config.templates_dir`).
        scan_artifacts: lists a checkpoint folder's files; None leaves branches without files.
        artifacts: where files come from (wins over `scan_artifacts`), e.g. the lock.

    Raises:
        ConfigErrors: card templates that fail, artifact folders missing or incomplete, release
            revisions failing the structure check under `artifacts.structure: fail`.
    """
    return expand_with_warnings(config, base_dir=base_dir, templates_dir=templates_dir,
                                scan_artifacts=scan_artifacts, artifacts=artifacts).state


def expand_with_warnings(config: ReleaseConfig, *, base_dir: Path = Path("."),
                         templates_dir: Path | None = None,
                         scan_artifacts: ScanArtifacts | None = None,
                         artifacts: ArtifactSource | None = None) -> Expansion:
    """`expand`, plus the structure warnings of release revisions (only with files)."""
    if artifacts is None and scan_artifacts is not None:
        artifacts = scanning(scan_artifacts, base_dir)
    from release.config.load import sources_of

    expander = _Expander(base_dir, templates_dir or base_dir / config.templates_dir,
                         artifacts, sources_of(config))
    drafts: list[_Draft] = []
    collections: list[DesiredCollection] = []
    for name, family in config.families.items():
        family_drafts = [expander.draft(family, variant)
                         for variant in resolve_variants(name, family)]
        family_drafts = _chain(family, family_drafts)
        drafts += [draft for draft in family_drafts if draft is not None]
        if family.collection is not None and all(family_drafts):
            collections.append(_collection(family, [d.repo for d in family_drafts if d]))
    collections.sort(key=lambda c: (c.namespace, c.title))
    repos = [expander.finish(draft, tuple(collections)) for draft in drafts]
    if expander.errors:
        # Each once: a template that fails, fails the same way for every variant using it.
        unique = {error.render(): error for error in expander.errors}
        raise ConfigErrors(list(unique.values()))
    state = DesiredState(
        namespaces=tuple(sorted({draft.repo.namespace for draft in drafts})),
        repos=tuple(sorted((r for r in repos if r is not None),
                           key=lambda r: natural_key(r.repo_id))),
        collections=tuple(collections),
        families=tuple(sorted(config.families)),
        prune=config.prune,
        config_digest=digest({"families": config.families, "prune": config.prune}),
        protect_layers={name: protect_layers(name, family, sources_of(config))
                        for name, family in config.families.items()},
        moves=_moves(config, [repo.repo_id for repo in repos if repo is not None]),
    )
    warnings = sorted(expander.warnings, key=lambda w: (w.repo_id, w.branch))
    return Expansion(state, tuple(warnings))


def digest(value: Any, *, known: Mapping[str, str] | None = None) -> str:
    """`sha256:<hex>` of the canonical JSON of `value` (dataclasses and enums included).

    `known`: more top-level keys of the mapping `value`, as canonical JSON text made already
    (by `canonical_json`), placed as is: the text is the one json.dumps writes for the whole.
    """
    if not known:
        text = canonical_json(value)
    else:
        parts = {**{key: canonical_json(item) for key, item in value.items()}, **known}
        text = "{" + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{parts[key]}"
                              for key in sorted(parts)) + "}"
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """The JSON `digest` hashes: keys sorted, no spaces, unicode kept."""
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:  # exact types: a str-valued Enum is not plain, it is its value
        return value
    names = _dataclass_fields(kind)
    if names is not None:
        # Unset (None) fields are left out, so that a new optional schema field does not
        # change the digest of every repo published before it existed ("config ahead" for all).
        found = {}
        for name in names:
            item = getattr(value, name)
            if item is not None:
                found[name] = _jsonable(item)
        return found
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _dataclass_fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type (None for any other type): digests walk thousands
    of schema objects, and `dataclasses.fields` is slow to ask each time."""
    if kind not in _FIELDS:
        _FIELDS[kind] = (tuple(spec.name for spec in dataclasses.fields(kind))
                         if dataclasses.is_dataclass(kind) else None)
    return _FIELDS[kind]


_FIELDS: dict[type, tuple[str, ...] | None] = {}


class _Expander:
    """Expands variants one by one, collecting errors rather than stopping at the first."""

    def __init__(self, base_dir: Path, templates_dir: Path,
                 artifacts: ArtifactSource | None, sources: SourceMap | None = None) -> None:
        self.sources = sources  # where config values came from, for file:line in errors
        self.base_dir = base_dir
        self.templates_dir = templates_dir
        self.cards = CardMaker(templates_dir)
        self.artifacts = artifacts
        self.errors: list[ConfigError] = []
        self.warnings: list[StructureWarning] = []
        self.structure: dict[tuple[str, str], tuple[str, ...]] = {}  # (repo, branch) -> found
        self.made_from: dict[int, tuple[VariantConfig, str]] = {}  # see _made_from

    def draft(self, family: FamilyConfig, variant: Variant) -> _Draft | None:
        """The repo without its card (the card records settings decided only at the end)."""
        try:
            return self._draft(family, variant)
        except ConfigError as err:
            self.errors.append(err)
        except ConfigErrors as errs:
            self.errors.extend(errs.errors)
        return None

    def finish(self, draft: _Draft, collections: tuple[DesiredCollection, ...],
               ) -> DesiredRepo | None:
        """The repo with its card on main and its provenance (declared settings included)."""
        try:
            return self._finish(draft, collections)
        except ConfigError as err:
            self.errors.append(err)
        return None

    def _made_from(self, settings: VariantConfig) -> str:
        """`_made_from(settings)` as canonical JSON, once per settings object: variants that
        match the same selectors share theirs (`resolve_variants`)."""
        found = self.made_from.get(id(settings))
        if found is None or found[0] is not settings:
            found = self.made_from[id(settings)] = (settings,
                                                    canonical_json(_made_from(settings)))
        return found[1]

    def _located(self, err: ReleaseError, path: KeyPath) -> ConfigError:
        """`err` at the config value `path` (file:line), unless it already names a place."""
        if isinstance(err, ConfigError) and err.location is not None:
            return err
        message = err.message if isinstance(err, ConfigError) else str(err)
        hint = err.hint if isinstance(err, ConfigError) else None
        return config_error(self.sources, path, message, hint=hint)

    def _draft(self, family: FamilyConfig, variant: Variant) -> _Draft:
        settings = variant.settings
        values = placeholders(variant, family.namespace)
        repo_name = _fill(family.repo_name, values, ("families", variant.family, "repo_name"))
        repo_id = f"{family.namespace}/{repo_name}"
        values.update(repo_name=repo_name, repo_id=repo_id)
        retirement = self._retirement(family, variant, values)
        variant = dataclasses.replace(variant, runs=retirement.kept)  # retired: not declared
        main = self._branch("main", settings.artifacts, settings.artifacts.folder, values,
                            variant, variant.origin(("artifacts", "folder")))
        repo = DesiredRepo(
            repo_id=repo_id, family=variant.family, variant=variant.key, axes=variant.axes,
            visibility=(settings.visibility or Visibility.private).value,
            gated=settings.gated if settings.gated is not None else False,
            branches=(main, *self._runs(family, variant, values)),
            tags=self._tags(variant, values), adopt=bool(settings.adopt),
            visibility_managed=not settings.adopt or any(
                layer.visibility is not None for _, layer in variant.layers[1:]),
            safeguards=safeguards_for(variant, self.sources),
            retired=retirement.retired, spared=retirement.spared,
            retention_at=where(self.sources, variant.origin(("retention",)))
            if settings.retention is not None else "")
        self._check_structure(repo, settings.artifacts)
        return _Draft(family, variant, values, repo)

    def _retirement(self, family: FamilyConfig, variant: Variant,
                    values: Mapping[str, Any]) -> Retirement:
        """The variant's runs after its `retention` (the release revision is never retired)."""
        release = variant.settings.release
        revision = None
        if release is not None and release.tag is not None:
            revision = _fill(release.revision or "main", values, variant.origin(("release",)))
        return retire(variant.runs, variant.settings.retention, family.runs.branch, values,
                      revision)

    def _check_structure(self, repo: DesiredRepo, artifacts: ArtifactsConfig) -> None:
        """Apply `artifacts.structure` to the repo's release revisions that take a folder.

        A release revision is a branch a release tag points at, or main when it takes a
        folder (main is what `from_pretrained` loads by default). Run branches without a tag
        may hold partial checkpoints and are not checked. Branches without a folder are not
        checked either: the config does not manage their files, and only a scan knows them.
        """
        policy = artifacts.structure or "warn"
        if self.artifacts is None or policy == "off":
            return
        released = {tag.revision for tag in repo.tags} | {"main"}
        problems: list[ConfigError] = []
        for branch in repo.branches:
            if branch.name not in released or branch.source is None:
                continue
            found = self.structure.get((repo.repo_id, branch.name), ())
            if not found:
                continue
            if policy == "warn":
                self.warnings.append(StructureWarning(repo.repo_id, branch.name, branch.source,
                                                      found))
                continue
            tagged = [tag.name for tag in repo.tags if tag.revision == branch.name]
            what = f"release tag {', '.join(tagged)}" if tagged else "main"
            problems.append(ConfigError(
                f"{repo.repo_id}@{branch.name} ({what}): artifact folder '{branch.source}' is "
                f"not a complete checkpoint: {'; '.join(found)}",
                hint="add the missing files, or set artifacts.structure: warn (or off)"))
        if problems:
            raise ConfigErrors(problems)

    def _finish(self, draft: _Draft, collections: tuple[DesiredCollection, ...]) -> DesiredRepo:
        family, variant, repo = draft.family, draft.variant, draft.repo
        provenance = Provenance(
            family=variant.family, variant=variant.key,
            config_digest=_variant_digest(family, variant, self._made_from(variant.settings)),
            upstream_repo=family.upstream.repo if family.upstream else None,
            upstream_commit=family.upstream.commit if family.upstream else None,
            declared=declared_settings(repo, collections))
        card = variant.settings.card
        if card.managed is False:  # no README.md from release: the Hub's stays as it is
            return dataclasses.replace(repo, provenance=provenance)
        if card.file is not None:
            card_text, signed = self._verbatim_card(card.file, provenance, variant)
        else:
            card_text, signed = self._card(draft, provenance)
        # A generated card goes on main and on each release revision (a run branch a release
        # tag names), in the same commit as that branch's files and so before the tag: what
        # `revision="v1.0"` loads is the release's card, not the one main had when the branch
        # was made. A verbatim card (`card.file`, as `release import` writes) is main's README
        # as it was found: the README of the release revisions stays as found too.
        readme = DesiredFile.from_bytes(CARD_PATH, card_text.encode())
        released = {tag.revision for tag in repo.tags} if card.file is None else set()
        branches = tuple(dataclasses.replace(branch, files=(readme, *branch.files))
                         if branch.name == "main" or branch.name in released else branch
                         for branch in repo.branches)
        return dataclasses.replace(repo, card_text=card_text, branches=branches,
                                   provenance=signed,
                                   card_verbatim=card.file is not None)

    def _runs(self, family: FamilyConfig, variant: Variant,
              values: dict[str, Any]) -> list[DesiredBranch]:
        branches = []
        for run in variant.runs:
            run_values = {**values, **run.values}
            name = _fill(family.runs.branch or "", run_values,
                         ("families", variant.family, "runs", "branch"))
            # A run found on disk takes its own folder: the pattern it was parsed with.
            folder = family.runs.discover if run.folder is not None else family.runs.artifacts
            found = tuple((k, str(v)) for k, v in run.values.items()) if run.folder else None
            branches.append(self._branch(name, variant.settings.artifacts, folder,
                                         {**run_values, "branch": name}, variant,
                                         ("families", variant.family, "runs",
                                          "discover" if run.folder is not None else "artifacts"),
                                         found))
        return branches

    def _branch(self, name: str, artifacts: ArtifactsConfig, folder_template: str | None,
                values: Mapping[str, Any], variant: Variant, where: KeyPath,
                run: tuple[tuple[str, str], ...] | None = None) -> DesiredBranch:
        if folder_template is None:
            return DesiredBranch(name=name)
        folder = _fill(folder_template, values, ("artifacts", "folder"))
        files: tuple[DesiredFile, ...] = ()
        if self.artifacts is not None:  # the generated card wins over a README.md on disk
            revision = FolderRevision(
                family=variant.family, variant=variant.key, repo_id=str(values["repo_id"]),
                branch=name, folder=folder, include=tuple(artifacts.include or ()),
                ignore=tuple(artifacts.ignore or ()), run=run)
            try:
                found = self._files(revision, artifacts)
            except ReleaseError as err:  # a missing folder, or one that cannot be read
                if not isinstance(err, ConfigError) and getattr(err, "location", None):
                    raise  # names its own place (release.lock:LINE) and what to run
                # Recorded, and the other folders still checked: all errors at once.
                self.errors.append(self._located(err, where))
                found = ()
            files = tuple(f for f in found if f.path != CARD_PATH)
        return DesiredBranch(name=name, files=files, prune_files=bool(artifacts.prune_files),
                             source=folder)

    def _files(self, revision: FolderRevision,
               artifacts: ArtifactsConfig) -> tuple[DesiredFile, ...]:
        assert self.artifacts is not None
        content = self.artifacts(revision)
        if not content.known:
            return ()
        self.structure[(revision.repo_id, revision.branch)] = content.structure
        files = content.files
        missing = [pattern for pattern in artifacts.required or ()
                   if not any(fnmatchcase(file.path, pattern) for file in files)]
        if missing:
            raise ConfigError(f"artifact folder '{revision.folder}' lacks required "
                              f"{', '.join(repr(m) for m in missing)}")
        return files

    def _tags(self, variant: Variant, values: Mapping[str, Any]) -> tuple[DesiredTag, ...]:
        release = variant.settings.release
        if release is None or release.tag is None:
            return ()
        where = variant.origin(("release",))
        return (DesiredTag(name=_fill(release.tag, values, where),
                           revision=_fill(release.revision or "main", values, where),
                           message=release.message or "", move=bool(release.move_tag)),)

    def _verbatim_card(self, name: str, provenance: Provenance,
                       variant: Variant) -> tuple[str, Provenance]:
        """`card.file`: a README.md kept as written, with the provenance block added to its
        front matter (one is made for a card without). The body stays byte for byte, and the
        front matter as parsed, so `card_digest` equals the digest of the file itself."""
        path = self.templates_dir / name
        try:
            text = path.read_bytes().decode("utf-8")  # line endings as written
        except FileNotFoundError:
            raise self._located(ConfigError(f"card file '{display_path(path)}' does not exist",
                                            hint="write it, or capture it again with "
                                                 "'release import'"),
                                variant.origin(("card", "file"))) from None
        except (OSError, UnicodeDecodeError) as err:
            raise self._located(ConfigError(f"card file '{display_path(path)}' cannot be read "
                                            f"as UTF-8 text: {err}"),
                                variant.origin(("card", "file"))) from None
        metadata, body = split_card(text)
        signed = dataclasses.replace(provenance,
                                     card_digest=card_content_digest(metadata, body))
        return verbatim_card(metadata, body, signed), signed

    def _card(self, draft: _Draft, provenance: Provenance) -> tuple[str, Provenance]:
        """The card text, and the provenance signed with its digest."""
        family, variant, values = draft.family, draft.variant, draft.values
        runs, tags = draft.repo.branches[1:], draft.repo.tags
        card = variant.settings.card
        where = variant.origin(("card",))
        metadata = _card_metadata(variant, values)
        if draft.chained_from is not None:
            metadata = _chained_metadata(metadata, draft.chained_from, family, variant)
        run_columns = list(dict.fromkeys(key for run in variant.runs for key in run.values))
        context = {
            "title": _fill(card.title or "{repo_name}", values, where),
            "summary": _fill_optional(card.summary, values, where),
            "intended_use": _fill_optional(card.intended_use, values, where),
            "training": _fill_optional(card.training, values, where),
            "citation": card.citation,
            "evaluation": dict(card.evaluation or {}),
            "metadata": {**{f.name: None for f in dataclasses.fields(card.metadata)},
                         **metadata},  # unset fields are None, so `{% if %}` can test them
            "family": variant.family, "variant": variant.key, "axes": dict(variant.axes),
            "namespace": family.namespace, "repo_id": values["repo_id"],
            "repo_name": values["repo_name"], "vars": dict(variant.settings.vars or {}),
            "visibility": draft.repo.visibility, "gated": draft.repo.gated,
            "runs": [{"branch": branch.name, "values": dict(run.values), "source": branch.source,
                      "cells": [placeholder_text(run.values.get(column, ""))
                                for column in run_columns]}
                     for branch, run in zip(runs, variant.runs, strict=True)],
            "run_columns": run_columns,
            "release": {"tag": tags[0].name, "revision": tags[0].revision} if tags else None,
            "upstream": ({"repo": family.upstream.repo, "commit": family.upstream.commit}
                         if family.upstream else None),  # not path/branch: local, status only
            "provenance": provenance.to_metadata(),
        }
        try:
            body = self.cards.body(card.template or DEFAULT_TEMPLATE, context)
        except ConfigError as err:  # a missing template: point at the key that names it
            raise self._located(err, variant.origin(("card", "template"))) from None
        # The card digest covers everything but the provenance block, so it can live inside it.
        digest = card_content_digest(self.cards.front_matter(metadata), "\n" + body)
        final = dataclasses.replace(provenance, card_digest=digest)
        return self.cards.assemble(metadata, body, final.to_metadata()), final


def verbatim_card(metadata: Mapping[str, Any], body: str, provenance: Provenance) -> str:
    """`---\\n<front matter + provenance>\\n---\\n<body>`: the front matter as written (not
    normalised by ModelCardData: a card someone else wrote may hold any key), the body as is."""
    import yaml

    front = {**{k: v for k, v in metadata.items() if k != PROVENANCE_KEY},
             PROVENANCE_KEY: provenance.to_metadata()}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    dumped = yaml.dump(front, Dumper=dumper, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{dumped}\n---\n{body}"


def _card_metadata(variant: Variant, values: Mapping[str, Any]) -> dict[str, Any]:
    """The card's front matter: set fields only, templates filled, in schema order."""
    metadata = variant.settings.card.metadata
    where = variant.origin(("card", "metadata"))
    found: dict[str, Any] = {}
    for spec in dataclasses.fields(metadata):
        value = getattr(metadata, spec.name)
        if value is None:
            continue
        if isinstance(value, str):
            value = _fill(value, values, where)
        elif isinstance(value, list):
            value = [_fill(v, values, where) if isinstance(v, str) else v for v in value]
        found[spec.name] = value
    return found


def _chained_metadata(metadata: Mapping[str, Any], base_model: str, family: FamilyConfig,
                      variant: Variant) -> dict[str, Any]:
    """`metadata` with the chained base_model and relation, kept in schema order."""
    assert family.chain is not None
    chained = {**metadata, "base_model": base_model}
    relation_set = any(layer.card.metadata.base_model_relation is not None
                       for _, layer in variant.layers[1:])
    if not relation_set:
        chained["base_model_relation"] = family.chain.relation
    order = [spec.name for spec in dataclasses.fields(variant.settings.card.metadata)]
    return {name: chained[name] for name in order if name in chained}


@dataclasses.dataclass(frozen=True)
class _Draft:
    family: FamilyConfig
    variant: Variant
    values: dict[str, Any]
    repo: DesiredRepo
    chained_from: str | None = None  # the previous stage's repo id, when `chain` applies


def _chain(family: FamilyConfig, drafts: list[_Draft | None]) -> list[_Draft | None]:
    """Point each stage after the first at the previous declared stage's repo (`chain`).

    "Previous" is the nearest earlier value on the chain axis whose variant (other axes equal)
    is declared: an excluded SFT makes DPO chain to nothing rather than to a repo that will
    never exist, and DPO then keeps its configured base_model.
    """
    chain = family.chain
    if chain is None or chain.axis not in family.matrix:
        return drafts
    order = [str(value) for value in family.matrix[chain.axis]]
    by_axes = {draft.repo.axes: draft.repo.repo_id for draft in drafts if draft is not None}
    chained: list[_Draft | None] = []
    for draft in drafts:
        if draft is None or _sets_base_model(draft.variant):
            chained.append(draft)
            continue
        axes = dict(draft.repo.axes)
        position = order.index(axes[chain.axis])
        previous = (by_axes.get(tuple((axis, value if axis != chain.axis else earlier)
                                      for axis, value in draft.repo.axes))
                    for earlier in reversed(order[:position]))
        chained.append(dataclasses.replace(
            draft, chained_from=next((repo_id for repo_id in previous if repo_id), None)))
    return chained


def _sets_base_model(variant: Variant) -> bool:
    """Does a `variants` selector (not `defaults`) set base_model? Then it wins over `chain`."""
    return any(layer.card.metadata.base_model is not None for _, layer in variant.layers[1:])


def _collection(family: FamilyConfig, repos: list[DesiredRepo]) -> DesiredCollection:
    assert family.collection is not None
    collection = family.collection
    items = []
    for repo in _collection_order(collection.items, repos):
        notes = [note for selector, note in collection.notes.items()
                 if matches(selector, repo.variant)]
        items.append(DesiredCollectionItem(repo_id=repo.repo_id,
                                           note=notes[-1] if notes else None))
    return DesiredCollection(namespace=family.namespace, title=collection.title,
                             description=collection.description,
                             private=collection.visibility == Visibility.private,
                             items=tuple(items))


def _collection_order(selectors: list[str] | None,
                      repos: list[DesiredRepo]) -> list[DesiredRepo]:
    """The collection's repos: those `selectors` name, in their order (each selector's in
    matrix order, each repo once); every repo in matrix order when unset."""
    if selectors is None:
        return repos
    chosen: dict[str, DesiredRepo] = {}
    for selector in selectors:
        for repo in repos:
            if matches(selector, repo.variant):
                chosen.setdefault(repo.repo_id, repo)
    return list(chosen.values())


def _variant_digest(family: FamilyConfig, variant: Variant, made_from: str | None = None
                    ) -> str:
    """What determines this repo, hashed: a change elsewhere in the family leaves it alone.

    Settings that decide how apply and plan treat the repo, not what it holds, are left out
    (`_made_from`): the default card shows this digest, so toggling `prune_files` or a policy
    would otherwise rewrite every card of the family. Left out as None, which the digest
    skips, so a variant that never set them keeps the digest it was published with.
    `made_from`: the canonical JSON of `_made_from(variant.settings)`, when known.
    """
    if made_from is None:
        made_from = canonical_json(_made_from(variant.settings))
    return digest({
        "family": variant.family, "namespace": family.namespace,
        "repo_name": family.repo_name, "axes": list(variant.axes),
        "runs": {"branch": family.runs.branch, "artifacts": family.runs.artifacts,
                 "values": [run.values for run in variant.runs],
                 # absent when unset, so digests of configs without discovery do not move
                 **({"discover": family.runs.discover} if family.runs.discover else {})},
        # Where the clone is on this machine is not what the repo is made from.
        "upstream": (dataclasses.replace(family.upstream, path=None, branch=None)
                     if family.upstream is not None else None),
        **({"chain": family.chain} if family.chain is not None else {}),  # absent when unset
    }, known={"settings": made_from})


def _moves(config: ReleaseConfig, repo_ids: list[str]) -> tuple[DeclaredMove, ...]:
    """The `moved` entries, filled per variant (checked by the config rules at load); a target
    is spelled as its repo is declared (ids are case-insensitive on the Hub)."""
    if not any(family.moved for family in config.families.values()):
        return ()
    from release.config.load import sources_of
    from release.config.moves import declared_moves

    moves, _ = declared_moves(config)
    spelled = {repo_id.lower(): repo_id for repo_id in repo_ids}
    moves = [dataclasses.replace(m, new=spelled.get(m.new.lower(), m.new)) for m in moves]
    unique = {(m.old, m.new): DeclaredMove(m.old, m.new,
                                                  where(sources_of(config), (*m.path, "from")))
              for m in moves}
    return tuple(unique[key] for key in sorted(unique))


def _made_from(settings: VariantConfig) -> VariantConfig:
    """`settings` without those that change neither the repo's content nor its card: file
    pruning, the structure check, protection, release policy, retention, whether an existing
    tag may move. (`required` stays: it says what the repo holds, and published digests include it.)"""
    artifacts = dataclasses.replace(settings.artifacts, prune_files=None, structure=None)
    release = (dataclasses.replace(settings.release, move_tag=None)
               if settings.release is not None else None)
    # `retention` too: the runs it keeps are in the digest (and the card) already.
    return dataclasses.replace(settings, artifacts=artifacts, release=release, protect=None,
                               policy=None, retention=None)


def _fill(template: str, values: Mapping[str, Any], where: tuple[Any, ...]) -> str:
    try:
        return fill(template, values)
    except TemplateError as err:  # load_config reports these with locations; kept for callers
        raise ConfigError(f"{format_path(where)}: {err}") from None  # building configs in code


def _fill_optional(template: str | None, values: Mapping[str, Any],
                   where: tuple[Any, ...]) -> str | None:
    return None if template is None else _fill(template, values, where)
