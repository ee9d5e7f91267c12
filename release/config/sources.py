"""Where each config value came from: `file:line:col` of YAML keys, or the override that set it.

OmegaConf keeps no line numbers, so the YAML files Hydra composed are parsed again with
PyYAML's `compose` (nodes carry marks, nothing is constructed) and every key path is mapped to
its mark. Files are added in Hydra's merge order and overrides last, so the latest writer of a
path is the location reported, exactly as the latest writer's value is the one that counts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

Segment = str | int
KeyPath = tuple[Segment, ...]


def format_path(path: KeyPath) -> str:
    """`families.tulu3.runs.variants.8B-SFT[0].seed`: dots between keys, [i] for list items."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text or "<root>"


def display_path(path: Path) -> str:
    """A file path as the user would type it: relative to the working directory when below it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


class SourceMap:
    """Key path -> location of the key (for unknown keys) and of its value (for bad values)."""

    def __init__(self) -> None:
        self._keys: dict[KeyPath, str] = {}
        self._values: dict[KeyPath, str] = {}

    def add_yaml(self, path: Path, package: KeyPath) -> None:
        """Index a YAML file whose content is placed at `package` in the composed config."""
        shown = display_path(path)
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_loader())
        except yaml.YAMLError:
            return  # Hydra reports syntax errors itself, with their own marks
        self._keys[package] = self._values[package] = f"{shown}:1:1"
        if root is not None:
            self._index(root, package, shown)

    def add_override(self, path: KeyPath, text: str, value: Any) -> None:
        """Mark `path` and everything inside `value` as set by the override `text`."""
        where = f"override '{text}'"
        # `runs.variants.8B-SFT.0.date` names list item 0: index it both ways.
        as_index = tuple(int(s) if isinstance(s, str) and s.isdigit() else s for s in path)
        for base in dict.fromkeys((path, as_index)):
            for end in range(1, len(base)):  # keys the override itself created
                if base[:end] not in self._keys:
                    self._keys[base[:end]] = self._values[base[:end]] = where
            self._keys[base] = self._values[base] = where
            for sub_path in _paths_in(value, base):
                self._keys[sub_path] = self._values[sub_path] = where

    def key_location(self, path: KeyPath) -> str | None:
        return _nearest(self._keys, path)

    def value_location(self, path: KeyPath) -> str | None:
        return _nearest(self._values, path)

    def _index(self, node: yaml.Node, path: KeyPath, shown: str,
               with_defaults: bool = False) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == "defaults" and not path and not with_defaults:
                    continue  # Hydra's defaults list, not config content
                child = (*path, str(key_node.value))
                self._keys[child] = _mark(shown, key_node)
                self._values[child] = _mark(shown, value_node)
                self._index(value_node, child, shown)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                self._keys[child] = self._values[child] = _mark(shown, item)
                self._index(item, child, shown)


def _loader() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _mark(shown: str, node: yaml.Node) -> str:
    return f"{shown}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _nearest(index: Mapping[KeyPath, str], path: KeyPath) -> str | None:
    """The location of `path`, or of its closest ancestor (e.g. where a missing key belongs)."""
    for end in range(len(path), -1, -1):
        found = index.get(path[:end])
        if found is not None:
            return found
    return None


def _paths_in(value: Any, path: KeyPath) -> list[KeyPath]:
    found: list[KeyPath] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found.append((*path, str(key)))
            found.extend(_paths_in(item, (*path, str(key))))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for index, item in enumerate(value):
            found.append((*path, index))
            found.extend(_paths_in(item, (*path, index)))
    return found


def yaml_location(path: Path, key_path: KeyPath) -> str | None:
    """The mark of `key_path` inside one YAML file (used for Hydra's defaults list)."""
    root = _compose_or_none(path)
    index = SourceMap()
    if root is not None:
        index._index(root, (), display_path(path), with_defaults=True)
    return index._values.get(key_path)


def _compose_or_none(path: Path) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=_loader())
    except yaml.YAMLError:
        return None
