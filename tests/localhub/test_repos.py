"""Repo lifecycle, whoami, visibility and write rights, settings, model_info, through HfApi."""

from __future__ import annotations

import hashlib

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    BadRequestError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from release.localhub import DEFAULT_TOKEN, LocalHub
from release.localhub.testing import ALICE_READ_TOKEN, ALICE_TOKEN, BOB_TOKEN, hub_api


def test_whoami_reports_user_orgs_and_token_role(make_api):
    me = make_api(ALICE_TOKEN).whoami()
    assert (me["type"], me["name"]) == ("user", "alice")
    assert [org["name"] for org in me["orgs"]] == ["acme"]
    assert me["auth"]["accessToken"]["role"] == "write"
    assert make_api(ALICE_READ_TOKEN).whoami()["auth"]["accessToken"]["role"] == "read"
    assert make_api(BOB_TOKEN).whoami()["orgs"] == []


def test_unknown_token_is_refused(make_api):
    with pytest.raises(HfHubHTTPError) as err:
        make_api("hf_not_a_token").whoami()
    assert err.value.response.status_code == 401


def test_create_repo_private_exist_ok_and_conflict(make_api, local_hub):
    api = make_api()
    url = api.create_repo("alice/demo", private=True)
    assert url == f"{local_hub.endpoint}/alice/demo" and url.repo_id == "alice/demo"
    # exist_ok reads `url` from the 409 body
    assert api.create_repo("alice/demo", exist_ok=True).repo_id == "alice/demo"
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo("alice/demo")
    assert err.value.response.status_code == 409
    info = api.model_info("alice/demo")
    assert info.private is True and len(info.sha) == 40
    assert [s.rfilename for s in info.siblings] == [".gitattributes"]


def test_create_repo_without_namespace_uses_the_token_user(make_api):
    assert make_api().create_repo("solo").repo_id == "alice/solo"


def test_invalid_repo_name_is_a_bad_request(local_hub):
    # The client validates ids before sending; raw HTTP shows the server refuses them too.
    for name in ("bad name", "x" * 97, "a--b", "-lead"):
        response = httpx2.post(
            f"{local_hub.endpoint}/api/repos/create",
            json={"name": name, "organization": "alice"},
            headers={"authorization": f"Bearer {ALICE_TOKEN}"},
        )
        assert response.status_code == 400, name


def test_private_repo_is_invisible_to_others_and_anonymous(make_api):
    make_api().create_repo("alice/secret", private=True)
    with pytest.raises(RepositoryNotFoundError) as err:
        make_api(BOB_TOKEN).model_info("alice/secret")
    assert err.value.response.status_code == 404
    with pytest.raises(RepositoryNotFoundError) as err:
        make_api(False).model_info("alice/secret")
    assert err.value.response.status_code == 401
    assert make_api(BOB_TOKEN).repo_exists("alice/secret") is False
    assert make_api().repo_exists("alice/secret") is True
    # a read token still sees its own private repos
    assert make_api(ALICE_READ_TOKEN).model_info("alice/secret").private is True


def test_write_rights_follow_namespace_membership_and_token_role(make_api):
    make_api().create_repo("alice/public")
    with pytest.raises(HfHubHTTPError) as err:
        make_api(BOB_TOKEN).create_repo("alice/by-bob")
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as err:
        make_api(ALICE_READ_TOKEN).create_repo("alice/by-read-token")
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as err:
        make_api(BOB_TOKEN).update_repo_settings("alice/public", private=True)
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as err:
        make_api(BOB_TOKEN).create_repo("acme/by-bob")
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as err:
        make_api(BOB_TOKEN).create_repo("nobody/x")
    assert err.value.response.status_code == 403
    assert make_api().create_repo("acme/by-alice").repo_id == "acme/by-alice"
    assert make_api(BOB_TOKEN).create_repo("bob/own").repo_id == "bob/own"


def test_delete_repo_and_missing_ok(make_api):
    api = make_api()
    api.create_repo("alice/doomed")
    with pytest.raises(HfHubHTTPError) as err:
        make_api(BOB_TOKEN).delete_repo("alice/doomed")
    assert err.value.response.status_code == 403
    api.delete_repo("alice/doomed")
    assert api.repo_exists("alice/doomed") is False
    api.delete_repo("alice/doomed", missing_ok=True)
    with pytest.raises(RepositoryNotFoundError):
        api.delete_repo("alice/doomed")
    # the name is free again, and the new repo is a fresh one
    api.create_repo("alice/doomed")
    assert len(list(api.list_repo_commits("alice/doomed"))) == 1


def test_datasets_are_a_separate_repo_type(make_api):
    api = make_api()
    api.create_repo("alice/data", repo_type="dataset", private=True)
    info = api.dataset_info("alice/data")
    assert info.id == "alice/data" and info.private is True
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("alice/data")
    attributes = api.hf_hub_download("alice/data", ".gitattributes", repo_type="dataset")
    text = open(attributes).read()
    assert "*.parquet filter=lfs" in text and "*.png filter=lfs" in text
    api.delete_repo("alice/data", repo_type="dataset")
    assert api.repo_exists("alice/data", repo_type="dataset") is False


def test_settings_visibility_and_gating(make_api):
    api = make_api()
    api.create_repo("alice/flip", private=True)
    api.update_repo_settings("alice/flip", private=False, gated="manual")
    info = api.model_info("alice/flip")
    assert (info.private, info.gated) == (False, "manual")
    assert make_api(BOB_TOKEN).model_info("alice/flip").gated == "manual"
    api.update_repo_settings("alice/flip", gated=False)
    assert api.model_info("alice/flip").gated is False


def test_settings_accept_the_legacy_private_payload(make_api, local_hub):
    # huggingface_hub 0.x sent {"private": bool}; the 2.4.0 client cannot, so raw HTTP here.
    make_api().create_repo("alice/legacy")
    response = httpx2.put(
        f"{local_hub.endpoint}/api/models/alice/legacy/settings",
        json={"private": True},
        headers={"authorization": f"Bearer {ALICE_TOKEN}"},
    )
    assert response.status_code == 200
    assert make_api().model_info("alice/legacy").private is True
    response = httpx2.post(
        f"{local_hub.endpoint}/api/repos/create",
        json={"name": "legacy-private", "organization": "alice", "private": True},
        headers={"authorization": f"Bearer {ALICE_TOKEN}"},
    )
    assert response.status_code == 200
    assert make_api().model_info("alice/legacy-private").private is True


def test_model_info_by_revision_expand_and_blobs(make_api):
    api = make_api()
    api.create_repo("alice/info")
    first = api.model_info("alice/info").sha
    api.create_tag("alice/info", tag="v0")
    card = b"---\nlicense: mit\nlibrary_name: transformers\n---\n# Hi\n"
    api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id="alice/info")
    head = api.model_info("alice/info")
    assert head.sha != first
    assert head.card_data["license"] == "mit" and head.library_name == "transformers"
    assert "license:mit" in head.tags
    assert head.last_modified is not None and head.created_at is not None
    assert api.model_info("alice/info", revision="v0").sha == first
    assert api.model_info("alice/info", revision=first[:7]).sha == first
    expanded = api.model_info("alice/info", expand=["sha", "private", "lastModified"])
    assert expanded.sha == head.sha and expanded.private is False
    assert expanded.siblings is None and expanded.card_data is None
    blobs = api.model_info("alice/info", files_metadata=True)
    readme = next(s for s in blobs.siblings if s.rfilename == "README.md")
    assert readme.size == len(card) and readme.lfs is None
    assert readme.blob_id == hashlib.sha1(b"blob %d\x00" % len(card) + card).hexdigest()
    with pytest.raises(RevisionNotFoundError):
        api.model_info("alice/info", revision="nope")
    with pytest.raises(BadRequestError):
        api.model_info("alice/info", expand=["notAProperty"])  # type: ignore[list-item]


def test_default_mode_writes_to_any_namespace(local_hub_default: LocalHub):
    api = hub_api(local_hub_default, DEFAULT_TOKEN)
    api.create_repo("allenai/Llama-3.1-Tulu-3-8B-SFT", private=True)
    api.create_repo("someone-else/x")
    me = api.whoami()
    assert me["name"] == "local-user"
    assert {o["name"] for o in me["orgs"]} == {"allenai", "someone-else"}
    assert isinstance(api, HfApi)
    with pytest.raises(RepositoryNotFoundError):
        hub_api(local_hub_default, False).model_info("allenai/Llama-3.1-Tulu-3-8B-SFT")
