"""`ReleaseHfApi` skips create_commit's validate-yaml for a README whose metadata the Hub already
accepted in this session (release.hub.hfapi; the key is `cards.validation_key`). These tests
count validate-yaml requests on the local hub, so they fail loudly if huggingface_hub renames or
stops calling its private `_validate_yaml` hook."""

from __future__ import annotations

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from release.hub.hfapi import ReleaseHfApi
from release.localhub.testing import ALICE_TOKEN

CARD = b"---\nlicense: mit\n---\n# a card\n"


@pytest.fixture
def release_api(local_hub) -> ReleaseHfApi:
    api = ReleaseHfApi(endpoint=local_hub.endpoint, token=ALICE_TOKEN)
    api.create_repo("alice/hooked")
    return api


def _validations(local_hub) -> int:
    return local_hub.stats()["by_endpoint"].get("validate_yaml", 0)


def _commit(api: HfApi, content: bytes, name: str = "README.md") -> None:
    api.create_commit("alice/hooked", [CommitOperationAdd(name, content)],
                      commit_message="card")


def test_the_client_still_validates_a_readme_through_the_hook(release_api, local_hub) -> None:
    # The hook is on create_commit's path: an unvalidated README costs exactly one request...
    assert "_validate_yaml" in vars(HfApi), "huggingface_hub dropped HfApi._validate_yaml"
    local_hub.reset_stats()
    _commit(release_api, CARD)
    assert _validations(local_hub) == 1
    # ...and metadata the Hub already accepted costs none on the next commit, whatever the body.
    _commit(release_api, CARD + b"another body\n")
    assert _validations(local_hub) == 1
    _commit(release_api, CARD.replace(b"mit", b"apache-2.0"))  # other metadata: asked
    _commit(release_api, b"other", name="notes.txt")  # no README: never asked
    assert _validations(local_hub) == 2
    assert local_hub.stats()["by_endpoint"]["commit"] == 4


def test_a_card_validated_first_is_not_validated_again_by_its_commit(release_api,
                                                                     local_hub) -> None:
    local_hub.reset_stats()
    release_api._validate_yaml(CARD.decode(), repo_type="model")  # what apply does up front
    _commit(release_api, CARD)
    assert _validations(local_hub) == 1
    assert local_hub.stats()["by_endpoint"]["commit"] == 1


def test_a_refused_card_is_asked_again_and_refused_again(release_api, local_hub) -> None:
    bad = "---\nlicense: [unclosed\n---\n"
    local_hub.reset_stats()
    for _ in range(2):
        with pytest.raises(ValueError, match="Invalid metadata in README.md"):
            release_api._validate_yaml(bad, repo_type="model")
    assert _validations(local_hub) == 2  # only acceptance is remembered


def test_a_refused_metadata_is_refused_for_every_body(release_api, local_hub) -> None:
    """A refusal is not remembered, and an accepted sibling does not vouch for another license:
    the Hub is asked about each and refuses each, whatever was accepted before."""
    release_api._validate_yaml(CARD.decode(), repo_type="model")
    local_hub.reset_stats()
    for body in ("# one\n", "# two\n"):
        with pytest.raises(ValueError, match="Invalid metadata in README.md"):
            release_api._validate_yaml(f"---\nlicense: apache-2\n---\n{body}", repo_type="model")
    assert _validations(local_hub) == 2


def test_an_accepted_readme_vouches_only_for_its_repo_type(release_api, local_hub) -> None:
    release_api._validate_yaml(CARD.decode(), repo_type="model")
    local_hub.reset_stats()
    release_api._validate_yaml(CARD.decode(), repo_type="dataset")
    assert _validations(local_hub) == 1
