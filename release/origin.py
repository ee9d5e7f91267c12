"""Where a change comes from: the config repository's git commit and, in CI, the pull request.

Written as commit trailers (`Release-Config-Commit:`, `Release-Pull-Request:`) beside the apply
id and the upstream commit, so every Hub commit links back to the code review that asked for
it. Read without spawning git when the checkout is plain (`.git/HEAD` and the ref it names);
one `git rev-parse HEAD` otherwise (packed refs in odd layouts, detached worktrees); nothing when
the config is not in a git checkout or git is absent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")
_PULL_REF = re.compile(r"refs/pull/(\d+)/(?:merge|head)\Z")

CONFIG_COMMIT_TRAILER = "Release-Config-Commit"
PULL_REQUEST_TRAILER = "Release-Pull-Request"


@dataclass(frozen=True)
class Origin:
    config_commit: str | None = None
    pull_request: str | None = None  # the pull request's URL

    def trailers(self) -> list[tuple[str, str]]:
        found = [(CONFIG_COMMIT_TRAILER, self.config_commit),
                 (PULL_REQUEST_TRAILER, self.pull_request)]
        return [(key, value) for key, value in found if value]


#: The trailers `release status` shows for a published revision, by the name it shows them under.
SHOWN_TRAILERS = {"config_commit": CONFIG_COMMIT_TRAILER, "pull_request": PULL_REQUEST_TRAILER,
                  "apply_id": "Release-Apply-Id", "upstream_commit": "Upstream-Commit"}


def read_trailers(message: str) -> dict[str, str]:
    """{name: value} of the `SHOWN_TRAILERS` in a commit message (the first of each)."""
    names = {trailer: name for name, trailer in SHOWN_TRAILERS.items()}
    found: dict[str, str] = {}
    for line in message.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in names and value.strip():
            found.setdefault(names[key], value.strip())
    return found


def find_origin(project: Path, environ: Mapping[str, str] | None = None) -> Origin:
    env = os.environ if environ is None else environ
    return Origin(config_commit=config_commit(project), pull_request=pull_request(env))


def config_commit(project: Path) -> str | None:
    """The commit checked out where `project` lives, or None outside a git checkout."""
    git_dir = _git_dir(project.resolve())
    if git_dir is None:
        return None
    found = _read_head(git_dir)
    return found if found is not None else _rev_parse(project)


def pull_request(env: Mapping[str, str]) -> str | None:
    """The pull request's URL in a GitHub Actions run (GITHUB_REF or the event payload)."""
    repository = env.get("GITHUB_REPOSITORY")
    if not env.get("GITHUB_ACTIONS") and not repository:
        return None
    number: int | None = None
    match = _PULL_REF.match(env.get("GITHUB_REF", ""))
    if match:
        number = int(match.group(1))
    elif env.get("GITHUB_EVENT_PATH"):
        try:
            event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            event = {}
        pull = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(pull, dict) and isinstance(pull.get("html_url"), str):
            return str(pull["html_url"])
        if isinstance(pull, dict) and isinstance(pull.get("number"), int):
            number = pull["number"]
    if number is None or not repository:
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{repository}/pull/{number}"


def _git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                path = Path(text.removeprefix("gitdir:").strip())
                return path if path.is_absolute() else (folder / path).resolve()
            return None
    return None


def _read_head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if _SHA.match(head):
        return head
    if not head.startswith("ref: "):
        return None
    ref = head.removeprefix("ref: ").strip()
    common = git_dir
    commondir = git_dir / "commondir"
    if commondir.is_file():  # a linked worktree keeps its refs in the main repository
        common = (git_dir / commondir.read_text(encoding="utf-8").strip()).resolve()
    for folder in (git_dir, common):
        try:
            value = (folder / ref).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if _SHA.match(value):
            return value
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref and _SHA.match(sha):
            return sha
    return None


def _rev_parse(project: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and _SHA.match(value) else None
