"""Reads of content: tree, paths-info, commit history, downloads (resolve), gating, snapshots."""

from __future__ import annotations

import hashlib
import os

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    get_hf_file_metadata,
    hf_hub_download,
    hf_hub_url,
    snapshot_download,
)
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile, RepoFolder

from release.localhub import LocalHub
from release.localhub.testing import ALICE_TOKEN, BOB_TOKEN, hub_api

BLOB = os.urandom(300_000)


@pytest.fixture
def api(make_api):
    api = make_api()
    api.create_repo("alice/files")
    api.create_commit(
        "alice/files",
        [
            CommitOperationAdd("README.md", b"# files\n"),
            CommitOperationAdd("config.json", b'{"a": 1}'),
            CommitOperationAdd("ckpt/step1/model.safetensors", BLOB),
            CommitOperationAdd("ckpt/step1/notes.txt", b"step 1"),
            CommitOperationAdd("ckpt/step2/notes.txt", b"step 2"),
        ],
        commit_message="add files",
        commit_description="with a body",
    )
    return api


def test_tree_recursive_folder_and_missing(api):
    entries = list(api.list_repo_tree("alice/files", recursive=True))
    paths = [e.path for e in entries]
    assert paths == sorted(paths) and "ckpt/step1" in paths and "ckpt/step2/notes.txt" in paths
    top = list(api.list_repo_tree("alice/files"))
    assert [e.path for e in top] == [".gitattributes", "README.md", "ckpt", "config.json"]
    assert isinstance(top[2], RepoFolder) and isinstance(top[1], RepoFile)
    step1 = list(api.list_repo_tree("alice/files", path_in_repo="ckpt/step1"))
    assert [e.path for e in step1] == ["ckpt/step1/model.safetensors", "ckpt/step1/notes.txt"]
    assert step1[0].lfs.size == len(BLOB) and step1[0].size == len(BLOB)
    with pytest.raises(RemoteEntryNotFoundError):
        list(api.list_repo_tree("alice/files", path_in_repo="nope"))


def test_tree_pagination_follows_link_headers(tmp_path):
    with LocalHub(tmp_path / "data", page_size=2) as hub:
        api = hub_api(hub)
        api.create_repo("pager/files")
        api.create_commit(
            "pager/files",
            [CommitOperationAdd(f"f{i}.txt", b"%d" % i) for i in range(7)],
            commit_message="seven",
        )
        hub.reset_stats()
        assert len(api.list_repo_files("pager/files")) == 8
        assert hub.stats()["by_endpoint"]["list_repo_tree"] == 4


def test_tree_expand_gives_last_commit(api):
    api.upload_file(
        path_or_fileobj=b'{"a": 2}',
        path_in_repo="config.json",
        repo_id="alice/files",
        commit_message="bump config",
    )
    entries = {e.path: e for e in api.list_repo_tree("alice/files", expand=True)}
    assert entries["config.json"].last_commit["title"] == "bump config"
    assert entries["README.md"].last_commit["title"] == "add files"
    assert entries["ckpt"].last_commit["title"] == "add files"


def test_paths_info_files_folders_and_missing(api):
    infos = api.get_paths_info("alice/files", ["ckpt/step1/model.safetensors", "ckpt", "nope"])
    assert [i.path for i in infos] == ["ckpt/step1/model.safetensors", "ckpt"]
    assert infos[0].lfs.sha256 and infos[0].lfs.pointer_size > 0
    assert isinstance(infos[1], RepoFolder)
    with_commit = api.get_paths_info("alice/files", ["README.md"], expand=True)
    assert with_commit[0].last_commit.title == "add files"


def test_commit_history_is_newest_first(api):
    commits = list(api.list_repo_commits("alice/files"))
    assert [c.title for c in commits] == ["add files", "initial commit"]
    assert commits[0].message == "with a body" and commits[0].authors == ["alice"]
    assert commits[0].commit_id == api.model_info("alice/files").sha
    formatted = list(api.list_repo_commits("alice/files", formatted=True))
    assert formatted[0].formatted_title == "add files"
    with pytest.raises(RevisionNotFoundError):
        list(api.list_repo_commits("alice/files", revision="ghost"))


def test_downloads_of_regular_and_lfs_files_by_branch_tag_and_sha(api, local_hub, tmp_path):
    api.create_tag("alice/files", tag="rel/1.0")
    sha = api.model_info("alice/files").sha
    kwargs = {"endpoint": local_hub.endpoint, "token": ALICE_TOKEN, "cache_dir": tmp_path}
    for revision in ("main", "rel/1.0", sha):
        path = hf_hub_download(
            "alice/files", "ckpt/step1/model.safetensors", revision=revision, **kwargs
        )
        assert open(path, "rb").read() == BLOB
        assert (
            open(
                hf_hub_download("alice/files", "config.json", revision=revision, **kwargs), "rb"
            ).read()
            == b'{"a": 1}'
        )
    regular = get_hf_file_metadata(
        hf_hub_url("alice/files", "config.json", endpoint=local_hub.endpoint), token=ALICE_TOKEN
    )
    assert (regular.commit_hash, regular.size) == (sha, 8)
    assert regular.etag == hashlib.sha1(b"blob 8\x00" + b'{"a": 1}').hexdigest()
    lfs = get_hf_file_metadata(
        hf_hub_url("alice/files", "ckpt/step1/model.safetensors", endpoint=local_hub.endpoint),
        token=ALICE_TOKEN,
    )
    assert (lfs.etag, lfs.size) == (hashlib.sha256(BLOB).hexdigest(), len(BLOB))
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download("alice/files", "missing.txt", **kwargs)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("alice/files", "config.json", revision="ghost", **kwargs)
    assert api.file_exists("alice/files", "config.json")
    assert not api.file_exists("alice/files", "missing.txt")


def test_snapshot_download_gets_every_file(api, local_hub, tmp_path):
    folder = snapshot_download(
        "alice/files", endpoint=local_hub.endpoint, token=ALICE_TOKEN, cache_dir=tmp_path
    )
    assert open(os.path.join(folder, "ckpt/step1/model.safetensors"), "rb").read() == BLOB
    assert open(os.path.join(folder, "ckpt/step2/notes.txt"), "rb").read() == b"step 2"
    assert sorted(os.listdir(folder)) == [".gitattributes", "README.md", "ckpt", "config.json"]


def test_private_files_need_visibility(api, make_api, tmp_path):
    api.update_repo_settings("alice/files", private=True)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(
            "alice/files", "config.json", endpoint=api.endpoint, token=BOB_TOKEN, cache_dir=tmp_path
        )
    with pytest.raises(RepositoryNotFoundError):
        list(make_api(False).list_repo_tree("alice/files"))


def test_gated_files_need_a_grant(api, make_api, tmp_path):
    api.update_repo_settings("alice/files", gated="manual")
    bob = make_api(BOB_TOKEN)
    assert bob.model_info("alice/files").gated == "manual"  # metadata stays visible
    with pytest.raises(GatedRepoError):
        hf_hub_download(
            "alice/files",
            "config.json",
            endpoint=api.endpoint,
            token=BOB_TOKEN,
            cache_dir=tmp_path / "bob",
        )
    with pytest.raises(GatedRepoError):
        hf_hub_download(
            "alice/files",
            "config.json",
            endpoint=api.endpoint,
            token=False,
            cache_dir=tmp_path / "anon",
        )
    with pytest.raises(HfHubHTTPError) as err:
        bob.grant_access("alice/files", "bob")
    assert err.value.response.status_code == 403
    api.grant_access("alice/files", "bob")
    path = hf_hub_download(
        "alice/files",
        "config.json",
        endpoint=api.endpoint,
        token=BOB_TOKEN,
        cache_dir=tmp_path / "bob2",
    )
    assert open(path, "rb").read() == b'{"a": 1}'
