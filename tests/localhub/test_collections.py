"""Collections: the full round trip, 409s the client reads, privacy, write rights."""

from __future__ import annotations

import pytest
from huggingface_hub.errors import HfHubHTTPError

from release.localhub.testing import ALICE_TOKEN, BOB_TOKEN, hub_api


def test_collection_round_trip(make_api):
    api = make_api()
    api.create_repo("acme/tulu-8b")
    api.create_repo("acme/tulu-70b")
    created = api.create_collection("Tulu 3", namespace="acme", description="family")
    assert created.slug.startswith("acme/tulu-3-") and created.owner["name"] == "acme"
    again = api.create_collection("Tulu 3", namespace="acme", exists_ok=True)  # reads 409 slug
    assert again.slug == created.slug
    with pytest.raises(HfHubHTTPError) as err:
        api.create_collection("Tulu 3", namespace="acme")
    assert err.value.response.status_code == 409

    after_add = api.add_collection_item(created.slug, "acme/tulu-8b", "model", note="8B")
    assert [i.item_id for i in after_add.items] == ["acme/tulu-8b"]
    api.add_collection_item(created.slug, "acme/tulu-70b", "model")
    api.add_collection_item(created.slug, "acme/tulu-8b", "model", exists_ok=True)
    with pytest.raises(HfHubHTTPError) as err:
        api.add_collection_item(created.slug, "acme/tulu-8b", "model")
    assert err.value.response.status_code == 409
    with pytest.raises(HfHubHTTPError) as err:
        api.add_collection_item(created.slug, "acme/ghost", "model")
    assert err.value.response.status_code == 404

    fetched = api.get_collection(created.slug)
    assert [(i.item_id, i.position) for i in fetched.items] == [
        ("acme/tulu-8b", 0),
        ("acme/tulu-70b", 1),
    ]
    assert fetched.items[0].note == "8B"
    first, second = fetched.items
    api.update_collection_item(created.slug, second.item_object_id, note="70B", position=0)
    reordered = api.get_collection(created.slug)
    assert [(i.item_id, i.note) for i in reordered.items] == [
        ("acme/tulu-70b", "70B"),
        ("acme/tulu-8b", "8B"),
    ]
    updated = api.update_collection_metadata(created.slug, title="Tulu 3 models", private=True)
    assert updated.title == "Tulu 3 models" and updated.private is True
    api.delete_collection_item(created.slug, first.item_object_id)
    api.delete_collection_item(created.slug, first.item_object_id, missing_ok=True)
    assert [i.item_id for i in api.get_collection(created.slug).items] == ["acme/tulu-70b"]

    listed = list(api.list_collections(owner="acme"))
    assert [c.slug for c in listed] == [updated.slug]  # the new title made a new slug
    assert [c.slug for c in api.list_collections(item="models/acme/tulu-70b")] == [updated.slug]
    assert list(api.list_collections(item="models/acme/tulu-8b")) == []
    api.delete_collection(created.slug)
    api.delete_collection(created.slug, missing_ok=True)
    assert list(api.list_collections(owner="acme")) == []


def test_private_collections_are_hidden_and_writes_need_rights(make_api):
    api = make_api()
    private = api.create_collection("Secret", namespace="alice", private=True)
    public = api.create_collection("Open", namespace="alice")
    bob = make_api(BOB_TOKEN)
    assert [c.slug for c in bob.list_collections(owner="alice")] == [public.slug]
    with pytest.raises(HfHubHTTPError) as err:
        bob.get_collection(private.slug)
    assert err.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as err:
        bob.update_collection_metadata(public.slug, title="mine now")
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as err:
        bob.create_collection("Nope", namespace="acme")
    assert err.value.response.status_code == 403
    assert api.create_collection("Mine").owner["name"] == "alice"  # namespace from whoami


def test_duplicate_titles_make_a_second_collection_like_the_real_hub(local_hub_duplicating):
    """The real Hub creates a second collection for an existing title (huggingface_hub skips its
    exists_ok test: "Creating duplicated collections work on staging"); the option does the same,
    so a create retried by the client or by the apply is visible as a duplicate."""
    api = hub_api(local_hub_duplicating, ALICE_TOKEN)
    first = api.create_collection("Tulu 3", namespace="acme")
    second = api.create_collection("Tulu 3", namespace="acme")
    third = api.create_collection("Tulu 3", namespace="acme", exists_ok=True)  # no 409 to read
    slugs = [first.slug, second.slug, third.slug]
    assert len(set(slugs)) == 3 and all(s.startswith("acme/tulu-3-") for s in slugs)
    listed = list(api.list_collections(owner="acme"))
    assert sorted(c.slug for c in listed) == sorted(slugs)
    assert {c.title for c in listed} == {"Tulu 3"}
    api.update_collection_metadata(second.slug, description="the second one")
    assert api.get_collection(first.slug).description is None
