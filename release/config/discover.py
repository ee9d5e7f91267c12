"""Runs found on disk: `runs.discover` patterns matched against folders, and the lock's record.

`runs.discover: "checkpoints/olmo2-{size_lower}/stage{stage}-step{step}-tokens{tokens}"` —
the variant's placeholders (`{size_lower}`) are filled in; the others (`{stage}`, `{step}`,
`{tokens}`) are run values, parsed back from each matching folder's name (the reverse of the
branch template). The lock file records every run it was made with, so a machine without the
folders (a pull-request runner) still knows each run: `find_runs` returns the union of what
the disk shows and what the lock recorded, in a natural order (step 2000 before step 11931).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from release.config.names import TemplateError, fill, placeholders_in
from release.config.schema import FamilyConfig, ReleaseConfig
from release.config.variants import Variant, placeholders, resolve_variants

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True)
class RecordedRun:
    """A discovered run as the lock file records it."""

    family: str
    variant: str
    folder: str
    values: tuple[tuple[str, str], ...]


def run_fields(pattern: str, variant_values: Mapping[str, Any]) -> list[str]:
    """The placeholders of `pattern` that are run values (not the variant's own)."""
    return list(dict.fromkeys(n for n in placeholders_in(pattern) if n not in variant_values))


def find_runs(config: ReleaseConfig, root: Path,
              recorded: Iterable[RecordedRun] = ()) -> ReleaseConfig:
    """`config` with `runs.found` set for every family that declares `runs.discover`."""
    by_variant: dict[tuple[str, str], list[RecordedRun]] = {}
    for run in recorded:
        by_variant.setdefault((run.family, run.variant), []).append(run)
    families = dict(config.families)
    for name, family in config.families.items():
        if family.runs.discover is None:
            continue
        found: dict[str, list[dict[str, Any]]] = {}
        for variant in resolve_variants(name, dataclasses.replace(
                family, runs=dataclasses.replace(family.runs, found=None))):
            runs = _on_disk(family, variant, root)
            for run in by_variant.get((name, variant.key), []):
                runs.setdefault(run.folder, dict(run.values))
            if runs:
                found[variant.key] = [{"folder": folder, "values": runs[folder]}
                                      for folder in sorted(runs, key=_natural)]
        families[name] = dataclasses.replace(
            family, runs=dataclasses.replace(family.runs, found=found))
    return dataclasses.replace(config, families=families)


def _on_disk(family: FamilyConfig, variant: Variant, root: Path) -> dict[str, dict[str, str]]:
    """{folder (relative, posix): run values} for the folders matching the variant's pattern."""
    pattern = family.runs.discover or ""
    values = _variant_values(family, variant)
    fields = run_fields(pattern, values)
    if not fields:
        return {}  # the rules report a pattern without run values
    try:
        regex, wildcard = _compile(pattern, values)
    except TemplateError:
        return {}  # reported by the rules with its location
    found: dict[str, dict[str, str]] = {}
    for path in glob.glob(os.path.join(glob.escape(str(root)), wildcard)):
        relative = Path(path).relative_to(root).as_posix()
        match = regex.fullmatch(relative)
        if match is not None and os.path.isdir(path):
            found[relative] = {field: match.group(field) for field in fields}
    return found


def _variant_values(family: FamilyConfig, variant: Variant) -> dict[str, Any]:
    values = placeholders(variant, family.namespace)
    try:
        repo_name = fill(family.repo_name, values)
    except TemplateError:
        return values
    return {**values, "repo_name": repo_name, "repo_id": f"{family.namespace}/{repo_name}"}


def _compile(pattern: str, values: Mapping[str, Any]) -> tuple[re.Pattern[str], str]:
    """(regex with a named group per run value, glob that lists the candidates)."""
    regex, wildcard = [], []
    seen: set[str] = set()
    position = 0
    for token in _TOKEN.finditer(pattern):
        literal = pattern[position:token.start()]
        regex.append(re.escape(literal))
        wildcard.append(glob.escape(literal))
        position = token.end()
        name = token.group(1)
        if name is None:  # {{ or }}: a literal brace
            regex.append(re.escape(token.group(0)[0]))
            wildcard.append(token.group(0)[0])
        elif name in values:
            text = fill(f"{{{name}}}", values)
            regex.append(re.escape(text))
            wildcard.append(glob.escape(text))
        elif name in seen:
            regex.append(f"(?P={name})")
            wildcard.append("*")
        else:
            seen.add(name)
            regex.append(f"(?P<{name}>[^/]+?)")
            wildcard.append("*")
    tail = pattern[position:]
    if "{" in tail or "}" in tail:
        raise TemplateError(f"unmatched brace in '{pattern}'")
    regex.append(re.escape(tail))
    wildcard.append(glob.escape(tail))
    return re.compile("".join(regex)), "".join(wildcard)


def _natural(text: str) -> list[Any]:
    """Sort key: digit runs compare as numbers, so step2000 sorts before step11931."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", text) if part]
