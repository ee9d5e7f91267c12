"""The card front matter's YAML: the fast path writes what `yaml.dump` writes, byte for byte.

Cards are compared by hash on every plan, so a byte of difference would be a commit on every
repo. `cards._dump_yaml` builds PyYAML's nodes itself for plain data (a thousand cards per
plan) and leaves anything else to PyYAML's representer; both must agree.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml

from release.cards import CardMaker, _dump_yaml, _plain_node, assemble_card, front_matter

SHARED = ["a", "b"]

PLAIN: list[dict[str, Any]] = [
    {},
    {"license": "apache-2.0", "library_name": "transformers", "tags": ["benchmark", "llm"]},
    {"variant": "0000", "size": "8B", "version": "1.0", "yes": "yes", "null": "null",
     "empty": "", "space": " leading", "colon": "a: b", "hash": "a #b", "star": "*x",
     "quote": "it's", "dq": 'say "hi"', "bang": "!tag", "percent": "%x", "dash": "- x"},
    {"multiline": "line one\nline two\n", "tab": "a\tb", "unicode": "Über · 模型 🤗",
     "long": "word " * 40, "ctrl": "bell\x07", "crlf": "a\r\nb"},
    {"flag": True, "off": False, "count": 3, "negative": -7, "none": None},
    {"nested": {"declared": {"visibility": "public", "gated": False, "tags": {"v1.0": "main"},
                             "branches": ["main", "run-seed1"], "collections": []},
                "empty": {}}},
    {"list_of_maps": [{"name": "a", "value": 1}, {"name": "b", "items": [1, [2, 3]]}]},
]
# Beyond the fast path: PyYAML's representer decides (anchors, floats, dates, tuples, ...).
OTHER: list[dict[str, Any]] = [
    {"one": SHARED, "two": SHARED},
    {"score": 0.5, "inf": float("inf")},
    {"date": datetime.date(2024, 11, 21)},
    {"pair": ("a", "b")},
    {1: "int key", "k": "v"},
    {"nested": {"deep": [{"when": datetime.date(2024, 1, 1)}]}},
]


CASES = [(data, True) for data in PLAIN] + [(data, False) for data in OTHER]


@pytest.mark.parametrize(("data", "plain"), CASES, ids=range(len(CASES)))
def test_the_front_matter_yaml_is_what_yaml_dump_writes(data: dict[str, Any], plain: bool) -> None:
    assert (_plain_node(data, set()) is not None) is plain  # which path this case takes
    expected = yaml.dump(data, Dumper=yaml.CDumper, sort_keys=False, allow_unicode=True)
    assert _dump_yaml(data) == expected.strip()


def test_a_card_maker_card_is_assemble_card_byte_for_byte() -> None:
    maker = CardMaker(templates_dir=__import__("pathlib").Path("templates"))
    metadata = {"license": "apache-2.0", "tags": ["a", "a", "b"], "base_model": "org/base",
                "extra_gated_fields": {"Company": "text", "I agree": "checkbox"}}
    provenance = {"managed_by": "release", "family": "f", "variant": "0000",
                  "declared": {"visibility": "private", "gated": "auto", "branches": ["main"]}}
    for _ in range(2):  # the second from the cached front matter
        assert maker.assemble(metadata, "# Body\n", provenance) == assemble_card(
            {**metadata, "release": provenance}, "# Body\n")
    assert maker.front_matter(metadata) == front_matter(metadata)
