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


def test_concurrent_writers_of_every_kind_get_no_500_and_lose_nothing(make_api):
    """Issue 10 item 4: two full applies at once made 500s. The cause: dulwich writes a loose
    object through an exclusive `.lock` file, so two commits of the same content at the same
    moment (two applies writing the same card) failed with FileLocked. Writers here meet at a
    barrier each round and all write the same 1.8 MB text, the widest window for that race."""
    api = make_api()
    api.create_repo("acme/shared")
    slug = api.create_collection("Shared", namespace="acme").slug
    workers, rounds = 4, 4
    for number in range(workers):
        api.create_repo(f"acme/item-{number}")
        api.add_collection_item(slug, f"acme/item-{number}", "model")
    items = {i.item_id: i.item_object_id for i in api.get_collection(slug).items}
    barrier = threading.Barrier(workers)
    failures: list[str] = []

    def worker(number: int) -> None:
        client = make_api()
        branch = f"run-{number}"
        try:
            client.create_branch("acme/shared", branch=branch)
            for round_ in range(rounds):
                barrier.wait(timeout=30)
                same = (f"round {round_} " * 200_000).encode()
                client.create_commit(
                    "acme/shared",
                    [
                        CommitOperationAdd("notes.txt", same),
                        CommitOperationAdd(f"{branch}/{round_}.txt", str(round_).encode()),
                    ],
                    commit_message=f"{branch} {round_}",
                    revision=branch,
                )
                client.create_tag("acme/shared", tag=f"{branch}-{round_}", revision=branch)
                client.create_branch("acme/shared", branch=f"{branch}-{round_}", revision=branch)
                client.update_repo_settings(
                    f"acme/item-{number}", gated=("auto", "manual")[round_ % 2]
                )
                client.update_collection_item(
                    slug, items[f"acme/item-{number}"], note=f"{number}:{round_}"
                )
        except HfHubHTTPError as err:
            failures.append(f"{branch}: {err.response.status_code} {err}")
        except BaseException as err:  # surfaced in the main thread below
            failures.append(f"{branch}: {err!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    refs = api.list_repo_refs("acme/shared")
    last = rounds - 1
    assert {b.name for b in refs.branches} == {"main"} | {
        f"run-{n}{suffix}"
        for n in range(workers)
        for suffix in ["", *(f"-{r}" for r in range(rounds))]
    }
    assert len(refs.tags) == workers * rounds
    for number in range(workers):
        branch = f"run-{number}"
        titles = [c.title for c in api.list_repo_commits("acme/shared", revision=branch)]
        assert titles[:rounds] == [f"{branch} {r}" for r in reversed(range(rounds))]
        files = set(api.list_repo_files("acme/shared", revision=branch))
        assert {f"{branch}/{r}.txt" for r in range(rounds)} | {"notes.txt"} <= files
        assert api.model_info(f"acme/item-{number}").gated == ("auto", "manual")[last % 2]
    notes = {i.item_id: i.note for i in api.get_collection(slug).items}
    assert notes == {f"acme/item-{n}": f"{n}:{last}" for n in range(workers)}


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
