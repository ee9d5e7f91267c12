"""Bad files and arguments as a newcomer makes them: each a one-line error naming the file and
line (or the override), no traceback, and no request to the hub — `apply` against a served
local hub proves it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from errorkit import FAMILY, Newcomer

from release.localhub import LocalHub

WITH_RUNS = FAMILY.replace(
    "  defaults:\n    visibility: private\n    card:\n      metadata: {license: apache-2.0}\n",
    "") + """\
  defaults:
    visibility: private
    artifacts: {folder: "ckpt/{size_lower}-{stage_lower}"}
  runs:
    branch: "run-{n}"
    artifacts: "ckpt/{size_lower}-{stage_lower}-{branch}"
    variants:
      "1B-*": [{n: a}]
      "7B-Base": [{n: a}]
"""


def _apply(release, hub: LocalHub, *args: str):  # type: ignore[no-untyped-def]
    return release("apply", "--auto-approve", f"hub.endpoint={hub.endpoint}", *args)


def test_a_family_file_saved_as_cp1252(release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    text = FAMILY.replace("Demo models", "Démo models")
    (newcomer.conf / "families" / "demo.yaml").write_bytes(text.encode("cp1252"))
    expected = ("Error: conf/families/demo.yaml:12:13: not UTF-8 text (byte 0xe9) (save the file "
                "as UTF-8: in your editor, or with 'iconv -f cp1252 -t utf-8')")
    release("validate").check(expected)
    _apply(release, open_hub).check(expected, hub=open_hub)


def test_a_duplicate_key(release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/families/demo.yaml",
                   FAMILY.replace("  namespace: acme\n", "  namespace: acme\n  namespace: acne\n"))
    _apply(release, open_hub).check(
        "Error: conf/families/demo.yaml:3:3: duplicate key 'namespace' (first written at line 2) "
        "(keep one of them)", hub=open_hub)


def test_a_family_file_written_as_a_list(release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/config.yaml",
                   "defaults:\n  - hub: local\n  - families: [demo, other]\n  - _self_\n")
    newcomer.write("conf/families/other.yaml", "- other:\n    namespace: acme\n")
    result = _apply(release, open_hub)
    result.check("Error: conf/families/other.yaml:1:1: the file holds a list; a config file is a "
                 "mapping of keys (e.g. 'other:' as the top-level key of a family file)",
                 hub=open_hub)
    assert "demo.yaml" not in result.err  # the other family's file is not blamed


def test_every_missing_checkpoint_folder_is_reported_at_once(release, newcomer: Newcomer,
                                                             open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/families/demo.yaml", WITH_RUNS)
    result = _apply(release, open_hub)
    folder_line = "conf/families/demo.yaml:11:25: families.demo.defaults.artifacts.folder"
    runs_line = "conf/families/demo.yaml:14:16: families.demo.runs.artifacts"
    missing = [f"{folder_line}: artifact folder 'ckpt/{cell}' does not exist"
               for cell in ("1b-base", "1b-instruct", "7b-base", "7b-instruct")]
    missing += [f"{runs_line}: artifact folder 'ckpt/{cell}-run-a' does not exist"
                for cell in ("1b-base", "1b-instruct", "7b-base")]
    result.check(*missing, hub=open_hub)
    assert result.err.count("does not exist") == 7


def test_a_run_folder_that_is_a_file(release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/families/demo.yaml", WITH_RUNS)
    assert release("checkpoints").code == 0
    folder = newcomer.root / "ckpt" / "1b-base-run-a"
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("not a folder")
    _apply(release, open_hub).check(
        "Error: conf/families/demo.yaml:14:16: families.demo.runs.artifacts: artifact folder "
        "'ckpt/1b-base-run-a' is a file, not a folder (point the config at the checkpoint's "
        "folder)", hub=open_hub)


def test_a_symlink_loop_in_a_checkpoint_folder(release, newcomer: Newcomer,
                                               open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/families/demo.yaml", WITH_RUNS)
    assert release("checkpoints").code == 0
    loop = newcomer.root / "ckpt" / "7b-base" / "weights.bin"
    os.symlink("weights.bin", loop)  # resolves to itself: ELOOP
    _apply(release, open_hub).check(
        "conf/families/demo.yaml:", "families.demo.defaults.artifacts.folder: ",
        "ckpt/7b-base/weights.bin: cannot follow (Too many levels of symbolic links); a "
        "symlink loop? remove the link or point it at a file or folder", hub=open_hub)


def test_a_card_template_name_typo(release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/families/demo.yaml", FAMILY.replace(
        "      metadata: {license: apache-2.0}\n",
        "      template: model-card.md.j2\n      metadata: {license: apache-2.0}\n"))
    _apply(release, open_hub).check(
        "Error: conf/families/demo.yaml:10:17: families.demo.defaults.card.template: card "
        "template 'model-card.md.j2' not found in 'templates' (did you mean "
        "'model_card.md.j2'?)", hub=open_hub)


def test_jinja_errors_once_and_at_the_templates_line(release, newcomer: Newcomer,
                                                     open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("templates/mine.md.j2", "# {{ title }}\n\n{{ tagline }}\n")
    result = _apply(release, open_hub, "families.demo.defaults.card.template=mine.md.j2")
    result.check("Error: templates/mine.md.j2:3: card template 'mine.md.j2': 'tagline' is "
                 "undefined", hub=open_hub)
    assert result.err.count("is undefined") == 1  # not once per variant
    newcomer.write("templates/mine.md.j2", "# {{ title }}\n\nabout {{ title ! }}\n")
    _apply(release, open_hub, "families.demo.defaults.card.template=mine.md.j2").check(
        "Error: templates/mine.md.j2:3:16: card template syntax error: unexpected char '!'",
        hub=open_hub)


def test_an_unclosed_list_override(release, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    _apply(release, open_hub, "families=[demo").check(
        "Error: override 'families=[demo': families: unbalanced brackets in '[demo' (write a "
        "list as families=[a,b], quoted in a shell: 'families=[a,b]')", hub=open_hub)


@pytest.mark.parametrize(("content", "problem", "step"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a saved plan (binary, not JSON text)",
     "save it again with 'release plan -o plan.json'"),
    (b'{"format_version": "1.0", "changes": [{"kind": "crea', "not a saved plan: not valid "
     "JSON (", "perhaps truncated; save it again with 'release plan -o plan.json'"),
    (b'{"format_version": "9.0", "changes": []}', "saved by a newer release (plan format 9.0; "
     "this one reads 2.x)", "upgrade release, or save it again with 'release plan -o "
     "plan.json' using this one"),
])
def test_a_saved_plan_file_that_cannot_be_read(release, newcomer: Newcomer, open_hub: LocalHub,
                                               content: bytes, problem: str, step: str) -> None:  # type: ignore[no-untyped-def]
    (newcomer.root / "plan.json").write_bytes(content)
    for argv in (("render", "plan.json"),
                 ("apply", "plan.json", f"hub.endpoint={open_hub.endpoint}")):
        release(*argv).check(f"Error: plan.json: {problem}", step, hub=open_hub)
    assert open_hub.stats()["total"] == 0


def test_a_typo_of_a_saved_plan_file_is_not_read_as_an_override(
        release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    assert release("plan", "-o", "plan.json", f"hub.endpoint={open_hub.endpoint}").code == 0
    release("apply", "plan.jsn", f"hub.endpoint={open_hub.endpoint}").check(
        "Error: no file 'plan.jsn' (did you mean 'plan.json'?); apply a saved plan with "
        "'release apply plan.json', or give overrides as key=value", hub=open_hub)


def test_render_of_a_binary_file(release, newcomer: Newcomer) -> None:  # type: ignore[no-untyped-def]
    Path("model.safetensors").write_bytes(bytes(range(256)))
    release("render", "model.safetensors").check(
        "Error: model.safetensors: not a saved plan (binary, not JSON text)")


def test_a_plan_saved_into_a_folder_that_does_not_exist(
        release, newcomer: Newcomer, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    # Said before the Hub is read, without a traceback (it was a FileNotFoundError traceback).
    release("plan", "-o", "plans/plan.json", f"hub.endpoint={open_hub.endpoint}").check(
        "Error: -o plans/plan.json: the folder 'plans' does not exist; create it or save the "
        "plan elsewhere", hub=open_hub)
    assert open_hub.stats()["total"] == 0 and not (newcomer.root / "plans").exists()
