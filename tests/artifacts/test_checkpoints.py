from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest

from release.artifacts import predict_lfs, scan_folder
from release.artifacts.safetensors import read_header
from release.checkpoints import main, write_checkpoint


def _digests(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "a", shards=2, seed=7)
    write_checkpoint(tmp_path / "b", shards=2, seed=7)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_seed_changes_only_the_weights(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "a", seed=1)
    write_checkpoint(tmp_path / "b", seed=2)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert [name for name in a if a[name] != b[name]] == ["model.safetensors"]


def test_default_checkpoint_is_small_with_a_binary_weight_file_over_1mb(tmp_path: Path) -> None:
    paths = write_checkpoint(tmp_path / "c")
    assert [p.name for p in paths] == [
        "config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json",
        "tokenizer.json", "tokenizer_config.json"]
    assert sum(p.stat().st_size for p in paths) < 5_000_000
    weights = tmp_path / "c" / "model.safetensors"
    data = weights.read_bytes()
    assert len(data) > 1_000_000
    assert predict_lfs("model.safetensors", len(data), data[:512])
    assert not predict_lfs("config.json", 600, (tmp_path / "c" / "config.json").read_bytes())


def test_safetensors_header_parses_back(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "c", hidden_size=64, layers=3, vocab_size=512)
    raw = (tmp_path / "c" / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    assert length % 8 == 0
    assert header["__metadata__"] == {"format": "pt"}
    assert header["model.embed_tokens.weight"] == {
        "dtype": "BF16", "shape": [512, 64],
        "data_offsets": header["model.embed_tokens.weight"]["data_offsets"]}
    assert len([n for n in header if n.startswith("model.layers.2.")]) == 9
    end = max(spec["data_offsets"][1] for n, spec in header.items() if n != "__metadata__")
    assert 8 + length + end == len(raw)
    assert read_header(tmp_path / "c" / "model.safetensors") == header
    # Norm weights are ones; projections are small, finite, nonzero bf16 values.
    begin, stop = header["model.norm.weight"]["data_offsets"]
    assert raw[8 + length + begin:8 + length + stop] == b"\x80\x3f" * 64
    begin, stop = header["model.layers.0.self_attn.q_proj.weight"]["data_offsets"]
    values = [struct.unpack("<f", b"\0\0" + raw[i:i + 2])[0]
              for i in range(8 + length + begin, 8 + length + stop, 2)]
    assert all(0.00048 < abs(v) < 0.126 for v in values)
    assert 0.002 < sorted(map(abs, values))[len(values) // 2] < 0.03


def test_sharded_index_covers_every_tensor_once(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "s", shards=4)
    index = json.loads((tmp_path / "s" / "model.safetensors.index.json").read_text())
    shards = sorted(p.name for p in (tmp_path / "s").glob("model-*.safetensors"))
    assert shards == [f"model-{i:05d}-of-00004.safetensors" for i in range(1, 5)]
    stored: dict[str, str] = {}
    total = 0
    for shard in shards:
        header = read_header(tmp_path / "s" / shard)
        for name, spec in header.items():
            if name != "__metadata__":
                stored[name] = shard
                total += spec["data_offsets"][1] - spec["data_offsets"][0]
    assert index["weight_map"] == stored
    assert index["metadata"]["total_size"] == total


def test_rerun_keeps_unchanged_files_and_drops_stale_shards(tmp_path: Path) -> None:
    root = tmp_path / "c"
    write_checkpoint(root, shards=3)
    config_mtime = (root / "config.json").stat().st_mtime_ns
    write_checkpoint(root, shards=1)
    assert not list(root.glob("model-*")) and not (root / "model.safetensors.index.json").exists()
    assert (root / "config.json").stat().st_mtime_ns == config_mtime
    assert [f.path for f in scan_folder(root)] == [
        "config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json",
        "tokenizer.json", "tokenizer_config.json"]


def test_tokenizer_json_is_consistent_with_config(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "c", vocab_size=1000)
    tokenizer = json.loads((tmp_path / "c" / "tokenizer.json").read_text())
    config = json.loads((tmp_path / "c" / "config.json").read_text())
    vocab = tokenizer["model"]["vocab"]
    ids = sorted([*vocab.values(), *(t["id"] for t in tokenizer["added_tokens"])])
    assert ids == list(range(config["vocab_size"]))
    assert all(a in vocab and b in vocab and a + b in vocab
               for a, b in tokenizer["model"]["merges"])


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "c"), "--shards", "2", "--seed", "3"]) == 0
    assert "8 files" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([str(tmp_path / "d"), "--shards", "0"])
