"""Lag to upstream (issue 15, item 6): where a local clone of the upstream repo is available,
`release status` says how many commits and days each published release's upstream commit is
behind the upstream branch head, text and JSON; and says why not where it cannot."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from applykit import Demo

DAY = 86400
START = 1_700_000_000  # a fixed clock: the days are exact


def _commit(clone: Path, name: str, when: int) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": f"{when} +0000", "GIT_COMMITTER_DATE":
           f"{when} +0000", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    (clone / name).write_text(name)
    subprocess.run(["git", "add", name], cwd=clone, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", name], cwd=clone, check=True, env=env)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def _upstream(root: Path) -> tuple[str, str]:
    """A clone beside the config: (the commit a release is trained from, a later head)."""
    clone = root / "train"
    clone.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True)
    trained = _commit(clone, "a", START)
    for day, name in ((2, "b"), (5, "c"), (10, "d")):
        head = _commit(clone, name, START + day * DAY)
    _commit_on_side = subprocess.run(["git", "branch", "old", trained], cwd=clone, check=True)
    assert _commit_on_side.returncode == 0
    return trained, head


def _status(demo: Demo, capsys, *overrides: str) -> dict:
    run = demo.cli("status", "--format", "json", *demo.hub_args, *overrides, capsys=capsys)
    assert run.code == 0, run.err
    return {row["repo_id"]: row for row in json.loads(run.out)["variants"]}


def test_status_says_how_far_a_release_lags_its_upstream(demo: Demo, capsys) -> None:
    trained, head = _upstream(demo.root)
    config = (f"families.demo.upstream.commit={trained}", "+families.demo.upstream.path=train")
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, *config, capsys=capsys)
    assert run.code == 0, run.err

    rows = _status(demo, capsys, *config)
    lag = rows["acme/Demo-7B"]["upstream_lag"]
    assert lag == {"commit": trained, "clone": "train", "branch": "HEAD", "head": head,
                   "commits": 3, "days": 10.0, "ancestor": True, "unknown": None}
    assert rows["acme/Demo-1B"]["upstream_lag"] == lag
    text = demo.cli("status", *demo.hub_args, *config, capsys=capsys).out
    # Variants that lag alike share a line.
    assert (f"  demo (2 variants)  {trained} -> HEAD {head[:8]}: 3 commit(s), 10.0 day(s) "
            "behind (clone train)") in text

    # A named branch; the release's own commit is not behind itself.
    rows = _status(demo, capsys, *config, "+families.demo.upstream.branch=old")
    assert rows["acme/Demo-7B"]["upstream_lag"]["commits"] == 0
    assert "up to date" in demo.cli("status", *demo.hub_args, *config,
                                    "+families.demo.upstream.branch=old", capsys=capsys).out

    # Where the clone is, and which branch, are not what the repos are made of: no change.
    run = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, *config,
                   "+families.demo.upstream.branch=old", capsys=capsys)
    assert run.code == 0, run.out


def test_without_a_clone_or_the_commit_status_says_why(demo: Demo, capsys) -> None:
    _upstream(demo.root)
    run = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert run.code == 0, run.err
    # No upstream.path, and the project is not a git checkout.
    lag = _status(demo, capsys)["acme/Demo-7B"]["upstream_lag"]
    assert lag["commits"] is None and lag["unknown"] == (
        "no local clone of https://github.com/acme/train at the config's checkout (set "
        "upstream.path to one)")
    # A clone that does not hold the recorded commit (abc1234).
    lag = _status(demo, capsys, "+families.demo.upstream.path=train")["acme/Demo-7B"][
        "upstream_lag"]
    assert lag["unknown"].startswith("commit abc1234 is not in the clone at train")
    text = demo.cli("status", *demo.hub_args, "+families.demo.upstream.path=train",
                    capsys=capsys).out
    assert ("  demo (2 variants)  abc1234: unknown: commit abc1234 is not in the clone at "
            "train") in text
    lag = _status(demo, capsys, "+families.demo.upstream.path=nowhere")["acme/Demo-7B"][
        "upstream_lag"]
    assert lag["unknown"].startswith("no local clone of https://github.com/acme/train at "
                                     "nowhere")
