"""list_models / list_datasets: author filter, expand/full/cardData, privacy, sort, Link pages."""

from __future__ import annotations

from huggingface_hub import CommitOperationAdd

from release.localhub import LocalHub
from release.localhub.testing import ALICE_TOKEN, BOB_TOKEN, STRICT_AUTH, hub_api


def test_author_filter_hides_private_repos_of_others(make_api):
    alice = make_api()
    alice.create_repo("acme/public-a")
    alice.create_repo("acme/private-b", private=True)
    make_api(BOB_TOKEN).create_repo("bob/other")
    assert [m.id for m in alice.list_models(author="acme")] == ["acme/private-b", "acme/public-a"]
    assert [m.id for m in make_api(BOB_TOKEN).list_models(author="acme")] == ["acme/public-a"]
    assert [m.id for m in make_api(False).list_models()] == ["acme/public-a", "bob/other"]


def test_expand_full_and_card_data(make_api):
    api = make_api()
    api.create_repo("acme/carded", private=True)
    api.update_repo_settings("acme/carded", gated="auto")
    api.create_commit(
        "acme/carded",
        [
            CommitOperationAdd(
                "README.md",
                b"---\nlicense: apache-2.0\npipeline_tag: text-generation\n"
                b"release:\n  family: tulu3\n---\n# Card\n",
            ),
        ],
        commit_message="card",
    )
    head = api.model_info("acme/carded").sha
    (item,) = api.list_models(
        author="acme", expand=["sha", "private", "gated", "cardData", "lastModified"]
    )
    assert (item.sha, item.private, item.gated) == (head, True, "auto")
    assert item.card_data["release"] == {"family": "tulu3"} and item.last_modified is not None
    assert item.siblings is None and item.downloads is None  # only what was expanded
    (full,) = api.list_models(author="acme", full=True)
    assert full.sha == head and [s.rfilename for s in full.siblings] == [
        ".gitattributes",
        "README.md",
    ]
    assert full.pipeline_tag == "text-generation" and full.card_data is None
    (with_card,) = api.list_models(author="acme", cardData=True)
    assert with_card.card_data["license"] == "apache-2.0"
    assert [m.id for m in api.list_models(filter="license:apache-2.0")] == ["acme/carded"]
    assert list(api.list_models(filter=["license:apache-2.0", "missing-tag"])) == []
    assert [m.id for m in api.list_models(pipeline_tag="text-generation")] == ["acme/carded"]
    (plain,) = api.list_models(author="acme")
    assert plain.sha is None and plain.private is True and plain.created_at is not None


def test_pagination_sort_and_limit(tmp_path):
    with LocalHub(tmp_path / "data", auth=STRICT_AUTH, page_size=3) as hub:
        api = hub_api(hub, ALICE_TOKEN)
        names = [f"acme/m{i:02d}" for i in range(8)]
        for name in names:
            api.create_repo(name)
        hub.reset_stats()
        assert [m.id for m in api.list_models(author="acme")] == names
        assert hub.stats()["by_endpoint"]["list_models"] == 3  # 3 + 3 + 2, via Link headers
        newest_first = [m.id for m in api.list_models(author="acme", sort="created_at")]
        assert newest_first == names[::-1]
        assert len(list(api.list_models(author="acme", limit=4))) == 4
        assert [m.id for m in api.list_models(search="m07")] == ["acme/m07"]


def test_list_datasets(make_api):
    api = make_api()
    api.create_repo("alice/ds", repo_type="dataset")
    api.create_repo("alice/model")
    assert [d.id for d in api.list_datasets(author="alice", full=True)] == ["alice/ds"]
