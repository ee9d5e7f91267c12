"""Check the plain config tree against the schema dataclasses and build them, in one walk.

Every problem is collected (unknown keys with the closest valid key, wrong types, values outside
a field's choices, missing required values) so that the user fixes them all in one go.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from enum import Enum
from typing import Any, Union

from omegaconf import MISSING

from release.config import schema
from release.config.diagnostics import config_error, did_you_mean
from release.config.plain import INVALID, MISSING_VALUE
from release.config.sources import KeyPath, SourceMap
from release.errors import ConfigError

_KIND = {str: "a string", int: "an integer", float: "a number", bool: "a boolean (true/false)"}


def decode(tree: dict[str, Any], sources: SourceMap | None = None,
           ) -> tuple[schema.ReleaseConfig | None, list[ConfigError]]:
    """The typed root config for `tree`, or None and every error found."""
    walker = _Decoder(sources)
    config = walker.value(schema.ReleaseConfig, tree, (), {})
    if walker.errors or config is INVALID:
        return None, walker.errors
    return config, []


def describe(value: Any) -> str:
    """A value as an error message shows it: its YAML kind and its text."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null" if value is None else repr(value)


def kind_name(cls: type) -> str:
    """`VariantConfig` -> `Variant`: the name of a schema section in messages."""
    return cls.__name__.removesuffix("Config")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class _Decoder:
    def __init__(self, sources: SourceMap | None) -> None:
        self.sources = sources
        self.errors: list[ConfigError] = []

    def fail(self, path: KeyPath, problem: str, *, at_key: bool = False,
             hint: str | None = None) -> Any:
        self.errors.append(config_error(self.sources, path, problem, at_key=at_key, hint=hint))
        return INVALID

    def value(self, tp: Any, value: Any, path: KeyPath, meta: typing.Mapping[str, Any]) -> Any:
        if value is INVALID:
            return INVALID
        if value is MISSING_VALUE:
            return self.fail(path, "missing required value")
        choices = meta.get(schema.CHOICES)
        if choices is not None and not any(value is c or (value == c and type(value) is type(c))
                                           for c in choices):
            return self._bad_choice(path, value, choices)
        origin = typing.get_origin(tp)
        if origin in (Union, types.UnionType):
            options = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if value is None:
                return None
            return self.value(options[0], value, path, {})
        if tp is Any:
            return value
        if dataclasses.is_dataclass(tp):
            return self.section(tp, value, path)
        if origin is list:
            return self._list(typing.get_args(tp)[0], value, path)
        if origin is dict:
            return self._dict(typing.get_args(tp)[1], value, path)
        if isinstance(tp, type) and issubclass(tp, Enum):
            return self._enum(tp, value, path)
        return self._scalar(tp, value, path)

    def section(self, cls: Any, value: Any, path: KeyPath) -> Any:
        if not isinstance(value, dict):
            return self.fail(path, f"expected a mapping ({kind_name(cls)}), got {describe(value)}")
        fields = {f.metadata.get(schema.YAML_KEY, f.name): f for f in dataclasses.fields(cls)
                  if not f.metadata.get(schema.INTERNAL)}
        kwargs: dict[str, Any] = {}
        for key, item in value.items():
            if key not in fields:
                self.fail((*path, key), f"unknown key in {kind_name(cls)}", at_key=True,
                          hint=did_you_mean(key, fields))
                continue
            spec = fields[key]
            kwargs[spec.name] = self.value(_hints(cls)[spec.name], item, (*path, key),
                                           spec.metadata)
        missing = [name for name, spec in fields.items()
                   if spec.name not in kwargs and spec.default is MISSING]
        for name in missing:
            self.fail((*path, name), "missing required value")
        if missing or any(v is INVALID for v in kwargs.values()):
            return INVALID
        return cls(**kwargs)

    def _list(self, item_tp: Any, value: Any, path: KeyPath) -> Any:
        if not isinstance(value, list):
            return self.fail(path, f"expected a list, got {describe(value)}")
        items = [self.value(item_tp, item, (*path, i), {}) for i, item in enumerate(value)]
        return INVALID if any(item is INVALID for item in items) else items

    def _dict(self, item_tp: Any, value: Any, path: KeyPath) -> Any:
        if not isinstance(value, dict):
            return self.fail(path, f"expected a mapping, got {describe(value)}")
        items = {str(k): self.value(item_tp, v, (*path, str(k)), {}) for k, v in value.items()}
        return INVALID if any(item is INVALID for item in items.values()) else items

    def _enum(self, tp: type[Enum], value: Any, path: KeyPath) -> Any:
        names = [member.value for member in tp]
        if isinstance(value, str) and value in names:
            return tp(value)
        return self._bad_choice(path, value, tuple(names))

    def _bad_choice(self, path: KeyPath, value: Any, choices: tuple[Any, ...]) -> Any:
        shown = ", ".join(_yaml_text(c) for c in choices if c is not None)
        hint = did_you_mean(value, [c for c in choices if isinstance(c, str)]) \
            if isinstance(value, str) else None
        return self.fail(path, f"expected one of {shown}, got {describe(value)}", hint=hint)

    def _scalar(self, tp: type, value: Any, path: KeyPath) -> Any:
        ok = (isinstance(value, tp) and not (tp is int and isinstance(value, bool))) or (
            tp is float and isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            return self.fail(path, f"expected {_KIND.get(tp, tp.__name__)}, got {describe(value)}")
        return value


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"'{value}'" if isinstance(value, str) else str(value)
