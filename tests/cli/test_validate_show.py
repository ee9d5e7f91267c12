"""`release validate` and `release show` invoked as a user would: argv in, exit code, text out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from release.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("RELEASE_CONFIG_DIR", raising=False)


def test_validate_the_example_config(capsys: pytest.CaptureFixture[str], in_repo: None) -> None:
    assert run(capsys, "validate") == (
        0, "conf: valid — 2 families (olmo2, tulu3), 8 repos, 2 collections\n", "")


def test_validate_reports_every_error_and_exits_1(capsys: pytest.CaptureFixture[str],
                                                  in_repo: None) -> None:
    code, out, err = run(capsys, "validate", "families.tulu3.defaults.visibility=publik",
                         "+families.olmo2.colection.title=x")
    assert (code, out) == (1, "")
    assert err == (
        "Error: override 'families.tulu3.defaults.visibility=publik': "
        "families.tulu3.defaults.visibility: expected one of 'private', 'public', got string "
        "'publik' (did you mean 'public'?)\n"
        "override '+families.olmo2.colection.title=x': families.olmo2.colection: unknown key in "
        "Family (did you mean 'collection'?)\n")


def test_validate_unknown_group_option(capsys: pytest.CaptureFixture[str], in_repo: None) -> None:
    assert run(capsys, "validate", "families=[tulu3,olmo3]") == (
        1, "", "Error: override 'families=[tulu3,olmo3]': families: unknown option 'olmo3' for "
               "config group 'families'; options: olmo2, tulu3 (did you mean 'olmo2'?)\n")


def test_validate_without_a_config_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELEASE_CONFIG_DIR", raising=False)
    assert run(capsys, "validate") == (
        1, "", "Error: no config.yaml in 'conf' (run from the project root, or pass "
               "--config-dir / set RELEASE_CONFIG_DIR)\n")


def test_config_dir_from_the_environment(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(REPO / "conf"))
    code, out, _ = run(capsys, "validate", "families=[olmo2]")
    assert code == 0 and "1 families (olmo2), 2 repos, 1 collections" in out


def test_show_prints_a_table_per_family_with_overrides_applied(
        capsys: pytest.CaptureFixture[str], in_repo: None) -> None:
    code, out, err = run(capsys, "show", "hub=huggingface", "families=[tulu3]",
                         "families.tulu3.defaults.visibility=public")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "tulu3 (allenai): 6 repos; collection 'Tulu 3 Models' (public)"
    assert lines[1].split() == ["VARIANT", "REPO", "VISIBILITY", "GATING", "REVISIONS"]
    assert lines[2].split() == [
        "8B-SFT", "allenai/Llama-3.1-Tulu-3-8B-SFT", "public", "-", "main"]
    assert lines[3].split() == ["sft_tulu3_8b_2024-01-15_seed42", "<-",
                                "checkpoints/tulu3/sft_tulu3_8b_2024-01-15_seed42"]
    assert "tag v1.0 -> dpo_tulu3_8b_2024-11-20_seed7" in out
    assert any(line.split()[:5] == ["70B-RL", "allenai/Llama-3.1-Tulu-3-70B", "public",
                                    "manual", "main"] for line in lines)
    assert lines[-1] == "prune: off"


def test_show_json_is_the_full_desired_state(capsys: pytest.CaptureFixture[str],
                                             in_repo: None) -> None:
    code, out, _ = run(capsys, "show", "--format", "json")
    assert code == 0
    assert out == (REPO / "tests" / "config" / "golden" /
                   "example_desired_state.json").read_text(encoding="utf-8")
    document = json.loads(out)
    assert document["format_version"] == 1 and len(document["repos"]) == 8


def test_the_console_script_and_python_m_work(tmp_path: Path) -> None:
    env = {**os.environ, "RELEASE_CONFIG_DIR": str(REPO / "conf")}
    script = shutil.which("release", path=str(Path(sys.executable).parent))
    assert script is not None
    for argv in ([script, "validate"], [sys.executable, "-m", "release", "validate"]):
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert "valid — 2 families" in done.stdout
    bad = subprocess.run([script, "validate", "hub=nowhere"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: override 'hub=nowhere'")
    assert "Traceback" not in bad.stderr
