"""Shared pieces for the apply tests (fixtures are in conftest.py): a tiny project on disk, the
CLI in- and out-of-process, an apply in-process with a fast retry policy, and a comparable
snapshot of what the Hub holds.

The demo family has two repos in namespace `acme`: Demo-1B (private; main + run-a) and Demo-7B
(public, gated auto; main + run-a + run-b, tag v1.0 on run-b) and a public collection of both.
An uninterrupted apply makes exactly 2 commits on main (initial + card/files), 3 on each run
branch (branched from main, + its files).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.hub.write import RetryPolicy
from release.localhub import LocalHub
from release.localhub.auth import DEFAULT_TOKEN
from release.localhub.testing import hub_api

REPO_ROOT = Path(__file__).resolve().parents[2]
RELEASE = str(Path(sys.executable).with_name("release"))
NAMESPACE = "acme"

CONFIG = """\
defaults:
  - hub: local
  - families: [demo]
  - _self_
prune: false
"""
HUB = "kind: local\ndata_dir: .release/localhub\n"
FAMILY = """\
demo:
  namespace: acme
  repo_name: "Demo-{size}"
  matrix:
    size: [1B, 7B]
  defaults:
    visibility: private
    card:
      summary: A tiny model family for apply tests.
      intended_use: Tests of release apply.
      metadata: {license: apache-2.0}
    artifacts:
      folder: "checkpoints/main-{size_lower}"
      include: ["*.json", "*.safetensors"]
  variants:
    "7B":
      visibility: public
      gated: auto
      release: {tag: v1.0, revision: run-b}
  runs:
    branch: "run-{name}"
    artifacts: "checkpoints/{size_lower}-{branch}"
    variants:
      "1B": [{name: a}]
      "7B": [{name: a}, {name: b}]
  upstream: {repo: "https://github.com/acme/train", commit: abc1234}
  collection:
    title: Demo Models
    visibility: public
"""
#: One repo (acme/Solo-7B): main and run branch run-b with their own folders, the release tag
#: on run-b, public and gated (issue 10, item 0's shape). Checkpoints: main-7b and 7b-run-b.
#: The demo with JSON checkpoint files only: main's first commit of a new repo is then small text
#: files, sent right after the creation without a parent check ("fresh", see RepoApplier).
TEXT_ONLY = 'families.demo.defaults.artifacts.include=["*.json"]'

SOLO_FAMILY = """\
demo:
  namespace: acme
  repo_name: "Solo-{size}"
  matrix:
    size: [7B]
  defaults:
    visibility: public
    gated: auto
    card:
      summary: One repo, one run branch.
      intended_use: Tests of release apply.
      metadata: {license: apache-2.0}
    artifacts:
      folder: "checkpoints/main-{size_lower}"
      include: ["*.json", "*.safetensors"]
    release: {tag: v1.0, revision: run-b}
  runs:
    branch: "run-{name}"
    artifacts: "checkpoints/{size_lower}-{branch}"
    variants:
      "7B": [{name: b}]
  upstream: {repo: "https://github.com/acme/train", commit: abc1234}
"""
FOLDERS = ("main-1b", "main-7b", "1b-run-a", "7b-run-a", "7b-run-b")
#: Commits per branch after one uninterrupted apply of the demo project.
DEMO_COMMITS = {"acme/Demo-1B": {"main": 2, "run-a": 3},
                "acme/Demo-7B": {"main": 2, "run-a": 3, "run-b": 3}}


def safetensors(elements: int, seed: int) -> bytes:
    """A valid single-tensor safetensors file (so the structure check is satisfied)."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [elements],
                               "data_offsets": [0, 4 * elements]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    return (struct.pack("<Q", len(header)) + header
            + bytes((seed * 7 + i) % 251 for i in range(4 * elements)))


def write_checkpoint(folder: Path, seed: int, elements: int = 1000) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "seed": seed}))
    (folder / "tokenizer_config.json").write_text("{}")
    (folder / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE", "seed": seed}}))
    (folder / "model.safetensors").write_bytes(safetensors(elements, seed))


def write_demo_project(root: Path, elements: int = 1000) -> Path:
    (root / "conf" / "hub").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "families").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "config.yaml").write_text(CONFIG)
    (root / "conf" / "hub" / "local.yaml").write_text(HUB)
    (root / "conf" / "families" / "demo.yaml").write_text(FAMILY)
    shutil.copytree(REPO_ROOT / "templates", root / "templates", dirs_exist_ok=True)
    for seed, name in enumerate(FOLDERS):
        write_checkpoint(root / "checkpoints" / name, seed, elements)
    return root


def use_family(root: Path, family: str) -> None:
    """Replace the project's family config (the checkpoints stay)."""
    (root / "conf" / "families" / "demo.yaml").write_text(family)


def branch_files(api: Any, repo_id: str, revision: str) -> dict[str, str]:
    """{path: LFS sha256 or blob id} of a revision, as the Hub lists it."""
    return {entry.path: (entry.lfs.sha256 if entry.lfs else entry.blob_id)
            for entry in api.list_repo_tree(repo_id, revision=revision, recursive=True)
            if hasattr(entry, "blob_id")}


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Demo:
    """A demo project wired to a local hub (through the `hub.endpoint` override)."""

    root: Path
    hub: LocalHub
    waits: list[float] = field(default_factory=list)

    @property
    def hub_args(self) -> list[str]:
        return [f"hub.endpoint={self.hub.endpoint}"]

    @property
    def api(self) -> Any:
        return hub_api(self.hub)

    def cli(self, *args: str, capsys: Any) -> Run:
        """The CLI in-process (`release.cli.main`), from the project directory."""
        from release.cli import main

        capsys.readouterr()
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        finally:
            os.chdir(cwd)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def spawn(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        """`release ARGS` as a separate process (stdin not a terminal), from the project."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return subprocess.Popen([RELEASE, *args], cwd=self.root, env=env, text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kwargs)

    def run(self, *args: str, timeout: float = 60) -> Run:
        process = self.spawn(*args)
        out, err = process.communicate(timeout=timeout)
        return Run(process.returncode, out, err)

    def run_tty(self, *args: str, answer: str, timeout: float = 60) -> Run:
        """`release ARGS` with a terminal as stdin, typing `answer` at the prompt."""
        import pty

        controller, terminal = pty.openpty()
        try:
            process = subprocess.Popen(
                [RELEASE, *args], cwd=self.root, text=True, stdin=terminal,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
            os.write(controller, answer.encode() + b"\n")
            out, err = process.communicate(timeout=timeout)
        finally:
            os.close(controller)
            os.close(terminal)
        return Run(process.returncode, out, err)

    def policy(self) -> RetryPolicy:
        """Fast retries that record the waits they would have made."""
        return RetryPolicy(attempts=5, base_wait=0.01, max_wait=8.0, sleep=self.waits.append)

    def plan(self, *overrides: str, targets: tuple[str, ...] = ()) -> tuple[Any, Any]:
        """(desired, plan) in-process, as 'release plan' computes it."""
        return self.plan_of(self.desired(*overrides), targets)

    def desired(self, *overrides: str) -> Any:
        """The project's config, expanded (the slow part of planning: load it once)."""
        from release.workflow import Project, load_desired

        return load_desired(Project(self.root / "conf"), [*self.hub_args, *overrides])

    def plan_of(self, desired: Any, targets: tuple[str, ...] = ()) -> tuple[Any, Any]:
        """(desired, plan): `desired` against the Hub as it is now."""
        from release.workflow import Project, hub_session, make_plan

        with hub_session(Project(self.root / "conf"), desired.config) as session:
            return desired, make_plan(session, desired.state, targets)

    def apply(self, plan: Any, desired: Any = None, **kwargs: Any) -> Any:
        """Apply `plan` in-process with the fast policy -> ApplyResult."""
        from release.hub.client import connect
        from release.workflow import apply_plan

        provenance = None if desired is None else {
            r.repo_id: r.provenance for r in desired.state.repos if r.provenance}
        kwargs.setdefault("check_stale", False)
        kwargs.setdefault("root", self.root)  # plans name checkpoint files relative to it
        # Not through the config: Hydra's global state is not thread-safe (concurrent applies).
        with connect("local", self.hub.endpoint,
                     cache_dir=self.root / ".release" / "cache") as session:
            kwargs.setdefault("policy", self.policy())
            return apply_plan(session, plan, provenance=provenance, **kwargs)

    def apply_twice_at_once(self, plan: Any, desired: Any = None, parallelism: int = 2,
                            timeout_s: float = 60) -> list[Any]:
        """Two applies of `plan` started together (a barrier) -> both ApplyResults. Interleave
        them with `hub.set_latency` or a latency fault first."""
        results: list[Any] = []
        start = threading.Barrier(2)

        def apply() -> None:
            start.wait()
            results.append(self.apply(plan, desired, parallelism=parallelism))

        threads = [threading.Thread(target=apply) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout_s)
        assert len(results) == 2, f"an apply did not finish within {timeout_s:g} s"
        return results

    def snapshot(self) -> dict[str, Any]:
        return hub_snapshot(self.hub)


def hub_snapshot(hub: LocalHub) -> dict[str, Any]:
    """What the Hub holds in `acme`, comparable across hubs (no shas, no times).

    Per repo: visibility, gating, per branch the files (path -> blob id / LFS sha256) and the
    number of commits, per tag the branches whose head it is; per collection its items.
    """
    api = hub_api(hub, DEFAULT_TOKEN)
    repos: dict[str, Any] = {}
    for info in api.list_models(author=NAMESPACE, expand=["private", "gated"]):
        refs = api.list_repo_refs(info.id)
        heads = {b.name: b.target_commit for b in refs.branches}
        branches = {}
        for name, head in sorted(heads.items()):
            files = branch_files(api, info.id, head)
            commits = list(api.list_repo_commits(info.id, revision=name))
            branches[name] = {"files": files, "commits": len(commits),
                              "titles": [c.title for c in commits]}
        tags = {t.name: sorted(b for b, h in heads.items() if h == t.target_commit)
                for t in refs.tags}
        repos[info.id] = {"private": info.private, "gated": info.gated, "branches": branches,
                          "tags": tags}
    collections = {}
    for listed in api.list_collections(owner=NAMESPACE):
        full = api.get_collection(listed.slug)
        collections[full.title] = {"private": full.private, "description": full.description,
                                   "items": [(i.item_type, i.item_id, i.note) for i in
                                             sorted(full.items, key=lambda i: i.position)]}
    return {"repos": repos, "collections": collections}


def commit_counts(snapshot: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {repo_id: {name: branch["commits"] for name, branch in repo["branches"].items()}
            for repo_id, repo in snapshot["repos"].items()}


class Watcher(threading.Thread):
    """Polls the hub while an apply runs, recording every moment a repo is public without its
    card and files (what `declared` says each branch must hold)."""

    def __init__(self, hub: LocalHub, expected: dict[str, dict[str, set[str]]]) -> None:
        super().__init__(daemon=True)
        self.api = hub_api(hub, DEFAULT_TOKEN)
        self.expected = expected
        self.stop = threading.Event()
        self.violations: list[str] = []
        self.polls = 0
        self.public_seen = 0

    def run(self) -> None:
        try:
            self._watch()
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            self.violations.append(f"watcher failed: {exc!r}")

    def wait_polls(self, count: int, timeout: float = 10.0) -> None:
        """Return once `count` more full polls have happened (so the current state was seen)."""
        target, deadline = self.polls + count, time.monotonic() + timeout
        while self.polls < target and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.polls >= target, f"the watcher stalled: {self.violations}"

    def _watch(self) -> None:
        while not self.stop.is_set():
            self.polls += 1
            for info in self.api.list_models(author=NAMESPACE, expand=["private"]):
                if info.private:
                    continue
                self.public_seen += 1
                refs = {b.name for b in self.api.list_repo_refs(info.id).branches}
                for branch, paths in self.expected.get(info.id, {}).items():
                    have = set(self.api.list_repo_files(info.id, revision=branch)) \
                        if branch in refs else set()
                    if not paths <= have:
                        self.violations.append(
                            f"{info.id} public while {branch} lacks {sorted(paths - have)}")
            self.stop.wait(0.003)
