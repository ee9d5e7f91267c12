"""The per-variant config digest that status compares must survive additive schema changes."""

from __future__ import annotations

from dataclasses import dataclass

from release.desired import digest


@dataclass
class Before:
    license: str | None = None


@dataclass
class After:  # the same section once a release adds an optional field
    license: str | None = None
    structure: str | None = None


def test_a_new_unset_optional_field_keeps_the_digest() -> None:
    assert digest(Before(license="mit")) == digest(After(license="mit"))


def test_setting_the_new_field_changes_the_digest() -> None:
    assert digest(After(license="mit", structure="fail")) != digest(Before(license="mit"))
