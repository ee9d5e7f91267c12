"""git check-ref-format rules and placeholder templates, table-driven."""

from __future__ import annotations

import pytest

from release.config.names import TemplateError, fill, git_ref_problem


@pytest.mark.parametrize("name", [
    "main", "v1.0", "sft_tulu3_8b_2024-01-15_seed42", "stage1-step1000-tokens4B",
    "release/2024-11", "a.b", "x@y",
])
def test_valid_ref_names(name: str) -> None:
    assert git_ref_problem(name) is None


@pytest.mark.parametrize("name, problem", [
    ("", "is empty"),
    ("@", "cannot be '@'"),
    ("a b", "contains ' ', which git does not allow in a ref name"),
    ("a~1", "contains '~', which git does not allow in a ref name"),
    ("a^", "contains '^', which git does not allow in a ref name"),
    ("a:b", "contains ':', which git does not allow in a ref name"),
    ("a?", "contains '?', which git does not allow in a ref name"),
    ("a*", "contains '*', which git does not allow in a ref name"),
    ("a[b", "contains '[', which git does not allow in a ref name"),
    ("a\\b", "contains '\\\\', which git does not allow in a ref name"),
    ("a\tb", "contains '\\t', which git does not allow in a ref name"),
    ("a..b", "contains '..'"),
    ("a@{1}", "contains '@{'"),
    ("/a", "cannot begin or end with '/'"),
    ("a/", "cannot begin or end with '/'"),
    ("a//b", "contains '//'"),
    ("a.", "cannot end with '.'"),
    (".a", "has a component beginning with '.' ('.a')"),
    ("x/.a", "has a component beginning with '.' ('.a')"),
    ("a.lock", "has a component ending with '.lock' ('a.lock')"),
    ("a.lock/b", "has a component ending with '.lock' ('a.lock')"),
])
def test_invalid_ref_names(name: str, problem: str) -> None:
    assert git_ref_problem(name) == problem


def test_fill_replaces_placeholders_and_keeps_escaped_braces() -> None:
    assert fill("{a}-{{b}}-{c}", {"a": "x", "c": True}) == "x-{b}-true"


@pytest.mark.parametrize("template, message", [
    ("{missing}", "unknown placeholder '{missing}' in '{missing}'"),
    ("{a.b}", "'{a.b}' in '{a.b}' is not a placeholder name"),
    ("a}", "unmatched '}' in 'a}' (write '}}' for a literal brace)"),
])
def test_fill_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        fill(template, {"a": "x"})
    assert str(info.value) == message
