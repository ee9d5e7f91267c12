"""What the Hub would reject mid-apply (card metadata, collection limits) is refused at validate,
with file:line, before any request: `apply` against a hub sends nothing."""

from __future__ import annotations

import pytest
from errorkit import FAMILY, Newcomer

from release.localhub import LocalHub

CASES = [
    # (text replaced in the family file, replacement, expected message)
    ("license: apache-2.0", "license: apache2",
     "conf/families/demo.yaml:10:27: families.demo.defaults.card.metadata.license: 'apache2' "
     "is not a Hub license id (see https://huggingface.co/docs/hub/repositories-licenses); for "
     "another license use license: other with license_name and license_link (did you mean "
     "'apache-2.0'?)"),
    ("license: apache-2.0", "license: other",
     "conf/families/demo.yaml:10:27: families.demo.defaults.card.metadata.license: license: "
     "other needs license_name (and license_link) naming the license (or use a Hub license id)"),
    ("license: apache-2.0", "license: apache-2.0, language: [english]",
     "conf/families/demo.yaml:10:50: families.demo.defaults.card.metadata.language[0]: "
     "'english' is not an ISO 639 language code (2 or 3 letters, e.g. 'en', 'fr', 'yue'), "
     "which the Hub requires"),
    ("license: apache-2.0", "license: apache-2.0, pipeline_tag: text-generator",
     "conf/families/demo.yaml:10:53: families.demo.defaults.card.metadata.pipeline_tag: "
     "'text-generator' is not one of the Hub's tasks (e.g. 'text-generation') (did you mean "
     "'text-generation'?)"),
    ("license: apache-2.0", "license: apache-2.0, datasets: [./data/sft.jsonl]",
     "conf/families/demo.yaml:10:50: families.demo.defaults.card.metadata.datasets[0]: "
     "'./data/sft.jsonl' is not a Hub dataset id: Repo id must be in the form 'repo_name' or "
     "'namespace/repo_name': './data/sft.jsonl'. (name the dataset's repo on the Hub, e.g. "
     "'allenai/tulu-3-sft-mixture', not a local path)"),
    ("license: apache-2.0", "license: apache-2.0, base_model: '/ckpt/llama-{size}'",
     "conf/families/demo.yaml:10:51: families.demo.defaults.card.metadata.base_model: "
     "'/ckpt/llama-1B' is not a Hub repo id: "),
    ("title: Demo models", "title: " + "A very long title " * 5,
     "conf/families/demo.yaml:12:12: families.demo.collection.title: is 89 characters; the "
     "Hub allows at most 60"),
]


@pytest.mark.parametrize(("old", "new", "message"), CASES)
def test_card_metadata_and_collection_limits_the_hub_rejects(
        release, newcomer: Newcomer, open_hub: LocalHub, old: str, new: str,
        message: str) -> None:  # type: ignore[no-untyped-def]
    assert old in FAMILY
    newcomer.write("conf/families/demo.yaml", FAMILY.replace(old, new))
    release("validate").check(f"Error: {message}")
    release("apply", "--auto-approve", f"hub.endpoint={open_hub.endpoint}").check(
        f"Error: {message}", hub=open_hub)
    assert open_hub.stats()["total"] == 0


def test_valid_metadata_passes(release, newcomer: Newcomer) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/families/demo.yaml", FAMILY.replace(
        "license: apache-2.0", "license: llama3.1, language: [en, zh-Hant, yue, multilingual], "
        "pipeline_tag: text-generation, datasets: [squad, allenai/tulu-3-sft-mixture]"))
    result = release("validate")
    assert result.code == 0, result.err
