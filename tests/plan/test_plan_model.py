"""The plan model: saved-plan safety (format, damage, staleness), visiting, grouping, secrets."""

from __future__ import annotations

import dataclasses
import json

import pytest
from plancase import CASES, load_case
from sample_plans import risky_plan

from release.errors import ConfigError
from release.plan import (
    CHANGE_KINDS,
    Plan,
    PlanFormatError,
    build_plan,
    render_json,
    render_markdown,
    render_text,
    stale_addresses,
)
from release.plan.describe import Details, Summary
from release.plan.model import (
    ContentCommit,
    FileOperation,
    Notice,
    PlanCounts,
    SetVisibility,
    content_digest,
)
from release.plan.repo_diff import file_operation
from release.state import DesiredFile, ObservedState


def _resealed(data: dict) -> dict:
    """`data` with its digest recomputed: what an edit that also forged the seal looks like."""
    return {**data, "digest": content_digest(data)}


def test_from_json_refuses_another_major_version() -> None:
    data = json.loads(risky_plan().to_json())
    data["format_version"] = "3.0"
    with pytest.raises(PlanFormatError, match="format_version '3.0'.*plan -o FILE' again"):
        Plan.from_json(json.dumps(_resealed(data)))
    data["format_version"] = "1.0"  # before plans were sealed and bound: re-plan, clearly
    with pytest.raises(PlanFormatError, match="'1.0' .an older release, before saved plans "
                                              "were sealed"):
        Plan.from_json(json.dumps(data))
    data["format_version"] = "2.7"  # a newer minor only adds keys: still readable
    assert Plan.from_json(json.dumps(_resealed(data))).changes == risky_plan().changes


def test_from_json_refuses_an_edited_plan_by_its_seal() -> None:
    data = json.loads(risky_plan().to_json())
    assert data["digest"] == content_digest(data)
    assert Plan.from_json(data).to_json() == risky_plan().to_json()
    for edit in (lambda d: d["changes"][4]["fields"].update(new="private"),
                 lambda d: d["changes"].pop(0),
                 lambda d: d.update(hub="local:/elsewhere"),
                 lambda d: d["fingerprints"].clear()):
        edited = json.loads(risky_plan().to_json())
        edit(edited)
        with pytest.raises(PlanFormatError, match="modified after it was saved .its digest"):
            Plan.from_json(edited)


def test_from_json_refuses_damaged_plans() -> None:
    with pytest.raises(PlanFormatError, match="not valid JSON"):
        Plan.from_json("{")
    data = json.loads(risky_plan().to_json())
    data["changes"][0]["kind"] = "rm_rf"
    with pytest.raises(PlanFormatError, match="unknown change kind 'rm_rf'"):
        Plan.from_json(_resealed(data))
    data = json.loads(risky_plan().to_json())
    data["changes"][4]["fields"]["repo_id"] = "org/Other"  # edited by hand: address disagrees
    with pytest.raises(PlanFormatError, match="does not match its fields"):
        Plan.from_json(_resealed(data))
    data = json.loads(risky_plan().to_json())
    del data["changes"][4]["fields"]["new"]
    with pytest.raises(PlanFormatError, match="damaged change"):
        Plan.from_json(_resealed(data))


def test_every_kind_is_described() -> None:
    # Every kind, every renderer and the appliers: tests/plan/test_change_facts.py.
    plan = risky_plan()
    assert [Summary().visit(c) for c in plan.changes][4] == "visibility: private -> public"
    assert Details().visit(SetVisibility(repo_id="org/A", old="private", new="public")) == []


def test_content_commits_group_card_and_files_per_branch() -> None:
    commits = risky_plan().content_commits()
    assert len(commits) == 1
    commit = commits[0]
    assert (commit.repo_id, commit.branch, commit.parent_commit) == \
        ("org/Tulu-8B", "main", "c" * 40)
    assert commit.card is risky_plan().changes[0] or commit.card == risky_plan().changes[0]
    assert commit.files == risky_plan().changes[1]
    assert isinstance(commit, ContentCommit)


def test_counts() -> None:
    # The commit that prunes old.bin is a change and a destroy; the tag move, a replace, too.
    assert risky_plan().counts == PlanCounts(add=1, change=4, destroy=3)
    assert not Plan(notices=(Notice(address="repo:a/b", code="orphaned", message="m"),)
                    ).has_changes


def _case(name: str) -> dict:
    return load_case(CASES / f"{name}.yaml")


def test_stale_plan_is_detected_per_object() -> None:
    case = _case("tags")
    plan = build_plan(case["desired"], case["observed"])
    observed: ObservedState = case["observed"]
    a = observed.repos["org/A"]
    # Someone moves v2 again and adds an unrelated branch after the plan was made.
    moved = dataclasses.replace(a, tags={**a.tags, "v2": "c-other"},
                                branches={**a.branches, "unrelated": "c-x"})
    later = dataclasses.replace(observed, repos={**observed.repos, "org/A": moved})
    assert stale_addresses(plan, later) == ["tag:org/A@v2"]
    # A new commit on main invalidates what the tags and the card commit rely on.
    advanced = dataclasses.replace(a, sha="c-new", branches={**a.branches, "main": "c-new"})
    later = dataclasses.replace(observed, repos={**observed.repos, "org/A": advanced})
    assert stale_addresses(plan, later) == ["branch:org/A@main"]
    assert stale_addresses(Plan.from_json(plan.to_json()), observed) == []


def test_generated_files_travel_inline_and_checkpoints_by_reference() -> None:
    generated = file_operation(DesiredFile.from_bytes("generation_config.json", b'{"a": 1}'),
                               "add")
    assert (generated.content, generated.content_encoding) == ('{"a": 1}', "utf-8")
    binary = file_operation(DesiredFile.from_bytes("blob.bin", b"\xff\x00"), "add")
    assert binary.content_encoding == "base64" and binary.data() == b"\xff\x00"
    on_disk = dataclasses.replace(DesiredFile.from_bytes("model.bin", b"w"),
                                  local_path="/ckpt/model.bin")
    op = file_operation(on_disk, "add")
    assert (op.content, op.local_path, op.sha256) == (None, "/ckpt/model.bin", on_disk.sha256)
    assert isinstance(op, FileOperation)


def test_unknown_target_is_an_error_not_an_empty_plan() -> None:
    case = _case("targets_repo")
    with pytest.raises(ConfigError, match="--target 'tulu/9B' matches no declared"):
        build_plan(case["desired"], case["observed"], targets=["tulu/9B"])


SECRETISH = ("token", "secret", "password", "auth", "credential")


def test_plan_model_has_no_place_for_a_token() -> None:
    types = [*CHANGE_KINDS.values(), FileOperation, Notice, Plan]
    for cls in types:
        for f in dataclasses.fields(cls):
            assert not any(word in f.name.lower() for word in SECRETISH), (cls, f.name)


def test_a_token_in_the_environment_never_reaches_a_plan(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    token = "hf_TESTtokenDoNotLeak0123456789abcdef"
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", token)
    outputs = []
    for path in sorted(CASES.glob("*.yaml")):
        case = load_case(path)
        plan = build_plan(case["desired"], case["observed"], targets=case["targets"])
        outputs += [render_text(plan), render_text(plan, color=True), render_markdown(plan),
                    render_json(plan)]
    outputs += [render_text(risky_plan()), render_markdown(risky_plan()),
                render_json(risky_plan())]
    assert len(outputs) > 40
    assert not [o for o in outputs if token in o or "hf_TEST" in o]
