"""How far a published release lags its upstream code (issue 15, item 6).

Ajibode et al. find models on the Hub lag their upstream code by 15.8 days on average. Every
card records the upstream commit it was trained from; where a local clone of the upstream repo
is available (`upstream.path`, else the git checkout the config lives in), `git` says how many
commits and days that commit is behind the upstream branch head (`upstream.branch`, else the
clone's `origin/HEAD`, else its `HEAD`). Read-only: `git rev-parse`, `rev-list --count`,
`show -s`, `merge-base --is-ancestor`; no fetch (the clone is as fresh as its owner keeps it).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class UpstreamLag:
    """The lag of `commit` behind `branch`'s head in `clone`; `unknown` says why not known."""

    commit: str
    clone: str | None = None
    branch: str | None = None
    head: str | None = None
    commits: int | None = None
    days: float | None = None
    ancestor: bool | None = None  # False: the branch does not contain the commit (rewritten?)
    unknown: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "clone": self.clone, "branch": self.branch,
                "head": self.head, "commits": self.commits, "days": self.days,
                "ancestor": self.ancestor, "unknown": self.unknown}

    def text(self) -> str:
        if self.unknown is not None:
            return f"{self.commit}: unknown: {self.unknown}"
        assert self.head is not None
        behind = (f"{self.commits} commit(s), {self.days} day(s) behind" if self.commits
                  else "up to date")
        apart = "" if self.ancestor else f" ({self.branch} does not contain {self.commit})"
        return (f"{self.commit} -> {self.branch} {self.head[:8]}: {behind}{apart} "
                f"(clone {self.clone})")


def find_clone(path: str | None, root: Path) -> Path | None:
    """The upstream clone: `path` (relative to the project `root`) if set, else the git
    checkout `root` is in; None when neither is a git checkout."""
    folder = (root / path) if path else root
    top = _git(folder, "rev-parse", "--show-toplevel") if folder.is_dir() else None
    return Path(top) if top else None


def upstream_lag(commit: str, clone: Path | None, branch: str | None, *,
                 shown_clone: str, repo: str) -> UpstreamLag:
    """How far `commit` is behind the head of `branch` in `clone`, or why that is unknown."""
    if clone is None:
        return UpstreamLag(commit, unknown=f"no local clone of {repo} at {shown_clone} (set "
                                           "upstream.path to one)")
    known = _git(clone, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    if known is None:
        return UpstreamLag(commit, clone=shown_clone,
                           unknown=f"commit {commit} is not in the clone at {shown_clone} "
                                   "(fetch it, or point upstream.path at a clone of "
                                   f"{repo})")
    names = [branch] if branch else ["origin/HEAD", "HEAD"]
    head = name = None
    for name in names:
        head = _git(clone, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
        if head is not None:
            break
    if head is None or name is None:
        return UpstreamLag(commit, clone=shown_clone,
                           unknown=f"no branch {branch or 'HEAD'} in the clone at "
                                   f"{shown_clone} (set upstream.branch)")
    count = _git(clone, "rev-list", "--count", f"{known}..{head}")
    then, now = (_git(clone, "show", "-s", "--format=%ct", sha) for sha in (known, head))
    if count is None or not then or not now:
        return UpstreamLag(commit, clone=shown_clone, branch=name, head=head,
                           unknown="git could not compare the commits")
    ancestor = _git(clone, "merge-base", "--is-ancestor", known, head) is not None
    days = round(max(0, int(now) - int(then)) / SECONDS_PER_DAY, 1)
    return UpstreamLag(commit, clone=shown_clone, branch=name, head=head, commits=int(count),
                       days=days, ancestor=ancestor)


def _git(folder: Path, *args: str) -> str | None:
    """git's output in `folder`, stripped; None when git fails or is not installed."""
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
