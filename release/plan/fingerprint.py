"""Per-object fingerprints of the observed Hub state, for refusing a stale saved plan.

Compared per object, never globally (Terraform's global "saved plan is stale" trips on changes
that do not matter): a plan records the fingerprint of every object its changes rely on, and
apply re-reads those objects and refuses if any differs. The same function computes both sides,
so the applier passes a fresh `ObservedState` to `stale_addresses` and gets the names to report
in `StalePlanError`.

Fingerprints by address kind (None when the repo / object does not exist):
  repo:X              {"managed": bool, "head": main head}
  settings:X          {"private": bool, "gated": False | "auto" | "manual"}
  card:X              {"readme_oid": oid | None, "head": main head}  (the card commit's parent)
  files:X@b, branch:X@b   {"head": head of b}            (None when b does not exist)
  tag:X@t             {"target": commit}                 (None when t does not exist)
  collection:ns/Title {"slug", "description", "private", "items": [[type, id, position, note]]}
"""

from __future__ import annotations

from collections.abc import Iterable

from release.address import Address, AddressKind
from release.plan.model import Change, Json, Plan
from release.state import ObservedRepo, ObservedState


def _head(repo: ObservedRepo, branch: str) -> str | None:
    head = repo.branches.get(branch)
    if head is None and branch == "main":
        return repo.sha
    return head


def fingerprint_of(observed: ObservedState, address: str) -> Json:
    """The fingerprint of the object at `address` in `observed` (see the module docstring).

    A repo's objects are looked up through `observed.aliases`: an address in a repo's new id
    fingerprints the repo where it is now, under its previous id, until it moves.
    """
    parsed = Address.parse(address)
    kind, ref = parsed.kind, parsed.ref or ""
    if kind is AddressKind.COLLECTION:
        collection = observed.collections.get((parsed.namespace, parsed.title))
        if collection is None:
            return None
        return {"slug": collection.slug, "description": collection.description,
                "private": collection.private,
                # An item under the id its repo has now: a move does not make the plan stale.
                "items": [[i.item_type, observed.aliases.current(i.item_id), i.position, i.note]
                          for i in sorted(collection.items, key=lambda i: i.position)]}
    repo = observed.repo(parsed.owner)
    if repo is None:
        return None
    if kind is AddressKind.REPO:
        return {"managed": repo.provenance is not None, "head": _head(repo, "main")}
    if kind is AddressKind.SETTINGS:
        return {"private": repo.private, "gated": repo.gated}
    if kind is AddressKind.CARD:
        oid = repo.readme_oid
        if oid is None and "README.md" in repo.files.get("main", {}):
            oid = repo.files["main"]["README.md"].oid
        return {"readme_oid": oid, "head": _head(repo, "main")}
    if kind in (AddressKind.FILES, AddressKind.BRANCH):
        head = _head(repo, ref)
        return None if head is None else {"head": head}
    if kind is AddressKind.TAG:
        target = repo.tags.get(ref)
        return None if target is None else {"target": target}
    raise ValueError(f"no fingerprint for address {address!r}")


def fingerprints_for(changes: Iterable[Change], observed: ObservedState) -> dict[str, Json]:
    """The fingerprints of every object `changes` rely on, sorted by address."""
    addresses = sorted({a for change in changes for a in change.fingerprint_addresses})
    return {address: fingerprint_of(observed, address) for address in addresses}


def stale_addresses(plan: Plan, observed: ObservedState) -> list[str]:
    """Addresses whose fingerprint changed since the plan was made (empty: the plan is fresh)."""
    return [address for address, recorded in sorted(plan.fingerprints.items())
            if fingerprint_of(observed, address) != recorded]
