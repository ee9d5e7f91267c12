"""Does a file set look like a loadable transformers checkpoint? Problems as sentences.

The caller decides whether problems warn or fail (a run branch may hold a partial checkpoint; a
release revision should not).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from release.artifacts.safetensors import SafetensorsError, read_header
from release.state import DesiredFile

#: Each entry names one required file; `a|b` accepts either. Weights may be single-file or sharded
#: (the index is then checked against the shards present).
DEFAULT_REQUIRED: tuple[str, ...] = (
    "config.json",
    "model.safetensors|model.safetensors.index.json",
    "tokenizer.json|tokenizer.model",
    "tokenizer_config.json",
)
#: Small JSON files transformers parses at load time; a broken one fails `from_pretrained`.
#: Not tokenizer.json: often ~10 MB, and parsing it for every variant on every plan costs seconds.
_JSON_FILES = ("config.json", "generation_config.json", "special_tokens_map.json",
               "tokenizer_config.json")
_SHARD = re.compile(r"(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.(?P<ext>safetensors|bin)")
_MAX_JSON_BYTES = 64 * 1024 * 1024
_MAX_LISTED = 3  # tensor names quoted per problem; the rest are counted


def check_structure(files: Sequence[DesiredFile],
                    required: Sequence[str] = DEFAULT_REQUIRED) -> list[str]:
    """Human-readable problems with `files` (repo paths at the folder root); [] when it looks fine.

    Checks required files, that JSON files parse, that safetensors headers match file sizes, and
    that a `*.index.json` weight map references exactly the shards present and the tensors in them.
    """
    by_path = {f.path: f for f in files}
    problems: list[str] = []
    for requirement in required:
        options = [o.strip() for o in requirement.split("|") if o.strip()]
        if not any(o in by_path for o in options):
            problems.append(f"missing {' or '.join(options)}")
    for name in _JSON_FILES:
        if name in by_path:
            problems += _json_problems(by_path[name])
    headers: dict[str, dict[str, Any]] = {}
    for path, file in sorted(by_path.items()):
        if path.endswith(".safetensors") and file.local_path:
            try:
                headers[path] = read_header(Path(file.local_path))
            except (SafetensorsError, OSError) as err:
                problems.append(f"{path}: not a valid safetensors file ({err})")
    problems += _weights_problems(by_path, headers)
    return problems


def _weights_problems(by_path: dict[str, DesiredFile],
                      headers: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    shards: dict[tuple[str, str], set[str]] = {}
    for path in by_path:
        match = _SHARD.fullmatch(path)
        if match:
            shards.setdefault((match["stem"], match["ext"]), set()).add(path)
    indexed: set[tuple[str, str]] = set()
    for path in sorted(by_path):
        if not path.endswith((".safetensors.index.json", ".bin.index.json")) or "/" in path:
            continue
        stem, ext = path.removesuffix(".index.json").rsplit(".", 1)
        indexed.add((stem, ext))
        if f"{stem}.{ext}" in by_path:
            problems.append(f"both {stem}.{ext} and {path}: transformers loads only "
                            f"{stem}.{ext}; remove one")
        problems += _index_problems(path, by_path[path], shards.get((stem, ext), set()), by_path,
                                    headers)
    for (stem, ext), present in sorted(shards.items()):
        if (stem, ext) not in indexed:
            problems.append(f"sharded weights ({', '.join(sorted(present))}) without "
                            f"{stem}.{ext}.index.json")
    return problems


def _index_problems(index_path: str, index_file: DesiredFile, present: set[str],
                    by_path: dict[str, DesiredFile],
                    headers: dict[str, dict[str, Any]]) -> list[str]:
    document = _load_json(index_file)
    if document is None:
        return []
    if isinstance(document, str):
        return [f"{index_path}: {document}"]
    weight_map = document.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()):
        return [f"{index_path}: no weight_map of tensor name -> shard file"]
    referenced = set(weight_map.values())
    problems = [f"{index_path} references {shard}, which is not in the folder"
                for shard in sorted(referenced - set(by_path))]
    problems += [f"{shard} is not referenced by {index_path}"
                 for shard in sorted(present - referenced)]
    problems += _numbering_problems(index_path, referenced)
    for shard in sorted(referenced & set(headers)):
        mapped = {name for name, target in weight_map.items() if target == shard}
        stored = set(headers[shard]) - {"__metadata__"}
        if mapped - stored:
            problems.append(f"{index_path} maps to {shard} tensors it does not hold: "
                            f"{_some(mapped - stored)}")
        if stored - mapped:
            problems.append(f"{shard} holds tensors {index_path} does not map to it: "
                            f"{_some(stored - mapped)}")
    return problems


def _numbering_problems(index_path: str, referenced: set[str]) -> list[str]:
    """`-0000i-of-0000N` names must agree on N and cover 1..N, or the index was cut short."""
    numbered = [m for m in map(_SHARD.fullmatch, sorted(referenced)) if m]
    counts = {int(m["count"]) for m in numbered}
    if len(counts) > 1:
        return [f"{index_path}: shards disagree on the shard count ({sorted(counts)})"]
    if not counts:
        return []
    count = counts.pop()
    missing = sorted(set(range(1, count + 1)) - {int(m["index"]) for m in numbered})
    if missing:
        return [(f"{index_path}: references {len(numbered)} of {count} shards "
                f"(none for shard {', '.join(map(str, missing))})")]
    return []


def _json_problems(file: DesiredFile) -> list[str]:
    document = _load_json(file)
    if document is None:
        return []
    if isinstance(document, str):
        return [f"{file.path}: {document}"]
    if file.path == "config.json" and "model_type" not in document:
        return ["config.json: no model_type (transformers' AutoConfig needs it)"]
    return []


def _load_json(file: DesiredFile) -> dict[str, Any] | str | None:
    """The file's JSON object, why it is not one (a message fragment), or None if not at hand."""
    if file.size > _MAX_JSON_BYTES:
        return f"{file.size} bytes, too large to be a JSON config"
    try:
        if file.content is not None:
            data = file.content
        elif file.local_path is not None:
            data = Path(file.local_path).read_bytes()
        else:
            return None
        document = json.loads(data)
    except OSError as err:
        return f"cannot read ({err.strerror or err})"
    except ValueError as err:
        return f"not valid JSON ({err})"
    return document if isinstance(document, dict) else "not a JSON object"


def _some(names: set[str]) -> str:
    listed = sorted(names)
    text = ", ".join(listed[:_MAX_LISTED])
    return text + (f" and {len(listed) - _MAX_LISTED} more" if len(listed) > _MAX_LISTED else "")
