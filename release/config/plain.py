"""The composed OmegaConf tree as plain Python values, with interpolations resolved one by one.

Resolving leaf by leaf (instead of `OmegaConf.to_container(resolve=True)`) lets every bad
interpolation be reported, not just the first. Resolvers whose result changes from run to run
(`${now:...}`, Hydra's runtime) are refused: a plan computed twice from the same config must be
the same plan, or it never converges.
"""

from __future__ import annotations

import re
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from release.config.diagnostics import config_error
from release.config.sources import KeyPath, SourceMap
from release.errors import ConfigError


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: A mandatory value left as `???`.
MISSING_VALUE: Any = _Marker("MISSING_VALUE")
#: A value already reported as an error; the schema check skips it.
INVALID: Any = _Marker("INVALID")

NONDETERMINISTIC_RESOLVERS = {
    "now": "reads the clock",
    "hydra": "reads Hydra's per-run state",
}
_RESOLVER = re.compile(r"\$\{\s*([A-Za-z_][\w.]*)\s*:")


def to_plain(cfg: DictConfig, sources: SourceMap) -> tuple[dict[str, Any], list[ConfigError]]:
    """Plain dicts/lists/scalars for `cfg`, and the errors met while resolving it."""
    errors: list[ConfigError] = []
    tree = _convert(cfg, (), sources, errors)
    return tree, errors


def _convert(node: Any, path: KeyPath, sources: SourceMap, errors: list[ConfigError]) -> Any:
    if isinstance(node, DictConfig):
        return {str(key): _child(node, key, (*path, str(key)), sources, errors)
                for key in node.keys()}
    if isinstance(node, ListConfig):
        return [_child(node, index, (*path, index), sources, errors)
                for index in range(len(node))]
    return node


def _child(parent: DictConfig | ListConfig, key: Any, path: KeyPath, sources: SourceMap,
           errors: list[ConfigError]) -> Any:
    if OmegaConf.is_missing(parent, key):
        return MISSING_VALUE
    if OmegaConf.is_interpolation(parent, key):
        text = str(parent._get_node(key)._value())  # the raw `${...}` text
        for name in _RESOLVER.findall(text):
            why = NONDETERMINISTIC_RESOLVERS.get(name)
            if why is not None:
                errors.append(config_error(
                    sources, path,
                    f"'{text}' is not deterministic: '{name}' {why}, so no two plans would agree",
                    hint="write the value out"))
                return INVALID
        try:
            value = parent[key]
        except Exception as err:  # any resolver failure is the user's to fix
            first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
            errors.append(config_error(sources, path, f"cannot resolve '{text}': {first_line}"))
            return INVALID
        return _convert(value, path, sources, errors)
    return _convert(parent[key], path, sources, errors)
