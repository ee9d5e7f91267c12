"""Large checkpoints: `release apply` next to a plain `HfApi.upload_folder` script (issue 18).

Two scenarios, each uploaded twice to its own fresh bench hub (bench/hubserver.py, in its own
process, no injected latency): once by `release apply --auto-approve` (cold hash cache, as on
the training cluster), once by the script a lab writes (`create_repo` + `upload_folder`, and per
run branch `create_branch` + `upload_folder(revision=..., delete_patterns=...)`), same content:

  big:     one file of `--big-gib` GiB (default 4) on main;
  sharded: 200 x 20 MB shards on main, plus 20 run branches of 50 x 1 MB files each
           (`--shards/--shard-mb/--branches/--branch-files/--branch-file-mb`).

Per step: wall time, bytes the client read through read() (`rchar` of /proc/PID/io, read
before the child is reaped: the file reads, plus a few MB of Python modules) over the bytes of
the files, request-body bytes the hub received, requests. Targets: release within 1.1x of the
script's time, and at most 2 reads per byte (the hub's own verification is its process, not
counted). Generated data lives under --work (default: a temporary directory) and is removed.

    .venv/bin/python -m bench.large_files [--scenarios big,sharded] [--big-gib 4] [--work DIR]
        [--parallelism 8] [--keep]

Not part of `make bench` (it writes ~10 GB and takes minutes); `make bench-large` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.run import REPO_ROOT, Hub, _env, release_cli

BLOCK = 16 << 20

FAMILY = """\
big:
  namespace: bench
  repo_name: "{repo}"
  matrix: {{size: [1B]}}
  defaults:
    visibility: private
    card:
      summary: Large checkpoint benchmark.
      metadata: {{license: apache-2.0, library_name: transformers}}
    artifacts: {{folder: main}}
"""

RUNS = """\
  runs:
    branch: "run-{{n}}"
    artifacts: "runs/run-{{n}}"
    variants:
      "1B":
{runs}
"""

SCRIPT = """\
import json, os, sys
from huggingface_hub import HfApi
plan = json.loads(sys.argv[1])
api = HfApi(endpoint=plan["endpoint"], token=os.environ["HF_TOKEN"])
api.create_repo(plan["repo_id"], private=True, exist_ok=True)
api.upload_folder(repo_id=plan["repo_id"], folder_path=plan["main"], commit_message="main")
head = api.list_repo_refs(plan["repo_id"]).branches[0].target_commit
for branch, folder in plan["branches"]:
    api.create_branch(plan["repo_id"], branch=branch, revision=head, exist_ok=True)
    api.upload_folder(repo_id=plan["repo_id"], folder_path=folder, revision=branch,
                      commit_message=branch, delete_patterns=["*.bin"])
"""


@dataclass
class Measured:
    tool: str
    scenario: str
    wall_s: float = 0.0
    read_bytes: int = 0  # rchar of the client process
    file_bytes: int = 0
    received: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    exit_code: int = 0

    @property
    def reads_per_byte(self) -> float:
        return self.read_bytes / self.file_bytes if self.file_bytes else 0.0

    def line(self) -> str:
        return (f"  {self.scenario:8} {self.tool:8} {self.wall_s:7.1f} s  "
                f"{self.reads_per_byte:4.2f} reads/byte  "
                f"{sum(self.received.values()) / 1e9:6.2f} GB received  {self.requests:5} req"
                + (f"  [exit {self.exit_code}]" if self.exit_code else ""))


def write_file(path: Path, size: int, seed: int) -> None:
    """`size` bytes that differ per file (a seeded header per 16 MiB block), written fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = bytearray(os.urandom(min(size, BLOCK)))
    with open(path, "wb") as out:
        written, block = 0, 0
        while written < size:
            n = min(BLOCK, size - written)
            base[:16] = seed.to_bytes(8, "little") + block.to_bytes(8, "little")
            out.write(memoryview(base)[:n])
            written, block = written + n, block + 1


def age(folder: Path) -> None:
    """Past the hash cache's racy window: checkpoints are written long before release."""
    then = time.time() - 60
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def make_project(root: Path, scenario: str, args: argparse.Namespace) -> dict[str, Any]:
    """Writes the project and its data; returns what the script needs (folders, branches)."""
    shutil.copytree(REPO_ROOT / "conf" / "hub", root / "conf" / "hub")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    (root / "conf" / "families").mkdir(parents=True)
    (root / "conf" / "config.yaml").write_text(
        "defaults:\n  - hub: local\n  - families: [big]\n  - _self_\n", encoding="utf-8")
    repo = "Big-1B" if scenario == "big" else "Sharded-1B"
    family = FAMILY.format(repo=repo)
    branches: list[tuple[str, str]] = []
    if scenario == "big":
        write_file(root / "main" / "weights.bin", int(args.big_gib * (1 << 30)), 1)
    else:
        for i in range(args.shards):
            write_file(root / "main" / f"model-{i + 1:05d}-of-{args.shards:05d}.bin",
                       args.shard_mb * 1_000_000, 100 + i)
        runs = []
        for b in range(args.branches):
            runs.append(f"        - {{n: {b}}}")
            folder = root / "runs" / f"run-{b}"
            for f in range(args.branch_files):
                write_file(folder / f"part-{f:03d}.bin", args.branch_file_mb * 1_000_000,
                           10_000 + b * 1000 + f)
            branches.append((f"run-{b}", str(folder)))
        family += RUNS.format(runs="\n".join(runs))
    (root / "conf" / "families" / "big.yaml").write_text(family, encoding="utf-8")
    age(root)
    return {"repo_id": f"bench/{repo}", "main": str(root / "main"), "branches": branches}


def file_bytes(root: Path) -> int:
    return sum(p.stat().st_size for folder in ("main", "runs") if (root / folder).exists()
               for p in (root / folder).rglob("*") if p.is_file())


def run_counted(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[int, float,
                                                                                     int]:
    """(exit code, wall s, rchar): /proc/PID/io read while the exited child is a zombie."""
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        wall = time.perf_counter() - started
        rchar = 0
        for line in Path(f"/proc/{process.pid}/io").read_text().splitlines():
            if line.startswith("rchar:"):
                rchar = int(line.split()[1])
        code = process.wait()
    return code, wall, rchar


def measure(tool: str, scenario: str, root: Path, spec: dict[str, Any], hub: Hub,
            env: dict[str, str], args: argparse.Namespace) -> Measured:
    hub.reset()
    if tool == "release":
        shutil.rmtree(root / ".release", ignore_errors=True)  # cold: the script has no cache
        cmd = [*release_cli(), "apply", "--auto-approve", "--parallelism",
               str(args.parallelism), f"hub.endpoint={hub.endpoint}"]
    else:
        payload = json.dumps({**spec, "endpoint": hub.endpoint})
        cmd = [sys.executable, "-c", SCRIPT, payload]
    code, wall, rchar = run_counted(cmd, root, env, root / f"{tool}-{scenario}")
    stats, received = hub.counters()
    result = Measured(tool, scenario, wall, rchar, file_bytes(root), received,
                      stats["total"], code)
    if code != 0:
        print((root / f"{tool}-{scenario}.err").read_text()[-2000:], file=sys.stderr)
    print(result.line(), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.large_files")
    parser.add_argument("--scenarios", default="big,sharded")
    parser.add_argument("--big-gib", type=float, default=4.0)
    parser.add_argument("--shards", type=int, default=200)
    parser.add_argument("--shard-mb", type=int, default=20)
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--branch-files", type=int, default=50)
    parser.add_argument("--branch-file-mb", type=int, default=1)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="release-large-", dir=args.work))
    env = _env(work)
    results: list[Measured] = []
    ok = True
    try:
        for scenario in args.scenarios.split(","):
            root = work / scenario
            root.mkdir()
            started = time.perf_counter()
            spec = make_project(root, scenario, args)
            print(f"{scenario}: {file_bytes(root) / 1e9:.2f} GB written in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            pair = []
            for tool in ("script", "release"):
                with Hub(work / f"hub-{scenario}-{tool}", 0, env) as hub:
                    pair.append(measure(tool, scenario, root, spec, hub, env, args))
            script, release = pair
            ratio = release.wall_s / script.wall_s if script.wall_s else 0.0
            met = (ratio <= 1.1 and release.reads_per_byte <= 2.05
                   and not script.exit_code and not release.exit_code)
            ok &= met
            print(f"  {scenario}: release/script {ratio:.2f}x, release reads each byte "
                  f"{release.reads_per_byte:.2f}x (script {script.reads_per_byte:.2f}x): "
                  f"{'met' if met else 'MISSED'}", flush=True)
            results += pair
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        if args.json is not None:
            args.json.write_text(json.dumps([{**r.__dict__, "reads_per_byte": r.reads_per_byte}
                                             for r in results], indent=2) + "\n")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
