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
from typing import Any

from omegaconf import MISSING

# Field metadata keys understood by the checker.
CHOICES = "choices"  # allowed values for a field typed Any (YAML `false` is not a string)
TEMPLATE = "template"  # a naming template: {placeholders} are checked and expanded
INTERNAL = "internal"  # set by the loader, never from YAML (the decoder treats it as unknown)
YAML_KEY = "yaml_key"  # the key in YAML when it is not the field's name (`from` is a keyword)
DESCRIPTION = "description"

GATING_CHOICES: tuple[Any, ...] = (False, "auto", "manual")
STRUCTURE_POLICIES: tuple[str, ...] = ("warn", "fail", "off")


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
    endpoint: str | None = None  # None: the embedded local hub, or https://huggingface.co
    # The *name* of the variable holding the token, never the token. Unset: HF_TOKEN, then the
    # token `hf auth login` stored, for huggingface; the local hub's own token for local.
    token_env: str | None = None
    data_dir: str = ".release/localhub"  # storage of the embedded local hub
    rate_limit: str | None = None  # the embedded hub rehearses the Hub's quota, e.g. 1000/300s


@dataclass
class CardMetadata:
    """Model-card front matter (the fields the Hub indexes); strings may use {placeholders}."""

    license: str | None = None
    license_name: str | None = None
    license_link: str | None = None
    base_model: str | None = field(default=None, metadata={TEMPLATE: True})
    base_model_relation: str | None = field(
        default=None, metadata={CHOICES: (None, "finetune", "adapter", "merge", "quantized")})
    datasets: list[str] | None = None
    language: list[str] | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    tags: list[str] | None = None
    new_version: str | None = field(default=None, metadata={TEMPLATE: True})
    extra_gated_heading: str | None = None
    extra_gated_prompt: str | None = None
    extra_gated_button_content: str | None = None
    extra_gated_fields: dict[str, Any] | None = None
    extra_gated_eu_disallowed: bool | None = None


@dataclass
class CardConfig:
    """The README.md: a Jinja2 template under templates/, its text fields and front matter.

    Or, for a card someone else wrote (what `release import` captures): `file`, a README.md
    under templates/ kept as written, front matter and body; release only adds its provenance
    block to the front matter when it writes the card. `managed: false` writes no README.md at
    all (the repo keeps whatever it has, or none).
    """

    template: str | None = None  # default: model_card.md.j2
    file: str | None = None  # a verbatim README.md under templates/; wins over `template`
    managed: bool | None = None  # false: release leaves README.md alone (default: true)
    title: str | None = field(default=None, metadata={TEMPLATE: True})  # default: repo name
    summary: str | None = field(default=None, metadata={TEMPLATE: True})
    intended_use: str | None = field(default=None, metadata={TEMPLATE: True})
    training: str | None = field(default=None, metadata={TEMPLATE: True})
    citation: str | None = None
    evaluation: dict[str, Any] | None = None  # benchmark -> score, rendered as a table
    metadata: CardMetadata = field(default_factory=CardMetadata)


@dataclass
class ArtifactsConfig:
    """The local checkpoint folder whose files go on `main`, and how to select them."""

    folder: str | None = field(default=None, metadata={TEMPLATE: True})
    include: list[str] | None = None  # glob patterns; empty: everything
    ignore: list[str] | None = None
    required: list[str] | None = None  # patterns that must match a file, e.g. config.json
    prune_files: bool | None = None  # delete remote files the folder no longer has
    # The transformers layout check on release revisions (a tag's revision, or main when it
    # takes a folder): warn in the plan, fail as a config error, or off (non-transformers repos).
    structure: str | None = field(default=None,
                                  metadata={CHOICES: (None, *STRUCTURE_POLICIES)})


@dataclass
class ReleaseTagConfig:
    """The release: a tag on `revision` (main or one of the variant's run branches)."""

    tag: str | None = field(default=None, metadata={TEMPLATE: True})
    revision: str | None = field(default=None, metadata={TEMPLATE: True})  # default: main
    message: str | None = None
    move_tag: bool | None = None  # allow moving an existing tag that points elsewhere


@dataclass
class PolicyConfig:
    """Release policy: checks a repo must pass before a plan may publish or change it while
    public. Each is on unless set to false here (`card_sections: []` requires none); a relaxed
    check is said in the plan. `embargo` (YYYY-MM-DD) blocks publishing before that day (UTC).
    """

    license: bool | None = None  # card metadata names a license
    card_sections: list[str] | None = None  # `## ` headings the card must have
    undeclared_files: bool | None = None  # no files on main/the release revision the config lacks
    base_model: bool | None = None  # a managed base_model is public too
    structure: bool | None = None  # release revisions pass the artifacts structure check
    embargo: str | None = None


@dataclass
class RetentionConfig:
    """Retire run branches: delete them from the Hub and drop them from the card.

    Of the runs `retire` selects (run value -> glob, all must match; every run without it),
    the last `keep_last` are kept per `per` group (a run value, e.g. stage), ordered naturally
    by `order_by` (a run value; default: all of a run's values in order); the rest are
    retired. Without `keep_last`, every selected run is retired. A release revision, or a branch
    a tag points at on the Hub, is never retired; only branches release created are deleted.
    """

    keep_last: int | None = None
    per: str | None = None
    order_by: str | None = None
    retire: dict[str, Any] | None = None


@dataclass
class VariantConfig:
    """Settings of one variant; `defaults` and each selector override have this shape."""

    visibility: Visibility | None = None  # default: private
    gated: Any = field(default=None, metadata={CHOICES: (None,) + GATING_CHOICES})
    adopt: bool | None = None  # take over an existing repo not created by this tool
    # Refuse plans that delete, unpublish, ungate or move a tag of this repo. Unset: on for a
    # repo that is public and tagged on the Hub.
    protect: bool | None = None
    policy: PolicyConfig | None = None
    card: CardConfig = field(default_factory=CardConfig)
    artifacts: ArtifactsConfig = field(default_factory=ArtifactsConfig)
    release: ReleaseTagConfig | None = None
    vars: dict[str, Any] | None = None  # extra {placeholders} and card-template variables
    retention: RetentionConfig | None = None  # which run branches to retire


@dataclass
class RunsConfig:
    """A branch per training run: the naming template and the runs of each variant.

    `variants` maps a selector to run values (e.g. date/seed or stage/step/tokens) that fill
    the `branch` template; `artifacts` names each run's checkpoint folder. `discover` declares
    runs by a pattern over folders instead (`"ckpt/{size_lower}/stage{stage}-step{step}"`):
    every folder that matches is a run whose values are parsed from its name, and the folder is
    its checkpoint. `found` holds those runs ({variant key: [{"folder": ..., "values": {...}}]}),
    set by the loader from the disk and the lock file.
    """

    branch: str | None = field(default=None, metadata={TEMPLATE: True})
    artifacts: str | None = field(default=None, metadata={TEMPLATE: True})
    variants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    discover: str | None = None
    found: dict[str, list[dict[str, Any]]] | None = field(default=None,
                                                          metadata={INTERNAL: True})


@dataclass
class UpstreamConfig:
    """The code that produced the weights, recorded in every card's provenance.

    `path` (a local clone, relative to the project root; default: the git checkout the config
    is in) and `branch` (default: the clone's origin/HEAD, else HEAD) are only for `release
    status`, which says how far each release's upstream commit is behind that branch's head;
    neither goes in a card.
    """

    repo: str = MISSING
    commit: str | None = None
    path: str | None = None
    branch: str | None = None


@dataclass
class ChainConfig:
    """Each step along `axis` is fine-tuned from the previous one (SFT -> DPO -> RL).

    A variant whose value on `axis` is not the first gets `base_model` = the repo id of the
    variant with the previous value (other axes equal) and `base_model_relation` = `relation`.
    The first value keeps its configured base_model. Applied between `defaults` and the
    `variants` selectors, so a selector that sets base_model for a variant still wins.
    """

    axis: str = MISSING
    relation: str = field(default="finetune",
                          metadata={CHOICES: ("finetune", "adapter", "merge", "quantized")})


@dataclass
class CollectionConfig:
    """One Hub collection per family; items are the variants in matrix order."""

    title: str = MISSING
    description: str | None = None  # the Hub allows at most 150 characters
    visibility: Visibility = Visibility.private
    notes: dict[str, str] = field(default_factory=dict)  # selector -> note (<= 500 characters)
    # Selectors of the variants in the collection, in this order (each selector's variants in
    # matrix order). Unset: every variant, in matrix order.
    items: list[str] | None = None


@dataclass
class MoveConfig:
    """One `moved:` entry: the repo that was `from` is now `to` (Terraform's `moved` block).

    Each is a repo id (`ns/name`), a name in the family's namespace, or a naming template
    expanded per variant like `repo_name` (`"OLMo-2-{date_code}-{size}"`). Plan shows a move
    instead of destroy + create, apply calls the Hub's move (which redirects the old id); once
    moved, the entry changes nothing and may stay.
    """

    from_: str = field(default=MISSING, metadata={YAML_KEY: "from", TEMPLATE: True})
    to: str = field(default=MISSING, metadata={TEMPLATE: True})


@dataclass
class FamilyConfig:
    """A model family: the variant matrix, naming, per-variant settings, runs, collection."""

    namespace: str = MISSING
    repo_name: str = field(default=MISSING, metadata={TEMPLATE: True})
    matrix: dict[str, list[str]] = MISSING  # axis -> values, e.g. size: [8B, 70B]
    exclude: list[str] = field(default_factory=list)  # selectors of matrix cells not released
    defaults: VariantConfig = field(default_factory=VariantConfig)
    variants: dict[str, VariantConfig] = field(default_factory=dict)  # selector -> override
    runs: RunsConfig = field(default_factory=RunsConfig)
    chain: ChainConfig | None = None  # base_model points at the previous stage's repo
    upstream: UpstreamConfig | None = None
    collection: CollectionConfig | None = None
    moved: list[MoveConfig] | None = None  # renamed repos: previous id -> current id


@dataclass
class ReleaseConfig:
    """The root: the hub, the families, and whether undeclared managed repos are destroyed."""

    hub: HubConfig = field(default_factory=HubConfig)
    families: dict[str, FamilyConfig] = field(default_factory=dict)
    prune: bool = False  # opt-in: delete repos this tool manages that are no longer declared
    templates_dir: str = "templates"  # card templates, relative to the project root


SCHEMA_NAME = "release_schema"


def register_schema() -> None:
    """Make the schema known to Hydra's ConfigStore as `release_schema` (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=SCHEMA_NAME, node=ReleaseConfig)
