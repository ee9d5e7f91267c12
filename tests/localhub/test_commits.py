"""create_commit end to end: preupload, LFS batch/upload/verify, NDJSON, parent_commit, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import httpx2
import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    hf_hub_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RevisionNotFoundError,
)

from release.localhub.errors import STALE_PARENT_MESSAGE
from release.localhub.testing import ALICE_TOKEN, BOB_TOKEN


@pytest.fixture
def api(make_api):
    api = make_api()
    api.create_repo("alice/model")
    return api


def test_two_megabyte_binary_travels_through_lfs_byte_identical(api, local_hub, tmp_path):
    blob = os.urandom(2 * 1024 * 1024)
    local_hub.reset_stats()
    api.create_commit(
        "alice/model", [CommitOperationAdd("weights/model.bin", blob)], commit_message="weights"
    )
    calls = local_hub.stats()["by_endpoint"]
    assert (
        calls["preupload"],
        calls["lfs_batch"],
        calls["lfs_upload"],
        calls["lfs_verify"],
        calls["commit"],
    ) == (1, 1, 1, 1, 1)
    sibling = api.model_info("alice/model", files_metadata=True).siblings[-1]
    assert sibling.lfs.sha256 == hashlib.sha256(blob).hexdigest() and sibling.lfs.size == len(blob)
    path = hf_hub_download(
        "alice/model",
        "weights/model.bin",
        endpoint=local_hub.endpoint,
        token=ALICE_TOKEN,
        cache_dir=tmp_path / "cache",
    )
    assert open(path, "rb").read() == blob
    # the same content again: the batch answer has no actions, so nothing is re-uploaded
    local_hub.reset_stats()
    api.create_commit("alice/model", [CommitOperationAdd("copy.bin", blob)], commit_message="copy")
    assert "lfs_upload" not in local_hub.stats()["by_endpoint"]


def test_gitattributes_on_the_branch_decides_what_is_lfs(api):
    api.create_commit(
        "alice/model",
        [
            CommitOperationAdd("small.safetensors", b"tensors"),  # default pattern
            CommitOperationAdd("notes.txt", b"plain text"),
            CommitOperationAdd("data.raw", b"\x00\x01binary"),  # NUL byte in the sample
        ],
        commit_message="mixed",
    )
    files = {
        f.path: f for f in api.list_repo_tree("alice/model", recursive=True) if hasattr(f, "lfs")
    }
    assert files["small.safetensors"].lfs is not None
    assert files["notes.txt"].lfs is None
    assert files["data.raw"].lfs is not None
    attributes = hf_hub_download(
        "alice/model", ".gitattributes", endpoint=api.endpoint, token=ALICE_TOKEN
    )
    extended = open(attributes, "rb").read() + b"*.txt filter=lfs diff=lfs merge=lfs -text\n"
    api.create_commit(
        "alice/model", [CommitOperationAdd(".gitattributes", extended)], commit_message="track txt"
    )
    api.create_commit(
        "alice/model", [CommitOperationAdd("more.txt", b"now lfs")], commit_message="txt"
    )
    assert api.get_paths_info("alice/model", ["more.txt"])[0].lfs is not None


def test_unchanged_files_make_no_commit(api, local_hub):
    first = api.create_commit(
        "alice/model",
        [
            CommitOperationAdd("a.txt", b"same"),
            CommitOperationAdd("w.bin", b"\x00" * 64),
        ],
        commit_message="one",
    )
    local_hub.reset_stats()
    again = api.create_commit(
        "alice/model",
        [
            CommitOperationAdd("a.txt", b"same"),
            CommitOperationAdd("w.bin", b"\x00" * 64),
        ],
        commit_message="two",
    )
    assert again.oid == first.oid
    assert "commit" not in local_hub.stats()["by_endpoint"]


def test_stale_parent_commit_gives_412_with_the_hub_message(api):
    base = api.model_info("alice/model").sha
    api.create_commit(
        "alice/model",
        [CommitOperationAdd("a.txt", b"1")],
        commit_message="a",
        parent_commit=base[:7],
    )
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit(
            "alice/model",
            [CommitOperationAdd("b.txt", b"2")],
            commit_message="b",
            parent_commit=base,
        )
    assert err.value.response.status_code == 412
    assert err.value.server_message == STALE_PARENT_MESSAGE
    assert not api.file_exists("alice/model", "b.txt")


def test_deletes_of_files_and_folders(api):
    api.create_commit(
        "alice/model",
        [
            CommitOperationAdd("keep.txt", b"k"),
            CommitOperationAdd("old.txt", b"o"),
            CommitOperationAdd("ckpt/a.txt", b"a"),
            CommitOperationAdd("ckpt/sub/b.txt", b"b"),
        ],
        commit_message="files",
    )
    api.create_commit(
        "alice/model",
        [
            CommitOperationDelete("old.txt"),
            CommitOperationDelete("ckpt/"),
        ],
        commit_message="clean",
    )
    assert sorted(api.list_repo_files("alice/model")) == [".gitattributes", "keep.txt"]
    with pytest.raises(EntryNotFoundError):
        api.delete_file("missing.txt", "alice/model")


def test_commit_to_a_branch_with_a_slash_and_to_a_missing_branch(api):
    api.create_branch("alice/model", branch="release/v1")
    api.upload_file(
        path_or_fileobj=b"on branch",
        path_in_repo="dir/a b.txt",
        repo_id="alice/model",
        revision="release/v1",
    )
    assert api.file_exists("alice/model", "dir/a b.txt", revision="release/v1")
    assert not api.file_exists("alice/model", "dir/a b.txt")
    with pytest.raises(RevisionNotFoundError):
        api.upload_file(
            path_or_fileobj=b"x",
            path_in_repo="x.txt",
            repo_id="alice/model",
            revision="no-such-branch",
        )
    with pytest.raises(RevisionNotFoundError):
        api.delete_file("x.txt", "alice/model", revision="no-such-branch")


def test_commit_needs_write_rights(api, make_api):
    with pytest.raises(HfHubHTTPError) as err:
        make_api(BOB_TOKEN).upload_file(
            path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/model"
        )
    assert err.value.response.status_code == 403


def test_readme_goes_through_validate_yaml(api, local_hub):
    local_hub.reset_stats()
    api.upload_file(
        path_or_fileobj=b"---\nlicense: mit\n---\n", path_in_repo="README.md", repo_id="alice/model"
    )
    assert local_hub.stats()["by_endpoint"]["validate_yaml"] == 1
    with pytest.raises(ValueError, match="Invalid metadata in README.md"):
        api.upload_file(
            path_or_fileobj=b"---\nlicense: [unclosed\n---\n",
            path_in_repo="README.md",
            repo_id="alice/model",
        )


def _ndjson(*lines: dict) -> bytes:
    return b"\n".join(json.dumps(line).encode() for line in lines)


def test_server_refuses_unuploaded_lfs_objects_and_bad_paths(api, local_hub):
    # The client always uploads first and validates paths, so raw NDJSON shows the server side.
    url = f"{local_hub.endpoint}/api/models/alice/model/commit/main"
    headers = {"authorization": f"Bearer {ALICE_TOKEN}", "content-type": "application/x-ndjson"}
    header = {"key": "header", "value": {"summary": "raw"}}
    never = {
        "key": "lfsFile",
        "value": {"path": "w.bin", "algo": "sha256", "oid": "ab" * 32, "size": 3},
    }
    assert httpx2.post(url, content=_ndjson(header, never), headers=headers).status_code == 422
    for bad in ("../escape.txt", "/abs.txt", ".git/config", "a//b.txt"):
        line = {
            "key": "file",
            "value": {
                "path": bad,
                "encoding": "base64",
                "content": base64.b64encode(b"x").decode(),
            },
        }
        response = httpx2.post(url, content=_ndjson(header, line), headers=headers)
        assert response.status_code == 400, bad
    assert len(list(api.list_repo_commits("alice/model"))) == 1


def test_super_squash_keeps_files_and_drops_history(api):
    api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id="alice/model")
    api.upload_file(path_or_fileobj=b"2", path_in_repo="b.txt", repo_id="alice/model")
    api.super_squash_history("alice/model", commit_message="squashed")
    commits = list(api.list_repo_commits("alice/model"))
    assert [c.title for c in commits] == ["squashed"]
    assert sorted(api.list_repo_files("alice/model")) == [".gitattributes", "a.txt", "b.txt"]


def test_regular_only_mode_works_with_xet_left_on(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from release.localhub import LocalHub
    from release.localhub.testing import hub_api

    with LocalHub(tmp_path / "data", regular_only=True) as hub:
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)  # a client with xet on
        api = hub_api(hub)
        api.create_repo("any/model")
        blob = os.urandom(50_000)
        api.upload_file(path_or_fileobj=blob, path_in_repo="w.safetensors", repo_id="any/model")
        calls = hub.stats()["by_endpoint"]
        assert "lfs_batch" not in calls and "xet_write_token" not in calls
        assert api.get_paths_info("any/model", ["w.safetensors"])[0].lfs is None
        path = hf_hub_download(
            "any/model", "w.safetensors", endpoint=hub.endpoint, cache_dir=tmp_path / "cache"
        )
        assert open(path, "rb").read() == blob


def test_xet_token_route_explains_how_to_turn_xet_off(local_hub):
    response = httpx2.get(f"{local_hub.endpoint}/api/models/alice/model/xet-write-token/main")
    assert response.status_code == 501 and "HF_HUB_DISABLE_XET" in response.json()["error"]
