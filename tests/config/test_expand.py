"""The full expansion of the example config, pinned as a golden file; determinism; artifacts.

Regenerate the golden file after an intended change with:
    RELEASE_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/config/test_expand.py
and review its diff like any other change to what would be published.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from release.config.load import load_config
from release.config.names import natural_key
from release.desired import expand
from release.show import render_json, render_table
from release.state import (
    PROVENANCE_KEY,
    DesiredFile,
    Provenance,
    card_digest,
    declared_settings,
    split_card,
)
from tests.config.conftest import REPO, Project

GOLDEN = Path(__file__).parent / "golden" / "example_desired_state.json"


def _example_state():  # type: ignore[no-untyped-def]
    config = load_config(REPO / "conf", [])
    return expand(config, base_dir=REPO)


def test_example_expansion_matches_the_golden_file() -> None:
    rendered = render_json(_example_state())
    if os.environ.get("RELEASE_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")


def test_example_families_expand_as_released() -> None:
    state = _example_state()
    repos = {repo.repo_id: repo for repo in state.repos}
    assert list(repos) == sorted(repos, key=natural_key)  # 8B before 70B (issue 16)
    assert state.families == ("olmo2", "tulu3")
    sft = repos["allenai/Llama-3.1-Tulu-3-8B-SFT"]
    assert [b.name for b in sft.branches] == [
        "main", "sft_tulu3_8b_2024-01-15_seed42", "sft_tulu3_8b_2024-01-15_seed123"]
    assert sft.branches[1].source == "checkpoints/tulu3/sft_tulu3_8b_2024-01-15_seed42"
    assert sft.branches[1].files == ()  # no scanning in validate/show
    dpo = repos["allenai/Llama-3.1-Tulu-3-8B-DPO"]
    assert (dpo.visibility, dpo.gated) == ("public", False)
    assert [(t.name, t.revision) for t in dpo.tags] == [("v1.0", "dpo_tulu3_8b_2024-11-20_seed7")]
    assert all(repos[r].gated == "manual" for r in repos if "-70B" in r)
    olmo = repos["allenai/OLMo-2-1124-7B"]
    assert "stage1-step1000-tokens4B" in [b.name for b in olmo.branches]
    assert "allenai/OLMo-2-0425-1B" in repos
    tulu = next(c for c in state.collections if c.title == "Tulu 3 Models")
    assert [item.repo_id.split("/")[1] for item in tulu.items] == [
        "Llama-3.1-Tulu-3-8B-SFT", "Llama-3.1-Tulu-3-8B-DPO", "Llama-3.1-Tulu-3-8B",
        "Llama-3.1-Tulu-3-70B-SFT", "Llama-3.1-Tulu-3-70B-DPO", "Llama-3.1-Tulu-3-70B"]


def test_cards_carry_provenance_and_are_self_verifying() -> None:
    state = _example_state()
    for repo in state.repos:
        metadata, body = split_card(repo.card_text)
        provenance = Provenance.from_metadata(metadata)
        assert provenance is not None and provenance.family == repo.family
        assert provenance.card_digest == card_digest(repo.card_text)
        assert dict(provenance.declared) == declared_settings(repo, state.collections)
        assert repo.provenance == provenance
        readme = repo.branch("main").files[0]  # type: ignore[union-attr]
        assert readme == DesiredFile.from_bytes("README.md", repo.card_text.encode())
        assert body.lstrip("\n").startswith(f"# {repo.repo_id.split('/')[1]}\n")
        assert PROVENANCE_KEY in metadata


def test_cards_read_back_with_huggingface_hubs_model_card() -> None:
    from huggingface_hub import ModelCard

    repo = next(r for r in _example_state().repos if r.repo_id.endswith("Tulu-3-70B"))
    card = ModelCard(repo.card_text)
    assert card.data.license == "llama3.1"
    assert card.data.base_model == "allenai/Llama-3.1-Tulu-3-70B-DPO"
    assert card.data.to_dict()["extra_gated_heading"] == "Access Tulu 3 70B"
    assert str(card) == repo.card_text  # the same bytes round-trip


def test_expansion_is_deterministic() -> None:
    assert render_json(_example_state()) == render_json(_example_state())


def test_variant_digest_ignores_changes_to_other_variants() -> None:
    base = {r.repo_id: r.provenance for r in _example_state().repos}
    config = load_config(REPO / "conf", ["families.tulu3.variants.70B-RL.card.evaluation.Avg.=1"])
    changed = {r.repo_id: r.provenance for r in expand(config, base_dir=REPO).repos}
    differs = [repo_id for repo_id in base
               if base[repo_id].config_digest != changed[repo_id].config_digest]  # type: ignore
    assert differs == ["allenai/Llama-3.1-Tulu-3-70B"]


def test_table_lists_variants_in_matrix_order() -> None:
    table = render_table(_example_state(), {("tulu3", "8B-SFT"): 0, ("tulu3", "70B-RL"): 9})
    lines = [line for line in table.splitlines() if "Tulu-3-8B-SFT" in line or "70B " in line]
    assert "8B-SFT" in lines[0] and "70B-RL" in lines[-1]


def test_artifact_folders_are_scanned_when_a_scanner_is_given(project: Project) -> None:
    project.family("demo", """\
        demo:
          namespace: acme
          repo_name: "Demo-{size}"
          matrix: {size: [1B]}
          defaults:
            artifacts: {folder: "ckpt/{size_lower}", include: ["*.json"], required: [config.json]}
          runs:
            branch: "step{step}"
            artifacts: "ckpt/{size_lower}/{branch}"
            variants: {"1B": [{step: 1000}]}
        """)
    (project.root / "ckpt" / "1b" / "step1000").mkdir(parents=True)
    calls = []

    def scan(folder: Path, include: tuple[str, ...], ignore: tuple[str, ...],
             ) -> tuple[DesiredFile, ...]:
        calls.append((folder.relative_to(project.root).as_posix(), include, ignore))
        return (DesiredFile.from_bytes("config.json", b"{}"),
                DesiredFile.from_bytes("README.md", b"not the card"))

    state = expand(load_config(Path("conf"), []), base_dir=project.root, scan_artifacts=scan)
    assert calls == [("ckpt/1b", ("*.json",), ()), ("ckpt/1b/step1000", ("*.json",), ())]
    main, run = state.repos[0].branches
    assert [f.path for f in main.files] == ["README.md", "config.json"]
    assert main.files[0].content == state.repos[0].card_text.encode()  # the card wins
    assert [f.path for f in run.files] == ["config.json"] and run.source == "ckpt/1b/step1000"


def test_missing_or_incomplete_artifact_folders_are_config_errors(project: Project) -> None:
    from release.errors import ConfigErrors

    project.family("demo", """\
        demo:
          namespace: acme
          repo_name: "Demo-{size}"
          matrix: {size: [1B, 7B]}
          defaults:
            artifacts: {folder: "ckpt/{size_lower}", required: [config.json, "*.safetensors"]}
        """)
    (project.root / "ckpt" / "1b").mkdir(parents=True)

    def scan(folder: Path, include: tuple[str, ...], ignore: tuple[str, ...],
             ) -> tuple[DesiredFile, ...]:
        return (DesiredFile.from_bytes("config.json", b"{}"),)

    with pytest.raises(ConfigErrors) as info:
        expand(load_config(Path("conf"), []), base_dir=project.root, scan_artifacts=scan)
    assert str(info.value) == (
        "conf/families/demo.yaml:6:25: families.demo.defaults.artifacts.folder: artifact folder "
        "'ckpt/1b' lacks required '*.safetensors'\n"
        "conf/families/demo.yaml:6:25: families.demo.defaults.artifacts.folder: artifact folder "
        "'ckpt/7b' does not exist (train or copy the checkpoint there, generate an example with "
        "'release checkpoints', or remove the folder from the config)")


def test_the_real_scanner_fits_the_hook(project: Project) -> None:
    from release.artifacts import scan_folder

    project.family("demo", """\
        demo:
          namespace: acme
          repo_name: "Demo-{size}"
          matrix: {size: [1B]}
          defaults: {artifacts: {folder: ckpt}}
        """)
    (project.root / "ckpt").mkdir()
    (project.root / "ckpt" / "config.json").write_text("{}")
    state = expand(load_config(Path("conf"), []), base_dir=project.root,
                   scan_artifacts=scan_folder)
    assert [f.path for f in state.repos[0].branches[0].files] == ["README.md", "config.json"]
