"""Naming rules: `{placeholder}` templates, git ref names, and Hub repo ids.

Templates use `{name}` placeholders (and `{{`/`}}` for literal braces). Only plain names are
allowed: no attribute access or format specs, so a template says exactly what it produces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class TemplateError(ValueError):
    """A template that cannot be filled: an unknown placeholder or a stray brace."""

    def __init__(self, message: str, placeholder: str | None = None) -> None:
        super().__init__(message)
        self.placeholder = placeholder


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, str | int], ...]:
    """Sort key reading digit runs as numbers: `Demo-7B` before `Demo-70B`, `1B` before `10B`,
    `step-200` before `step-1000` (what a person expects in a list of sizes or steps)."""
    return tuple((1, int(part)) if part.isdigit() else (0, part)
                 for part in _DIGITS.split(text) if part)


def placeholder_text(value: Any) -> str:
    """How a value reads inside a name: YAML's spelling for booleans, str() otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def placeholders_in(template: str) -> list[str]:
    """The placeholder names a template uses, in order."""
    return [m.group(1) for m in _TOKEN.finditer(template) if m.group(1) is not None]


def fill(template: str, values: Mapping[str, Any]) -> str:
    """`template` with each `{name}` replaced; raises TemplateError naming what is wrong."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None:
            raise TemplateError(f"unmatched '{token}' in '{template}' (write '{token * 2}' "
                                "for a literal brace)")
        if not _NAME.match(name):
            raise TemplateError(f"'{{{name}}}' in '{template}' is not a placeholder name",
                                placeholder=name)
        if name not in values:
            raise TemplateError(f"unknown placeholder '{{{name}}}' in '{template}'",
                                placeholder=name)
        return placeholder_text(values[name])

    return _TOKEN.sub(replace, template)


def git_ref_problem(name: str) -> str | None:
    """Why `name` is not a valid branch or tag name (git check-ref-format), or None if it is."""
    if not name:
        return "is empty"
    if name == "@":
        return "cannot be '@'"
    bad_chars = sorted({c for c in name if ord(c) < 0x20 or c == "\x7f" or c in " ~^:?*[\\"})
    if bad_chars:
        shown = ", ".join(repr(c) for c in bad_chars)
        return f"contains {shown}, which git does not allow in a ref name"
    checks = [
        (".." in name, "contains '..'"),
        ("@{" in name, "contains '@{'"),
        (name.startswith("/") or name.endswith("/"), "cannot begin or end with '/'"),
        ("//" in name, "contains '//'"),
        (name.endswith("."), "cannot end with '.'"),
    ]
    for failed, why in checks:
        if failed:
            return why
    for component in name.split("/"):
        if component.startswith("."):
            return f"has a component beginning with '.' ('{component}')"
        if component.endswith(".lock"):
            return f"has a component ending with '.lock' ('{component}')"
    return None


def repo_id_problem(repo_id: str) -> str | None:
    """Why the Hub would reject `repo_id`, in huggingface_hub's own words, or None."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        return str(err)
    if "/" not in repo_id:
        return f"Repo id must be 'namespace/repo_name': '{repo_id}'."
    return None


def dataset_id_problem(dataset_id: str) -> str | None:
    """Why a card's `datasets` entry is not a Hub dataset id; a bare name ('squad') is one."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(dataset_id)
    except HFValidationError as err:  # its advice about `repo_type` is for Python callers
        return str(err).replace(" Use `repo_type` argument if needed.", "")
    return None
