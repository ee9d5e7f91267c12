"""A saved plan is sealed and bound (issue 10, item 1): `release apply FILE` refuses, with exit
1, zero write requests and a message naming the failed check, a plan that was edited, made
against another hub or as another user, made from another config (unless
--allow-config-change, which the output then says), or saved in an older format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from applykit import Demo, write_demo_project

from release.localhub import LocalHub
from release.localhub.testing import hub_api


def _save_plan(demo: Demo, capsys, *args: str) -> Path:
    run = demo.cli("plan", "-o", "plan.json", *args, capsys=capsys)
    assert run.code == 0, run.err
    return demo.root / "plan.json"


def _refused(demo: Demo, capsys, *args: str) -> str:
    writes = demo.hub.stats()["writes"]
    run = demo.cli("apply", *args, capsys=capsys)
    assert run.code == 1, run.out + run.err
    assert "Nothing was written" in run.err and "release plan -o FILE' again" in run.err
    assert demo.hub.stats()["writes"] == writes  # zero write requests
    return run.err


def test_an_edited_plan_is_refused_by_its_seal(demo: Demo, capsys) -> None:
    plan_file = _save_plan(demo, capsys, *demo.hub_args)
    data = json.loads(plan_file.read_text())
    card = next(c for c in data["changes"] if c["kind"] == "update_card")
    card["fields"]["new_text"] = card["fields"]["new_text"].replace("license: apache-2.0",
                                                                    "license: mit")
    collection = next(c for c in data["changes"] if c["kind"] == "create_collection")
    collection["fields"]["private"] = False
    plan_file.write_text(json.dumps(data, indent=2))

    err = _refused(demo, capsys, str(plan_file), *demo.hub_args)
    assert "saved plan was modified after it was saved (its digest does not match" in err
    assert list(demo.api.list_models(author="acme")) == []
    # `release render` refuses it too: what a reviewer reads is what was saved.
    assert demo.cli("render", str(plan_file), capsys=capsys).code == 1


def test_a_plan_from_an_older_format_says_plan_again(demo: Demo, capsys) -> None:
    plan_file = _save_plan(demo, capsys, *demo.hub_args)
    data = json.loads(plan_file.read_text())
    for key in ("digest", "hub", "identity"):  # what a 1.x plan did not have
        del data[key]
    data["format_version"] = "1.0"
    old = demo.root / "old.plan"  # not .json: still recognised as a plan, and refused clearly
    old.write_text(json.dumps(data))
    err = _refused(demo, capsys, str(old), *demo.hub_args)
    assert "format_version '1.0' (an older release, before saved plans were sealed" in err


def test_a_plan_made_against_another_hub_is_refused(demo: Demo, capsys,
                                                    tmp_path: Path) -> None:
    plan_file = _save_plan(demo, capsys, *demo.hub_args)
    with LocalHub(tmp_path / "other-hub") as other:
        run = demo.cli("apply", str(plan_file), f"hub.endpoint={other.endpoint}",
                       capsys=capsys)
        assert run.code == 1
        assert (f"saved plan was made against hub {demo.hub.endpoint}, but this apply "
                f"targets hub {other.endpoint}") in run.err
        assert other.stats()["writes"] == 0
        assert list(hub_api(other).list_models(author="acme")) == []


def test_embedded_hubs_are_told_apart_by_their_data_dir(tmp_path: Path, capsys) -> None:
    """The issue's repro: planned with hub.data_dir=hubA, applied with hub.data_dir=hubB."""
    with LocalHub(tmp_path / "unused") as unused:
        demo = Demo(write_demo_project(tmp_path / "project"), unused)
        plan_file = _save_plan(demo, capsys, "hub.data_dir=hubA")
        saved = json.loads(plan_file.read_text())
        assert saved["hub"] == f"local:{(demo.root / 'hubA').resolve()}"
        run = demo.cli("apply", str(plan_file), "hub.data_dir=hubB", capsys=capsys)
    assert run.code == 1
    assert "saved plan was made against hub local:" in run.err and "hubB" in run.err
    with LocalHub(demo.root / "hubB") as hub_b:  # nothing was created there
        assert list(hub_api(hub_b).list_models(author="acme")) == []
        assert list(hub_api(hub_b).list_collections(owner="acme")) == []


TEAM_AUTH = {
    "users": ["alice", "carol"],
    "orgs": [{"name": "acme", "members": ["alice", "carol"]}],
    "tokens": [{"value": "hf_alice", "user": "alice", "role": "write"},
               {"value": "hf_carol", "user": "carol", "role": "write"}],
}


def test_a_plan_made_as_another_user_is_refused(tmp_path: Path, capsys,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalHub(tmp_path / "hub", auth=TEAM_AUTH) as hub:
        demo = Demo(write_demo_project(tmp_path / "project"), hub)
        args = (*demo.hub_args, "hub.token_env=TEAM_TOKEN")
        monkeypatch.setenv("TEAM_TOKEN", "hf_alice")
        plan_file = _save_plan(demo, capsys, *args)
        saved = plan_file.read_text()
        assert json.loads(saved)["identity"] == "alice" and "hf_alice" not in saved
        monkeypatch.setenv("TEAM_TOKEN", "hf_carol")
        err = _refused(demo, capsys, str(plan_file), *args)
        assert ("saved plan was made as user 'alice', but the token here authenticates as "
                "user 'carol'") in err
        assert "hf_carol" not in err and "hf_alice" not in err
        monkeypatch.setenv("TEAM_TOKEN", "hf_alice")  # the same user: applied
        run = demo.cli("apply", str(plan_file), *args, capsys=capsys)
        assert run.code == 0, run.err
        assert len(list(hub_api(hub, "hf_alice").list_models(author="acme"))) == 2


def test_a_plan_made_from_another_config_needs_an_explicit_flag(demo: Demo, capsys) -> None:
    plan_file = _save_plan(demo, capsys, *demo.hub_args)
    family = demo.root / "conf" / "families" / "demo.yaml"
    family.write_text(family.read_text().replace("A tiny model family", "A changed family"))

    err = _refused(demo, capsys, str(plan_file), *demo.hub_args)
    assert "the config changed since the plan was made (config digest" in err
    assert "pass --allow-config-change" in err
    assert list(demo.api.list_models(author="acme")) == []

    run = demo.cli("apply", str(plan_file), *demo.hub_args, "--allow-config-change",
                   capsys=capsys)
    assert run.code == 0, run.err
    assert "Warning: --allow-config-change: the config changed since the plan was made" \
        in run.err
    card = demo.api.hf_hub_download("acme/Demo-1B", "README.md")
    assert "A tiny model family" in Path(card).read_text()  # the plan as saved, not the edit
    # The flag is for saved plans only.
    other = demo.cli("apply", "--auto-approve", "--allow-config-change", *demo.hub_args,
                     capsys=capsys)
    assert other.code == 1 and "applies only to a saved plan" in other.err
