"""One place per fact (issue 17): each change kind declares its facts on its class, the union is
the one list of kinds, and every consumer of the union handles every kind."""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from sample_plans import every_kind_plan, risky_plan

from release.apply.collections import CollectionApplier
from release.apply.repo import ApplyContext, RepoApplier, ordered
from release.hub.write import HubWriter
from release.plan import FORMAT_VERSION, Plan, PlanFormatError, render_markdown, render_text
from release.plan.changes import (
    CHANGE_KINDS,
    CHANGE_TYPES,
    FLAGS,
    LOUD_FLAGS,
    RISKY_FLAGS,
    CollectionChange,
    CreateBranch,
    CreateRepo,
    Phase,
    RepoChange,
    Risk,
    SetVisibility,
    Severity,
)
from release.plan.describe import Details, Summary
from release.plan.model import content_digest
from release.plan.targets import _dependencies


def test_the_sample_holds_every_kind() -> None:
    assert {type(c) for c in every_kind_plan().changes} == set(CHANGE_TYPES)


def test_every_renderer_describes_every_kind() -> None:
    plan = every_kind_plan()
    text, markdown = render_text(plan), render_markdown(plan)
    for change in plan.changes:
        line = Summary().visit(change)
        assert line, change.kind
        assert isinstance(Details().visit(change), list)
        assert change.address in text and line in text
        assert line.replace("|", "\\|") in markdown
    assert Plan.from_json(plan.to_json()) == plan
    # A branch made at the repo's initial commit says so, not "from main" (issue 12).
    initial = next(c for c in plan.changes if isinstance(c, CreateBranch) and c.initial)
    line = "create branch run-seed1 at the repo's initial commit (no files of its own)"
    assert Summary().visit(initial) == line and line in text
    assert json.loads(plan.to_json())["changes"][3]["after"] == {"start_point": "main",
                                                                   "at": "initial commit"}


def _context() -> ApplyContext:
    # No request is made: the test asks each applier which of its methods runs a change.
    return ApplyContext(writer=HubWriter(api=cast(Any, None)), tree=lambda repo, sha: {},
                        apply_id="test", config_digest="", stop=threading.Event(),
                        root=Path("."))


def test_the_appliers_have_a_handler_for_every_kind() -> None:
    ctx = _context()
    plan = every_kind_plan()
    repo_changes = [c for c in plan.changes if isinstance(c, RepoChange)]
    collection_changes = [c for c in plan.changes if isinstance(c, CollectionChange)]
    assert len(repo_changes) + len(collection_changes) == len(plan.changes)
    for change in repo_changes:
        applier = RepoApplier(ctx, change.repo_id, [change], {}, None)
        assert callable(applier.handler(change)), change.kind
    applier_c = CollectionApplier(ctx, collection_changes, lambda repo_id: True)
    for change in collection_changes:
        assert callable(applier_c.handler(change)), change.kind
    with pytest.raises(TypeError, match="not a repo change"):
        RepoApplier(ctx, "org/X", [], {}, None).handler(collection_changes[0])


def test_a_kind_must_declare_its_facts() -> None:
    with pytest.raises(TypeError, match="must declare kind= and phase="):
        @dataclass(frozen=True, kw_only=True)
        class Rename(RepoChange):  # noqa: F841 - defining it is the test
            pass
    with pytest.raises(TypeError, match="must declare its phase="):
        @dataclass(frozen=True, kw_only=True)
        class Rename2(RepoChange, kind="rename"):  # noqa: F841
            pass
    assert len(CHANGE_KINDS) == len(CHANGE_TYPES)  # the failed ones did not register


def test_risk_flags_come_from_one_enum_with_severities() -> None:
    assert FLAGS == ("destroys", "publishes", "unpublishes", "gates", "ungates", "moves-tag",
                     "drift")
    assert RISKY_FLAGS == ("destroys", "publishes", "unpublishes", "ungates")
    assert LOUD_FLAGS == (*RISKY_FLAGS, "moves-tag")
    assert Risk.GATES.severity is Severity.NOTE
    assert risky_plan().changes[2].flags == ("destroys", "moves-tag")


def test_phase_is_the_apply_order_and_never_a_default() -> None:
    hide = SetVisibility(repo_id="org/A", old="public", new="private")
    publish = SetVisibility(repo_id="org/A", old="private", new="public")
    assert hide.phase is Phase.HIDE and publish.phase is Phase.PUBLISH
    repo_changes = [c for c in every_kind_plan().changes
                    if isinstance(c, RepoChange) and c.repo_id == "org/Tulu-8B"]
    phases = [c.phase for c in ordered(repo_changes)]
    assert phases == sorted(phases)
    assert [c.kind for c in ordered(repo_changes)][-1] == "set_visibility"
    assert all(isinstance(cls.default_phase, Phase) for cls in CHANGE_TYPES)


def test_requirements_give_the_dependencies() -> None:
    changes = every_kind_plan().changes
    index = {c.address: n for n, c in enumerate(changes)}
    tag = changes[index["tag:org/Tulu-8B@v2.0"]]
    # A tag on run-a needs the branch that brings run-a's content; everything in org/New needs
    # its creation; a collection item needs the collection's creation.
    assert [changes[d].address for d in _dependencies(tag, changes)] == [
        "branch:org/Tulu-8B@run-a"]
    publish = changes[index["settings:org/New"]]
    assert [changes[d] for d in _dependencies(publish, changes)] == [
        CreateRepo(repo_id="org/New", family="tulu", variant="70B")]
    item = changes[index["collection-item:org/Tulu@org/Tulu-8B"]]
    assert [changes[d].address for d in _dependencies(item, changes)] == ["collection:org/Tulu"]


def test_format_version_is_bumped_with_the_kinds() -> None:
    # A new change kind, or a new field of one, is a minor bump of FORMAT_VERSION (see its
    # comment in plan/model.py): when this fails because a kind or a field was added, bump the
    # minor and update these lines. (2.1: notices carry `blocks`; 2.2: move_repo, issue 15;
    # 2.3: create_branch.initial, issue 12.)
    assert FORMAT_VERSION == "2.3"
    fields = {kind: " ".join(f.name for f in dataclasses.fields(cls)
                             if f.name not in ("drift", "reason"))
              for kind, cls in sorted(CHANGE_KINDS.items())}
    assert fields == {
        "add_collection_item": "namespace title slug item_id item_type note position",
        "commit_files": "repo_id branch parent_commit operations release_tags",
        "create_branch": "repo_id branch start_point initial",
        "create_collection": "namespace title slug description private",
        "create_repo": "repo_id repo_type family variant",
        "create_tag": "repo_id tag revision message target",
        "delete_branch": "repo_id branch head",
        "delete_repo": "repo_id repo_type family variant private head",
        "delete_tag": "repo_id tag old_target",
        "move_repo": "repo_id old_repo_id repo_type family variant head",
        "move_tag": "repo_id tag revision message old_target target",
        "remove_collection_item": "namespace title slug item_id item_type object_id note "
                                  "position",
        "set_gating": "repo_id old new",
        "set_visibility": "repo_id old new",
        "update_card": "repo_id old_text new_text old_oid new_oid parent_commit adopt "
                       "release_tags",
        "update_collection": "namespace title slug old_description new_description "
                             "old_private new_private",
        "update_collection_item": "namespace title slug item_id item_type object_id old_note "
                                  "new_note old_position new_position"}


def test_an_older_reader_refuses_a_plan_with_a_newer_kind() -> None:
    data = json.loads(risky_plan().to_json())
    data["format_version"] = "2.4"
    data["changes"][0]["kind"] = "retire_run"
    data = {**data, "digest": content_digest(data)}
    with pytest.raises(PlanFormatError, match="unknown change kind 'retire_run'.*format_version "
                                              "2.4, made by a newer release.*Nothing was "
                                              "written"):
        Plan.from_json(data)


def test_an_older_reader_refuses_a_plan_with_a_newer_field() -> None:
    # What a 2.2 release does with a 2.3 plan holding `create_branch.initial`: the field is
    # unknown to it, so the plan is refused as newer (here: a field this release lacks).
    plan = Plan(changes=(CreateBranch(repo_id="org/A", branch="run-1", initial=True),))
    data = json.loads(plan.to_json())
    assert data["changes"][0]["fields"]["initial"] is True
    data["format_version"] = "2.4"
    data["changes"][0]["fields"]["at_commit"] = "abc"
    data = {**data, "digest": content_digest(data)}
    with pytest.raises(PlanFormatError, match="damaged change 'branch:org/A@run-1'.*"
                                              "format_version 2.4, made by a newer release"):
        Plan.from_json(data)
    # Without the field (every branch made from its start point), a 2.3 plan reads as 2.2.
    plain = Plan(changes=(CreateBranch(repo_id="org/A", branch="run-1"),))
    assert "initial" not in json.loads(plain.to_json())["changes"][0]["fields"]


def test_the_differ_emits_each_repo_in_phase_order() -> None:
    # The apply order is declared once (Change.phase); the differ's own order agrees with it,
    # so the plan a reviewer reads is the order apply runs.
    from plancase import case_paths, load_case

    from release.plan import build_plan

    for path in case_paths():
        case = load_case(path)
        plan = build_plan(case["desired"], case["observed"], targets=case["targets"])
        by_repo: dict[str, list[Phase]] = {}
        for change in plan.changes:
            by_repo.setdefault(change.group, []).append(change.phase)
        for group, phases in by_repo.items():
            assert phases == sorted(phases), (path.stem, group)
