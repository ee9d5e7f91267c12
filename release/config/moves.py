"""`moved:` entries of the families, expanded to (previous id -> current id) pairs, and checked.

An entry's `from` and `to` are repo ids, names in the family's namespace, or naming templates
filled per variant with the placeholders `repo_name` takes (plus `{repo_name}`/`{repo_id}`).
A templated entry moves, for each variant, the repo `from` names to the one `to` names; an
entry of plain ids moves one repo. Pairs chain (A -> B, later B -> C: A is found as C), so old
entries may stay once a move is done.

The rules, each reported at the entry's `from` or `to` (file:line through the SourceMap):
`to` must end, following the chain, at a declared repo ("unknown target"); `from` must not be
declared (it cannot be both moved away and wanted); one id is moved to by one entry and moved
from by one entry; no cycle; both are valid Hub repo ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from release.config.names import TemplateError, fill, repo_id_problem
from release.config.schema import ReleaseConfig
from release.config.sources import KeyPath, format_path
from release.config.variants import placeholders, resolve_variants


@dataclass(frozen=True)
class Move:
    """One repo the config says was renamed: `old` is now `new`."""

    old: str
    new: str
    path: KeyPath  # the entry, families.<name>.moved[<i>]
    variant: str | None = None  # a templated entry: the variant it was filled for
    own: str | None = None  # ... and that variant's repo id

    @property
    def key(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class MoveProblem:
    path: KeyPath
    message: str
    hint: str | None = None


def declared_moves(config: ReleaseConfig) -> tuple[list[Move], list[MoveProblem]]:
    """Every pair the families' `moved` entries declare, and what is wrong with them."""
    declared: dict[str, str] = {}  # lowercased repo id -> "family/variant"
    filled: dict[str, list[tuple[str, dict[str, object], str]]] = {}
    for name, family in config.families.items():
        for variant in resolve_variants(name, family):
            values: dict[str, object] = dict(placeholders(variant, family.namespace))
            try:
                repo_name = fill(family.repo_name, values)
            except TemplateError:
                continue  # reported by the naming rules
            repo_id = f"{family.namespace}/{repo_name}"
            values.update(repo_name=repo_name, repo_id=repo_id)
            declared[repo_id.lower()] = f"{name}/{variant.key}"
            filled.setdefault(name, []).append((variant.key, values, repo_id))
    moves: list[Move] = []
    problems: list[MoveProblem] = []
    for name, family in config.families.items():
        for index, entry in enumerate(family.moved or ()):
            path: KeyPath = ("families", name, "moved", index)

            def qualify(text: str, namespace: str = family.namespace) -> str:
                return text if "/" in text else f"{namespace}/{text}"

            if "{" not in entry.from_ and "{" not in entry.to:
                moves.append(Move(qualify(entry.from_), qualify(entry.to), path))
                continue
            for key, values, repo_id in filled.get(name, []):
                try:
                    old = qualify(fill(entry.from_, values))
                except TemplateError as err:
                    problems.append(MoveProblem((*path, "from"), str(err)))
                    break
                try:
                    new = qualify(fill(entry.to, values))
                except TemplateError as err:
                    problems.append(MoveProblem((*path, "to"), str(err)))
                    break
                moves.append(Move(old, new, path, key, repo_id))
    problems += _problems(moves, declared)
    return moves, problems


def _problems(moves: list[Move], declared: dict[str, str]) -> list[MoveProblem]:
    problems: list[MoveProblem] = []
    invalid = False
    for move in moves:
        for end, repo_id in (("from", move.old), ("to", move.new)):
            problem = repo_id_problem(repo_id)
            if problem:
                invalid = True
                problems.append(MoveProblem((*move.path, end),
                                            f"'{repo_id}' is not a Hub repo id: {problem}"))
    if invalid:
        return problems
    sources = {move.old.lower() for move in moves}
    for move in moves:
        if move.old.lower() == move.new.lower():
            problems.append(MoveProblem(move.path, f"moves {move.old} to itself (repo ids are "
                                        "case-insensitive on the Hub)",
                                        hint="remove this entry"))
            continue
        owner = declared.get(move.old.lower())
        if owner is not None:
            problems.append(MoveProblem(
                (*move.path, "from"), f"'{move.old}' is declared (variant {owner}): a repo "
                "cannot be both moved away and wanted",
                hint="'from' names the id the repo had before; the config declares the new one"))
        if move.new.lower() in declared or move.new.lower() in sources:
            if move.own is None or move.new.lower() in sources \
                    or move.new.lower() == move.own.lower():
                continue
            problems.append(MoveProblem(
                (*move.path, "to"), f"expands to '{move.new}' for variant {move.variant}, "
                f"whose repo is '{move.own}'",
                hint="'to' names each variant's current repo, e.g. the repo_name template"))
            continue
        what = f" for variant {move.variant}" if move.variant else ""
        problems.append(MoveProblem(
            (*move.path, "to"), f"unknown target: '{move.new}'{what} is not a repo the config "
            "declares", hint="'to' names the repo's current id (its repo_name), or the 'from' "
            "of a later move"))
    problems += _conflicts(moves)
    problems += _cycles(moves)
    return problems


def _conflicts(moves: list[Move]) -> list[MoveProblem]:
    problems: list[MoveProblem] = []
    for side, other in (("to", "from"), ("from", "to")):
        seen: dict[str, Move] = {}
        for move in moves:
            this, that = (move.new, move.old) if side == "to" else (move.old, move.new)
            first = seen.setdefault(this.lower(), move)
            first_that = first.old if side == "to" else first.new
            if first is move or first_that.lower() == that.lower():
                continue
            verb = "to" if side == "to" else "from"
            problems.append(MoveProblem(
                (*move.path, side), f"two moves {verb} '{this}': {other} '{first_that}' "
                f"({first.key}) and {other} '{that}'",
                hint="a repo has one previous id per move and one current id; keep one entry"))
    return problems


def _cycles(moves: list[Move]) -> list[MoveProblem]:
    step = {move.old.lower(): move for move in moves}
    problems: list[MoveProblem] = []
    reported: set[str] = set()
    for start, first in step.items():
        seen = [start]
        current = first.new.lower()
        while current in step and current not in seen:
            seen.append(current)
            current = step[current].new.lower()
        if current in seen and not reported & set(seen):
            reported |= set(seen)
            cycle = seen[seen.index(current):]
            chain = " -> ".join(step[node].old for node in cycle) + f" -> {step[current].old}"
            problems.append(MoveProblem(step[current].path,
                                        f"moves form a cycle: {chain}",
                                        hint="a repo cannot be renamed back and forth; keep the "
                                        "entries that lead to its current id"))
    return problems
