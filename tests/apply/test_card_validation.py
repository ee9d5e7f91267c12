"""Apply asks the Hub to validate card metadata once per group of cards with one verdict, not
once per card (issue 12): the group is `cards.validation_key` (the user's front-matter metadata,
not the body nor release's provenance block). Counted on the local hub's request counter."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from applykit import Demo, use_family, write_checkpoint

from release.apply import ApplyEvents
from release.cards import assemble_card, validation_key
from release.errors import ReleaseError
from release.plan.changes import UpdateCard
from release.state import PROVENANCE_KEY, Provenance

SIZES = ("1B", "2B", "3B", "7B")
GRID = """\
demo:
  namespace: acme
  repo_name: "Grid-{{size}}"
  matrix:
    size: [{sizes}]
  defaults:
    visibility: private
    card:
      summary: Four repos, one card metadata.
      intended_use: Tests of release apply.
      metadata: {{license: apache-2.0, library_name: transformers, tags: [grid]}}
    artifacts:
      folder: "checkpoints/main-{{size_lower}}"
      include: ["*.json", "*.safetensors"]
{variants}  upstream: {{repo: "https://github.com/acme/train", commit: abc1234}}
"""


def use_grid(demo: Demo, variants: str = "") -> None:
    """Family `Grid-{1B,2B,3B,7B}` with one card.metadata, unless `variants` overrides it."""
    for seed, size in enumerate(SIZES):
        write_checkpoint(demo.root / "checkpoints" / f"main-{size.lower()}", 10 + seed)
    use_family(demo.root, GRID.format(sizes=", ".join(SIZES), variants=variants))


def validations(demo: Demo) -> int:
    count: int = demo.hub.stats()["by_endpoint"].get("validate_yaml", 0)
    return count


class FirstRepo(ApplyEvents):
    """The validate-yaml count when the first repo starts: after the up-front check, before
    any of the apply's own requests."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.before_writes: int | None = None

    def repo_started(self, repo_id: str, changes: int, upload_bytes: int) -> None:
        if self.before_writes is None:
            self.before_writes = validations(self.demo)


def cards_of(plan: Any) -> list[UpdateCard]:
    return [c for c in plan.changes if isinstance(c, UpdateCard)]


def refusing(plan: Any, repo_ids: set[str]) -> Any:
    """`plan` with the cards of `repo_ids` carrying a license the Hub refuses (a Hub list newer
    than release's: `release validate` cannot catch it)."""
    def spoiled(change: Any) -> Any:
        if not isinstance(change, UpdateCard) or change.repo_id not in repo_ids:
            return change
        text = change.new_text.replace("license: apache-2.0", "license: apache-2", 1)
        assert text != change.new_text
        return dataclasses.replace(change, new_text=text)
    return dataclasses.replace(plan, changes=[spoiled(c) for c in plan.changes])


def test_cards_sharing_their_metadata_cost_one_validation_and_none_per_commit(
        demo: Demo) -> None:
    use_grid(demo)
    desired, plan = demo.plan()
    cards = cards_of(plan)
    assert len(cards) == len(SIZES)
    # The provenance blocks differ (variant, declared settings, digests), the bodies too.
    assert len({c.new_text for c in cards}) == len(SIZES)
    demo.hub.reset_stats()
    events = FirstRepo(demo)
    result = demo.apply(plan, desired, events=events)
    assert result.status == "complete", result.to_json()
    assert events.before_writes == 1  # the up-front check: one request for the four cards
    assert validations(demo) == 1  # no commit asked again
    for card in cards:
        assert demo.api.hf_hub_download(card.repo_id, "README.md") is not None


def test_cards_whose_user_metadata_differs_are_validated_apart(demo: Demo) -> None:
    use_grid(demo, variants='  variants:\n    "7B":\n      card: {metadata: {license: mit}}\n')
    desired, plan = demo.plan()
    texts = {c.repo_id: c.new_text for c in cards_of(plan)}
    assert "license: mit" in texts["acme/Grid-7B"]
    assert "license: apache-2.0" in texts["acme/Grid-1B"]
    demo.hub.reset_stats()
    events = FirstRepo(demo)
    result = demo.apply(plan, desired, events=events)
    assert result.status == "complete", result.to_json()
    assert events.before_writes == 2
    assert validations(demo) == 2


def test_a_refused_group_names_each_of_its_cards_and_nothing_is_written(demo: Demo) -> None:
    use_grid(demo)
    desired, plan = demo.plan()
    spoiled = {"acme/Grid-1B", "acme/Grid-3B", "acme/Grid-7B"}
    demo.hub.reset_stats()
    with pytest.raises(ReleaseError) as err:
        demo.apply(refusing(plan, spoiled), desired)
    message = str(err.value)
    assert "nothing was written" in message
    named = {line.split(":", 2)[1] for line in message.splitlines()
             if line.startswith("  - card:")}
    assert named == spoiled  # all three, and not the one whose group the Hub accepted
    for repo_id in spoiled:
        assert f"card:{repo_id}: card.metadata.license: must be one of [" in message
    stats = demo.hub.stats()
    assert stats["by_endpoint"]["validate_yaml"] == 2  # the refused group, the accepted one
    assert stats["writes"] == 0
    assert list(demo.api.list_models(author="acme")) == []


def test_a_refusal_of_the_groups_card_stops_the_cli_apply_with_exit_1(demo: Demo,
                                                                       capsys: Any) -> None:
    """The demo's two cards share their metadata: the one request the Hub refuses (a 400 from
    validate-yaml, injected) refuses both, and `release apply` exits 1 before any write."""
    demo.hub.set_faults([{"endpoint": "validate_yaml", "kind": "refuse", "status": 400,
                          "message": "Invalid metadata in README.md"}])
    demo.hub.reset_stats()
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 1, run.err
    assert "the Hub refuses the metadata of these cards; nothing was written" in run.err
    assert "card:acme/Demo-1B:" in run.err and "card:acme/Demo-7B:" in run.err
    stats = demo.hub.stats()
    assert stats["by_endpoint"]["validate_yaml"] == 1
    assert stats["writes"] == 0


# -- the key itself ---------------------------------------------------------------------------

USER = {"license": "apache-2.0", "library_name": "transformers", "tags": ["grid"]}


def card(user: dict[str, Any], variant: str = "1B", body: str = "# Grid\n") -> str:
    """A card as release writes it, with a provenance block that differs per variant."""
    block = Provenance(family="grid", variant=variant, config_digest=f"sha256:{variant}",
                       upstream_repo="https://github.com/acme/train", upstream_commit="abc1234",
                       card_digest=f"sha256:{variant}{body}",
                       declared={"visibility": "private", "gated": variant == "7B" and "auto",
                                 "tags": {f"v-{variant}": "main"}, "branches": ["main"],
                                 "collections": [f"acme/{variant}"]})
    return assemble_card({**user, PROVENANCE_KEY: block.to_metadata()}, body)


def test_the_key_leaves_out_the_body_and_the_provenance_block_only() -> None:
    one = validation_key(card(USER))
    assert validation_key(card(USER, variant="7B", body="# Another body\n")) == one
    assert validation_key(assemble_card(USER, "# no provenance\n")) == one
    assert one.startswith("meta:")
    for changed in ({**USER, "license": "mit"}, {**USER, "tags": ["grid", "x"]},
                    {**USER, "base_model": "acme/Base"}):
        assert validation_key(card(changed)) != one, changed


def test_a_verbatim_card_file_is_grouped_by_its_metadata_too() -> None:
    """`card.file` cards are re-dumped from their parsed front matter (desired.verbatim_card)."""
    from release.desired import verbatim_card

    def verbatim(variant: str, body: str) -> str:
        return verbatim_card({"license": "mit", "x": "yes", "n": 1.5}, body,
                             Provenance(family="f", variant=variant, config_digest=variant))

    key = validation_key(verbatim("a", "# one\n"))
    assert key.startswith("meta:")
    assert validation_key(verbatim("b", "# two\n")) == key


def test_the_key_keeps_value_types_apart() -> None:
    keys = {validation_key(card({**USER, "version": value})) for value in (1, 1.0, True, "1")}
    assert len(keys) == 4


@pytest.mark.parametrize("text", [
    "# no front matter\n",
    "---\nlicense: [unclosed\n---\n# body\n",
    "---\n- a list\n---\n# body\n",
    "---\nlicense: mit\nlicense: apache-2.0\n---\n# body\n",  # duplicate key: PyYAML keeps one
    "---\nlicense: 'apache-2.0'\n---\n# body\n",  # quoting release's dump would not write
])
def test_a_readme_not_written_as_release_writes_it_is_keyed_by_its_whole_text(text: str) -> None:
    key = validation_key(text)
    assert key.startswith("text:")
    assert validation_key(text + "more body\n") != key

