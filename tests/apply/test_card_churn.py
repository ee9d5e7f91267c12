"""A commit only when something a reader sees changes (issue 16): one variant added to an applied
family plans the new repo and its collection item, and nothing on the repos already there."""

from __future__ import annotations

from applykit import Demo, write_checkpoint

from release.plan.model import AddCollectionItem, CreateRepo


def test_adding_a_size_touches_only_the_new_repo_and_the_collection(demo: Demo) -> None:
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    write_checkpoint(demo.root / "checkpoints" / "main-3b", seed=9)

    _, plan = demo.plan("families.demo.matrix.size=[1B,3B,7B]")

    touched = {getattr(c, "repo_id", None) or getattr(c, "item_id", None) for c in plan.changes}
    assert touched == {"acme/Demo-3B"}, [c.address for c in plan.changes]
    kinds = {type(c) for c in plan.changes if isinstance(c, (CreateRepo, AddCollectionItem))}
    assert kinds == {CreateRepo, AddCollectionItem}
    assert not [n for n in plan.notices if n.drift]


def _old_format(card: str) -> str:
    """The card as release wrote it before issue 16: collection positions in `declared`."""
    import yaml

    from release.state import split_card

    meta, body = split_card(card)
    declared = meta["release"]["declared"]
    declared["collections"] = {key: 1 for key in declared["collections"]}
    return "---\n" + yaml.safe_dump(meta, sort_keys=False).strip() + "\n---\n" + body


def test_a_card_in_the_old_format_plans_no_changes(demo: Demo) -> None:
    from huggingface_hub import CommitOperationAdd

    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    api = demo.api
    card = api.hf_hub_download("acme/Demo-7B", "README.md", cache_dir=demo.root / "dl")
    from pathlib import Path

    old = _old_format(Path(card).read_text())
    api.create_commit("acme/Demo-7B", [CommitOperationAdd("README.md", old.encode())],
                      commit_message="release: model card on main",
                      commit_description="Release-Apply-Id: old")

    _, plan = demo.plan()
    assert not plan.changes, [c.address for c in plan.changes]
    assert plan.in_sync
    # The old record still means "release put it there": dropping the size removes the item.
    _, plan = demo.plan("families.demo.matrix.size=[1B]", "~families.demo.variants.7B",
                        "~families.demo.runs.variants.7B")
    assert any(c.address.startswith("collection-item:") and "Demo-7B" in c.address
               and type(c).__name__ == "RemoveCollectionItem" for c in plan.changes)


def _head(demo: Demo, repo_id: str, revision: str = "main") -> tuple[str, str]:
    head = demo.api.list_repo_commits(repo_id, revision=revision)[0]
    return head.title, head.message or ""


def test_commit_messages_say_what_changed_and_where_the_change_came_from(
        demo: Demo, tmp_path, monkeypatch) -> None:
    """The title names the change; trailers name the config commit and the pull request."""
    import json
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", str(demo.root)], check=True)
    subprocess.run([*git, "add", "conf"], cwd=demo.root, check=True)
    subprocess.run([*git, "commit", "-qm", "config"], cwd=demo.root, check=True)
    config_commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=demo.root, check=True,
                                   capture_output=True, text=True).stdout.strip()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")

    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    title, message = _head(demo, "acme/Demo-1B")
    assert title.startswith("card: new; files: +4 (")
    assert f"Release-Config-Commit: {config_commit}\n" in message
    assert "Release-Pull-Request: https://github.example/acme/models/pull/42\n" in message
    assert "Upstream-Commit: abc1234\n" in message and "Release-Apply-Id: " in message
    title, message = _head(demo, "acme/Demo-7B", "run-b")
    assert title.startswith("files: ~3 (") and "Release-Tag: v1.0\n" in message

    monkeypatch.setenv("GITHUB_REF", "refs/pull/7/merge")
    desired, plan = demo.plan("families.demo.defaults.card.metadata.license=mit")
    assert demo.apply(plan, desired).status == "complete"
    title, message = _head(demo, "acme/Demo-1B")
    assert title == "card: license apache-2.0 -> mit, body"  # the body shows the license
    assert "Release-Pull-Request: https://github.example/acme/models/pull/7\n" in message


def test_toggling_prune_files_or_a_policy_rewrites_no_card(demo: Demo) -> None:
    """How apply treats a repo (pruning, checks, protection) is not what the card shows."""
    from release.plan.model import CommitFiles, UpdateCard

    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    for overrides in (["families.demo.defaults.artifacts.prune_files=true"],
                      ["+families.demo.defaults.protect=false",
                       "families.demo.defaults.artifacts.structure=off",
                       "+families.demo.defaults.policy.license=false"]):
        _, plan = demo.plan(*overrides)
        cards = [c.address for c in plan.changes if isinstance(c, UpdateCard)]
        readmes = [c.address for c in plan.changes if isinstance(c, CommitFiles)
                   and any(op.path == "README.md" for op in c.operations)]
        assert not cards and not readmes, (overrides, cards, readmes)
        assert not plan.changes, [c.address for c in plan.changes]
