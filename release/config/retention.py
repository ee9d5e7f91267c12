"""Which of a variant's runs its `retention` retires (pure: config in, branch names out).

Of the runs `retire` selects (every run when unset), grouped by the run value `per`, the last
`keep_last` in natural order of `order_by` (`step-200` before `step-1000`; default: all of the
run's values, in the order it declares them) are kept and the others retired. A retired run is
no longer declared: no branch, no folder read, no row in the card; the branch it had on the
Hub is deleted by the plan, if release created it and no tag points at it (the planner's
part, `release.plan.repo_diff`). The release revision is never retired: it is kept, and the
plan says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from release.config.names import TemplateError, fill, natural_key, placeholder_text
from release.config.schema import RetentionConfig
from release.config.variants import Run


@dataclass(frozen=True)
class Retirement:
    """A variant's runs after retention: those kept, the branches retired, and those past
    retention but spared (branch, why)."""

    kept: tuple[Run, ...]
    retired: tuple[str, ...] = ()
    spared: tuple[tuple[str, str], ...] = ()


def selected(run: Run, selector: Mapping[str, Any] | None) -> bool:
    """Does `run` match every `value: glob` of the selector (no selector: every run)?"""
    return all(key in run.values and fnmatchcase(placeholder_text(run.values[key]),
                                                 placeholder_text(pattern))
               for key, pattern in (selector or {}).items())


def _order(run: Run, order_by: str | None) -> tuple[Any, ...]:
    values = [run.values.get(order_by)] if order_by else list(run.values.values())
    return tuple(natural_key(placeholder_text(value)) for value in values)


def retire(runs: tuple[Run, ...], retention: RetentionConfig | None, branch: str | None,
           values: Mapping[str, Any], release_revision: str | None = None) -> Retirement:
    """`runs` split by `retention`; `branch` is the runs' branch template, `values` the
    variant's placeholders, `release_revision` the branch its release tag names."""
    if retention is None or not runs or branch is None:
        return Retirement(runs)
    groups: dict[str, list[Run]] = {}
    for run in runs:
        if selected(run, retention.retire):
            key = placeholder_text(run.values.get(retention.per, "")) if retention.per else ""
            groups.setdefault(key, []).append(run)
    past: list[Run] = []
    for group in groups.values():
        ordered = sorted(group, key=lambda run: _order(run, retention.order_by))
        keep = retention.keep_last
        past += ordered if keep is None else ordered[:max(0, len(ordered) - keep)]
    retired: list[str] = []
    spared: list[tuple[str, str]] = []
    gone: set[int] = set()
    for run in past:
        try:
            name = fill(branch, {**values, **run.values})
        except TemplateError:
            continue  # reported by the naming rules
        if name == release_revision:
            spared.append((name, "it is the release revision (release.revision)"))
            continue
        retired.append(name)
        gone.add(id(run))
    return Retirement(tuple(run for run in runs if id(run) not in gone),
                      tuple(sorted(retired, key=natural_key)), tuple(spared))
