"""A family's matrix expanded into variants, each with its settings layered from the config.

A variant's key joins its axis values with '-' in axis order (`8B-SFT`). Its settings start from
the family's `defaults`; then every `variants` selector (a glob over the key) that matches is laid
over them in the order declared, so the last matching selector wins field by field; mappings are
merged key by key, lists and scalars replaced. Deterministic: no set or dict-order surprises.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from release.config.schema import FamilyConfig, VariantConfig
from release.config.sources import KeyPath


@dataclass(frozen=True)
class Run:
    """One training run of a variant: its values fill the branch template."""

    values: dict[str, Any]
    path: KeyPath  # where it is declared, for errors
    folder: str | None = None  # set for a run found on disk (`runs.discover`): its folder


@dataclass(frozen=True)
class Variant:
    """One cell of the matrix with its effective settings and where each layer came from."""

    family: str
    key: str
    axes: tuple[tuple[str, str], ...]
    settings: VariantConfig
    layers: tuple[tuple[KeyPath, VariantConfig], ...]  # defaults first, then matching selectors
    runs: tuple[Run, ...]

    def origin(self, field_path: tuple[str, ...]) -> KeyPath:
        """The config path of the layer that last set `field_path` (for error locations)."""
        for layer_path, layer in reversed(self.layers):
            if _get(layer, field_path) is not None:
                return (*layer_path, *field_path)
        return (*self.layers[0][0], *field_path)


def matches(selector: str, key: str) -> bool:
    return fnmatchcase(key, selector)


def variant_keys(family: FamilyConfig) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(key, axes) of every matrix cell not excluded, in matrix order."""
    axes = list(family.matrix.items())
    cells = []
    for values in itertools.product(*(values for _, values in axes)):
        pairs = tuple((axis, str(value)) for (axis, _), value in zip(axes, values, strict=True))
        key = "-".join(value for _, value in pairs)
        if not any(matches(selector, key) for selector in family.exclude):
            cells.append((key, pairs))
    return cells


def resolve_variants(name: str, family: FamilyConfig) -> list[Variant]:
    """Every variant of the family, in matrix order, with layered settings and runs."""
    base: KeyPath = ("families", name)
    resolved = []
    # Variants that match the same selectors have the same settings: laid over once.
    layered: dict[tuple[str, ...], VariantConfig] = {}
    for key, axes in variant_keys(family):
        layers: list[tuple[KeyPath, VariantConfig]] = [((*base, "defaults"), family.defaults)]
        layers += [((*base, "variants", selector), override)
                   for selector, override in family.variants.items() if matches(selector, key)]
        chosen = tuple(str(path[-1]) for path, _ in layers[1:])
        settings = layered.get(chosen)
        if settings is None:
            settings = family.defaults
            for _, override in layers[1:]:
                settings = overlay(settings, override)
            layered[chosen] = settings
        runs = tuple(Run(dict(values), (*base, "runs", "variants", selector, index))
                     for selector, run_list in family.runs.variants.items()
                     if matches(selector, key)
                     for index, values in enumerate(run_list))
        runs += tuple(Run(dict(found["values"]), (*base, "runs", "discover"),
                          folder=str(found["folder"]))
                      for found in (family.runs.found or {}).get(key, []))
        resolved.append(Variant(name, key, axes, settings, tuple(layers), runs))
    return resolved


def overlay(base: Any, top: Any) -> Any:
    """`top` laid over `base`: None leaves a value alone; dataclasses and dicts merge deeply."""
    if top is None:
        return base
    if base is None:
        return top
    if dataclasses.is_dataclass(base) and dataclasses.is_dataclass(top):
        changes = {f.name: overlay(getattr(base, f.name), getattr(top, f.name))
                   for f in dataclasses.fields(base)}
        return dataclasses.replace(base, **changes)  # type: ignore[type-var]
    if isinstance(base, dict) and isinstance(top, dict):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = overlay(base.get(key), value)
        return merged
    return top


def _get(obj: Any, field_path: tuple[str, ...]) -> Any:
    for name in field_path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def placeholders(variant: Variant, namespace: str) -> dict[str, Any]:
    """What `{...}` may name for this variant: axes (plus _lower/_upper), vars, family, ids."""
    values: dict[str, Any] = {"family": variant.family, "namespace": namespace,
                              "variant": variant.key}
    for axis, value in variant.axes:
        values[axis] = value
        values[f"{axis}_lower"] = value.lower()
        values[f"{axis}_upper"] = value.upper()
    for name, value in (variant.settings.vars or {}).items():
        values.setdefault(name, value)
    return values
