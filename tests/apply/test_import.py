"""`release import` end to end (issue 15, item 1): a namespace built with the raw client (and
two repos `release apply` made) is imported into a fresh project, and `release plan` right
after shows no changes; the import itself sends no write request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from applykit import Demo, write_demo_project
from huggingface_hub import CommitOperationAdd

from release.localhub import LocalHub
from release.localhub.testing import BOB_TOKEN, STRICT_AUTH, hub_api

NS = "acme"
CONFIG = """\
defaults:
  - hub: local
  - families: []
  - _self_
prune: false
"""
HUB = "kind: local\ndata_dir: .release/localhub\n"

FRONT = "---\nlicense: mit\ntags:\n- text-generation\n---\n"
#: name -> (private, gated, README.md text or None); each also holds a config.json on main
FOREIGN: dict[str, tuple[bool, Any, str | None]] = {
    "Tulu-3-8B-SFT": (False, False, FRONT + "\n# Tulu 3 8B SFT\n"),
    "Tulu-3-8B-DPO": (False, False, FRONT + "# Tulu 3 8B DPO\n\nNo blank line above.\n"),
    "Tulu-3-70B-SFT": (True, False, "# Tulu 3 70B SFT\n\nNo front matter at all.\n"),
    "Tulu-3-70B-DPO": (False, "manual", ("---\nlicense: llama3.1\nextra_gated_prompt: Agree\n"
                                         "model-index:\n- name: x\n  results: []\n---\n\n"
                                         "# 70B DPO {{ not jinja }}\n")),
    "weird_Name.v2": (False, False, "plain text, no heading, no newline at the end"),
    "MiXeD-Case": (False, "auto", ("---\nlanguage: [en, fr]\nwidget:\n  - text: Bonjour\n"
                                   "---\n\n# Café ☕\n\nUnicode body.\n")),
    "no-readme": (True, False, None),
    "with-branches": (False, False, FRONT + "\n# Branches and tags\n"),
    "tagged": (False, False, "---\nlicense: apache-2.0\n---\n\n# Tagged\n"),
    "x": (True, False, "# x\n"),
    "model.with.dots": (False, False, "---\n---\n\n# empty front matter\n"),
    "bert-tiny": (False, False, "---\nlicense: mit\ndate: 2024-01-02\n---\n\n# dated\n"),
    "Qwen2.5-0.5B": (True, "auto", FRONT + "\n# private and gated\n"),
    "checkpoint-2000": (False, False, "\n\n# leading blank lines\n\n\n"),
    "A_1": (False, False, "# A_1\r\nwindows line endings\r\n"),
    "llama-7b-chat": (True, "manual", FRONT + "\n# gated manual, private\n"),
    "z-last": (False, False, "---\nlicense: other\nlicense_name: custom\n---\n\n# last\n"),
    "mmm": (True, False, "# mmm\n"),
}


def build_namespace(hub: LocalHub) -> None:
    """18 repos made with the raw client, then release's own demo family (2 repos)."""
    api = hub_api(hub)
    for name, (private, gated, readme) in FOREIGN.items():
        repo_id = f"{NS}/{name}"
        api.create_repo(repo_id, private=private)
        files = [CommitOperationAdd("config.json", json.dumps({"name": name}).encode())]
        if readme is not None:
            files.append(CommitOperationAdd("README.md", readme.encode()))
        api.create_commit(repo_id, files, commit_message="upload by hand")
        if gated:
            api.update_repo_settings(repo_id, gated=gated)
    api.create_branch(f"{NS}/with-branches", branch="exp-1")
    api.create_branch(f"{NS}/with-branches", branch="exp-10")
    api.create_commit(f"{NS}/with-branches", [CommitOperationAdd("step.txt", b"10")],
                      commit_message="step 10", revision="exp-10")
    api.create_tag(f"{NS}/with-branches", tag="v0.1", revision="exp-10")
    api.create_tag(f"{NS}/with-branches", tag="v0.2")  # main: two tags, one is declared
    api.create_tag(f"{NS}/tagged", tag="v1.0")
    api.create_branch(f"{NS}/Tulu-3-8B-DPO", branch="dpo_seed7")
    collection = api.create_collection("Featured", namespace=NS,
                                       description="Hand-picked, ${not.interpolated}",
                                       private=False)
    for name, note in (("with-branches", "branches"), ("Tulu-3-8B-DPO", None),
                       ("weird_Name.v2", "odd name")):
        api.add_collection_item(collection.slug, f"{NS}/{name}", "model", note=note)


@dataclass
class Namespace:
    hub: LocalHub
    made_by_release: Path  # the project whose apply made acme/Demo-1B and Demo-7B


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Namespace]:
    root = tmp_path_factory.mktemp("import")
    with LocalHub(root / "hub-data") as hub:
        build_namespace(hub)
        demo = Demo(write_demo_project(root / "made"), hub)
        desired, plan = demo.plan()
        assert demo.apply(plan, desired).status == "complete"
        yield Namespace(hub, root / "made")


def fresh_project(root: Path, hub: LocalHub) -> Demo:
    (root / "conf" / "hub").mkdir(parents=True)
    (root / "conf" / "families").mkdir()
    (root / "conf" / "config.yaml").write_text(CONFIG)
    (root / "conf" / "hub" / "local.yaml").write_text(HUB)
    return Demo(root, hub)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and ".release" not in p.parts}


def test_import_of_a_20_repo_namespace_round_trips_to_no_changes(
        namespace: Namespace, tmp_path: Path, capsys: Any) -> None:
    project = fresh_project(tmp_path / "project", namespace.hub)
    before = namespace.hub.stats()
    run = project.cli("import", NS, *project.hub_args, capsys=capsys)
    after = namespace.hub.stats()
    assert run.code == 0, run.err
    assert after["writes"] == before["writes"]  # read-only on the Hub
    asked = {endpoint: n - before["by_endpoint"].get(endpoint, 0)
             for endpoint, n in after["by_endpoint"].items()
             if n != before["by_endpoint"].get(endpoint, 0)}
    requests = sum(asked.values())
    assert f"Read 20 repo(s) of acme from the Hub ({requests} requests, 0 writes)" in run.out
    # Batched: one listing, per repo its refs and main's tree, each of the 19 READMEs once
    # (hf_hub_download: HEAD + GET, fewer when huggingface_hub's own cache holds the commit's
    # file), the namespace's collections once (2 of them); no history.
    assert asked.pop("resolve") <= 2 * 19
    assert asked == {"whoami": 1, "list_models": 1, "list_repo_refs": 20, "list_repo_tree": 20,
                     "collections_list": 1, "collections_get": 2}
    assert "Next: 'release plan'" in run.out
    config = yaml.safe_load((tmp_path / "project/conf/config.yaml").read_text())
    assert config["defaults"][1] == {"families": ["acme", "demo"]}
    acme = yaml.safe_load((tmp_path / "project/conf/families/acme.yaml").read_text())["acme"]
    assert acme["defaults"] == {"adopt": True}
    assert acme["repo_name"] == "{name}" and len(acme["matrix"]["name"]) == 18
    variants = acme["variants"]
    assert variants["no-readme"]["card"] == {"managed": False}
    assert variants["Tulu-3-70B-DPO"]["gated"] == "manual"
    assert variants["Qwen2.5-0.5B"] == {**variants["Qwen2.5-0.5B"], "visibility": "private",
                                        "gated": "auto"}
    assert variants["with-branches"]["release"] == {"tag": "v0.2", "revision": "main"}
    assert acme["runs"]["variants"]["with-branches"] == [{"run": "exp-1"}, {"run": "exp-10"}]
    assert acme["collection"] == {
        "title": "Featured", "description": "Hand-picked, \\${not.interpolated}",
        "visibility": "public",
        "notes": {"with-branches": "branches", "weird_Name.v2": "odd name"},
        "items": ["with-branches", "Tulu-3-8B-DPO", "weird_Name.v2"]}
    # Foreign cards are captured byte for byte.
    for name, (_, _, readme) in FOREIGN.items():
        card = tmp_path / "project/templates/imported/acme" / f"{name}.md"
        assert (card.read_bytes().decode() if readme is not None else None) == readme, name
    demo = yaml.safe_load((tmp_path / "project/conf/families/demo.yaml").read_text())["demo"]
    assert demo["repo_name"] == "Demo-{size}" and demo["matrix"] == {"size": ["1B", "7B"]}
    assert demo["variants"]["7B"]["release"] == {"tag": "v1.0", "revision": "run-b"}
    assert demo["collection"]["title"] == "Demo Models" and "items" not in demo["collection"]

    plan = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    assert "No changes" in plan.out
    assert namespace.hub.stats()["writes"] == before["writes"]


def test_matrix_is_inferred_from_names(namespace: Namespace, tmp_path: Path,
                                       capsys: Any) -> None:
    project = fresh_project(tmp_path / "project", namespace.hub)
    run = project.cli("import", NS, "--match", "Tulu-3-*", *project.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    assert "family tulu-3, 4 repo(s), a matrix from the names" in run.out
    family = yaml.safe_load((tmp_path / "project/conf/families/tulu-3.yaml").read_text())
    tulu = family["tulu-3"]
    assert tulu["repo_name"] == "Tulu-3-{size}-{stage}"
    assert tulu["matrix"] == {"size": ["8B", "70B"], "stage": ["DPO", "SFT"]}
    assert tulu["variants"]["70B-DPO"]["gated"] == "manual"
    assert tulu["runs"]["variants"] == {"8B-DPO": [{"run": "dpo_seed7"}]}
    plan = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
    # Then the family is the config's: a change to it is planned as usual.
    edited = project.cli("plan", "--detailed-exitcode",
                         "families.tulu-3.variants.70B-SFT.gated=auto",
                         *project.hub_args, capsys=capsys)
    assert edited.code == 2, edited.out + edited.err
    assert "settings:acme/Tulu-3-70B-SFT  gating: off -> auto" in edited.out


def test_listed_repo_ids(namespace: Namespace, tmp_path: Path, capsys: Any) -> None:
    project = fresh_project(tmp_path / "project", namespace.hub)
    run = project.cli("import", NS, "x", f"{NS}/bert-tiny", "--family", "picked",
                      *project.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    picked = yaml.safe_load((tmp_path / "project/conf/families/picked.yaml").read_text())
    assert picked["picked"]["matrix"] == {"name": ["bert-tiny", "x"]}
    plan = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err


def test_an_edited_card_is_applied_with_the_provenance_block(namespace: Namespace,
                                                            tmp_path: Path, capsys: Any) -> None:
    """In a namespace of its own (the others' repos stay as built)."""
    api = hub_api(namespace.hub)
    api.create_repo("solo/one", private=True)
    readme = b"---\nlicense: mit\n---\n# one\n"
    api.create_commit("solo/one", [CommitOperationAdd("README.md", readme),
                                   CommitOperationAdd("config.json", b"{}")],
                      commit_message="by hand")
    project = fresh_project(tmp_path / "project", namespace.hub)
    assert project.cli("import", "solo", *project.hub_args, capsys=capsys).code == 0
    card = tmp_path / "project/templates/imported/solo/one.md"
    card.write_text("---\nlicense: mit\n---\n# one, edited\n")
    plan = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert plan.code == 2, plan.out + plan.err
    assert "~ card:solo/one" in plan.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in plan.out
    applied = project.cli("apply", "--auto-approve", *project.hub_args, capsys=capsys)
    assert applied.code == 0, applied.out + applied.err
    text = (Path(api.hf_hub_download("solo/one", "README.md"))).read_text()
    assert text.startswith("---\nlicense: mit\nrelease:\n  managed_by: release\n")
    assert text.endswith("\n---\n# one, edited\n")
    assert [f.path for f in api.list_repo_tree("solo/one")] == [".gitattributes", "README.md",
                                                                "config.json"]
    again = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert again.code == 0, again.out + again.err


def test_existing_files_are_not_overwritten_without_force(namespace: Namespace,
                                                          tmp_path: Path, capsys: Any) -> None:
    project = fresh_project(tmp_path / "project", namespace.hub)
    first = project.cli("import", NS, "--match", "Tulu-3-8B-*", "--family", "t",
                        *project.hub_args, capsys=capsys)
    assert first.code == 0, first.err
    family = tmp_path / "project/conf/families/t.yaml"
    family.write_text(family.read_text() + "# edited by hand\n")
    files = tree(tmp_path / "project")
    writes = namespace.hub.stats()["writes"]
    again = project.cli("import", NS, "--match", "Tulu-3-8B-*", "--family", "t",
                        *project.hub_args, capsys=capsys)
    assert again.code == 1
    assert "already exist" in again.err and "--force" in again.err
    assert tree(tmp_path / "project") == files  # nothing written anywhere
    assert namespace.hub.stats()["writes"] == writes
    forced = project.cli("import", NS, "--match", "Tulu-3-8B-*", "--family", "t", "--force",
                         *project.hub_args, capsys=capsys)
    assert forced.code == 0, forced.err
    assert "# edited by hand" not in family.read_text()
    plan = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err


@pytest.mark.parametrize(("args", "message"), [
    (("--match", "nothing-*"), "no model repo matches --match 'nothing-*'"),
    (("acme/not-there",), "repo:acme/not-there: not found in acme"),
    (("--family", "bad name!"), "a family name is letters"),
])
def test_refusals(namespace: Namespace, tmp_path: Path, capsys: Any, args: tuple[str, ...],
                  message: str) -> None:
    project = fresh_project(tmp_path / "project", namespace.hub)
    files = tree(tmp_path / "project")
    run = project.cli("import", NS, *args, *project.hub_args, capsys=capsys)
    assert run.code == 1 and message in run.err, run.err
    assert tree(tmp_path / "project") == files


def test_unknown_namespace(namespace: Namespace, tmp_path: Path, capsys: Any) -> None:
    project = fresh_project(tmp_path / "project", namespace.hub)
    run = project.cli("import", "nobody-here", *project.hub_args, capsys=capsys)
    assert run.code == 1
    assert "namespace:nobody-here: no model repos that this token can see" in run.err


def test_a_private_repo_the_token_cannot_see(tmp_path: Path, capsys: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalHub(tmp_path / "hub-data", auth=STRICT_AUTH) as hub:
        alice = hub_api(hub, "hf_alice_write")
        alice.create_repo("acme/open", private=False)
        alice.create_repo("acme/secret", private=True)
        project = fresh_project(tmp_path / "project", hub)
        monkeypatch.setenv("LOCALHUB_TOKEN", BOB_TOKEN)
        run = project.cli("import", NS, "acme/secret", "acme/open", *project.hub_args,
                          "hub.token_env=LOCALHUB_TOKEN", capsys=capsys)
        assert run.code == 1
        assert "repo:acme/secret: not found in acme" in run.err
        assert "private and this token cannot see it" in run.err
        assert BOB_TOKEN not in run.err + run.out
        assert not (tmp_path / "project/conf/families/acme.yaml").exists()
        assert os.listdir(tmp_path / "project/conf/families") == []


def test_repos_the_config_declares_are_skipped(namespace: Namespace, tmp_path: Path,
                                              capsys: Any) -> None:
    """Importing into the project that made acme/Demo-*: those stay in its family demo."""
    import shutil

    shutil.copytree(namespace.made_by_release, tmp_path / "made")
    project = Demo(tmp_path / "made", namespace.hub)
    declared = project.cli("import", NS, "--match", "Demo-*", *project.hub_args, capsys=capsys)
    assert declared.code == 1
    assert ("namespace:acme: every repo selected is already declared by conf (families demo); "
            "nothing to import") in declared.err
    run = project.cli("import", NS, "--match", "[DT]*", *project.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    assert "acme/Demo-1B: already declared in conf; skipped" in run.out
    assert "Read 6 repo(s) of acme" in run.out and "family acme, 4 repo(s)" in run.out
    config = yaml.safe_load((tmp_path / "made/conf/config.yaml").read_text())
    assert config["defaults"][1] == {"families": ["demo", "acme"]}
    plan = project.cli("plan", "--detailed-exitcode", *project.hub_args, capsys=capsys)
    assert plan.code == 0, plan.out + plan.err
