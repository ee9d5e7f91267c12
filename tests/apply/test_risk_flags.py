"""Honest risk flags (issue 10, item 5): every deletion is a destroy in the `!!!` header, the
Markdown caution box and the `Plan:` line; unpublishing and ungating are flagged and shown
first; adopting a repo keeps its visibility unless a variant sets one; and apply asks for a
typed `yes` (anything else cancels with exit 1 and writes nothing)."""

from __future__ import annotations

import json
from pathlib import Path

from applykit import Demo


def _apply(demo: Demo, capsys, *overrides: str) -> None:
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, *overrides, capsys=capsys)
    assert run.code == 0, run.out + run.err


def _plan(demo: Demo, capsys, *args: str) -> str:
    run = demo.cli("plan", "--no-color", *demo.hub_args, *args, capsys=capsys)
    assert run.code == 0, run.err
    return run.out


def _caution(markdown: str) -> str:
    return markdown.split("> [!CAUTION]\n", 1)[1].split("\n\n", 1)[0]


def test_every_deletion_is_a_destroy_everywhere(demo: Demo, capsys) -> None:
    _apply(demo, capsys)
    # Prune a file (tokenizer.json leaves the 1B main folder) and drop Demo-1B from the
    # family's collection (the variant is excluded; without prune the repo itself stays).
    (demo.root / "checkpoints" / "main-1b" / "tokenizer.json").unlink()
    overrides = ("families.demo.defaults.artifacts.prune_files=true",)
    text = _plan(demo, capsys, *overrides)
    assert "!!! This plan DESTROYS 1 object:" in text
    assert "!!!   - files:acme/Demo-1B@main" in text and "-1 file," in text
    assert "- tokenizer.json" in text
    # Nothing else: prune_files decides how release treats the repo, not its card (issue 16).
    assert text.rstrip().endswith("Plan: 0 to add, 0 to change, 1 to destroy.")
    markdown = _plan(demo, capsys, *overrides, "--format", "markdown")
    assert markdown.startswith("## release plan: 0 to add, 0 to change, 1 to destroy")
    assert "**DESTROYS 1 object**" in _caution(markdown)
    assert "| `-` | `files:acme/Demo-1B@main` | destroys |" in markdown

    removal = ("families.demo.exclude=[1B]", "~families.demo.runs.variants.1B")
    text = _plan(demo, capsys, *removal)
    assert "!!! This plan DESTROYS 1 object:" in text
    assert "!!!   - collection-item:acme/Demo Models@acme/Demo-1B" in text
    assert "1 to destroy." in text
    markdown = _plan(demo, capsys, *removal, "--format", "markdown")
    assert "**DESTROYS 1 object**" in _caution(markdown)
    assert "| `-` | `collection-item:acme/Demo Models@acme/Demo-1B` | destroys |" in markdown

    _apply(demo, capsys, *overrides)
    assert "tokenizer.json" not in demo.api.list_repo_files("acme/Demo-1B")


def test_unpublishing_and_ungating_are_flagged_and_shown_first(demo: Demo, capsys) -> None:
    _apply(demo, capsys)
    overrides = ("families.demo.variants.7B.visibility=private",
                 "families.demo.variants.7B.gated=false",
                 "+families.demo.variants.7B.protect=false")  # public and tagged: protected
    data = json.loads(_plan(demo, capsys, *overrides, "--format", "json"))
    flags = {(c["kind"], tuple(c["flags"])) for c in data["changes"]}
    assert ("set_visibility", ("unpublishes",)) in flags
    assert ("set_gating", ("ungates",)) in flags
    assert data["summary"]["unpublishes"] == 1 and data["summary"]["ungates"] == 1
    text = _plan(demo, capsys, *overrides)
    assert text.startswith("!!! This plan UNPUBLISHES 1 object and UNGATES 1 object:\n")
    # (The address column is as wide as the longest address: the card commit on run-b too.)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "!!! ~ settings:acme/Demo-7B visibility: public -> private [unpublishes]" in lines
    assert "!!! ~ settings:acme/Demo-7B gating: auto -> off [ungates]" in lines
    caution = _caution(_plan(demo, capsys, *overrides, "--format", "markdown"))
    assert "**UNPUBLISHES 1 object and UNGATES 1 object**" in caution


def test_adopting_a_public_repo_keeps_it_public(demo: Demo, capsys) -> None:
    api = demo.api
    api.create_repo("acme/Demo-1B", private=False)  # someone else's public repo
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# Mine\n",
                    path_in_repo="README.md", repo_id="acme/Demo-1B")
    adopt = ("+families.demo.variants.1B.adopt=true",)  # defaults say private: not for adoption
    data = json.loads(_plan(demo, capsys, *adopt, "--format", "json"))
    ours = [c for c in data["changes"] if c["address"].endswith("acme/Demo-1B")]
    assert "set_visibility" not in {c["kind"] for c in ours}
    assert any(c["kind"] == "update_card" and c["fields"]["adopt"] for c in ours)
    _apply(demo, capsys, *adopt)
    assert api.model_info("acme/Demo-1B").private is False
    card = Path(api.hf_hub_download("acme/Demo-1B", "README.md")).read_text()
    assert "managed_by: release" in card and "visibility:" not in card.split("---")[1]
    again = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, *adopt, capsys=capsys)
    assert again.code == 0, again.out  # kept public: not drift, nothing to do

    # A variant that sets visibility manages it, and the flip is flagged.
    explicit = (*adopt, "+families.demo.variants.1B.visibility=private")
    text = _plan(demo, capsys, *explicit)
    assert "settings:acme/Demo-1B  visibility: public -> private  [unpublishes]" in text
    assert text.startswith("!!! This plan UNPUBLISHES 1 object:")


def test_a_risky_plan_is_applied_only_after_a_typed_yes(demo: Demo, capsys) -> None:
    for answer in ("y", "no", ""):
        run = demo.run_tty("apply", *demo.hub_args, answer=answer)
        assert run.code == 1, run.out + run.err
        assert "This plan publishes: 2 change(s) listed under '!!!' above." in run.out
        assert "Only 'yes' will be accepted to approve." in run.out
        assert "Apply cancelled. Nothing was written." in run.err
        assert demo.hub.stats()["writes"] == 0
    run = demo.run_tty("apply", *demo.hub_args, answer="yes")
    assert run.code == 0, run.out + run.err
    assert "Apply complete" in run.out
    assert demo.api.model_info("acme/Demo-7B").private is False
