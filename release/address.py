"""Addresses of managed objects, parsed and printed here only; and the aliases they follow.

An address names one object on the Hub in plans, `--target`, fingerprints and errors:

    repo:ns/name   settings:ns/name   card:ns/name   files:ns/name@branch
    branch:ns/name@branch   tag:ns/name@tag
    collection:ns/Title   collection-item:ns/Title@ns/item

A repo id never contains '@', so the ref of a repo address is what follows the first '@'. A
collection title may contain anything but is never followed by '@' in a `collection:` address;
a `collection-item:` address ends with the item id, which never contains '@'.

`Aliases` maps a repo's previous id to its current one (a rename, or an existing repo a config
takes over under a declared id). Everything that keys by repo id looks objects up through it, so
an object keeps its identity across a move: a fingerprint of `card:ns/new` reads the card at
`ns/old` until the move runs, `--target ns/old` selects `ns/new`, and a collection item for
`ns/old` is the item of `ns/new`. Nothing produces aliases yet (no rename feature); with none,
every lookup is the identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class AddressKind(str, Enum):
    """What an address names. The value is the address's prefix."""

    REPO = "repo"
    SETTINGS = "settings"
    CARD = "card"
    FILES = "files"
    BRANCH = "branch"
    TAG = "tag"
    COLLECTION = "collection"
    COLLECTION_ITEM = "collection-item"

    @property
    def of_repo(self) -> bool:
        """Names a repo or something in it (its `owner` is a repo id)."""
        return self not in (AddressKind.COLLECTION, AddressKind.COLLECTION_ITEM)


#: Kinds whose address carries a ref (`@branch`, `@tag`, `@item id`).
_WITH_REF = frozenset({AddressKind.FILES, AddressKind.BRANCH, AddressKind.TAG,
                       AddressKind.COLLECTION_ITEM})


class AddressError(ValueError):
    """Text that is not an address."""


@dataclass(frozen=True, order=True)
class Address:
    """`kind:owner[@ref]`: `owner` is a repo id, or `ns/Title` for a collection."""

    kind: AddressKind
    owner: str
    ref: str | None = None

    @classmethod
    def parse(cls, text: str) -> Address:
        prefix, colon, rest = text.partition(":")
        try:
            kind = AddressKind(prefix)
        except ValueError:
            raise AddressError(f"not an address: {text!r} (unknown kind {prefix!r})") from None
        if not colon or not rest:
            raise AddressError(f"not an address: {text!r}")
        if kind is AddressKind.COLLECTION:
            return cls(kind, rest)
        if kind is AddressKind.COLLECTION_ITEM:
            owner, at, ref = rest.rpartition("@")
            if not at:
                raise AddressError(f"not an address: {text!r} (no item id)")
            return cls(kind, owner, ref)
        owner, at, ref = rest.partition("@")
        return cls(kind, owner, ref if at else None)

    @classmethod
    def repo(cls, kind: AddressKind, repo_id: str, ref: str | None = None) -> Address:
        return cls(kind, repo_id, ref)

    @classmethod
    def collection(cls, namespace: str, title: str) -> Address:
        return cls(AddressKind.COLLECTION, f"{namespace}/{title}")

    @classmethod
    def collection_item(cls, namespace: str, title: str, item_id: str) -> Address:
        return cls(AddressKind.COLLECTION_ITEM, f"{namespace}/{title}", item_id)

    def __str__(self) -> str:
        text = f"{self.kind.value}:{self.owner}"
        return text if self.ref is None else f"{text}@{self.ref}"

    @property
    def repo_id(self) -> str | None:
        """The repo this address is in (None for collections)."""
        return self.owner if self.kind.of_repo else None

    @property
    def namespace(self) -> str:
        return self.owner.split("/", 1)[0]

    @property
    def title(self) -> str:
        """A collection's title ('' for repo addresses)."""
        return "" if self.kind.of_repo else self.owner.partition("/")[2]

    def moved(self, repo_id: str) -> Address:
        """The same object in repo `repo_id` (a repo address only)."""
        if not self.kind.of_repo:
            raise AddressError(f"{self} is not in a repo")
        return Address(self.kind, repo_id, self.ref)


@dataclass(frozen=True)
class Aliases:
    """Previous repo id -> current repo id. Chains are followed; cycles are refused."""

    previous_to_current: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for start in self.previous_to_current:
            seen = {start}
            current = self.previous_to_current[start]
            while current in self.previous_to_current:
                if current in seen:
                    raise AddressError(f"repo aliases form a cycle through {current!r}")
                seen.add(current)
                current = self.previous_to_current[current]

    def __bool__(self) -> bool:
        return bool(self.previous_to_current)

    def current(self, repo_id: str) -> str:
        """The id `repo_id` has now (itself when it was never renamed)."""
        while repo_id in self.previous_to_current:
            repo_id = self.previous_to_current[repo_id]
        return repo_id

    def previous(self, repo_id: str) -> tuple[str, ...]:
        """The ids the repo now at `repo_id` had before, most recent first."""
        found: list[str] = []
        frontier = [repo_id]
        while frontier:
            now = frontier.pop()
            older = sorted(old for old, new in self.previous_to_current.items() if new == now)
            found.extend(older)
            frontier.extend(older)
        return tuple(found)

    def names(self, repo_id: str) -> tuple[str, ...]:
        """Every id the repo now at `repo_id` answers to: itself, then its previous ids."""
        return (repo_id, *self.previous(repo_id))

    def current_address(self, address: Address) -> Address:
        """`address` in the repo's current id (collections unchanged)."""
        if not address.kind.of_repo:
            return address
        return address.moved(self.current(address.owner))
