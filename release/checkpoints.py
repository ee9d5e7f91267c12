"""Small, real-looking transformers checkpoints for the demo and tests, byte-for-byte reproducible.

A Llama-style model in bfloat16 (real safetensors, sharded on request, with the index), a
byte-level BPE tokenizer.json, and the JSON configs labs publish. Defaults total about 3 MB, with
weights above 1 MB so they go through LFS. The seed changes only the weights, as a new training
run would. Run `python -m release.checkpoints DIR [--shards N --seed N ...]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from release.artifacts.safetensors import DTYPE_SIZES, encode_header

_BOS, _EOS, _PAD = "<|begin_of_text|>", "<|end_of_text|>", "<|pad|>"
_TRANSFORMERS_VERSION = "4.46.0"
_CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
# bf16 high byte (sign + top 7 exponent bits) for a random byte: exponents 116..123, so |w| in
# 0.0005..0.125, weighted to 0.002..0.03 like an initialised (std 0.02) projection matrix.
_BF16_HIGH = bytes(
    (b & 0x80) | (58 if (b & 0x7F) < 16 else 59 if (b & 0x7F) < 64 else 60 if (b & 0x7F) < 120
                  else 61)
    for b in range(256)
)
_BF16_ONE = b"\x80\x3f"


def write_checkpoint(folder: Path, *, hidden_size: int = 128, layers: int = 2, shards: int = 1,
                     seed: int = 0, vocab_size: int = 4096, intermediate_size: int | None = None,
                     heads: int | None = None) -> tuple[Path, ...]:
    """Write a checkpoint into `folder` (created if needed); returns the files it holds.

    Same arguments, same bytes. Files whose bytes are already right are left untouched, so their
    mtimes (and any hash cache entries) survive a re-run; weights files from an earlier run with
    another shard count are removed.
    """
    if shards < 1 or layers < 1 or hidden_size < 8 or hidden_size % 8:
        raise ValueError("need shards >= 1, layers >= 1, hidden_size a multiple of 8")
    heads = heads or max(1, hidden_size // 64)
    intermediate = intermediate_size or (hidden_size * 8 // 3 + 31) // 32 * 32
    tokenizer, specials = _tokenizer(vocab_size, seed=0)  # one tokenizer per family, not per run
    tensors = _tensor_shapes(hidden_size, layers, intermediate, vocab_size)
    if shards > len(tensors):
        raise ValueError(f"shards must be at most {len(tensors)} (the number of tensors)")
    config = {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": specials[_BOS], "eos_token_id": specials[_EOS],
        "head_dim": hidden_size // heads, "hidden_act": "silu", "hidden_size": hidden_size,
        "initializer_range": 0.02, "intermediate_size": intermediate,
        "max_position_embeddings": 4096, "mlp_bias": False, "model_type": "llama",
        "num_attention_heads": heads, "num_hidden_layers": layers, "num_key_value_heads": heads,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 500000.0,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": _TRANSFORMERS_VERSION, "use_cache": True, "vocab_size": vocab_size,
    }
    files: dict[str, bytes] = {
        "config.json": _json(config),
        "generation_config.json": _json({
            "_from_model_config": True, "bos_token_id": specials[_BOS],
            "eos_token_id": specials[_EOS], "transformers_version": _TRANSFORMERS_VERSION}),
        "special_tokens_map.json": _json({
            key: {"content": token, "lstrip": False, "normalized": False, "rstrip": False,
                  "single_word": False}
            for key, token in (("bos_token", _BOS), ("eos_token", _EOS), ("pad_token", _PAD))}),
        "tokenizer.json": json.dumps(tokenizer, ensure_ascii=False, indent=2).encode() + b"\n",
        "tokenizer_config.json": _json({
            "add_bos_token": True, "add_eos_token": False,
            "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False,
                                              "rstrip": False, "single_word": False,
                                              "special": True} for t, i in specials.items()},
            "bos_token": _BOS, "chat_template": _CHAT_TEMPLATE,
            "clean_up_tokenization_spaces": False, "eos_token": _EOS, "model_max_length": 4096,
            "pad_token": _PAD, "tokenizer_class": "PreTrainedTokenizerFast"}),
    }
    files.update(_weights(tensors, shards, seed))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("model*.safetensors*"):
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        _write_if_changed(folder / name, data)
    return tuple(folder / name for name in sorted(files))


def _tensor_shapes(hidden: int, layers: int, intermediate: int,
                   vocab: int) -> list[tuple[str, tuple[int, ...]]]:
    """Llama's tensors in the order transformers saves (and shards) them."""
    shapes: list[tuple[str, tuple[int, ...]]] = [("model.embed_tokens.weight", (vocab, hidden))]
    for i in range(layers):
        layer = f"model.layers.{i}"
        shapes += [(f"{layer}.self_attn.{p}_proj.weight", (hidden, hidden)) for p in "qkvo"]
        shapes += [(f"{layer}.mlp.gate_proj.weight", (intermediate, hidden)),
                   (f"{layer}.mlp.up_proj.weight", (intermediate, hidden)),
                   (f"{layer}.mlp.down_proj.weight", (hidden, intermediate)),
                   (f"{layer}.input_layernorm.weight", (hidden,)),
                   (f"{layer}.post_attention_layernorm.weight", (hidden,))]
    return shapes + [("model.norm.weight", (hidden,)), ("lm_head.weight", (vocab, hidden))]


def _weights(tensors: list[tuple[str, tuple[int, ...]]], shards: int,
             seed: int) -> dict[str, bytes]:
    """`model.safetensors`, or N shards cut by size in save order plus their index."""
    sizes = [_numel(shape) * DTYPE_SIZES["BF16"] for _, shape in tensors]
    total = sum(sizes)
    groups = _split(sizes, shards)
    if shards == 1:
        return {"model.safetensors": _safetensors([tensors[i] for i in groups[0]], seed)}
    out: dict[str, bytes] = {}
    weight_map: dict[str, str] = {}
    for number, group in enumerate(groups, start=1):
        name = f"model-{number:05d}-of-{shards:05d}.safetensors"
        out[name] = _safetensors([tensors[i] for i in group], seed)
        weight_map.update({tensors[i][0]: name for i in group})
    out["model.safetensors.index.json"] = _json(
        {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    return out


def _split(sizes: list[int], parts: int) -> list[list[int]]:
    """Contiguous runs of indices with about equal bytes each, none empty (needs parts <= len)."""
    total = sum(sizes)
    groups: list[list[int]] = [[] for _ in range(parts)]
    current = done = 0
    for i, size in enumerate(sizes):
        later_groups = parts - current - 1
        if groups[current] and later_groups and (done + size / 2 > total * (current + 1) / parts
                                                 or len(sizes) - i <= later_groups):
            current += 1
        groups[current].append(i)
        done += size
    return groups


def _safetensors(tensors: list[tuple[str, tuple[int, ...]]], seed: int) -> bytes:
    header, _ = encode_header({name: ("BF16", shape) for name, shape in tensors},
                              {"format": "pt"})
    return header + b"".join(_bf16(name, _numel(shape), seed) for name, shape in sorted(tensors))


def _bf16(name: str, count: int, seed: int) -> bytes:
    """Deterministic, plausible bf16 values: norms are ones, matrices small random weights."""
    if name.endswith("norm.weight"):
        return _BF16_ONE * count
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    data = bytearray(random.Random(int.from_bytes(digest[:8], "little")).randbytes(2 * count))
    data[1::2] = bytes(data[1::2]).translate(_BF16_HIGH)
    return bytes(data)


def _tokenizer(vocab_size: int, seed: int) -> tuple[dict[str, Any], dict[str, int]]:
    """A byte-level BPE tokenizer.json with `vocab_size` ids, the last three special."""
    byte_chars = _bytes_to_unicode()
    vocab = {ch: i for i, ch in enumerate(byte_chars)}
    tokens = list(byte_chars)
    merges: list[list[str]] = []
    rng = random.Random(seed)
    # Favour merges of printable ASCII, and of recent tokens, so words grow as in a real BPE.
    common = [byte_chars[b] for b in b"etaoinshrdlucmfwypvbgk ETAOINS"] + ["\u0120"] * 6
    while len(tokens) < vocab_size - 3:
        left = rng.choice(common) if rng.random() < 0.5 else rng.choice(tokens[-200:])
        right = rng.choice(common)
        if left + right not in vocab:
            vocab[left + right] = len(tokens)
            tokens.append(left + right)
            merges.append([left, right])
    specials = {token: len(tokens) + i for i, token in enumerate((_BOS, _EOS, _PAD))}
    byte_level = {"add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for t, i in specials.items()],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", **byte_level},
        "post_processor": {"type": "ByteLevel", **byte_level},
        "decoder": {"type": "ByteLevel", **byte_level},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }, specials


def _bytes_to_unicode() -> list[str]:
    """GPT-2's byte -> printable character table, indexed by byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    table: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def _json(document: dict[str, Any]) -> bytes:
    """JSON as transformers' `save_pretrained` writes it: indent 2, sorted keys, final newline."""
    return json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    # Not mkstemp: its 0600 mode would make the checkpoint unreadable to others; open honours umask.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def generate_missing(sources: Sequence[str], root: Path) -> list[Path]:
    """Write a small checkpoint into each artifact folder (relative to `root`) that is missing.

    The seed comes from the folder name, so every run branch gets its own weights and a re-run
    reproduces the same bytes. Existing folders are never touched: they may be real checkpoints.
    """
    import zlib

    written = []
    for source in sorted(set(sources)):
        folder = root / source
        if folder.exists():
            continue
        write_checkpoint(folder, seed=zlib.crc32(source.encode()))
        written.append(folder)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.checkpoints",
                                     description="Write a small, deterministic checkpoint folder.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocab-size", type=int, default=4096)
    args = parser.parse_args(argv)
    try:
        paths = write_checkpoint(args.folder, hidden_size=args.hidden_size, layers=args.layers,
                                 shards=args.shards, seed=args.seed, vocab_size=args.vocab_size)
    except ValueError as err:
        parser.error(str(err))
    total = sum(p.stat().st_size for p in paths)
    print(f"{args.folder}: {len(paths)} files, {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
