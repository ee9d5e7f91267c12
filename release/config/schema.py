"""The typed schema of the YAML under conf/, registered with Hydra's ConfigStore.

Shape: a root `ReleaseConfig` holds the `hub` to talk to and `families`; a family declares a
matrix of axes (e.g. size x stage), a repo-name template, `defaults` that every variant starts
from and `variants` overrides chosen by glob selectors over the variant key ("70B-*").

Every field of `VariantConfig` (and what it nests) is optional, with None meaning "not set
here": variant settings are layered defaults -> matching selectors, so an override must be able
to leave a field alone. The effective fallbacks live in `VARIANT_FALLBACKS` / the resolver.

The schema is deliberately plain dataclasses: `release.config.check` walks it to report every
problem at once with file:line:col, and `release.config.build` turns the checked tree into
these classes; OmegaConf itself would stop at the first error and keeps no line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional

from omegaconf import MISSING

# Field metadata keys understood by the checker.
CHOICES = "choices"  # allowed values for a field typed Any (YAML `false` is not a string)
TEMPLATE = "template"  # a naming template: {placeholders} are checked and expanded
DESCRIPTION = "description"

GATING_CHOICES: tuple[Any, ...] = (False, "auto", "manual")


class HubKind(str, Enum):
    local = "local"
    huggingface = "huggingface"


class Visibility(str, Enum):
    private = "private"
    public = "public"


@dataclass
class HubConfig:
    """Where plan/apply read and write. The token is read from an environment variable."""

    kind: HubKind = HubKind.local
    endpoint: Optional[str] = None  # None: the embedded local hub, or https://huggingface.co
    token_env: str = "HF_TOKEN"  # the *name* of the variable holding the token, never the token
    data_dir: str = ".release/localhub"  # storage of the embedded local hub


@dataclass
class CardMetadata:
    """Model-card front matter (the fields the Hub indexes); strings may use {placeholders}."""

    license: Optional[str] = None
    license_name: Optional[str] = None
    license_link: Optional[str] = None
    base_model: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    base_model_relation: Optional[str] = field(
        default=None, metadata={CHOICES: (None, "finetune", "adapter", "merge", "quantized")})
    datasets: Optional[List[str]] = None
    language: Optional[List[str]] = None
    pipeline_tag: Optional[str] = None
    library_name: Optional[str] = None
    tags: Optional[List[str]] = None
    new_version: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    extra_gated_heading: Optional[str] = None
    extra_gated_prompt: Optional[str] = None
    extra_gated_button_content: Optional[str] = None
    extra_gated_fields: Optional[Dict[str, Any]] = None
    extra_gated_eu_disallowed: Optional[bool] = None


@dataclass
class CardConfig:
    """The README.md: a Jinja2 template under templates/, its text fields and front matter."""

    template: Optional[str] = None  # default: model_card.md.j2
    title: Optional[str] = field(default=None, metadata={TEMPLATE: True})  # default: repo name
    summary: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    intended_use: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    training: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    citation: Optional[str] = None
    evaluation: Optional[Dict[str, Any]] = None  # benchmark -> score, rendered as a table
    metadata: CardMetadata = field(default_factory=CardMetadata)


@dataclass
class ArtifactsConfig:
    """The local checkpoint folder whose files go on `main`, and how to select them."""

    folder: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    include: Optional[List[str]] = None  # glob patterns; empty: everything
    ignore: Optional[List[str]] = None
    required: Optional[List[str]] = None  # patterns that must match a file, e.g. config.json
    prune_files: Optional[bool] = None  # delete remote files the folder no longer has


@dataclass
class ReleaseTagConfig:
    """The release: a tag on `revision` (main or one of the variant's run branches)."""

    tag: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    revision: Optional[str] = field(default=None, metadata={TEMPLATE: True})  # default: main
    message: Optional[str] = None
    move_tag: Optional[bool] = None  # allow moving an existing tag that points elsewhere


@dataclass
class VariantConfig:
    """Settings of one variant; `defaults` and each selector override have this shape."""

    visibility: Optional[Visibility] = None  # default: private
    gated: Any = field(default=None, metadata={CHOICES: (None,) + GATING_CHOICES})
    adopt: Optional[bool] = None  # take over an existing repo not created by this tool
    card: CardConfig = field(default_factory=CardConfig)
    artifacts: ArtifactsConfig = field(default_factory=ArtifactsConfig)
    release: Optional[ReleaseTagConfig] = None
    vars: Optional[Dict[str, Any]] = None  # extra {placeholders} and card-template variables


@dataclass
class RunsConfig:
    """A branch per training run: the naming template and the runs of each variant.

    `variants` maps a selector to run values (e.g. date/seed or stage/step/tokens) that fill
    the `branch` template; `artifacts` names each run's checkpoint folder.
    """

    branch: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    artifacts: Optional[str] = field(default=None, metadata={TEMPLATE: True})
    variants: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)


@dataclass
class UpstreamConfig:
    """The code that produced the weights, recorded in every card's provenance."""

    repo: str = MISSING
    commit: Optional[str] = None


@dataclass
class CollectionConfig:
    """One Hub collection per family; items are the variants in matrix order."""

    title: str = MISSING
    description: Optional[str] = None  # the Hub allows at most 150 characters
    visibility: Visibility = Visibility.private
    notes: Dict[str, str] = field(default_factory=dict)  # selector -> note (<= 500 characters)


@dataclass
class FamilyConfig:
    """A model family: the variant matrix, naming, per-variant settings, runs, collection."""

    namespace: str = MISSING
    repo_name: str = field(default=MISSING, metadata={TEMPLATE: True})
    matrix: Dict[str, List[str]] = MISSING  # axis -> values, e.g. size: [8B, 70B]
    exclude: List[str] = field(default_factory=list)  # selectors of matrix cells not released
    defaults: VariantConfig = field(default_factory=VariantConfig)
    variants: Dict[str, VariantConfig] = field(default_factory=dict)  # selector -> override
    runs: RunsConfig = field(default_factory=RunsConfig)
    upstream: Optional[UpstreamConfig] = None
    collection: Optional[CollectionConfig] = None


@dataclass
class ReleaseConfig:
    """The root: the hub, the families, and whether undeclared managed repos are destroyed."""

    hub: HubConfig = field(default_factory=HubConfig)
    families: Dict[str, FamilyConfig] = field(default_factory=dict)
    prune: bool = False  # opt-in: delete repos this tool manages that are no longer declared
    templates_dir: str = "templates"  # card templates, relative to the project root


SCHEMA_NAME = "release_schema"


def register_schema() -> None:
    """Make the schema known to Hydra's ConfigStore as `release_schema` (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=SCHEMA_NAME, node=ReleaseConfig)
