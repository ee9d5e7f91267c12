"""`--target <family>` takes the family's collection changes (issue 10, item 8), and the
`prune_files` notice of a branch without an artifact folder does not claim to delete files."""

from __future__ import annotations

import json

from applykit import Demo


def _apply(demo: Demo, capsys, *args: str) -> None:
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, *args, capsys=capsys)
    assert run.code == 0, run.out + run.err


def test_target_family_includes_its_collection_changes(demo: Demo, capsys) -> None:
    _apply(demo, capsys)
    described = "families.demo.collection.description=The demo family described."
    run = demo.cli("plan", "--target", "demo", "--format", "json", *demo.hub_args, described,
                   capsys=capsys)
    assert run.code == 0, run.err
    kinds = {(c["kind"], c["address"]) for c in json.loads(run.out)["changes"]}
    assert ("update_collection", "collection:acme/Demo Models") in kinds

    _apply(demo, capsys, "--target", "demo", described)
    collection = next(c for c in demo.api.list_collections(owner="acme")
                      if c.title == "Demo Models")
    assert demo.api.get_collection(collection.slug).description == \
        "The demo family described."
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, described, capsys=capsys)
    assert again.code == 0, again.out


def test_prune_files_without_a_main_folder_deletes_nothing_and_says_so(demo: Demo,
                                                                       capsys) -> None:
    _apply(demo, capsys)
    before = sorted(demo.api.list_repo_files("acme/Demo-1B"))
    overrides = ("~families.demo.defaults.artifacts.folder",
                 "families.demo.defaults.artifacts.prune_files=true")
    run = demo.cli("plan", "--format", "json", *demo.hub_args, *overrides, capsys=capsys)
    assert run.code == 0, run.err
    plan = json.loads(run.out)
    assert not any(c["kind"] == "commit_files" and c["address"].endswith("@main")
                   for c in plan["changes"])
    notice = next(n for n in plan["notices"]
                  if n["address"] == "files:acme/Demo-1B@main")
    assert "prune_files deletes them" not in notice["message"]
    assert "no artifact folder" in notice["message"] and "prune_files does not apply" in \
        notice["message"]
    _apply(demo, capsys, *overrides)
    assert sorted(demo.api.list_repo_files("acme/Demo-1B")) == before
