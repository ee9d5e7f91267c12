"""Every change kind's objects are fingerprinted (issue 10, item 9): for each kind, a saved plan
holding such a change is refused as stale, naming the object, with zero write requests, when
that object changes on the Hub between `release plan -o` and `release apply`.

One scenario per kind, each on its own copy of an applied demo hub. A kind without a scenario
fails `test_every_kind_has_a_scenario`, so a new kind cannot skip the stale check unnoticed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from applykit import Demo, write_demo_project
from huggingface_hub import CommitOperationAdd

from release.localhub import LocalHub
from release.plan import CHANGE_KINDS

Api = Any
S, B = "acme/Demo-1B", "acme/Demo-7B"
TITLE = "Demo Models"


def _commit(repo: str, branch: str) -> Callable[[Api], None]:
    def commit(api: Api) -> None:
        api.create_commit(repo, [CommitOperationAdd("outside.txt", b"made elsewhere")],
                          commit_message="outside", revision=branch)
    return commit


def _settings(repo: str, **settings: Any) -> Callable[[Api], None]:
    return lambda api: api.update_repo_settings(repo, **settings)


def _slug(api: Api) -> str:
    return next(c.slug for c in api.list_collections(owner="acme") if c.title == TITLE)


def _describe(api: Api) -> None:
    api.update_collection_metadata(_slug(api), description="edited elsewhere")


def _move_tag(api: Api) -> None:
    api.delete_tag(B, tag="v1.0")
    api.create_tag(B, tag="v1.0", revision="run-a")


def _drop_item(api: Api) -> None:
    full = api.get_collection(_slug(api))
    api.delete_collection_item(full.slug, next(i.item_object_id for i in full.items
                                               if i.item_id == S))


def _readme(api: Api) -> None:
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# Edited elsewhere\n",
                    path_in_repo="README.md", repo_id=B)


@dataclass(frozen=True)
class Scenario:
    """`prepare` (out of band, before planning) and `overrides` make the plan hold the kind;
    `mutate` changes an object that change touches; `address` must be named as stale."""

    overrides: tuple[str, ...]
    mutate: Callable[[Api], None]
    address: str
    prepare: Callable[[Api], None] | None = None


DROP_1B = ("families.demo.exclude=[1B]", "~families.demo.runs.variants.1B")
#: Demo-7B is public and tagged, so protected: unpublishing it or changing its tag is lifted.
LIFT_7B = "+families.demo.variants.7B.protect=false"
SCENARIOS: dict[str, Scenario] = {
    "create_repo": Scenario((), lambda api: api.create_repo(S, private=True), f"repo:{S}",
                            prepare=lambda api: api.delete_repo(S)),
    "delete_repo": Scenario(("prune=true", *DROP_1B), _commit(S, "main"), f"repo:{S}"),
    "move_repo": Scenario(("families.demo.repo_name=Demo-v2-{size}",
                           "+families.demo.moved=[{from:'acme/Demo-1B',to:'acme/Demo-v2-1B'}]"),
                          _commit(S, "main"), "repo:acme/Demo-v2-1B"),
    "set_visibility": Scenario(("families.demo.variants.7B.visibility=private", LIFT_7B),
                               _settings(B, gated="manual"), f"settings:{B}"),
    "set_gating": Scenario(("families.demo.variants.7B.gated=manual",),
                           _settings(B, private=True), f"settings:{B}"),
    "update_card": Scenario(("families.demo.defaults.card.summary=Another summary.",),
                            _readme, f"card:{B}"),
    "commit_files": Scenario(
        ("+families.demo.variants.7B.artifacts.folder=checkpoints/7b-run-a",),
        _commit(B, "main"), f"files:{B}@main"),
    "create_branch": Scenario((), lambda api: api.create_branch(B, branch="run-a"),
                              f"branch:{B}@run-a",
                              prepare=lambda api: api.delete_branch(B, branch="run-a")),
    "delete_branch": Scenario(("prune=true", "families.demo.runs.variants.7B=[{name:b}]"),
                              _commit(B, "run-a"), f"branch:{B}@run-a"),
    "create_tag": Scenario(("+families.demo.variants.1B.release.tag=v0.1",),
                           _commit(S, "main"), f"branch:{S}@main"),
    "move_tag": Scenario(("+families.demo.variants.7B.release.move_tag=true", LIFT_7B),
                         lambda api: (api.delete_tag(B, tag="v1.0"),
                                      api.create_tag(B, tag="v1.0", revision="main")),
                         f"tag:{B}@v1.0", prepare=_move_tag),
    "delete_tag": Scenario(("prune=true", "~families.demo.variants.7B.release", LIFT_7B),
                           _move_tag,
                           f"tag:{B}@v1.0"),
    "create_collection": Scenario(("families.demo.collection.title=Demo Two",),
                                  lambda api: api.create_collection("Demo Two",
                                                                    namespace="acme"),
                                  "collection:acme/Demo Two"),
    "update_collection": Scenario(("families.demo.collection.description=Described",),
                                  _drop_item, f"collection:acme/{TITLE}"),
    "add_collection_item": Scenario((), _describe, f"collection:acme/{TITLE}",
                                    prepare=_drop_item),
    "remove_collection_item": Scenario(DROP_1B, _describe, f"collection:acme/{TITLE}"),
    "update_collection_item": Scenario(("+families.demo.collection.notes={1B:hello}",),
                                       _describe, f"collection:acme/{TITLE}"),
}


def test_every_kind_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(CHANGE_KINDS)


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A demo project applied once; each scenario works on a copy of it and of its hub."""
    root = tmp_path_factory.mktemp("applied")
    with LocalHub(root / "hub-data") as hub:
        demo = Demo(write_demo_project(root / "project"), hub)
        desired, plan = demo.plan()
        assert demo.apply(plan, desired).status == "complete"
    yield root


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_a_saved_plan_is_stale_when_an_object_its_change_touches_changes(
        kind: str, applied: Path, tmp_path: Path, capsys) -> None:
    scenario = SCENARIOS[kind]
    shutil.copytree(applied / "project", tmp_path / "project", symlinks=True)
    shutil.copytree(applied / "hub-data", tmp_path / "hub-data")
    with LocalHub(tmp_path / "hub-data") as hub:
        demo = Demo(tmp_path / "project", hub)
        if scenario.prepare is not None:
            scenario.prepare(demo.api)
        saved = demo.cli("plan", "-o", "plan.json", *demo.hub_args, *scenario.overrides,
                         capsys=capsys)
        assert saved.code == 0, saved.err
        plan = json.loads((demo.root / "plan.json").read_text())
        touching = [c for c in plan["changes"] if c["kind"] == kind]
        assert touching, f"the scenario made no {kind} change: {saved.out}"
        assert scenario.address in plan["fingerprints"]

        scenario.mutate(demo.api)
        writes = hub.stats()["writes"]
        run = demo.cli("apply", "plan.json", *demo.hub_args, "--allow-config-change",
                       capsys=capsys)
        assert run.code == 1, run.out + run.err
        assert "saved plan is stale" in run.err
        assert f"  - {scenario.address}\n" in run.err
        assert hub.stats()["writes"] == writes  # refused before any write
