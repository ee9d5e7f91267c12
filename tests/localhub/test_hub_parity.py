"""Issue 14: where the local hub answered differently from huggingface.co, driven through the
unmodified client. The expected behaviour comes from huggingface_hub's own tests against the Hub
(tests/test_hf_api.py, tests/test_file_download.py), cited per test."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, hf_hub_download
from huggingface_hub.errors import (
    BadRequestError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from release.localhub import LocalHub
from release.localhub.testing import ALICE_TOKEN, BOB_TOKEN, STRICT_AUTH, hub_api


@pytest.fixture
def api(make_api):
    api = make_api()
    api.create_repo("alice/model")
    return api


def test_every_answer_carries_a_request_id_that_client_errors_quote(api, local_hub):
    seen = set()
    for response in (
        httpx2.get(f"{local_hub.endpoint}/api/models/alice/model"),
        httpx2.get(f"{local_hub.endpoint}/api/nowhere"),
        httpx2.get(f"{local_hub.endpoint}/alice/model/resolve/main/.gitattributes"),
    ):
        assert response.headers.get("x-request-id"), response.url
        seen.add(response.headers["x-request-id"])
    assert len(seen) == 3
    with pytest.raises(RevisionNotFoundError) as err:
        api.model_info("alice/model", revision="nope")
    request_id = err.value.response.headers["X-Request-Id"]
    assert f"(Request ID: {request_id})" in str(err.value)


def test_branch_error_texts_match_the_hub(api):
    # test_create_branch_existing_branch_fails, test_delete_branch_on_protected_branch_fails,
    # test_delete_branch_on_missing_branch_fails
    api.create_branch("alice/model", branch="cool-branch")
    with pytest.raises(HfHubHTTPError, match=r"Reference refs/heads/cool-branch already exists"):
        api.create_branch("alice/model", branch="cool-branch")
    with pytest.raises(HfHubHTTPError, match=r"Reference refs/heads/main already exists"):
        api.create_branch("alice/model", branch="main")
    api.create_branch("alice/model", branch="cool-branch", exist_ok=True)
    with pytest.raises(HfHubHTTPError, match="Cannot delete refs/heads/main") as err:
        api.delete_branch("alice/model", branch="main")
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError, match="Invalid rev id"):
        api.delete_branch("alice/model", branch="missing")
    api.create_tag("alice/model", tag="cool-tag")
    with pytest.raises(HfHubHTTPError, match="Invalid rev id"):
        api.delete_branch("alice/model", branch="cool-tag")


def test_stale_parent_commit_answers_the_hubs_412_text(api):
    # test_create_commit_conflict
    base = api.model_info("alice/model").sha
    api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id="alice/model")
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit(
            "alice/model",
            [CommitOperationAdd("b.txt", b"2")],
            commit_message="b",
            parent_commit=base,
        )
    assert err.value.response.status_code == 412
    assert (
        "The branch was updated since you opened this page. Please refresh and try again."
        in str(err.value)
    )


def test_create_tag_on_a_missing_revision_is_revision_not_found_first(api):
    # test_create_tag_on_missing_revision: an invalid name AND a missing revision
    with pytest.raises(RevisionNotFoundError):
        api.create_tag("alice/model", tag="invalid tag", revision="foobar")
    with pytest.raises(BadRequestError):
        api.create_tag("alice/model", tag="invalid tag")


def test_gated_files_refuse_a_signed_in_stranger_with_the_hubs_text(api, make_api, tmp_path):
    # tests/test_file_download.py: "Access to model .* is restricted and you are not in the
    # authorized list"
    api.update_repo_settings("alice/model", gated="manual")
    with pytest.raises(GatedRepoError) as err:
        hf_hub_download(
            "alice/model",
            ".gitattributes",
            endpoint=make_api(BOB_TOKEN).endpoint,
            token=BOB_TOKEN,
            cache_dir=tmp_path / "cache",
        )
    assert err.value.response.status_code == 403
    assert (
        "Access to model alice/model is restricted and you are not in the authorized list"
        in str(err.value)
    )


def test_a_folder_named_without_its_trailing_slash_is_deleted(api):
    # test_create_commit_implicit_delete_folder_is_ok: deletedFile "1" removes the folder 1/
    api.create_commit(
        "alice/model",
        [
            CommitOperationAdd("1/file_1.md", b"data"),
            CommitOperationAdd("1/file_2.md", b"data"),
            CommitOperationAdd("2/file_3.md", b"data"),
        ],
        commit_message="init",
    )
    api.create_commit(
        "alice/model", [CommitOperationDelete(path_in_repo="1")], commit_message="delete 1"
    )
    assert set(api.list_repo_files("alice/model")) == {".gitattributes", "2/file_3.md"}
    with pytest.raises(HfHubHTTPError) as err:  # neither a file nor a folder
        api.create_commit(
            "alice/model", [CommitOperationDelete(path_in_repo="3")], commit_message="delete 3"
        )
    assert err.value.response.status_code == 404


def test_dot_dot_in_a_path_is_refused_even_between_backslashes(api):
    # The client refuses "a/../b" itself (_validate_path_in_repo) but passes "a\\..\\b" on.
    for path in ("weights\\..\\..\\escape.txt", "..\\escape.txt"):
        with pytest.raises(BadRequestError) as err:
            api.upload_file(path_or_fileobj=b"x", path_in_repo=path, repo_id="alice/model")
        assert err.value.response.status_code == 400
    assert api.list_repo_files("alice/model") == [".gitattributes"]


def test_repo_ids_are_case_insensitive(make_api, tmp_path):
    # test_create_commit_repo_id_case_insensitive: a commit to the lowercased id lands in the repo
    api = make_api()
    repo_id = api.create_repo("alice/CaSe_Is_ImPoRtAnT").repo_id
    api.create_commit(
        repo_id.lower(),
        [
            CommitOperationAdd("file.txt", b"content"),
            CommitOperationAdd("lfs.bin", b"LFS content"),
        ],
        commit_message="Add 1 regular and 1 LFS files.",
    )
    assert {"file.txt", "lfs.bin"} <= set(api.list_repo_files(repo_id))
    assert api.model_info("ALICE/case_is_important").id == "alice/CaSe_Is_ImPoRtAnT"
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo("alice/case_is_important")
    assert err.value.response.status_code == 409
    api.create_repo("alice/case_is_important", exist_ok=True)  # the same repo
    api.update_repo_settings("Alice/CASE_IS_IMPORTANT", private=True)
    assert api.model_info(repo_id).private is True
    slug = api.create_collection("Mine").slug
    items = api.add_collection_item(slug, "alice/case_is_important", "model").items
    assert [i.item_id for i in items] == ["alice/CaSe_Is_ImPoRtAnT"]
    path = hf_hub_download(
        "alice/case_is_important",
        "file.txt",
        endpoint=api.endpoint,
        token=ALICE_TOKEN,
        cache_dir=tmp_path / "cache",
    )
    assert Path(path).read_bytes() == b"content"
    api.delete_repo("alice/CASE_is_important")
    assert not api.repo_exists(repo_id)


def test_move_repo_renames_and_the_old_id_redirects_reads(make_api, tmp_path):
    # test_move_repo_normal_usage, test_move_repo_target_already_exists
    api = make_api()
    api.create_repo("alice/old-name")
    api.upload_file(path_or_fileobj=b"weights", path_in_repo="w.txt", repo_id="alice/old-name")
    slug = api.create_collection("Mine").slug
    api.add_collection_item(slug, "alice/old-name", "model")
    api.create_repo("alice/taken")
    with pytest.raises(
        HfHubHTTPError, match=r"A model repository called alice/taken already exists"
    ):
        api.move_repo(from_id="alice/old-name", to_id="alice/taken")
    with pytest.raises(HfHubHTTPError) as err:  # bob cannot move alice's repo
        make_api(BOB_TOKEN).move_repo(from_id="alice/old-name", to_id="bob/stolen")
    assert err.value.response.status_code in (403, 404)

    api.move_repo(from_id="alice/old-name", to_id="acme/new-name")
    info = api.model_info("alice/old-name")  # followed the redirect
    assert info.id == "acme/new-name"
    assert api.list_repo_files("alice/old-name") == [".gitattributes", "w.txt"]
    path = hf_hub_download(
        "alice/old-name",
        "w.txt",
        endpoint=api.endpoint,
        token=ALICE_TOKEN,
        cache_dir=tmp_path / "cache",
    )
    assert Path(path).read_bytes() == b"weights"
    assert [i.item_id for i in api.get_collection(slug).items] == ["acme/new-name"]
    # writes go to the new id; the old name is free for a new repo, which then wins over the redirect
    api.upload_file(path_or_fileobj=b"2", path_in_repo="two.txt", repo_id="acme/new-name")
    api.create_repo("alice/old-name")
    assert api.list_repo_files("alice/old-name") == [".gitattributes"]
    api.move_repo(from_id="acme/new-name", to_id="acme/New-Name")  # a case-only rename
    assert api.model_info("acme/new-name").id == "acme/New-Name"


def test_auth_check_answers_for_reads_gated_files_and_writes(make_api):
    # TestHfApiAuthCheck: success, missing repo, gated repo for another user
    api, bob = make_api(), make_api(BOB_TOKEN)
    api.create_repo("alice/checked")
    api.auth_check("alice/checked")
    bob.auth_check("alice/checked")
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check("alice/missing_repo_id")
    api.update_repo_settings("alice/checked", gated="auto")
    with pytest.raises(GatedRepoError):
        bob.auth_check("alice/checked")
    api.auth_check("alice/checked")
    api.auth_check("alice/checked", write=True)
    with pytest.raises(HfHubHTTPError) as err:
        bob.auth_check("alice/checked", write=True)
    assert err.value.response.status_code == 403
    api.create_repo("alice/secret", private=True)
    with pytest.raises(RepositoryNotFoundError):
        bob.auth_check("alice/secret")


INVALID_MODELCARD = (
    "---\nmodel-index: foo\n---\n\nThis is a modelcard with an invalid metadata section.\n"
)


def test_card_metadata_is_validated_like_the_hub(api, local_hub):
    # test_commit_modelcard_invalid_metadata / _empty_metadata; the license text: huggingface_hub#4218
    local_hub.reset_stats()
    with pytest.raises(ValueError, match="Invalid metadata in README.md") as err:
        api.create_commit(
            "alice/model",
            [
                CommitOperationAdd("README.md", INVALID_MODELCARD.encode()),
                CommitOperationAdd("lfs.bin", b"content"),
            ],
            commit_message="Test commit",
        )
    assert '"model-index" must be an array' in str(err.value)
    assert "lfs_batch" not in local_hub.stats()["by_endpoint"]  # failed before any upload
    bad_license = b"---\nlicense: apache2\nlanguage: [en, english]\n---\n# card\n"
    with pytest.raises(ValueError) as err:
        api.upload_file(
            path_or_fileobj=bad_license, path_in_repo="README.md", repo_id="alice/model"
        )
    assert '"license" must be one of [' in str(err.value)
    assert '"language[1]" with value "english"' in str(err.value)
    with pytest.warns(UserWarning, match="Warnings while validating metadata in README.md"):
        api.upload_file(
            path_or_fileobj=b"This is a modelcard without metadata",
            path_in_repo="README.md",
            repo_id="alice/model",
        )
    good = b"---\nlicense: apache-2.0\nlanguage: [en, fr]\npipeline_tag: text-generation\n---\n"
    api.upload_file(path_or_fileobj=good, path_in_repo="README.md", repo_id="alice/model")
    assert api.model_info("alice/model").card_data["license"] == "apache-2.0"


def test_the_commit_itself_refuses_invalid_card_metadata(api, local_hub):
    """A client that skips validate-yaml still cannot store what the Hub refuses."""
    body = (
        '{"key":"header","value":{"summary":"card"}}\n'
        '{"key":"file","value":{"path":"README.md","encoding":"base64","content":"'
        + base64.b64encode(b"---\nlicense: apache2\n---\n").decode()
        + '"}}\n'
    )
    response = httpx2.post(
        f"{local_hub.endpoint}/api/models/alice/model/commit/main",
        content=body,
        headers={"authorization": f"Bearer {ALICE_TOKEN}", "content-type": "application/x-ndjson"},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid metadata in README.md")
    assert api.list_repo_files("alice/model") == [".gitattributes"]


def test_gitignore_in_the_repo_or_the_commit_is_honoured(api, tmp_path):
    # test_upload_folder_gitignore_already_exists / test_upload_folder_gitignore_in_commit
    folder = tmp_path / "folder"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "file.bin").write_bytes(b"ignored")
    (folder / "keep.txt").write_bytes(b"kept")
    (folder / "logs").mkdir()
    (folder / "logs" / "run.log").write_bytes(b"log")
    (folder / "logs" / "keep.log").write_bytes(b"kept log")
    api.upload_file(path_or_fileobj=b"nested/*\n", path_in_repo=".gitignore", repo_id="alice/model")
    api.upload_folder(folder_path=folder, repo_id="alice/model")
    assert not api.file_exists("alice/model", "nested/file.bin")
    assert api.file_exists("alice/model", "keep.txt")

    api.create_repo("alice/second")
    (folder / ".gitignore").write_text("*.log\n!keep.log\nnested/\n")
    api.upload_folder(folder_path=folder, repo_id="alice/second")
    assert set(api.list_repo_files("alice/second")) == {
        ".gitattributes",
        ".gitignore",
        "keep.txt",
        "logs/keep.log",
    }


def test_an_lfs_file_outside_the_gitattributes_patterns_is_added_to_them(api):
    """The Hub appends `<path> filter=lfs diff=lfs merge=lfs -text` in the same commit when a
    file goes to LFS (binary or >= 10 MB) that no `.gitattributes` pattern covers."""
    before = api.model_info("alice/model").sha
    api.create_commit(
        "alice/model",
        [
            CommitOperationAdd("data/table.dat", b"\x00binary"),  # binary: LFS, no pattern
            CommitOperationAdd("data/my weights.dat", b"\x00more"),
            CommitOperationAdd("model.safetensors", b"\x00covered"),  # *.safetensors
            CommitOperationAdd("notes.txt", b"regular"),
        ],
        commit_message="data",
    )
    path = hf_hub_download(
        "alice/model", ".gitattributes", endpoint=api.endpoint, token=ALICE_TOKEN
    )
    lines = Path(path).read_text().splitlines()
    assert lines[-2:] == [
        "data/table.dat filter=lfs diff=lfs merge=lfs -text",
        "data/my[[:space:]]weights.dat filter=lfs diff=lfs merge=lfs -text",
    ]
    assert not any("safetensors filter" in line and "model." in line for line in lines)
    commits = api.list_repo_commits("alice/model")
    assert len(commits) == 2 and commits[1].commit_id == before  # one commit did both
    siblings = {s.rfilename: s for s in api.model_info("alice/model", files_metadata=True).siblings}
    assert siblings["data/my weights.dat"].lfs is not None and siblings["notes.txt"].lfs is None
    # a second LFS file under a now-matching path adds no line
    api.upload_file(
        path_or_fileobj=b"\x00again", path_in_repo="data/table.dat", repo_id="alice/model"
    )
    again = hf_hub_download(
        "alice/model",
        ".gitattributes",
        endpoint=api.endpoint,
        token=ALICE_TOKEN,
        force_download=True,
    )
    assert Path(again).read_text().splitlines() == lines


def test_a_new_title_changes_the_slug_and_both_slugs_resolve(api):
    # test_update_collection: "Different slug, same id", "Works with both slugs"
    first = api.create_collection("Tulu 3", namespace="acme")
    outer = api.create_collection("All families", namespace="acme")
    api.add_collection_item(outer.slug, first.slug, "collection")
    second = api.update_collection_metadata(first.slug, title="Tulu 3 models", private=True)
    assert second.title == "Tulu 3 models" and second.private is True
    assert first.slug != second.slug and second.slug.startswith("acme/tulu-3-models-")
    assert first.slug.split("-")[-1] == second.slug.split("-")[-1]
    assert api.get_collection(first.slug).slug == second.slug
    assert api.get_collection(second.slug).slug == second.slug
    assert [c.slug for c in api.list_collections(owner="acme")] == [second.slug, outer.slug]
    assert [i.item_id for i in api.get_collection(outer.slug).items] == [second.slug]
    api.update_collection_metadata(first.slug, description="old slug still writes")
    api.delete_collection(first.slug)
    with pytest.raises(HfHubHTTPError) as err:
        api.get_collection(second.slug)
    assert err.value.response.status_code == 404


def test_private_storage_past_the_quota_is_refused_with_the_hubs_403(tmp_path):
    # hub-api.md section 9 / huggingface_hub#3048. Each new repo's .gitattributes is ~1.5 kB.
    with LocalHub(tmp_path / "data", auth=STRICT_AUTH, private_storage_quota=20_000) as hub:
        api = hub_api(hub, ALICE_TOKEN)
        api.create_repo("acme/private-a", private=True)
        api.create_repo("acme/private-b", private=True)
        api.create_repo("acme/public")
        api.upload_file(path_or_fileobj=b"a" * 5000, path_in_repo="a.txt", repo_id="acme/private-a")
        hub.reset_stats()
        with pytest.raises(HfHubHTTPError) as err:  # the namespace's private repos together
            api.upload_file(
                path_or_fileobj=b"\x00" * 12_000, path_in_repo="b.bin", repo_id="acme/private-b"
            )
        assert err.value.response.status_code == 403
        assert "Private repository storage limit reached" in str(err.value)
        assert "lfs_upload" not in hub.stats()["by_endpoint"]  # refused before the bytes
        with pytest.raises(HfHubHTTPError) as err:  # regular files are counted at the commit
            api.upload_file(
                path_or_fileobj=b"b" * 12_000, path_in_repo="b.txt", repo_id="acme/private-b"
            )
        assert err.value.response.status_code == 403
        assert api.list_repo_files("acme/private-b") == [".gitattributes"]
        api.upload_file(path_or_fileobj=b"c" * 50_000, path_in_repo="c.txt", repo_id="acme/public")
        # the same content twice in a repo is stored once
        api.upload_file(
            path_or_fileobj=b"a" * 5000, path_in_repo="copy.txt", repo_id="acme/private-a"
        )
        big = [CommitOperationAdd("d.txt", b"d" * 15_000)]
        with pytest.raises(HfHubHTTPError) as err:
            api.create_commit("acme/private-a", big, commit_message="too much")
        assert err.value.response.status_code == 403
        deletes = [CommitOperationDelete("a.txt"), CommitOperationDelete("copy.txt")]
        api.create_commit("acme/private-a", deletes + big, commit_message="swap")  # fits
        assert set(api.list_repo_files("acme/private-a")) == {".gitattributes", "d.txt"}
