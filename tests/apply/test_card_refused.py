"""Card metadata the Hub refuses (issue 14): a clear error naming the repo and the card field,
before any write. `release validate` refuses what it knows offline; this is the rest (a Hub
list newer than ours), simulated by a plan whose card carries a license the Hub refuses."""

from __future__ import annotations

import dataclasses

import pytest
from applykit import Demo

from release.errors import ReleaseError
from release.hub.errors import to_hub_error
from release.plan.changes import UpdateCard


def test_a_card_the_hub_refuses_stops_the_apply_before_any_write(demo: Demo) -> None:
    desired, plan = demo.plan()
    [card] = [c for c in plan.changes if isinstance(c, UpdateCard) and "1B" in c.repo_id]
    refused = card.new_text.replace("license: apache-2.0", "license: apache-2", 1)
    assert refused != card.new_text
    tampered = dataclasses.replace(plan, changes=[
        dataclasses.replace(c, new_text=refused) if c is card else c for c in plan.changes])
    demo.hub.reset_stats()
    with pytest.raises(ReleaseError) as err:
        demo.apply(tampered, desired)
    message = str(err.value)
    assert "nothing was written" in message
    assert "card:acme/Demo-1B: card.metadata.license: must be one of [" in message
    assert "Demo-7B" not in message  # only the refused card is named
    stats = demo.hub.stats()
    assert stats["writes"] == 0 and stats["by_endpoint"]["validate_yaml"] == 2
    assert list(demo.api.list_models(author="acme")) == []


def test_the_clients_refusal_mid_apply_reads_as_the_field(demo: Demo) -> None:
    """What a refusal looks like when it happens at the commit (the client's own check)."""
    with pytest.raises(ValueError) as err:
        demo.api.create_repo("acme/x")
        demo.api.upload_file(path_or_fileobj=b"---\nlicense: apache-2\nmodel-index: 3\n---\n",
                             path_in_repo="README.md", repo_id="acme/x")
    error = to_hub_error("card:acme/x", err.value)
    text = str(error)
    assert "the Hub refused the card's metadata" in text
    assert "card.metadata.license: must be one of [" in text
    assert "card.metadata.model-index: must be an array" in text
    assert len(text) < 400
