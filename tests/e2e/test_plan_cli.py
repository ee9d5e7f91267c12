"""`release plan` end to end: an empty hub, exit codes, saved plans, secrets, request counts."""

from __future__ import annotations

import json
from pathlib import Path

from release.localhub import DEFAULT_TOKEN, LocalHub
from tests.e2e.conftest import hub_override


def test_plan_on_an_empty_hub_creates_everything(project: Path, hub: LocalHub, run_cli) -> None:
    result = run_cli("plan", hub_override(hub), "--format", "json", cwd=project)
    assert result.code == 0, result.err
    plan = json.loads(result.out)
    actions = {change["action"] for change in plan["changes"]}
    assert actions == {"create"}
    created = {c["address"] for c in plan["changes"] if c["kind"] == "create_repo"}
    assert created == {
        "repo:allenai/Llama-3.1-Tulu-3-8B-SFT", "repo:allenai/Llama-3.1-Tulu-3-8B-DPO",
        "repo:allenai/Llama-3.1-Tulu-3-8B", "repo:allenai/Llama-3.1-Tulu-3-70B-SFT",
        "repo:allenai/Llama-3.1-Tulu-3-70B-DPO", "repo:allenai/Llama-3.1-Tulu-3-70B",
        "repo:allenai/OLMo-2-0425-1B", "repo:allenai/OLMo-2-1124-7B",
    }
    assert plan["summary"]["add"] == len(plan["changes"])
    assert plan["summary"]["change"] == plan["summary"]["destroy"] == 0
    # The run branches carry their checkpoints, LFS weights included.
    files = [c for c in plan["changes"] if c["kind"] == "commit_files"
             and c["fields"]["branch"] == "sft_tulu3_8b_2024-01-15_seed42"]
    paths = {op["path"] for op in files[0]["fields"]["operations"]}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= paths


def test_text_plan_has_the_summary_line_and_exit_codes(project: Path, hub: LocalHub,
                                                       run_cli) -> None:
    plain = run_cli("plan", hub_override(hub), "--no-color", cwd=project)
    assert plain.code == 0
    summary = [line for line in plain.out.splitlines() if line.startswith("Plan: ")]
    assert len(summary) == 1 and summary[0].endswith("to add, 0 to change, 0 to destroy.")
    detailed = run_cli("plan", hub_override(hub), "--detailed-exitcode", cwd=project)
    assert detailed.code == 2
    assert hub.stats()["writes"] == 0  # planning never writes


def test_bad_input_exits_1_and_writes_nothing(project: Path, hub: LocalHub, run_cli) -> None:
    result = run_cli("plan", hub_override(hub), "families.tulu3.defaults.visibilty=public",
                     "--detailed-exitcode", cwd=project)
    assert result.code == 1
    assert result.err == (
        "Error: override 'families.tulu3.defaults.visibilty=public': "
        "families.tulu3.defaults.visibilty: unknown key in Variant (did you mean 'visibility'?)\n")
    assert hub.stats()["total"] == 0  # a config error is caught before any Hub request


def test_unreachable_hub_is_a_clear_error(project: Path, hub: LocalHub, run_cli) -> None:
    result = run_cli("plan", "hub.endpoint=http://127.0.0.1:9", cwd=project)
    assert result.code == 1
    assert "cannot reach the Hub at http://127.0.0.1:9" in result.err
    assert "Traceback" not in result.err


def test_saved_plan_renders_again_identically(project: Path, hub: LocalHub, run_cli) -> None:
    direct = run_cli("plan", hub_override(hub), "--format", "markdown", "-o", "plan.json",
                     cwd=project)
    assert direct.code == 0
    again = run_cli("render", "plan.json", "--format", "markdown", cwd=project)
    assert again.code == 0 and again.out == direct.out
    saved = json.loads((project / "plan.json").read_text())
    assert saved["format_version"] == "2.3"
    # Bound to where and as whom it was made (the user's name, never the token).
    assert saved["hub"] == hub.endpoint.rstrip("/") and saved["identity"] == "local-user"


def test_the_token_never_appears_in_any_output(project: Path, hub: LocalHub, run_cli) -> None:
    outputs = []
    for fmt in ("text", "markdown", "json"):
        result = run_cli("plan", hub_override(hub), "--format", fmt, "-o", f"p-{fmt}.json",
                         cwd=project)
        assert result.code == 0
        outputs += [result.out, result.err, (project / f"p-{fmt}.json").read_text()]
    outputs.append(run_cli("--debug", "plan", hub_override(hub), cwd=project).err)
    assert all(DEFAULT_TOKEN not in text for text in outputs)


def test_plan_reports_the_requests_it_made(project: Path, hub: LocalHub, run_cli) -> None:
    hub.reset_stats()
    result = run_cli("plan", hub_override(hub), "--format", "json", cwd=project)
    plan = json.loads(result.out)
    # On an empty hub: whoami, one listing of the one namespace, one collection listing.
    assert plan["requests"] == hub.stats()["total"] == 3
    assert hub.stats()["by_endpoint"] == {"whoami": 1, "list_models": 1,
                                          "collections_list": 1}
