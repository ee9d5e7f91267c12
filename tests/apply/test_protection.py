"""Protection (issue 15, item 4): a repo public and tagged on the Hub, or one with `protect:
true`, may not be deleted, unpublished, ungated or have a tag moved or deleted; `release plan`
exits 1 naming the object and the config line, `release apply` refuses before any write (a
saved plan too), until the config lifts it with `protect: false`."""

from __future__ import annotations

import json
from pathlib import Path

from applykit import FAMILY, Demo, use_family


def _apply(demo: Demo, capsys, *overrides: str) -> None:
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, *overrides, capsys=capsys)
    assert run.code == 0, run.out + run.err


def _blocked(run) -> list[dict]:  # type: ignore[no-untyped-def]
    return [n for n in json.loads(run.out)["notices"] if n["blocks"]]


UNPUBLISH = ("families.demo.variants.7B.visibility=private",
             "families.demo.variants.7B.gated=false")


def test_a_public_tagged_repo_is_protected_by_default(demo: Demo, capsys,
                                                      tmp_path: Path) -> None:
    _apply(demo, capsys)  # Demo-7B: public, gated, tag v1.0
    run = demo.cli("plan", "--no-color", *demo.hub_args, *UNPUBLISH, capsys=capsys)
    assert run.code == 1, run.out + run.err
    assert run.out.startswith("Blocked: apply refuses this plan until the config or the Hub "
                              "changes:\n")
    assert ("  x settings:acme/Demo-7B  protected: this plan would make acme/Demo-7B private; "
            "acme/Demo-7B is protected: public and tagged (v1.0) on the Hub, protected by "
            "default; to allow this, set protect: false under "
            "conf/families/demo.yaml:16:5 (families.demo.variants.7B)") in run.out
    assert "would remove the gating of acme/Demo-7B; acme/Demo-7B is protected" in run.out
    assert "Error: this plan is blocked (2)" in run.err
    as_json = demo.cli("plan", *demo.hub_args, *UNPUBLISH, "--format", "json", capsys=capsys)
    assert [n["code"] for n in _blocked(as_json)] == ["protected", "protected"]
    assert json.loads(as_json.out)["summary"]["blocked"] == 2

    # apply: refused before the prompt and before any write; a saved plan too.
    before = demo.hub.stats()["writes"]
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, *UNPUBLISH, capsys=capsys)
    assert run.code == 1
    assert "this plan is blocked (2); nothing was written" in run.err
    saved = tmp_path / "plan.json"
    assert demo.cli("plan", *demo.hub_args, *UNPUBLISH, "-o", str(saved),
                    capsys=capsys).code == 1
    # (its overrides are not the project's config: only the block is under test here)
    run = demo.cli("apply", str(saved), *demo.hub_args, "--allow-config-change",
                   capsys=capsys)
    assert run.code == 1 and "this plan is blocked (2)" in run.err
    assert demo.hub.stats()["writes"] == before
    assert demo.api.model_info("acme/Demo-7B").private is False

    # Lifted in config: the same change plans and applies.
    lifted = (*UNPUBLISH, "+families.demo.variants.7B.protect=false")
    run = demo.cli("plan", "--no-color", *demo.hub_args, *lifted, capsys=capsys)
    assert run.code == 0 and "Blocked" not in run.out
    _apply(demo, capsys, *lifted)
    assert demo.api.model_info("acme/Demo-7B").private is True


def test_moving_or_dropping_a_protected_tag_is_refused(demo: Demo, capsys) -> None:
    _apply(demo, capsys)
    move = ("families.demo.variants.7B.release.revision=run-a",
            "+families.demo.variants.7B.release.move_tag=true")
    run = demo.cli("plan", *demo.hub_args, *move, "--format", "json", capsys=capsys)
    assert run.code == 1
    assert [(n["address"], n["code"]) for n in _blocked(run)] == [
        ("tag:acme/Demo-7B@v1.0", "protected")]
    assert "would move the tag v1.0 of acme/Demo-7B;" in _blocked(run)[0]["message"]
    _apply(demo, capsys, *move, "+families.demo.variants.7B.protect=false")
    refs = demo.api.list_repo_refs("acme/Demo-7B")
    heads = {b.name: b.target_commit for b in refs.branches}
    assert {t.name: t.target_commit for t in refs.tags} == {"v1.0": heads["run-a"]}


def test_protect_true_names_its_line_and_guards_a_private_repo(demo: Demo, capsys) -> None:
    use_family(demo.root, FAMILY.replace("  defaults:\n", "  defaults:\n    protect: true\n", 1))
    _apply(demo, capsys)
    # Demo-1B (private, untagged) leaves the config and prune is on: a delete.
    retire = ("families.demo.exclude=[1B]", "~families.demo.runs.variants.1B", "prune=true")
    run = demo.cli("plan", *demo.hub_args, *retire, "--format", "json", capsys=capsys)
    assert run.code == 1
    [notice] = _blocked(run)
    assert notice["address"] == "repo:acme/Demo-1B"
    assert notice["message"] == (
        "this plan would delete acme/Demo-1B; acme/Demo-1B is protected: protect: true "
        "at conf/families/demo.yaml:7:14 (families.demo.defaults.protect); set it to false "
        "there to allow this")
    # Lifted where it is set (a selector cannot name an excluded variant).
    _apply(demo, capsys, *retire, "families.demo.defaults.protect=false")
    assert [m.id for m in demo.api.list_models(author="acme")] == ["acme/Demo-7B"]
