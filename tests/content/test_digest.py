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


def test_a_part_given_as_canonical_json_gives_the_digest_of_the_whole() -> None:
    # The expansion keeps the canonical JSON of each variant's settings and splices it in.
    from release.desired import canonical_json

    settings = After(license="Über-1.0", structure="fail")
    whole = {"zeta": [1, "ü"], "settings": settings, "alpha": {"b": None, "a": True},
             "upstream": None}
    rest = {key: value for key, value in whole.items() if key != "settings"}
    assert digest(rest, known={"settings": canonical_json(settings)}) == digest(whole)
    assert digest(rest, known={"settings": canonical_json(Before())}) != digest(whole)
