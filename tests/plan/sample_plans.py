"""Hand-built plans for renderer tests: fixed values, so pinned outputs do not depend on hashing."""

from __future__ import annotations

from release.plan.model import (
    CommitFiles,
    CreateRepo,
    CreateTag,
    DeleteRepo,
    FileOperation,
    MoveTag,
    Notice,
    Plan,
    SetGating,
    SetVisibility,
    UpdateCard,
)

OLD_CARD = "---\nlicense: mit\n---\n# Tulu 8B\n\nOld intro.\n"
NEW_CARD = "---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\n# Tulu 8B\n\nNew intro.\n"


def risky_plan() -> Plan:
    """Publishes, destroys, a tag move, drift, a card diff, files and notices."""
    changes = (
        UpdateCard(repo_id="org/Tulu-8B", old_text=OLD_CARD, new_text=NEW_CARD,
                   old_oid="a" * 40, new_oid="b" * 40, parent_commit="c" * 40),
        CommitFiles(repo_id="org/Tulu-8B", branch="main", parent_commit="c" * 40, operations=(
            FileOperation(path="config.json", op="update", size=120, sha256="1" * 64,
                          git_sha1="2" * 40, local_path="/ckpt/config.json", old_size=100,
                          old_oid="3" * 40),
            FileOperation(path="model.safetensors", op="add", size=16_000_000_000,
                          sha256="4" * 64, local_path="/ckpt/model.safetensors"),
            FileOperation(path="old.bin", op="delete", old_size=10, old_oid="5" * 40),
        )),
        MoveTag(repo_id="org/Tulu-8B", tag="v1.0", revision="main", old_target="d" * 40),
        SetGating(repo_id="org/Tulu-8B", old="manual", new=False),
        SetVisibility(repo_id="org/Tulu-8B", old="private", new="public", drift=True,
                      reason="visibility was set to private outside release"),
        DeleteRepo(repo_id="org/Tulu-old", family="tulu", variant="old", private=False,
                   head="e" * 40),
    )
    notices = (Notice(address="repo:org/Taken", code="unmanaged-collision",
                      message="org/Taken exists on the Hub but is not managed by release; left "
                              "alone.", repo_id="org/Taken"),)
    return Plan(changes=changes, notices=notices, requests=7,
                fingerprints={"settings:org/Tulu-8B": {"private": True, "gated": "manual"},
                              "card:org/Tulu-8B": {"readme_oid": "a" * 40, "head": "c" * 40},
                              "files:org/Tulu-8B@main": {"head": "c" * 40},
                              "tag:org/Tulu-8B@v1.0": {"target": "d" * 40},
                              "branch:org/Tulu-8B@main": {"head": "c" * 40},
                              "repo:org/Tulu-old": {"managed": True, "head": "e" * 40}})


def new_repo_plan() -> Plan:
    return Plan(changes=(
        CreateRepo(repo_id="org/New", family="tulu", variant="8B"),
        CreateTag(repo_id="org/New", tag="v1", revision="main"),
    ), fingerprints={"repo:org/New": None, "tag:org/New@v1": None,
                     "branch:org/New@main": None}, requests=2)


def every_kind_plan() -> Plan:
    """One change of every kind (in apply order), for the tests that prove every consumer of
    the change union handles all of it."""
    from release.plan.model import (
        AddCollectionItem,
        CreateBranch,
        CreateCollection,
        DeleteBranch,
        DeleteTag,
        MoveRepo,
        RemoveCollectionItem,
        UpdateCollection,
        UpdateCollectionItem,
    )

    repo, title = "org/Tulu-8B", "Tulu"
    changes = (
        *risky_plan().changes[:2],
        CreateRepo(repo_id="org/New", family="tulu", variant="70B"),
        CreateBranch(repo_id="org/New", branch="run-seed1", initial=True),
        SetVisibility(repo_id="org/New", old=None, new="public"),
        MoveRepo(repo_id="org/Tulu-3-8B", old_repo_id="org/Tulu-8B-old", family="tulu",
                 variant="8B", head="6" * 40),
        CreateBranch(repo_id=repo, branch="run-a"),
        DeleteBranch(repo_id=repo, branch="old-run", head="f" * 40),
        CreateTag(repo_id=repo, tag="v2.0", revision="run-a"),
        *risky_plan().changes[2:4],
        DeleteTag(repo_id=repo, tag="v0.9", old_target="9" * 40),
        *risky_plan().changes[4:],
        CreateCollection(namespace="org", title=title, description="All of Tulu"),
        UpdateCollection(namespace="org", title="Old", slug="org/old-1", old_description="a",
                         new_description="b"),
        AddCollectionItem(namespace="org", title=title, item_id=repo, position=0),
        RemoveCollectionItem(namespace="org", title="Old", slug="org/old-1",
                             item_id="org/Gone", object_id="o1", position=1),
        UpdateCollectionItem(namespace="org", title="Old", slug="org/old-1", item_id=repo,
                             object_id="o2", old_note=None, new_note="new", old_position=2,
                             new_position=0),
    )
    return Plan(changes=changes, notices=risky_plan().notices, requests=3)
