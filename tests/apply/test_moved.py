"""Renames (issue 15, item 2): a `moved` entry makes plan show `~ moved` instead of destroy +
create, and apply moves the repo on the Hub (which redirects the old id), then makes the rest
of its changes under the new id. End to end through the CLI against the local hub."""

from __future__ import annotations

import json

from applykit import FAMILY, Demo

from release.plan import Plan

RENAMED = FAMILY.replace('repo_name: "Demo-{size}"', 'repo_name: "Demo-v2-{size}"') + """\
  moved:
    - {from: "Demo-{size}", to: "Demo-v2-{size}"}
"""


def _first_apply(demo: Demo, capsys) -> None:
    first = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert first.code == 0, first.out + first.err


def _rename(demo: Demo, family: str = RENAMED) -> None:
    (demo.root / "conf" / "families" / "demo.yaml").write_text(family)


def test_a_template_rename_is_planned_and_applied_as_moves(demo: Demo, capsys) -> None:
    _first_apply(demo, capsys)
    _rename(demo)
    plan = demo.cli("plan", "-o", "moves.json", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    squeezed = " ".join(plan.out.split())  # the address column is as wide as the longest
    for size in ("1B", "7B"):
        assert (f"~ repo:acme/Demo-v2-{size} moved acme/Demo-{size} -> acme/Demo-v2-{size}"
                in squeezed), plan.out
    assert "create model repo" not in plan.out and "DELETE" not in plan.out, plan.out
    assert "(2 repos moved)" in plan.out, plan.out
    # Demo-7B is public and tagged: protected by default; moving it is allowed and said.
    assert "moved-protected" in plan.out and "Blocked" not in plan.out, plan.out
    saved = Plan.from_json((demo.root / "moves.json").read_text())
    assert saved.format_version == "2.3"
    assert saved.aliases == {"acme/Demo-1B": "acme/Demo-v2-1B",
                             "acme/Demo-7B": "acme/Demo-v2-7B"}
    data = json.loads((demo.root / "moves.json").read_text())
    assert data["summary"]["move"] == 2
    kinds = [(c["kind"], c["address"]) for c in data["changes"]]
    # The move is each repo's first change; its card (the title is the repo name) follows.
    assert kinds.index(("move_repo", "repo:acme/Demo-v2-7B")) < kinds.index(
        ("update_card", "card:acme/Demo-v2-7B"))
    markdown = demo.cli("plan", "--format", "markdown", *demo.hub_args, capsys=capsys)
    assert "1 repos" not in markdown.out and "(2 repos moved)" in markdown.out, markdown.out
    assert "moved acme/Demo-1B -&gt; acme/Demo-v2-1B" in markdown.out \
        or "moved acme/Demo-1B -> acme/Demo-v2-1B" in markdown.out, markdown.out

    before = demo.hub.stats()
    run = demo.cli("apply", "moves.json", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    after = demo.hub.stats()
    moves = after["by_endpoint"].get("move_repo", 0) - before["by_endpoint"].get("move_repo", 0)
    assert moves == 2
    api = demo.api
    assert {m.id for m in api.list_models(author="acme")} == {"acme/Demo-v2-1B",
                                                              "acme/Demo-v2-7B"}
    # The Hub redirects the old id; branches, tags and settings went with the repo.
    assert api.model_info("acme/Demo-7B").id == "acme/Demo-v2-7B"
    info = api.model_info("acme/Demo-v2-7B", expand=["private", "gated"])
    assert (info.private, info.gated) == (False, "auto")
    refs = api.list_repo_refs("acme/Demo-v2-7B")
    assert {b.name for b in refs.branches} == {"main", "run-a", "run-b"}
    assert [t.name for t in refs.tags] == ["v1.0"]
    collection = next(iter(api.list_collections(owner="acme")))
    items = [i.item_id for i in api.get_collection(collection.slug).items]
    assert items == ["acme/Demo-v2-1B", "acme/Demo-v2-7B"]
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert again.code == 0, again.out  # the entry may stay: moved already, no change


def test_a_move_across_namespaces(demo: Demo, capsys) -> None:
    _first_apply(demo, capsys)
    family = FAMILY.replace("namespace: acme", "namespace: acme-labs") + """\
  moved:
    - {from: "acme/Demo-{size}", to: "Demo-{size}"}
"""
    _rename(demo, family)
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    assert "moved acme/Demo-7B -> acme-labs/Demo-7B" in plan.out, plan.out
    assert "create model repo" not in plan.out, plan.out
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    api = demo.api
    assert not list(api.list_models(author="acme"))
    assert {m.id for m in api.list_models(author="acme-labs")} == {"acme-labs/Demo-1B",
                                                                   "acme-labs/Demo-7B"}
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert again.code == 0, again.out


def test_a_lost_answer_to_the_move_is_recognised_on_retry(demo: Demo, capsys) -> None:
    _first_apply(demo, capsys)
    _rename(demo)
    # The Hub moves the repo, then the answer is lost (503): the retry gets a 404 for the old
    # id, and apply reads the Hub to find the repo moved (no duplicate, no failure).
    demo.hub.set_faults([{"endpoint": "move_repo", "kind": "lost", "times": 1}])
    desired, plan = demo.plan()
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    notes = [r.note for r in result.results if r.change.kind == "move_repo"]
    assert any(note.startswith("already moved") for note in notes), notes
    assert demo.hub.stats()["by_endpoint"]["move_repo"] == 3  # 2 moves, one of them retried
    demo.hub.clear_faults()
    assert {m.id for m in demo.api.list_models(author="acme")} == {"acme/Demo-v2-1B",
                                                                   "acme/Demo-v2-7B"}
    _, again = demo.plan()
    assert not again.has_changes, again


def test_a_rerun_after_the_move_landed_finds_it_done(demo: Demo, capsys) -> None:
    """A saved plan applied again after its move landed (the process died after the move):
    the stale check follows the alias, and the move is recognised, not repeated."""
    _first_apply(demo, capsys)
    _rename(demo)
    plan = demo.cli("plan", "-o", "moves.json", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.err
    demo.api.move_repo("acme/Demo-1B", "acme/Demo-v2-1B")  # as the dead apply did
    run = demo.cli("apply", "moves.json", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.out + run.err
    assert "repo:acme/Demo-v2-1B (already moved" in run.err, run.err
    assert {m.id for m in demo.api.list_models(author="acme")} == {"acme/Demo-v2-1B",
                                                                   "acme/Demo-v2-7B"}


def test_a_saved_plan_is_stale_when_the_new_id_appears(demo: Demo, capsys) -> None:
    _first_apply(demo, capsys)
    _rename(demo)
    plan = demo.cli("plan", "-o", "moves.json", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.err
    demo.api.create_repo("acme/Demo-v2-1B", private=True)  # someone took the name since
    writes = demo.hub.stats()["writes"]
    run = demo.cli("apply", "moves.json", *demo.hub_args, capsys=capsys)
    assert run.code == 1, run.out + run.err
    assert "repo:acme/Demo-v2-1B" in run.err and "stale" in run.err.lower(), run.err
    assert demo.hub.stats()["writes"] == writes


def test_both_ids_on_the_hub_block_the_plan(demo: Demo, capsys) -> None:
    _first_apply(demo, capsys)
    _rename(demo)
    demo.api.create_repo("acme/Demo-v2-7B", private=True)
    writes = demo.hub.stats()["writes"]
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 1, plan.out + plan.err
    assert "move-conflict" in plan.out, plan.out
    assert ("both acme/Demo-7B and acme/Demo-v2-7B exist on the Hub" in plan.out
            and "conf/families/demo.yaml:" in plan.out), plan.out
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 1 and "blocked" in run.err, run.out + run.err
    assert demo.hub.stats()["writes"] == writes


def test_neither_id_on_the_hub_is_a_create(demo: Demo, capsys) -> None:
    _rename(demo)
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    assert "moved" not in plan.out.split("Plan:")[0].split("actions")[-1], plan.out
    assert plan.out.count("create model repo") == 2, plan.out


def test_protection_still_guards_the_moved_repo(demo: Demo, capsys) -> None:
    """Moving a protected repo is allowed, but not a way around protection: unpublishing it in
    the same plan is blocked, under its new id."""
    _first_apply(demo, capsys)
    _rename(demo, RENAMED.replace("      visibility: public\n      gated: auto",
                                  "      visibility: private\n      gated: auto"))
    plan = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert plan.code == 1, plan.out + plan.err
    assert "this plan would make acme/Demo-v2-7B private" in plan.out, plan.out


def test_bad_moved_entries_are_config_errors(demo: Demo, capsys) -> None:
    family = FAMILY + """\
  moved:
    - {from: "Demo-old-{size}", to: "Demo-{size}-typo"}
    - {from: acme/A, to: acme/Demo-7B}
    - {from: acme/B, to: acme/Demo-7B}
    - {from: acme/X, to: acme/Y}
    - {from: acme/Y, to: acme/X}
    - {from: acme/Demo-1B, to: acme/Demo-7B}
"""
    _rename(demo, family)
    writes = demo.hub.stats()["writes"]
    run = demo.cli("plan", *demo.hub_args, capsys=capsys)
    assert run.code == 1, run.out + run.err
    err = run.err
    assert "conf/families/demo.yaml:" in err, err
    assert "families.demo.moved[0].to: unknown target: 'acme/Demo-1B-typo'" in err, err
    assert "families.demo.moved[2].to: two moves to 'acme/Demo-7B'" in err, err
    assert "moves form a cycle: acme/X -> acme/Y -> acme/X" in err, err
    assert "families.demo.moved[5].from: 'acme/Demo-1B' is declared" in err, err
    assert demo.hub.stats()["writes"] == writes


def test_a_move_needs_write_access_to_the_namespace_it_leaves(tmp_path, monkeypatch,
                                                              capsys) -> None:
    """A move writes in both namespaces: a token that can write only where the repo goes is
    refused before the first write, naming the namespace it leaves."""
    from applykit import write_demo_project

    from release.localhub import LocalHub

    auth = {"users": ["alice", "bob"],
            "orgs": [{"name": "acme", "members": ["alice", {"name": "bob", "role": "read"}]},
                     {"name": "acme-labs", "members": ["alice", "bob"]}],
            "tokens": [{"value": "hf_alice_w", "user": "alice", "role": "write"},
                       {"value": "hf_bob_w", "user": "bob", "role": "write"}]}
    with LocalHub(tmp_path / "hub-data", auth=auth) as hub:
        demo = Demo(write_demo_project(tmp_path / "project"), hub)
        args = (*demo.hub_args, "hub.token_env=LOCALHUB_TOKEN")
        monkeypatch.setenv("LOCALHUB_TOKEN", "hf_alice_w")
        first = demo.cli("apply", "--auto-approve", *args, capsys=capsys)
        assert first.code == 0, first.out + first.err
        _rename(demo, FAMILY.replace("namespace: acme", "namespace: acme-labs") + """\
  moved:
    - {from: "acme/Demo-{size}", to: "Demo-{size}"}
""")
        monkeypatch.setenv("LOCALHUB_TOKEN", "hf_bob_w")
        plan = demo.cli("plan", *args, capsys=capsys)  # bob may read acme, not write there
        assert "moved acme/Demo-7B -> acme-labs/Demo-7B" in plan.out, plan.out + plan.err
        writes = hub.stats()["writes"]
        run = demo.cli("apply", "--auto-approve", *args, capsys=capsys)
        assert run.code == 1, run.out + run.err
        assert "cannot write where this plan writes" in run.err, run.err
        assert "the token's user 'bob' has the role 'read' in 'acme'" in run.err, run.err
        assert hub.stats()["writes"] == writes
