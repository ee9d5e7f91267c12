"""Model cards: a Jinja2 body under templates/ plus front matter validated by `ModelCardData`.

The output is byte-stable (same inputs, same bytes), because the planner compares cards by git
blob sha1: a card that changed by a byte would be a commit on every plan. The text has the shape
huggingface_hub's `ModelCard` reads and writes: `---\\n<yaml>\\n---\\n<body>`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from release.config.diagnostics import did_you_mean
from release.config.sources import display_path
from release.errors import ConfigError
from release.state import PROVENANCE_KEY, card_content_digest, split_card

DEFAULT_TEMPLATE = "model_card.md.j2"


def render_card(template: str, context: Mapping[str, Any], metadata: Mapping[str, Any], *,
                templates_dir: Path) -> str:
    """The full README.md: front matter from `metadata`, body from `template` with `context`."""
    return assemble_card(metadata, render_body(template, context, templates_dir=templates_dir))


def render_body(template: str, context: Mapping[str, Any], *, templates_dir: Path) -> str:
    """The Markdown body; an undefined variable is a ConfigError naming template and line."""
    return CardMaker(templates_dir).body(template, context)


class CardMaker:
    """The cards of one expansion: each template compiled once and rendered for every variant,
    each distinct front matter checked by `ModelCardData` once (an expansion renders a card
    per repo: thousands, mostly sharing one template and one front matter).

    Made per expansion, not kept across them: a template edited between two expansions in one
    process (a test, `release apply` after its plan) is read again.
    """

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self._resolved: Path | None = None
        self._templates: dict[str, Any] = {}
        self._fronts: dict[str, dict[str, Any]] = {}

    def body(self, template: str, context: Mapping[str, Any]) -> str:
        """The Markdown body; an undefined variable is a ConfigError naming template and line."""
        import jinja2

        if self._resolved is None:
            self._resolved = self.templates_dir.resolve()
        templates_dir = self.templates_dir
        try:
            compiled = self._templates.get(template)
            if compiled is None:
                compiled = _environment(self._resolved).get_template(template)
                self._templates[template] = compiled
            body: str = compiled.render(**context)
        except jinja2.TemplateNotFound:
            names = _environment(self._resolved).list_templates()
            raise ConfigError(f"card template '{template}' not found in "
                              f"'{display_path(templates_dir)}'",
                              hint=did_you_mean(template, names)) from None
        except jinja2.TemplateSyntaxError as err:
            message = err.message or ""
            where = f"{_shown(templates_dir, template)}:{err.lineno}"
            offset = re.search(r" at (\d+)$", message)  # the lexer's offset in the whole file
            if offset is not None and err.source is not None:
                start = int(offset.group(1))
                row = err.source.count("\n", 0, start) + 1
                column = start - (err.source.rfind("\n", 0, start) + 1) + 1
                message = message[:offset.start()]
                where = f"{_shown(templates_dir, template)}:{row}:{column}"
            raise ConfigError(f"card template syntax error: {message}", location=where) from None
        except UnicodeDecodeError as err:
            raise ConfigError(f"card template '{template}' is not UTF-8 text (byte "
                              f"0x{err.object[err.start]:02x} at offset {err.start})",
                              location=_shown(templates_dir, template),
                              hint="save it as UTF-8") from None
        except jinja2.UndefinedError as err:
            line = _template_line(err.__traceback__, self._resolved / template)
            where = _shown(templates_dir, template) + (f":{line}" if line else "")
            raise ConfigError(f"card template '{template}': {err.message}", location=where,
                              hint="set it in card: or vars:, or guard it with {% if ... %}"
                              ) from None
        return body.lstrip("\n")

    def front_matter(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """`front_matter(metadata)`, computed once per distinct metadata (repr tells types
        apart: a date and its string are different keys). Shared: callers must not mutate it."""
        key = repr(list(metadata.items()))
        found = self._fronts.get(key)
        if found is None:
            found = self._fronts[key] = front_matter(metadata)
        return found

    def assemble(self, metadata: Mapping[str, Any], body: str,
                 provenance: Mapping[str, Any]) -> str:
        """`assemble_card({**metadata, PROVENANCE_KEY: provenance}, body)`.

        ModelCardData keeps a key it does not know as given, after its own fields, so the
        provenance block is added to the checked front matter rather than checked again with
        it; unless the metadata holds what ModelCardData rewrites or reorders (model-index, or
        a provenance key of its own): then the whole is checked, as assemble_card does.
        """
        front = self.front_matter(metadata)
        if PROVENANCE_KEY in metadata or "model-index" in front:
            front = front_matter({**metadata, PROVENANCE_KEY: provenance})
        else:
            front = {**front, PROVENANCE_KEY: provenance}
        return f"---\n{_dump_yaml(front)}\n---\n\n{body}"


def front_matter(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The card's front matter as huggingface_hub writes it: checked and normalised by
    `ModelCardData` (unset fields dropped)."""
    from huggingface_hub import ModelCardData

    try:
        return ModelCardData(**dict(metadata)).to_dict()
    except (TypeError, ValueError) as err:
        raise ConfigError(f"card metadata rejected by huggingface_hub: {err}") from None


def assemble_card(metadata: Mapping[str, Any], body: str) -> str:
    """`---\\n<front matter>\\n---\\n\\n<body>`, the front matter checked by ModelCardData."""
    return f"---\n{_dump_yaml(front_matter(metadata))}\n---\n\n{body}"


def content_digest(metadata: Mapping[str, Any], body: str) -> str:
    """`state.card_digest(assemble_card(metadata, body))`, without dumping and re-parsing YAML.

    The body is preceded by the blank line `assemble_card` puts after the front matter, which
    `split_card` leaves in the body it returns.
    """
    return card_content_digest(front_matter(metadata), "\n" + body)


@functools.lru_cache(maxsize=4096)
def validation_key(card_text: str) -> str:
    """What the Hub's metadata check of a README depends on, as a short key: README texts with
    one key get one verdict, so `release apply` asks the Hub about one of them
    (`workflow.refuse_invalid_cards`, `release.hub.hfapi`).

    `POST /api/validate-yaml` carries the README text and the repo type, nothing else (no repo
    id; huggingface_hub's `_validate_yaml`), and the Hub validates only the front matter, never
    the body, so the body is left out (the caller adds the repo type to the key). So is
    release's provenance block (`PROVENANCE_KEY`, `Provenance.to_metadata`, `declared_settings`):
    release alone writes it, in the same shape on every card (names and digests as strings,
    `gated` as false or a string, lists and mappings of strings), under a key no Hub field
    schema covers, so the Hub's verdict on it in one card is its verdict in every card. The Hub
    checks the fields users write (license, tags, base_model, ...), and everything a user
    writes in `card.metadata` is in the key: values with their types (`repr`: `1`, `1.0`,
    `true` and `"1"` differ), keys in their order.

    Values are compared as parsed (`split_card`), but the Hub reads the text: the key is
    `meta:` only for a front matter exactly as release writes it (`assemble_card`, and
    `desired.verbatim_card` for `card.file`: the YAML dump of its parsed values), where equal
    values are equal YAML text. Any other README (no
    front matter, YAML that does not parse, duplicate keys, quoting release would not write)
    is keyed by its whole text (`text:`), so it goes to the Hub on its own.
    """
    try:
        metadata, body = split_card(card_text)
        exact = (len(body) < len(card_text)  # there is a front matter, and it is a mapping
                 and card_text.startswith(f"---\n{_dump_yaml(metadata)}\n---\n"))
    except Exception:  # noqa: BLE001 - unreadable here: the Hub judges the text on its own
        exact = False
    if not exact:
        return "text:" + hashlib.sha256(card_text.encode("utf-8")).hexdigest()
    user = {key: value for key, value in metadata.items() if key != PROVENANCE_KEY}
    return "meta:" + hashlib.sha256(repr(user).encode("utf-8")).hexdigest()


def _dump_yaml(metadata: Mapping[str, Any]) -> str:
    """What `ModelCardData.to_yaml()` writes (yaml.dump, insertion order, unicode kept), through
    libyaml when available: cards are rendered for every repo on every plan.

    Plain data (str keys; str, bool, int, None, dicts and lists, no object twice) is turned
    into PyYAML's nodes here, as its representer would, and only serialized by PyYAML: the
    representer, pure Python, was most of the cost of a card. Anything else goes through
    `yaml.dump` itself (tests/config/test_card_front_matter.py holds the two to each other).
    """
    import yaml

    dumper = getattr(yaml, "CDumper", yaml.Dumper)
    data = dict(metadata)
    node = _plain_node(data, set())
    if node is None:
        return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True).strip()
    text: str = yaml.serialize(node, Dumper=dumper, allow_unicode=True)
    return text.strip()


_TAG = "tag:yaml.org,2002:"


def _plain_node(value: Any, seen: set[int]) -> Any:
    """The node PyYAML's representer makes of `value` (block style, as yaml.dump's default),
    or None where it would do more: other types, or an object met twice (an anchor)."""
    kind = type(value)
    if kind is str:
        return ScalarNode(_TAG + "str", value)
    if kind is bool:
        return ScalarNode(_TAG + "bool", "true" if value else "false")
    if kind is int:
        return ScalarNode(_TAG + "int", str(value))
    if value is None:
        return ScalarNode(_TAG + "null", "null")
    if kind is not dict and kind is not list or id(value) in seen:
        return None
    seen.add(id(value))
    if kind is list:
        items = [_plain_node(item, seen) for item in value]
        if any(item is None for item in items):
            return None
        return SequenceNode(_TAG + "seq", items, flow_style=False)
    pairs = []
    for key, item in value.items():
        if type(key) is not str:
            return None
        node = _plain_node(item, seen)
        if node is None:
            return None
        pairs.append((ScalarNode(_TAG + "str", key), node))
    return MappingNode(_TAG + "map", pairs, flow_style=False)


@functools.lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML
    )


def _shown(templates_dir: Path, template: str) -> str:
    return display_path(templates_dir / template)


def _template_line(tb: TracebackType | None, template_path: Path) -> int | None:
    """The template line Jinja's rewritten traceback points at (the last frame in the file)."""
    line = None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == template_path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
