"""Release policy (issue 15, item 5): a repo that is public after the plan and that the plan
changes must have a license, the required card sections, no undeclared files on its release
revisions, a public (or unmanaged) base_model, sound artifacts, and no embargo in force;
otherwise `release plan` exits 1 and `release apply` writes nothing. Each check can be turned
off per variant, which the plan says."""

from __future__ import annotations

import json
import struct
from datetime import date

from applykit import Demo

SEVEN = "families.demo.variants.7B"


def _plan(demo: Demo, capsys, *overrides: str):  # type: ignore[no-untyped-def]
    return demo.cli("plan", *demo.hub_args, *overrides, "--format", "json", capsys=capsys)


def _notices(run, code: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [n for n in json.loads(run.out)["notices"] if n["code"] == code]


def _policies(run) -> list[str]:  # type: ignore[no-untyped-def]
    return [n["message"].split("'")[1] for n in _notices(run, "policy")]


def test_a_compliant_release_passes(demo: Demo, capsys) -> None:
    run = _plan(demo, capsys)
    assert run.code == 0, run.err
    assert _notices(run, "policy") == [] and _notices(run, "policy-relaxed") == []


def test_missing_license_and_sections_block_and_can_be_relaxed_visibly(demo: Demo,
                                                                      capsys) -> None:
    bad = ("families.demo.defaults.card.metadata.license=null",
           f"+{SEVEN}.policy.card_sections=[Intended use,Evaluation]")
    run = _plan(demo, capsys, *bad)
    assert run.code == 1
    notices = _notices(run, "policy")
    assert [(n["address"], n["blocks"]) for n in notices] == [("repo:acme/Demo-7B", True)] * 2
    assert notices[0]["message"] == (
        "release policy 'license': the card names no license (card.metadata.license); if "
        "intended, relax it with policy.license: false for this variant")
    assert "the card has no section 'Evaluation'" in notices[1]["message"]
    # The advice works as given: card_sections is a list, turned off by [] (false is refused).
    assert notices[1]["message"].endswith(
        "relax it with policy.card_sections: [] for this variant")
    # Demo-1B is private: the policy is for what is published.
    assert all(n["repo_id"] == "acme/Demo-7B" for n in notices)
    before = demo.hub.stats()["writes"]
    applied = demo.cli("apply", "--auto-approve", *demo.hub_args, *bad, capsys=capsys)
    assert applied.code == 1 and "nothing was written" in applied.err
    assert demo.hub.stats()["writes"] == before == 0

    relaxed = (*bad, f"+{SEVEN}.policy.license=false", f"{SEVEN}.policy.card_sections=[]")
    run = _plan(demo, capsys, *relaxed)
    assert run.code == 0, run.out
    said = sorted(n["message"] for n in _notices(run, "policy-relaxed"))
    assert said == [
        "release policy 'card_sections' is not checked for acme/Demo-7B (turned off at "
        "override 'families.demo.variants.7B.policy.card_sections=[]' "
        "(families.demo.variants.7B.policy.card_sections))",
        "release policy 'license' is not checked for acme/Demo-7B (turned off at override "
        "'+families.demo.variants.7B.policy.license=false' "
        "(families.demo.variants.7B.policy.license))"]
    text = demo.cli("plan", "--no-color", *demo.hub_args, *relaxed, capsys=capsys).out
    assert "! repo:acme/Demo-7B  policy-relaxed: release policy 'license'" in text


def test_a_private_managed_base_model_blocks_publishing(demo: Demo, capsys) -> None:
    base = f"+{SEVEN}.card.metadata.base_model=acme/Demo-1B"
    run = _plan(demo, capsys, base)
    assert run.code == 1
    assert _policies(run) == ["base_model"]
    assert "its base_model acme/Demo-1B is managed here and stays private" in \
        _notices(run, "policy")[0]["message"]
    # Published in the same plan, or outside the managed set: allowed.
    assert _plan(demo, capsys, base, "+families.demo.variants.1B.visibility=public").code == 0
    assert _plan(demo, capsys, f"+{SEVEN}.card.metadata.base_model=meta/Other").code == 0


def test_an_embargo_blocks_publishing_until_its_day(demo: Demo, capsys) -> None:
    run = _plan(demo, capsys, f"+{SEVEN}.policy.embargo=2999-01-01")
    assert run.code == 1
    [notice] = _notices(run, "policy")
    assert notice["message"].startswith(
        "release policy 'embargo': acme/Demo-7B may not be published before 2999-01-01 "
        f"(today is {date.today().isoformat()}")  # noqa: DTZ011 - the CLI's clock (UTC)
    assert _plan(demo, capsys, f"+{SEVEN}.policy.embargo=2000-01-01").code == 0
    # The clock is a parameter of the plan: the same config, a day before and on the day.
    from release.workflow import Project, hub_session, make_plan

    desired = demo.desired(f"+{SEVEN}.policy.embargo=2030-06-01")
    with hub_session(Project(demo.root / "conf"), desired.config) as session:
        before = make_plan(session, desired.state, today=date(2030, 5, 31))
        on_the_day = make_plan(session, desired.state, today=date(2030, 6, 1))
    assert [n.code for n in before.blocked] == ["policy"]
    assert on_the_day.blocked == ()
    bad = demo.cli("validate", f"+{SEVEN}.policy.embargo=next week", capsys=capsys)
    assert bad.code == 1 and "'next week' is not a date" in bad.err


def test_a_damaged_safetensors_header_blocks_the_release(demo: Demo, capsys) -> None:
    weights = demo.root / "checkpoints" / "7b-run-b" / "model.safetensors"  # tag v1.0's run
    data = weights.read_bytes()
    weights.write_bytes(struct.pack("<Q", 10**9) + data[8:])  # header length past the file
    run = _plan(demo, capsys)
    assert run.code == 1
    assert _policies(run) == ["structure"]
    assert "files:acme/Demo-7B@run-b" in _notices(run, "policy")[0]["message"]
    assert _plan(demo, capsys, f"+{SEVEN}.policy.structure=false").code == 0


def test_undeclared_files_on_a_release_revision_block(demo: Demo, capsys) -> None:
    assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
    demo.api.upload_file(path_or_fileobj=b"secret", path_in_repo="notes/internal.txt",
                         repo_id="acme/Demo-7B")  # outside release, on main
    change = f"+{SEVEN}.card.summary=A new summary."
    run = _plan(demo, capsys, change)
    assert run.code == 1, run.out
    assert _policies(run) == ["undeclared_files"]
    assert "notes/internal.txt" in _notices(run, "policy")[0]["message"]
    assert _plan(demo, capsys, change, f"+{SEVEN}.policy.undeclared_files=false").code == 0
