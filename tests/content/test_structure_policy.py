"""`artifacts.structure: warn|fail|off` on release revisions, as `release plan` reports it."""

from __future__ import annotations

import json

from tests.content.conftest import ContentProject

RELEASE_FOLDER = "ckpt/dpo_1b_seed7"  # the run branch tag v1.0 points at
STRUCTURE = "families.demo.defaults.artifacts.structure"


def _plan(run_cli, content: ContentProject, *overrides: str):  # type: ignore[no-untyped-def]
    return run_cli("plan", content.override, *overrides, "--format", "json", cwd=content.root)


def _structure_notices(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return [n for n in json.loads(result.out)["notices"] if n["code"] == "structure"]


def test_complete_checkpoints_raise_no_structure_notice(content: ContentProject,
                                                        run_cli) -> None:
    result = _plan(run_cli, content)
    assert result.code == 0, result.err
    assert _structure_notices(result) == []


def test_warn_is_the_default_and_shows_in_every_format(content: ContentProject,
                                                      run_cli) -> None:
    (content.root / RELEASE_FOLDER / "tokenizer.json").unlink()
    result = _plan(run_cli, content)
    # Demo-1B-DPO is public: the release policy 'structure' blocks the plan (issue 15).
    assert result.code == 1, result.err
    [block] = [n for n in json.loads(result.out)["notices"] if n["blocks"]]
    assert block["message"].startswith("release policy 'structure': "
                                       "files:acme/Demo-1B-DPO@dpo_1b_seed7: release revision")
    assert _structure_notices(result) == [{
        "address": "files:acme/Demo-1B-DPO@dpo_1b_seed7", "code": "structure", "drift": False,
        "repo_id": "acme/Demo-1B-DPO", "blocks": False,
        "message": "release revision dpo_1b_seed7 (from 'ckpt/dpo_1b_seed7') is not a complete "
                   "transformers checkpoint: missing tokenizer.json or tokenizer.model "
                   "(artifacts.structure: fail refuses to plan it, off stops checking)"}]
    assert json.loads(result.out)["format_version"] == "2.3"  # a notice code is additive
    text = run_cli("plan", content.override, "--no-color", cwd=content.root)
    assert "! files:acme/Demo-1B-DPO@dpo_1b_seed7  structure: release revision" in text.out
    markdown = run_cli("plan", content.override, "--format", "markdown", cwd=content.root)
    assert "missing tokenizer.json or tokenizer.model" in markdown.out


def test_fail_refuses_to_plan_naming_folder_and_missing_files(content: ContentProject,
                                                              run_cli) -> None:
    (content.root / RELEASE_FOLDER / "tokenizer.json").unlink()
    (content.root / RELEASE_FOLDER / "config.json").unlink()
    result = _plan(run_cli, content, f"{STRUCTURE}=fail")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "Error: acme/Demo-1B-DPO@dpo_1b_seed7 (release tag v1.0): artifact folder "
        "'ckpt/dpo_1b_seed7' is not a complete checkpoint: missing config.json; missing "
        "tokenizer.json or tokenizer.model (add the missing files, or set "
        "artifacts.structure: warn (or off))\n")
    assert content.hub.stats()["total"] == 0  # refused before any Hub request


def test_main_with_a_folder_is_a_release_revision(content: ContentProject, run_cli) -> None:
    (content.root / "ckpt/1b-dpo/main/tokenizer_config.json").unlink()
    result = _plan(run_cli, content, f"{STRUCTURE}=fail")
    assert result.code == 1
    assert result.err.startswith("Error: acme/Demo-1B-DPO@main (main): artifact folder "
                                 "'ckpt/1b-dpo/main' is not a complete checkpoint: missing "
                                 "tokenizer_config.json")


def test_untagged_run_branches_are_not_checked(content: ContentProject, run_cli) -> None:
    # A run branch may hold a partial checkpoint (e.g. weights only, mid-training).
    (content.root / "ckpt/sft_1b_seed1/tokenizer.json").unlink()
    result = _plan(run_cli, content, f"{STRUCTURE}=fail")
    assert result.code == 0, result.err
    assert _structure_notices(result) == []


def test_off_checks_nothing(content: ContentProject, run_cli) -> None:
    (content.root / RELEASE_FOLDER / "tokenizer.json").unlink()
    result = _plan(run_cli, content, f"{STRUCTURE}=off")
    assert result.code == 0, result.err
    assert _structure_notices(result) == []


def test_the_policy_is_per_variant(content: ContentProject, run_cli) -> None:
    (content.root / RELEASE_FOLDER / "tokenizer.json").unlink()
    result = _plan(run_cli, content, f"{STRUCTURE}=fail",
                   "families.demo.variants.1B-DPO.artifacts.structure=warn")
    assert result.code == 1, result.err  # warned, and blocked by the release policy (public)
    assert len(_structure_notices(result)) == 1
    relaxed = _plan(run_cli, content, f"{STRUCTURE}=fail",
                    "families.demo.variants.1B-DPO.artifacts.structure=warn",
                    "+families.demo.variants.1B-DPO.policy.structure=false")
    assert relaxed.code == 0, relaxed.err
    assert len(_structure_notices(relaxed)) == 1


def test_a_targeted_plan_keeps_only_its_structure_notices(content: ContentProject,
                                                          run_cli) -> None:
    (content.root / RELEASE_FOLDER / "tokenizer.json").unlink()
    other = _plan(run_cli, content, "--target", "acme/Demo-1B-SFT")
    assert _structure_notices(other) == []
    mine = _plan(run_cli, content, "--target", "acme/Demo-1B-DPO")
    assert len(_structure_notices(mine)) == 1


def test_an_unknown_policy_is_a_config_error(content: ContentProject, run_cli) -> None:
    result = _plan(run_cli, content, f"{STRUCTURE}=strict")
    assert result.code == 1
    assert result.err == (
        f"Error: override '{STRUCTURE}=strict': {STRUCTURE}: expected one of 'warn', 'fail', "
        "'off', got string 'strict'\n")
