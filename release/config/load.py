"""Load conf/ with Hydra's Compose API and check it: `load_config(conf_dir, overrides)`.

Hydra composes the defaults lists and config-group choices (`hub=huggingface`,
`families=[tulu3]`). Value overrides (`families.tulu3.defaults.visibility=public`) use Hydra's
override syntax but are applied here, after composition, because Hydra's key grammar cannot
address selector keys such as `8B-SFT` or `70B-*`, and because a key the schema knows must be
settable even when no YAML file mentions it. `+key=value` and `++key=value` are accepted and
mean the same: the schema, not the prefix, decides which keys exist.

Then the tree is checked against the schema and the naming rules; every error found is raised
at once as `ConfigErrors`, each with `file:line:col` (or the override) and the key path.
GlobalHydra is global state: it lives only inside the `with` in `_compose`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from release.config.decode import decode
from release.config.diagnostics import did_you_mean
from release.config.plain import to_plain
from release.config.rules import check_rules
from release.config.schema import ReleaseConfig, register_schema
from release.config.sources import KeyPath, SourceMap, display_path, yaml_location
from release.errors import ConfigError, ConfigErrors

PRIMARY = "config"
_OVERRIDE = re.compile(r"(?P<prefix>~|\+\+|\+)?(?P<key>[^=~+][^=]*?)(?:=(?P<value>.*))?\Z",
                       re.DOTALL)


@dataclass(frozen=True)
class ValueOverride:
    """`key=value` (or `~key`) on a config value, applied after composition."""

    text: str
    path: KeyPath
    value: Any = None
    delete: bool = False


def load_config(conf_dir: Path, overrides: Sequence[str] = (),
                find_runs: Callable[[ReleaseConfig], ReleaseConfig] | None = None,
                ) -> ReleaseConfig:
    """The typed, checked config under `conf_dir` with Hydra `overrides` applied.

    `find_runs` adds the runs found on disk (`runs.discover`, see `release.config.discover`)
    before the rules run, so a discovered run is checked like a declared one.

    Raises:
        ConfigErrors: every problem found, each naming its location and key path.
    """
    conf_dir = Path(conf_dir)
    if not (conf_dir / f"{PRIMARY}.yaml").is_file():
        raise ConfigError(f"no {PRIMARY}.yaml in '{display_path(conf_dir)}'",
                          hint="run from the project root, or pass --config-dir / set "
                               "RELEASE_CONFIG_DIR")
    _raise_if(_encoding_errors(conf_dir))
    register_schema()
    group_overrides, value_overrides, errors = _split_overrides(conf_dir, overrides)
    errors += _check_group_choices(conf_dir, group_overrides)
    _raise_if(errors)
    cfg, placements = _compose(conf_dir, group_overrides)
    sources = SourceMap()
    for file, package in placements:
        sources.add_yaml(file, package)
    errors += _check_family_packages(conf_dir, placements)
    errors += _apply_value_overrides(cfg, value_overrides, sources)
    tree, plain_errors = to_plain(cfg, sources)
    config, schema_errors = decode(tree, sources)
    _raise_if(errors + plain_errors + schema_errors)
    assert config is not None
    if find_runs is not None:
        config = find_runs(config)
    _raise_if(check_rules(config, sources))
    setattr(config, _SOURCES, sources)  # noqa: B010 - not a schema field: not in any digest
    return config


_SOURCES = "_release_sources"


def sources_of(config: ReleaseConfig) -> SourceMap | None:
    """Where each value of a config from `load_config` came from (None if built in code), so
    later stages (card templates, checkpoint folders) can name file:line too."""
    found = getattr(config, _SOURCES, None)
    return found if isinstance(found, SourceMap) else None


def _raise_if(errors: list[ConfigError]) -> None:
    if errors:
        raise ConfigErrors(errors)


# --------------------------------------------------------------------------------------------
# Overrides


def _split_overrides(conf_dir: Path, overrides: Sequence[str],
                     ) -> tuple[list[str], list[ValueOverride], list[ConfigError]]:
    """Config-group choices (for Hydra) and value overrides (for us), plus parse errors."""
    groups: list[str] = []
    values: list[ValueOverride] = []
    errors: list[ConfigError] = []
    for text in overrides:
        match = _OVERRIDE.match(text.strip())
        key = match.group("key").strip() if match else ""
        if match is None or not key:
            errors.append(ConfigError("cannot parse: expected key=value, +key=value or ~key",
                                      location=f"override '{text}'"))
            continue
        if "." not in key and (conf_dir / key).is_dir():
            groups.append(text)
            continue
        try:
            values.append(_parse_value_override(text, match))
        except ConfigError as err:
            errors.append(err)
    return groups, values, errors


def _parse_value_override(text: str, match: re.Match[str]) -> ValueOverride:
    path: KeyPath = tuple(match.group("key").strip().split("."))
    where = f"override '{text}'"
    if match.group("prefix") == "~":
        return ValueOverride(text, path, delete=True)
    if match.group("value") is None:
        raise ConfigError("missing '=value'", location=where)
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    raw = match.group("value")
    try:
        parsed = OverridesParser.create().parse_override(f"value={raw}")
    except HydraException as err:
        if raw.strip() and raw.strip()[0] not in "['\"":
            # Hydra's grammar has no room for `{placeholders}` in bare values; a naming
            # template is the common case, so a bare value it cannot parse is taken literally.
            return ValueOverride(text, path, value=raw)
        raise ConfigError(f"cannot parse the value: {str(err).splitlines()[0]}",
                          location=where) from None
    if parsed.is_sweep_override():
        raise ConfigError("sweeps (a,b or range()) are not supported: choose one value",
                          location=where)
    return ValueOverride(text, path, value=parsed.value())


def _apply_value_overrides(cfg: DictConfig, overrides: list[ValueOverride],
                           sources: SourceMap) -> list[ConfigError]:
    errors: list[ConfigError] = []
    OmegaConf.set_struct(cfg, False)
    for override in overrides:
        dotted = ".".join(str(segment) for segment in override.path)
        if override.delete:
            parent = OmegaConf.select(cfg, dotted.rsplit(".", 1)[0]) if len(
                override.path) > 1 else cfg
            if not isinstance(parent, DictConfig) or override.path[-1] not in parent:
                errors.append(ConfigError(f"{dotted}: nothing to delete",
                                          location=f"override '{override.text}'"))
                continue
            del parent[override.path[-1]]
        else:
            OmegaConf.update(cfg, dotted, override.value, merge=True, force_add=True)
        sources.add_override(override.path, override.text, override.value)
    return errors


# --------------------------------------------------------------------------------------------
# Config groups


def _group_options(conf_dir: Path, group: str) -> list[str]:
    return sorted(path.stem for path in (conf_dir / group).glob("*.yaml"))


def _check_group_choices(conf_dir: Path, group_overrides: list[str]) -> list[ConfigError]:
    """Unknown options in group overrides or in config.yaml's defaults list, with locations."""
    errors: list[ConfigError] = []
    overridden: set[str] = set()
    for text in group_overrides:
        match = _OVERRIDE.match(text.strip())
        assert match is not None
        group = match.group("key").strip()
        overridden.add(group)
        if match.group("value") is None:
            continue
        value = match.group("value").strip()
        if value.startswith("[") != value.endswith("]"):
            errors.append(ConfigError(
                f"{group}: unbalanced brackets in '{value}'", location=f"override '{text}'",
                key=group, hint=f"write a list as {group}=[a,b], quoted in a shell: "
                f"'{group}=[a,b]'"))
            continue
        for option in _options_in(value):
            errors += _check_option(conf_dir, group, option, f"override '{text}'")
    primary = conf_dir / f"{PRIMARY}.yaml"
    for index, group, options in _primary_defaults(primary):
        if group in overridden:
            continue
        for position, option in enumerate(options):
            key_path: KeyPath = ("defaults", index, group)
            if len(options) > 1 or _is_list(primary, key_path):
                key_path = (*key_path, position)
            errors += _check_option(conf_dir, group, option,
                                    yaml_location(primary, key_path) or display_path(primary))
    return errors


def _check_option(conf_dir: Path, group: str, option: str, where: str) -> list[ConfigError]:
    options = _group_options(conf_dir, group)
    if option in options or option in ("null", ""):
        return []
    return [ConfigError(f"{group}: unknown option '{option}' for config group '{group}'; "
                        f"options: {', '.join(options)}", location=where, key=group,
                        hint=did_you_mean(option, options))]


def _options_in(value: str) -> list[str]:
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]


def _primary_defaults(primary: Path) -> list[tuple[int, str, list[str]]]:
    """(index, group, options) of each group entry of the primary config's defaults list."""
    try:
        document = yaml.safe_load(primary.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return []
    entries = document.get("defaults", []) if isinstance(document, dict) else []
    found = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        (raw_group, options), = entry.items()
        group = str(raw_group).split("@")[0].replace("override ", "").replace("optional ", "")
        values = options if isinstance(options, list) else [options]
        if group.startswith("hydra/") or None in values:
            continue
        found.append((index, group.strip(), [str(value) for value in values]))
    return found


def _is_list(primary: Path, key_path: KeyPath) -> bool:
    return yaml_location(primary, (*key_path, 0)) is not None


# --------------------------------------------------------------------------------------------
# Composition


def _compose(conf_dir: Path, group_overrides: list[str],
             ) -> tuple[DictConfig, list[tuple[Path, KeyPath]]]:
    """Hydra's composition, and (file, package) of every YAML file it merged, in order."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from hydra.types import RunMode

    try:
        with initialize_config_dir(config_dir=str(conf_dir.resolve()), version_base=None,
                                   job_name="release"):
            loader = GlobalHydra.instance().config_loader()
            _share_loaded_files(loader)
            # The defaults list first: it only reads the files, which compose then merges.
            defaults = loader.compute_defaults_list(PRIMARY, list(group_overrides), RunMode.RUN)
            cfg = compose(PRIMARY, overrides=list(group_overrides))
    except (HydraException, yaml.YAMLError) as err:
        raise ConfigErrors(_syntax_errors(conf_dir) or [
            ConfigError(_hydra_message(err), location=display_path(conf_dir))]) from None
    placements = []
    for default in defaults.defaults:
        path = conf_dir / f"{default.config_path}.yaml"
        if default.config_path and not default.config_path.startswith("hydra/") \
                and path.is_file():
            placements.append((path, _package_path(default.package or "")))
    return cfg, placements


def _share_loaded_files(loader: Any) -> None:
    """One parse of each YAML file for both of Hydra's passes (the defaults list, then compose).

    Each pass wraps the loader's repository in a fresh `CachingConfigRepository`, which
    deep-copies what it wraps, cache included: so each pass parsed every file again (a family
    of a thousand variants costs OmegaConf seconds). Here the loader's repository is a caching
    one that both passes share instead of copying. Hydra reads a cached file twice within one
    pass already; sharing adds a read-only pass before compose merges the files. The loader
    lives inside `initialize_config_dir` only.
    """
    from hydra._internal.config_repository import CachingConfigRepository

    class SharedCache(CachingConfigRepository):
        def __deepcopy__(self, memo: dict[int, Any]) -> SharedCache:
            return self

    loader.repository = SharedCache(loader.repository)


def _package_path(package: str) -> KeyPath:
    return tuple(part for part in package.split(".") if part and part != "_global_")


def _hydra_message(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _syntax_errors(conf_dir: Path) -> list[ConfigError]:
    """What makes Hydra refuse a file under conf/, with PyYAML's own marks: YAML syntax errors,
    duplicate keys, and a file that is not a mapping (Hydra merges mappings only)."""
    errors = []
    for path in sorted(conf_dir.rglob("*.yaml")):
        shown = display_path(path)
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            where = shown + (f":{mark.line + 1}:{mark.column + 1}" if mark else "")
            errors.append(ConfigError(f"YAML syntax error: {err.problem}", location=where))
            continue
        if root is not None and not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            errors.append(ConfigError(
                f"the file holds {kind}; a config file is a mapping of keys", location=_at(
                    shown, root), hint=f"e.g. '{path.stem}:' as the top-level key of a family "
                "file" if path.parent.name == "families" else None))
            continue
        errors += _duplicate_keys(root, shown)
    return errors


def _at(shown: str, node: yaml.Node) -> str:
    return f"{shown}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _duplicate_keys(node: yaml.Node | None, shown: str) -> list[ConfigError]:
    """Keys written twice in one mapping (YAML forbids it; PyYAML would keep the last one)."""
    errors = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in first:
                errors.append(ConfigError(
                    f"duplicate key '{name}' (first written at line "
                    f"{first[name].start_mark.line + 1})", location=_at(shown, key),
                    hint="keep one of them"))
            first.setdefault(name, key)
            errors += _duplicate_keys(value, shown)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            errors += _duplicate_keys(item, shown)
    return errors


def _encoding_errors(conf_dir: Path) -> list[ConfigError]:
    """Files under conf/ that are not UTF-8 (e.g. saved as cp1252), at the first bad byte."""
    errors = []
    for path in sorted(conf_dir.rglob("*.yaml")):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
            errors.append(ConfigError(
                f"not UTF-8 text (byte 0x{data[err.start]:02x})",
                location=f"{display_path(path)}:{line}:{column}",
                hint="save the file as UTF-8: in your editor, or with "
                "'iconv -f cp1252 -t utf-8'"))
    return errors


def _check_family_packages(conf_dir: Path, placements: list[tuple[Path, KeyPath]],
                           ) -> list[ConfigError]:
    """families/<name>.yaml must define the family <name> and nothing else.

    Otherwise a copied file still saying `tulu3:` would silently merge into tulu3.
    """
    errors = []
    for path, package in placements:
        if path.parent != conf_dir / "families" or package != ("families",):
            continue
        try:  # libyaml: a family file of a thousand variants, read for its top-level keys
            document = yaml.load(path.read_text(encoding="utf-8"),  # a safe loader
                                 Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            continue
        keys = [str(key) for key in document] if isinstance(document, dict) else []
        if keys != [path.stem]:
            shown = ", ".join(f"'{key}'" for key in keys) or "nothing"
            errors.append(ConfigError(
                f"families.{path.stem}: a family file defines the family it is named after, "
                f"as a single top-level key '{path.stem}:' (found {shown})",
                location=f"{display_path(path)}:1:1", key=f"families.{path.stem}"))
    return errors
