from __future__ import annotations

import json
from pathlib import Path

import pytest

from release.artifacts import check_structure, scan_folder
from release.checkpoints import write_checkpoint
from release.state import DesiredFile


def _scan(root: Path) -> tuple[DesiredFile, ...]:
    return scan_folder(root)


@pytest.fixture
def single(tmp_path: Path) -> Path:
    write_checkpoint(tmp_path / "single")
    return tmp_path / "single"


@pytest.fixture
def sharded(tmp_path: Path) -> Path:
    write_checkpoint(tmp_path / "sharded", shards=3)
    return tmp_path / "sharded"


def _edit_index(root: Path, edit: object) -> None:
    path = root / "model.safetensors.index.json"
    index = json.loads(path.read_text())
    edit(index)  # type: ignore[operator]
    path.write_text(json.dumps(index))


def test_single_file_checkpoint_is_fine(single: Path) -> None:
    assert check_structure(_scan(single)) == []


def test_sharded_checkpoint_is_fine(sharded: Path) -> None:
    assert check_structure(_scan(sharded)) == []


def test_missing_shard(sharded: Path) -> None:
    (sharded / "model-00002-of-00003.safetensors").unlink()
    assert check_structure(_scan(sharded)) == [
        ("model.safetensors.index.json references model-00002-of-00003.safetensors, "
        "which is not in the folder")]


def test_index_referencing_a_shard_that_does_not_exist(sharded: Path) -> None:
    def point_elsewhere(index: dict) -> None:
        index["weight_map"]["lm_head.weight"] = "model-00004-of-00003.safetensors"
    _edit_index(sharded, point_elsewhere)
    problems = check_structure(_scan(sharded))
    assert problems == [
        ("model.safetensors.index.json references model-00004-of-00003.safetensors, "
        "which is not in the folder"),
        "model-00003-of-00003.safetensors is not referenced by model.safetensors.index.json",
        "model.safetensors.index.json: references 3 of 3 shards (none for shard 3)",
    ]


def test_index_mapping_a_tensor_to_the_wrong_shard(sharded: Path) -> None:
    def swap(index: dict) -> None:
        index["weight_map"]["model.norm.weight"] = "model-00001-of-00003.safetensors"
    _edit_index(sharded, swap)
    problems = check_structure(_scan(sharded))
    assert problems == [
        ("model.safetensors.index.json maps to model-00001-of-00003.safetensors tensors it does "
        "not hold: model.norm.weight"),
        ("model-00002-of-00003.safetensors holds tensors model.safetensors.index.json does not "
        "map to it: model.norm.weight"),
    ]


def test_shards_without_index(sharded: Path) -> None:
    (sharded / "model.safetensors.index.json").unlink()
    assert check_structure(_scan(sharded)) == [
        "missing model.safetensors or model.safetensors.index.json",
        ("sharded weights (model-00001-of-00003.safetensors, model-00002-of-00003.safetensors, "
        "model-00003-of-00003.safetensors) without model.safetensors.index.json"),
    ]


def test_missing_tokenizer(single: Path) -> None:
    (single / "tokenizer.json").unlink()
    assert check_structure(_scan(single)) == ["missing tokenizer.json or tokenizer.model"]
    (single / "tokenizer.model").write_bytes(b"\x0a\x05sentencepiece")
    assert check_structure(_scan(single)) == []


def test_optional_files_are_optional_and_required_is_configurable(single: Path) -> None:
    (single / "generation_config.json").unlink()
    (single / "special_tokens_map.json").unlink()
    assert check_structure(_scan(single)) == []
    assert check_structure(_scan(single), required=["config.json", "generation_config.json"]) == [
        "missing generation_config.json"]


def test_both_single_and_sharded_weights(single: Path, sharded: Path) -> None:
    (sharded / "model.safetensors").write_bytes((single / "model.safetensors").read_bytes())
    assert check_structure(_scan(sharded)) == [
        ("both model.safetensors and model.safetensors.index.json: transformers loads only "
        "model.safetensors; remove one")]


def test_truncated_weights_and_broken_json(single: Path) -> None:
    weights = single / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    (single / "config.json").write_text('{"model_type": "llama",')
    problems = check_structure(_scan(single))
    assert len(problems) == 2
    assert problems[0].startswith("config.json: not valid JSON")
    assert problems[1].startswith("model.safetensors: not a valid safetensors file (data section")


def test_empty_file_set_lists_every_requirement() -> None:
    assert check_structure([]) == [
        "missing config.json", "missing model.safetensors or model.safetensors.index.json",
        "missing tokenizer.json or tokenizer.model", "missing tokenizer_config.json"]


def test_in_memory_files_are_checked_too() -> None:
    files = [DesiredFile.from_bytes("config.json", b'{"architectures": []}'),
             DesiredFile.from_bytes("model.safetensors", b"")]
    assert check_structure(files, required=["config.json"]) == [
        "config.json: no model_type (transformers' AutoConfig needs it)"]
