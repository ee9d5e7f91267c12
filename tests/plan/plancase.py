"""Turn a planner case file (YAML: desired + observed + expected) into state dataclasses.

Cases stay short by defaulting what a case does not care about. Desired repos get a card with
the provenance block the tool would write (declared settings from `declared_settings`, the card
digest); an observed repo's card is `desired` (exactly what the config would write), absent
(no README, unmanaged), or a variation of the desired card:

  card: {declared: {visibility: private}}   # written by an older config (a config change)
  card: {edited: true}                      # edited on the Hub after release wrote it (drift)
  card: {managed: false}                    # same text without the provenance block
  card: {fetched: false}                    # the reader did not download the text

Files are given as contents (hashed here); `desired` copies the declared file or branch.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import yaml

from release.state import (
    DeclaredMove,
    DesiredBranch,
    DesiredCollection,
    DesiredCollectionItem,
    DesiredFile,
    DesiredRepo,
    DesiredState,
    DesiredTag,
    ObservedCollection,
    ObservedCollectionItem,
    ObservedFile,
    ObservedRepo,
    ObservedState,
    Provenance,
    card_digest,
    declared_settings,
    git_blob_sha1,
)

CASES = Path(__file__).parent / "cases"
FAMILY = "tulu"


def render_card(meta: dict[str, Any], body: str) -> str:
    if not meta:
        return body
    return "---\n" + yaml.safe_dump(meta, sort_keys=True) + "---\n" + body


def _desired_file(branch: str, path: str, spec: Any) -> DesiredFile:
    lfs = isinstance(spec, dict) and spec.get("lfs", False)
    data = (spec["content"] if isinstance(spec, dict) else str(spec)).encode()
    if lfs:
        return DesiredFile(path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                           git_sha1=None, local_path=f"/ckpt/{branch}/{path}")
    made = DesiredFile.from_bytes(path, data)
    return dataclasses.replace(made, local_path=f"/ckpt/{branch}/{path}")


def _observed_file(path: str, spec: Any) -> ObservedFile:
    lfs = isinstance(spec, dict) and spec.get("lfs", False)
    data = (spec["content"] if isinstance(spec, dict) else str(spec)).encode()
    if lfs:
        pointer = f"version lfs\noid sha256:{hashlib.sha256(data).hexdigest()}\n".encode()
        return ObservedFile(path=path, size=len(data), oid=git_blob_sha1(pointer),
                            lfs_sha256=hashlib.sha256(data).hexdigest())
    return ObservedFile(path=path, size=len(data), oid=git_blob_sha1(data))


def _observed_from_desired(want: DesiredFile) -> ObservedFile:
    if want.git_sha1 is None:
        return ObservedFile(path=want.path, size=want.size, oid="0" * 40,
                            lfs_sha256=want.sha256)
    return ObservedFile(path=want.path, size=want.size, oid=want.git_sha1)


# --------------------------------------------------------------------------------------------
# desired


def _branches(spec: dict[str, Any]) -> tuple[DesiredBranch, ...]:
    branches = [DesiredBranch(
        name="main", prune_files=bool(spec.get("prune_files", False)),
        files=tuple(_desired_file("main", p, c) for p, c in (spec.get("files") or {}).items()))]
    for name, b in (spec.get("branches") or {}).items():
        b = b or {}
        branches.append(DesiredBranch(
            name=name, start_point=b.get("start_point", "main"),
            prune_files=bool(b.get("prune_files", False)),
            files=tuple(_desired_file(name, p, c) for p, c in (b.get("files") or {}).items())))
    return tuple(branches)


def _card_parts(repo: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    card = repo.get("card", {})
    if card is None:
        return None
    name = repo["id"].split("/", 1)[1]
    return dict(card.get("meta", {"license": "apache-2.0"})), card.get("body", f"# {name}\n")


def managed_card(meta: dict[str, Any], body: str, provenance: Provenance) -> str:
    """A card as release writes it: metadata + provenance (declared, digest) + body."""
    digest = card_digest(render_card(meta, body))
    block = dataclasses.replace(provenance, card_digest=digest).to_metadata()
    return render_card({**meta, "release": block}, body)


def load_desired(spec: dict[str, Any]) -> tuple[DesiredState, dict[str, tuple[Any, ...]]]:
    collections = tuple(
        DesiredCollection(
            namespace=c["namespace"], title=c["title"], description=c.get("description"),
            private=bool(c.get("private", False)),
            items=tuple(DesiredCollectionItem(repo_id=i) if isinstance(i, str) else
                        DesiredCollectionItem(repo_id=i["id"], note=i.get("note"))
                        for i in c.get("items", ())))
        for c in spec.get("collections") or ())
    repos = []
    parts: dict[str, tuple[Any, ...]] = {}
    for r in spec.get("repos") or ():
        name = r["id"].split("/", 1)[1]
        repo = DesiredRepo(
            repo_id=r["id"], family=r.get("family", FAMILY), variant=r.get("variant", name),
            axes=(), visibility=r.get("visibility", "private"), gated=r.get("gated", False),
            branches=_branches(r),
            tags=tuple(DesiredTag(name=t["name"], revision=t.get("revision", "main"),
                                  move=bool(t.get("move", False)))
                       for t in r.get("tags") or ()),
            adopt=bool(r.get("adopt", False)),
            visibility_managed=bool(r.get("visibility_managed", True)),
            card_verbatim=bool(r.get("card_verbatim", False)),
            retired=tuple(r.get("retired") or ()),
            spared=tuple((name, why) for name, why in (r.get("spared") or {}).items()),
            retention_at="retention" if r.get("retired") or r.get("spared") else "")
        provenance = Provenance(family=repo.family, variant=repo.variant,
                                config_digest="cfg-1",
                                declared=declared_settings(repo, collections))
        card = _card_parts(r)
        text = managed_card(card[0], card[1], provenance) if card else ""
        main = repo.branches[0]
        if text:
            main = dataclasses.replace(main, files=main.files + (
                DesiredFile.from_bytes("README.md", text.encode()),))
        repo = dataclasses.replace(repo, card_text=text, provenance=provenance,
                                   branches=(main,) + repo.branches[1:])
        repos.append(repo)
        parts[repo.repo_id] = (card, provenance)
    state = DesiredState(namespaces=tuple(sorted({r.namespace for r in repos})),
                         repos=tuple(sorted(repos, key=lambda r: r.repo_id)),
                         collections=collections,
                         families=tuple(spec.get("families", [FAMILY])),
                         prune=bool(spec.get("prune", False)), config_digest="cfg-1",
                         moves=tuple(DeclaredMove(old, new, f"moved[{index}]")
                                     for index, (old, new) in enumerate(spec.get("moved") or ())))
    return state, parts


# --------------------------------------------------------------------------------------------
# observed


def _observed_card(card: Any, repo_id: str,
                   wanted: tuple[Any, ...] | None, desired_text: str) -> str | None:
    if card is None:
        return None
    if card == "desired":
        return desired_text
    parts, provenance = wanted if wanted else (None, None)
    meta, body = parts if parts else ({}, "")
    meta = dict(card.get("meta", meta))
    body = card.get("body", body)
    if not card.get("managed", True):
        text = render_card(meta, body)
    else:
        if provenance is None:
            provenance = Provenance(family=card.get("family", FAMILY),
                                    variant=card.get("variant", repo_id.split("/")[1]),
                                    config_digest="cfg-0")
        declared = {**provenance.declared, **card.get("declared", {})}
        text = managed_card(meta, body, dataclasses.replace(provenance, declared=declared,
                                                            config_digest="cfg-0"))
    if card.get("edited"):
        text += "Edited on the Hub.\n"
    return text


def load_observed(spec: dict[str, Any], desired: DesiredState,
                  parts: dict[str, tuple[Any, ...]]) -> ObservedState:
    from release.address import Aliases
    from release.hub.observe import pending_moves

    wanted = {r.repo_id: r for r in desired.repos}
    repos: dict[str, ObservedRepo] = {}
    readmes: dict[str, str] = {}
    # What the reader finds: a declared repo under a previous id (`moved`) is read as it.
    aliases = Aliases(pending_moves(spec.get("repos") or {}, desired))
    for repo_id, r in (spec.get("repos") or {}).items():
        r = r or {}
        want = wanted.get(aliases.current(repo_id))
        if want is not None and repo_id not in parts:
            parts[repo_id] = parts[want.repo_id]
        head = r.get("head", "c-main")
        text = _observed_card(r.get("card"), repo_id, parts.get(repo_id),
                              want.card_text if want else "")
        branches = {"main": head, **(r.get("branches") or {})}
        files: dict[str, dict[str, ObservedFile]] = {}
        spec_files = r.get("files")
        for branch in branches:
            declared = want.branch(branch) if want else None
            if spec_files == "desired":
                chosen: Any = "desired"
            else:
                chosen = (spec_files or {}).get(branch)
            listing: dict[str, ObservedFile] = {}
            if chosen == "desired" and declared is not None:
                listing = {f.path: _observed_from_desired(f) for f in declared.files}
            elif isinstance(chosen, dict):
                for path, content in chosen.items():
                    if content == "desired" and declared is not None:
                        listing[path] = _observed_from_desired(
                            next(f for f in declared.files if f.path == path))
                    else:
                        listing[path] = _observed_file(path, content)
            if branch == "main":
                listing.pop("README.md", None)
                if text is not None:
                    listing["README.md"] = _observed_file("README.md", text)
            if listing or chosen is not None:
                files[branch] = listing
        meta = {}
        if text is not None:
            from release.state import split_card

            meta = split_card(text)[0]
            card_spec = r.get("card")
            if not (isinstance(card_spec, dict) and card_spec.get("fetched") is False):
                readmes[repo_id] = text
        repos[repo_id] = ObservedRepo(
            repo_id=repo_id, private=bool(r.get("private", True)), gated=r.get("gated", False),
            sha=head, card_data=meta,
            readme_oid=git_blob_sha1(text.encode()) if text is not None else None,
            branches=branches, tags=dict(r.get("tags") or {}), files=files,
            release_heads=dict(r.get("release_heads") or {}))
    collections = {}
    for c in spec.get("collections") or ():
        items = tuple(
            ObservedCollectionItem(item_id=i["id"], item_type=i.get("type", "model"),
                                   object_id=i.get("object_id", f"obj-{i['id']}"),
                                   position=index, note=i.get("note"))
            for index, i in enumerate(c.get("items", ())))
        collections[(c["namespace"], c["title"])] = ObservedCollection(
            slug=c.get("slug", f"{c['namespace']}/{c['title'].lower()}-0123"),
            namespace=c["namespace"], title=c["title"], description=c.get("description"),
            private=bool(c.get("private", False)), items=items,
            duplicates=tuple(c.get("duplicates", ())))
    return ObservedState(repos=repos, collections=collections, readmes=readmes,
                         requests=int(spec.get("requests", 0)), aliases=aliases)


def load_case(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text())
    desired, parts = load_desired(case.get("desired") or {})
    observed = load_observed(case.get("observed") or {}, desired, parts)
    return {"name": path.stem, "desired": desired, "observed": observed,
            "targets": tuple(case.get("targets") or ()), "expect": case.get("expect") or {},
            "description": case.get("description", "")}


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))
