"""A variant's protection and release policy, resolved from its layers with config locations.

Plan-time checks (`release.plan.guards`) must name the config line that protects a repo or
relaxes a policy, so the location is resolved here, at expansion, from the loader's SourceMap
(a config built in code has none: the key path alone is named).
"""

from __future__ import annotations

from typing import Any

from release.config.schema import FamilyConfig
from release.config.sources import KeyPath, format_path
from release.config.variants import Variant
from release.state import DEFAULT_CARD_SECTIONS, POLICIES, ProtectLayer, Safeguards


def where(sources: Any, path: KeyPath, *, at_key: bool = False) -> str:
    """`conf/families/x.yaml:12:5 (families.x.defaults.protect)`, or the key path alone."""
    key = format_path(path)
    if sources is None:
        return key
    location = sources.key_location(path) if at_key else sources.value_location(path)
    return f"{location} ({key})" if location else key


def safeguards_for(variant: Variant, sources: Any) -> Safeguards:
    settings = variant.settings
    if settings.protect is not None:
        protect_at = where(sources, variant.origin(("protect",)))
    else:  # where to write `protect: false`: the variant's most specific settings
        protect_at = where(sources, variant.layers[-1][0], at_key=True)
    policy = settings.policy
    relaxed: list[tuple[str, str]] = []
    sections = DEFAULT_CARD_SECTIONS
    embargo = embargo_at = None
    if policy is not None:
        for name in POLICIES:
            value = getattr(policy, name)
            if value is False or (name == "card_sections" and value == []):
                relaxed.append((name, where(sources, variant.origin(("policy", name)))))
        if policy.card_sections:
            sections = tuple(str(section) for section in policy.card_sections)
        if policy.embargo is not None:
            embargo = str(policy.embargo)
            embargo_at = where(sources, variant.origin(("policy", "embargo")))
    return Safeguards(protect=settings.protect, protect_at=protect_at, relaxed=tuple(relaxed),
                      card_sections=sections, embargo=embargo, embargo_at=embargo_at or "")


def protect_layers(name: str, family: FamilyConfig, sources: Any) -> tuple[ProtectLayer, ...]:
    """The family's `protect` settings in layering order (defaults, then selectors)."""
    base: KeyPath = ("families", name)
    layers = []
    if family.defaults.protect is not None:
        path = (*base, "defaults", "protect")
        layers.append(ProtectLayer(None, family.defaults.protect, where(sources, path)))
    for selector, override in family.variants.items():
        if override.protect is not None:
            path = (*base, "variants", selector, "protect")
            layers.append(ProtectLayer(selector, override.protect, where(sources, path)))
    return tuple(layers)
