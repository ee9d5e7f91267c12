"""`--target` selectors: restrict a plan to some repos (and their collection entries).

A selector is a glob (fnmatch, case-sensitive) over:
  * a repo: its id (`allenai/*-SFT`), its `family/variant` key (`tulu3/8B-*`), its family
    (`tulu3`), or its `repo:` address: the whole repo, plus its collection entries; a family
    also takes its collections whole (their settings and order too);
  * any other address (`tag:allenai/X@v1.0`, `collection:allenai/Tulu 3`): just those changes,
    plus what they cannot be applied without (creating the repo, the branch, the content a
    tag points at, the collection).
Like Terraform's -target, this is for exceptional use; renderers say the plan is targeted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from release.address import Address, AddressKind
from release.errors import ConfigError
from release.plan.model import (
    AddCollectionItem,
    Change,
    CollectionChange,
    CreateRepo,
    Notice,
    RepoChange,
    collection_address,
)
from release.state import DesiredState, ObservedState


class Selection:
    def __init__(self, selectors: Sequence[str], desired: DesiredState,
                 observed: ObservedState) -> None:
        self.selectors = tuple(selectors)
        self.names: dict[str, set[str]] = {}
        for repo in desired.repos:
            self._name(repo.repo_id, f"{repo.family}/{repo.variant}", repo.family)
        for repo_id, have in observed.repos.items():
            provenance = have.provenance
            if provenance is not None:
                self._name(repo_id, f"{provenance.family}/{provenance.variant}",
                           provenance.family)
        # A repo answers to the ids it had before (aliases): `--target ns/old` selects it.
        self.aliases = observed.aliases
        for previous, current in observed.aliases.previous_to_current.items():
            self._name(observed.aliases.current(current), previous,
                       str(Address(AddressKind.REPO, previous)))
        self.collections = {collection_address(c.namespace, c.title)
                            for c in desired.collections}
        # A family selector takes its collections whole (settings, items, order), not just
        # the items of its repos: --target tulu3 must not leave the Tulu 3 collection behind.
        family_of = {repo.repo_id: repo.family for repo in desired.repos}
        self.family_collections: dict[str, set[str]] = {}
        for collection in desired.collections:
            for item in collection.items:
                if item.repo_id in family_of:
                    self.family_collections.setdefault(family_of[item.repo_id], set()).add(
                        collection_address(collection.namespace, collection.title))
        self._check()

    def _name(self, repo_id: str, *names: str) -> None:
        self.names.setdefault(repo_id, self._own_names(repo_id)).update(names)

    @staticmethod
    def _own_names(repo_id: str) -> set[str]:
        return {repo_id, str(Address(AddressKind.REPO, repo_id))}

    def _repo_patterns(self) -> list[str]:
        return [s for s in self.selectors if ":" not in s or s.startswith("repo:")]

    def _check(self) -> None:
        # A mistyped target silently giving "No changes" would be worse than an error.
        kinds = [kind.value for kind in AddressKind]
        for selector in self.selectors:
            kind = selector.split(":", 1)[0]
            if ":" in selector and not any(fnmatchcase(k, kind) for k in kinds):
                raise ConfigError(f"--target {selector!r}: '{kind}' is not a kind of address "
                                  f"(kinds: {', '.join(kinds)})", location="--target",
                                  hint="use a repo id, family/variant, family or address glob")
        known = [n for names in self.names.values() for n in names]
        for selector in self._repo_patterns():
            if not any(fnmatchcase(name, selector) for name in known):
                raise ConfigError(f"--target {selector!r} matches no declared or managed repo",
                                  location="--target",
                                  hint="use a repo id, family/variant, family or address glob")

    def selects_repo(self, repo_id: str) -> bool:
        names = self.names.get(self.aliases.current(repo_id), self._own_names(repo_id))
        return any(fnmatchcase(name, pattern)
                   for pattern in self._repo_patterns() for name in names)

    def _families(self) -> list[str]:
        """The families a selector names (a family selector has no '/' and no ':')."""
        patterns = [s for s in self.selectors if "/" not in s and ":" not in s]
        return [family for family in self.family_collections
                if any(fnmatchcase(family, pattern) for pattern in patterns)]

    def selects_address(self, address: str) -> bool:
        return any(fnmatchcase(address, s) for s in self.selectors if ":" in s)

    def _picked(self, change: Change) -> bool:
        if isinstance(change, RepoChange):
            return self.selects_repo(change.repo_id) or self.selects_address(change.address)
        if isinstance(change, CollectionChange):
            if self.selects_address(change.group) or self.selects_address(change.address):
                return True
            if any(change.group in self.family_collections.get(family, ())
                   for family in self._families()):
                return True
            item_id = getattr(change, "item_id", None)
            return item_id is not None and self.selects_repo(item_id)
        return False

    def restrict(self, changes: Sequence[Change],
                 notices: Iterable[Notice]) -> tuple[list[Change], list[Notice]]:
        picked = [self._picked(change) for change in changes]
        # Dependencies: iterate to a fixed point (chains are short: repo <- branch <- tag).
        grew = True
        while grew:
            grew = False
            for index, change in enumerate(changes):
                if picked[index]:
                    for dep in _dependencies(change, changes):
                        if not picked[dep]:
                            picked[dep] = grew = True
        kept = [c for c, keep in zip(changes, picked, strict=True) if keep]
        # Adding a repo that this targeted plan does not create would fail at apply.
        skipped = {c.repo_id for c, keep in zip(changes, picked, strict=True)
                   if isinstance(c, CreateRepo) and not keep}
        kept = [c for c in kept
                if not (isinstance(c, AddCollectionItem) and c.item_id in skipped)]
        told = [n for n in notices
                if (n.repo_id is not None and self.selects_repo(n.repo_id))
                or self.selects_address(n.address)]
        return kept, told


def _dependencies(change: Change, changes: Sequence[Change]) -> list[int]:
    """The changes `change` cannot be applied without: those providing what it requires."""
    needed = change.requires()
    return [index for index, other in enumerate(changes)
            if other is not change and needed & other.provides()]
