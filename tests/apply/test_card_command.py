"""`release card VARIANT [--revision R]` (issue 16): the README apply commits, byte for byte,
without asking the Hub anything; an unknown variant or revision is a clear error (exit 1)."""

from __future__ import annotations

from pathlib import Path

from applykit import Demo


def _hub_readme(demo: Demo, repo_id: str, revision: str) -> bytes:
    path = demo.api.hf_hub_download(repo_id, "README.md", revision=revision,
                                    cache_dir=demo.root / "dl")
    return Path(path).read_bytes()


def test_the_card_command_prints_what_apply_committed(demo: Demo, capsys) -> None:
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    demo.hub.reset_stats()
    cards = {}
    for selector in ("demo/7B", "acme/Demo-7B", "7B", "1B"):
        run = demo.cli("card", selector, "--revision", "main", *demo.hub_args, capsys=capsys)
        assert run.code == 0, run.err
        cards[selector] = run.out.encode()
    # A card is made from the config alone: not one request to the Hub.
    assert demo.hub.stats()["total"] == 0
    assert cards["demo/7B"] == cards["acme/Demo-7B"] == cards["7B"]
    assert cards["7B"] == _hub_readme(demo, "acme/Demo-7B", "main")
    assert cards["1B"] == _hub_readme(demo, "acme/Demo-1B", "main")


def test_an_unknown_variant_or_revision_is_an_error(demo: Demo, capsys) -> None:
    run = demo.cli("card", "7b-typo", *demo.hub_args, capsys=capsys)
    assert run.code == 1
    assert "no declared variant '7b-typo'" in run.err
    assert "the config declares: demo/1B, demo/7B" in run.err
    run = demo.cli("card", "demo/8B", *demo.hub_args, capsys=capsys)
    assert run.code == 1 and "did you mean 'demo/7B'?" in run.err
    run = demo.cli("card", "7B", "--revision", "run-a", *demo.hub_args, capsys=capsys)
    assert run.code == 1
    assert "release commits no card to run-a" in run.err and "main, v1.0 (run-b)" in run.err
    run = demo.cli("card", "7B", "--revision", "v2", *demo.hub_args, capsys=capsys)
    assert run.code == 1 and "has no revision or release tag 'v2'" in run.err
