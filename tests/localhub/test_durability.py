"""Concurrent committers lose nothing; a restart on the same data dir keeps every piece of state."""

from __future__ import annotations

import os
import threading

from huggingface_hub import CommitOperationAdd, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

from release.localhub import LocalHub
from release.localhub.testing import ALICE_TOKEN, STRICT_AUTH, hub_api


def test_two_concurrent_committers_never_lose_a_commit(make_api):
    api = make_api()
    api.create_repo("alice/busy")
    per_thread, conflicts = 20, []
    errors: list[BaseException] = []

    def committer(name: str) -> None:
        try:
            client = make_api()
            for number in range(per_thread):
                while True:  # the compare-and-swap loop a careful apply runs
                    head = client.model_info("alice/busy").sha
                    try:
                        client.create_commit(
                            "alice/busy",
                            [
                                CommitOperationAdd(
                                    f"{name}/{number}.txt", f"{name}{number}".encode()
                                )
                            ],
                            commit_message=f"{name} {number}",
                            parent_commit=head,
                        )
                        break
                    except HfHubHTTPError as err:
                        if err.response.status_code != 412:
                            raise
                        conflicts.append(name)
        except BaseException as err:  # surfaced in the main thread below
            errors.append(err)

    threads = [threading.Thread(target=committer, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    print(f"412 retries: {len(conflicts)}")
    titles = [c.title for c in api.list_repo_commits("alice/busy")]
    expected = {f"{n} {i}" for n in ("a", "b") for i in range(per_thread)}
    assert set(titles[:-1]) == expected and len(titles) == 2 * per_thread + 1
    assert len(api.list_repo_files("alice/busy")) == 2 * per_thread + 1


def test_restart_keeps_all_state(tmp_path):
    data = tmp_path / "data"
    blob = os.urandom(100_000)
    with LocalHub(data, auth=STRICT_AUTH) as hub:
        api = hub_api(hub, ALICE_TOKEN)
        api.create_repo("acme/kept", private=True)
        head = api.create_commit(
            "acme/kept",
            [
                CommitOperationAdd("README.md", b"---\nlicense: mit\n---\n"),
                CommitOperationAdd("model.safetensors", blob),
            ],
            commit_message="content",
        ).oid
        api.create_branch("acme/kept", branch="release/v1")
        api.create_tag("acme/kept", tag="v1.0", tag_message="annotated")
        api.update_repo_settings("acme/kept", gated="manual")
        slug = api.create_collection("Kept", namespace="acme").slug
        api.add_collection_item(slug, "acme/kept", "model")
        before = api.model_info("acme/kept", files_metadata=True)
    with LocalHub(data, auth=STRICT_AUTH) as hub:
        api = hub_api(hub, ALICE_TOKEN)
        after = api.model_info("acme/kept", files_metadata=True)
        assert (after.sha, after.private, after.gated) == (head, True, "manual")
        assert after.created_at == before.created_at and after.card_data["license"] == "mit"
        assert [s.lfs for s in after.siblings] == [s.lfs for s in before.siblings]
        refs = api.list_repo_refs("acme/kept")
        assert {b.name for b in refs.branches} == {"main", "release/v1"}
        assert [(t.name, t.target_commit) for t in refs.tags] == [("v1.0", head)]
        assert [i.item_id for i in api.get_collection(slug).items] == ["acme/kept"]
        path = hf_hub_download(
            "acme/kept",
            "model.safetensors",
            endpoint=hub.endpoint,
            token=ALICE_TOKEN,
            cache_dir=tmp_path / "cache",
        )
        assert open(path, "rb").read() == blob
        assert len(list(api.list_repo_commits("acme/kept"))) == 2
