"""Cards on released revisions are true (issue 16): the README a release tag serves is the
release's card, committed to its run branch with its files, before the tag; a later card change
of a released revision is said in the plan; a repo released before this is upgraded once, and
the plan names it so, not as drift."""

from __future__ import annotations

from pathlib import Path

from applykit import FAMILY, Demo, use_family
from huggingface_hub import CommitOperationAdd

from release.plan.model import CommitFiles, CreateTag, UpdateCard

REPO = "acme/Demo-7B"


def _readme(demo: Demo, revision: str, repo_id: str = REPO) -> str:
    path = demo.api.hf_hub_download(repo_id, "README.md", revision=revision,
                                    cache_dir=demo.root / "dl" / revision)
    return Path(path).read_text(encoding="utf-8")


def _card(desired, repo_id: str = REPO) -> str:
    return next(r.card_text for r in desired.state.repos if r.repo_id == repo_id)


def _readme_commits(plan, branch: str) -> list[CommitFiles]:
    return [c for c in plan.changes if isinstance(c, CommitFiles) and c.branch == branch
            and any(op.path == "README.md" for op in c.operations)]


def test_a_release_tag_serves_the_release_card(demo: Demo, capsys) -> None:
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    card = _card(desired)
    assert "The release is tagged `v1.0`" in card
    assert _readme(demo, "v1.0") == card == _readme(demo, "main")
    run = demo.cli("card", "7B", "--revision", "v1.0", *demo.hub_args, capsys=capsys)
    assert run.code == 0 and run.out == card


def test_a_release_added_later_commits_its_card_to_the_run_branch_before_the_tag(
        demo: Demo) -> None:
    """The issue's case: run-b was made (with the card of then: no release line); adding the
    release commits the release's card to run-b, and the tag is made on that commit."""
    use_family(demo.root, FAMILY.replace("      release: {tag: v1.0, revision: run-b}\n", ""))
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    before = _readme(demo, "run-b")
    assert "v1.0" not in before

    use_family(demo.root, FAMILY)
    desired, plan = demo.plan()
    (commit,) = _readme_commits(plan, "run-b")
    assert not commit.drift and not commit.reason
    order = [c.address for c in plan.changes if getattr(c, "repo_id", "") == REPO]
    assert order.index(commit.address) < order.index(
        next(c.address for c in plan.changes if isinstance(c, CreateTag)))
    assert not [n for n in plan.notices if n.code == "released-card"]  # a release, not a change
    assert demo.apply(plan, desired).status == "complete"
    assert _readme(demo, "v1.0") == _card(desired) != before
    title = demo.api.list_repo_commits(REPO, revision="run-b")[0].title
    assert title.startswith("card: updated"), title
    _, plan = demo.plan()
    assert not plan.changes, [c.address for c in plan.changes]


def test_a_later_card_change_of_a_released_revision_is_said_and_the_tag_stays(
        demo: Demo) -> None:
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    released = _readme(demo, "v1.0")
    tag = demo.api.list_repo_refs(REPO).tags[0].target_commit

    desired, plan = demo.plan("families.demo.defaults.card.metadata.license=mit")
    assert _readme_commits(plan, "run-b") and any(
        isinstance(c, UpdateCard) and c.repo_id == REPO for c in plan.changes)
    (notice,) = [n for n in plan.notices if n.code == "released-card"]
    assert notice.address == f"tag:{REPO}@v1.0" and not notice.blocks
    assert notice.message.startswith("the card of released revision v1.0 (run-b) changes; "
                                     f"the tag stays at {tag[:12]}")
    assert not [n for n in plan.notices if n.code == "tag-points-elsewhere"]
    assert demo.apply(plan, desired).status == "complete"
    assert _readme(demo, "v1.0") == released  # the release keeps its card
    assert _readme(demo, "run-b") == _card(desired) != released

    # With move_tag the tag would follow; the repo is public and tagged: protected.
    _, plan = demo.plan("families.demo.defaults.card.metadata.license=apache-2.0",
                        "+families.demo.variants.7B.release.move_tag=true")
    (notice,) = [n for n in plan.notices if n.code == "released-card"]
    assert "release.move_tag: true moves v1.0 to the new commit" in notice.message
    assert any(n.code == "protected" and n.address == f"tag:{REPO}@v1.0" for n in plan.blocked)


def _rewrite(demo: Demo, branch: str, text: str, *, by_release: bool) -> None:
    demo.api.create_commit(REPO, [CommitOperationAdd("README.md", text.encode())],
                           revision=branch, commit_message="card",
                           commit_description="Release-Apply-Id: old" if by_release else "")


def test_a_repo_released_before_is_upgraded_once_and_the_plan_says_so(demo: Demo) -> None:
    """Release before issue 16 left on run-b the card main had when the branch was made."""
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    older = _card(demo.desired("families.demo.defaults.card.summary=Older."))
    _rewrite(demo, "run-b", older, by_release=True)
    demo.api.create_tag(REPO, tag="v1.0", revision="run-b", exist_ok=True)  # stays where it was

    desired, plan = demo.plan()
    (commit,) = _readme_commits(plan, "run-b")
    assert not commit.drift and commit.reason.startswith("one-time upgrade: release now commits "
                                                         "the release's card")
    assert not [n for n in plan.notices if n.drift]
    (notice,) = [n for n in plan.notices if n.code == "released-card"]
    assert "(one-time upgrade: it still holds the card main had before)" in notice.message
    assert demo.apply(plan, desired).status == "complete"
    _, plan = demo.plan()
    assert not plan.changes, [c.address for c in plan.changes]


def test_a_card_edited_on_a_released_revision_is_drift(demo: Demo) -> None:
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    _rewrite(demo, "run-b", _card(desired).replace("## Training", "## Trained by hand"),
             by_release=False)
    _, plan = demo.plan()
    (commit,) = _readme_commits(plan, "run-b")
    assert commit.drift


def test_a_card_differing_only_in_its_recorded_digest_is_not_rewritten(demo: Demo) -> None:
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    card = _card(desired)
    digest = next(r.provenance.config_digest for r in desired.state.repos if r.repo_id == REPO)
    head, _, rest = card.partition("\n---\n")
    _rewrite(demo, "run-b", head.replace(digest, "sha256:" + "0" * 64) + "\n---\n" + rest,
             by_release=True)
    _, plan = demo.plan()
    assert not _readme_commits(plan, "run-b"), [c.address for c in plan.changes]
