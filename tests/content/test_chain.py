"""`chain: {axis: stage}`: each stage's base_model is the previous stage's repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.config.load import load_config
from release.desired import expand
from release.errors import ConfigErrors
from release.state import DesiredState, split_card
from tests.content.conftest import make_project

FAMILY = """\
demo:
  namespace: acme
  repo_name: "Demo-{size}-{stage}"
  matrix:
    size: [1B, 7B]
    stage: [SFT, DPO, RL]
  chain: {axis: stage}
  defaults:
    card:
      metadata:
        license: apache-2.0
        base_model: meta-llama/Llama-3.1-{size}
        base_model_relation: finetune
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # error locations are shown relative to the working directory
    return tmp_path


def _state(root: Path, family: str = FAMILY, *overrides: str) -> DesiredState:
    make_project(root, family)
    return expand(load_config(Path("conf"), list(overrides)), base_dir=root)


def _errors(root: Path, family: str, *overrides: str) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        _state(root, family, *overrides)
    return [error.render() for error in info.value.errors]


def _bases(state: DesiredState) -> dict[str, tuple[str | None, str | None]]:
    found = {}
    for repo in state.repos:
        metadata, _ = split_card(repo.card_text)
        found[repo.variant] = (metadata.get("base_model"), metadata.get("base_model_relation"))
    return found


def test_each_stage_is_based_on_the_previous_stage_of_the_same_size(root: Path) -> None:
    assert _bases(_state(root)) == {
        "1B-SFT": ("meta-llama/Llama-3.1-1B", "finetune"),
        "1B-DPO": ("acme/Demo-1B-SFT", "finetune"),
        "1B-RL": ("acme/Demo-1B-DPO", "finetune"),
        "7B-SFT": ("meta-llama/Llama-3.1-7B", "finetune"),
        "7B-DPO": ("acme/Demo-7B-SFT", "finetune"),
        "7B-RL": ("acme/Demo-7B-DPO", "finetune"),
    }


def test_the_card_body_links_the_chained_base_model(root: Path) -> None:
    repo = next(r for r in _state(root).repos if r.variant == "7B-RL")
    assert "| Base model | [acme/Demo-7B-DPO](https://huggingface.co/acme/Demo-7B-DPO) |" \
        in repo.card_text


def test_an_excluded_stage_is_skipped_not_pointed_at(root: Path) -> None:
    bases = _bases(_state(root, FAMILY + "  exclude: [7B-DPO]\n"))
    assert bases["7B-RL"] == ("acme/Demo-7B-SFT", "finetune")
    assert "7B-DPO" not in bases


def test_a_selector_that_sets_base_model_wins_over_the_chain(root: Path) -> None:
    family = FAMILY + """\
  variants:
    "*-RL":
      card: {metadata: {base_model: "acme/Demo-{size}-SFT", base_model_relation: merge}}
"""
    bases = _bases(_state(root, family))
    assert bases["1B-RL"] == ("acme/Demo-1B-SFT", "merge")
    assert bases["1B-DPO"] == ("acme/Demo-1B-SFT", "finetune")


def test_the_relation_is_configurable(root: Path) -> None:
    bases = _bases(_state(root, FAMILY.replace("{axis: stage}",
                                               "{axis: stage, relation: adapter}")))
    assert bases["1B-DPO"] == ("acme/Demo-1B-SFT", "adapter")
    assert bases["1B-SFT"] == ("meta-llama/Llama-3.1-1B", "finetune")  # the first keeps its own


def test_chaining_is_part_of_the_variant_digest(root: Path) -> None:
    chained = {r.variant: r.provenance.config_digest for r in _state(root).repos}  # type: ignore[union-attr]
    plain = {r.variant: r.provenance.config_digest  # type: ignore[union-attr]
             for r in expand(load_config(Path("conf"), ["~families.demo.chain"]),
                             base_dir=root).repos}
    assert all(chained[key] != plain[key] for key in chained)


def test_an_unknown_axis_is_a_config_error_with_its_location(root: Path) -> None:
    assert _errors(root, FAMILY.replace("{axis: stage}", "{axis: stag}")) == [
        "conf/families/demo.yaml:7:17: families.demo.chain.axis: 'stag' is not an axis of "
        "the matrix (axes: size, stage) (did you mean 'stage'?)"]


def test_an_unknown_relation_is_a_config_error(root: Path) -> None:
    assert _errors(root, FAMILY.replace("{axis: stage}", "{axis: stage, relation: tuned}")) == [
        "conf/families/demo.yaml:7:34: families.demo.chain.relation: expected one of "
        "'finetune', 'adapter', 'merge', 'quantized', got string 'tuned' "
        "(did you mean 'finetune'?)"]


def test_the_axis_is_required(root: Path) -> None:
    assert _errors(root, FAMILY.replace("{axis: stage}", "{relation: merge}")) == [
        "conf/families/demo.yaml:7:10: families.demo.chain.axis: missing required value"]


def test_the_example_tulu3_family_chains_its_stages() -> None:
    from tests.content.conftest import REPO_ROOT

    state = expand(load_config(REPO_ROOT / "conf", []), base_dir=REPO_ROOT)
    tulu = {r.variant: r for r in state.repos if r.family == "tulu3"}
    assert _bases(DesiredState(namespaces=(), repos=tuple(tulu.values()))) == {
        "8B-SFT": ("meta-llama/Llama-3.1-8B", "finetune"),
        "8B-DPO": ("allenai/Llama-3.1-Tulu-3-8B-SFT", "finetune"),
        "8B-RL": ("allenai/Llama-3.1-Tulu-3-8B-DPO", "finetune"),
        "70B-SFT": ("meta-llama/Llama-3.1-70B", "finetune"),
        "70B-DPO": ("allenai/Llama-3.1-Tulu-3-70B-SFT", "finetune"),
        "70B-RL": ("allenai/Llama-3.1-Tulu-3-70B-DPO", "finetune"),
    }
