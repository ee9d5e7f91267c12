"""Re-planning an unchanged 1 GB checkpoint folder after it was applied once: time and bytes.

    .venv/bin/python bench/replan_1gb.py [--hidden-size 1536 --layers 14 --shards 4] [--dir /tmp]
        [--runs 3] [--keep]

1. Writes a sharded Llama-style checkpoint of about 1 GB (`write_checkpoint`; safetensors
   shards + index, tokenizer and configs) into a throw-away project whose one variant takes it
   on main, and ages its files past the hash cache's 2 s racy window (a checkpoint is written
   long before it is released; without this the first plan would, by design, not cache it).
2. `release apply --auto-approve` against the embedded local hub (a subprocess, as a user runs
   it): hashes the folder cold and uploads it (LFS for the shards).
3. Re-plans `--runs` times in this process exactly as `release plan` does (`load_desired` with
   the on-disk hash cache, then `make_plan` against the same hub) and reports, per run: wall
   time, bytes hashed (must be 0), bytes planned for upload (must be 0), Hub requests.
4. Times `release plan --detailed-exitcode` as a subprocess too (interpreter start-up and the
   embedded hub's start included): it must exit 0 (no changes).

Exit status 1 if any target is missed. The temporary directory is removed unless --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RELEASE = str(Path(sys.executable).with_name("release"))

FAMILY = """\
big:
  namespace: bench
  repo_name: "Big-{size}"
  matrix: {size: [1B]}
  defaults:
    visibility: private
    card:
      summary: A 1 GB checkpoint for the re-plan benchmark.
      metadata: {license: apache-2.0, library_name: transformers}
    artifacts: {folder: checkpoint}
"""


def make_project(root: Path) -> None:
    (root / "conf" / "families").mkdir(parents=True)
    shutil.copytree(REPO / "conf" / "hub", root / "conf" / "hub")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "conf" / "config.yaml").write_text(
        "defaults:\n  - hub: local\n  - families: [big]\n  - _self_\n", encoding="utf-8")
    (root / "conf" / "families" / "big.yaml").write_text(FAMILY, encoding="utf-8")


def age(folder: Path, seconds: int = 60) -> None:
    then = time.time() - seconds
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def run(args: list[str], cwd: Path) -> tuple[int, float, str]:
    started = time.perf_counter()
    done = subprocess.run([RELEASE, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1"})
    return done.returncode, time.perf_counter() - started, done.stdout + done.stderr


def upload_bytes(plan: object) -> int:
    """Bytes the plan would upload: the sizes of every added or updated file."""
    from release.plan.model import CommitFiles

    return sum(op.size or 0 for change in plan.changes  # type: ignore[attr-defined]
               if isinstance(change, CommitFiles)
               for op in change.operations if op.op in ("add", "update"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden-size", type=int, default=1536)
    parser.add_argument("--layers", type=int, default=14)
    parser.add_argument("--vocab-size", type=int, default=32000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = parser.parse_args(argv)

    from release.checkpoints import write_checkpoint
    from release.workflow import Project, hub_session, load_desired, make_plan

    root = Path(tempfile.mkdtemp(prefix="release-replan-bench-", dir=args.dir))
    ok = True
    try:
        make_project(root)
        started = time.perf_counter()
        files = write_checkpoint(root / "checkpoint", hidden_size=args.hidden_size,
                                 layers=args.layers, vocab_size=args.vocab_size,
                                 shards=args.shards)
        total = sum(path.stat().st_size for path in files)
        age(root / "checkpoint")
        print(f"wrote {len(files)} files, {total / 1e9:.2f} GB, in "
              f"{time.perf_counter() - started:.1f} s to {root}")

        code, seconds, output = run(["apply", "--auto-approve", "--no-color"], root)
        if code != 0:
            print(f"apply failed ({code}):\n{output}", file=sys.stderr)
            return 1
        print(f"apply (cold hash + upload of {total / 1e9:.2f} GB): {seconds:.1f} s")

        project = Project(root / "conf")
        print("re-plan of the unchanged folder (in-process, as 'release plan'):")
        for index in range(args.runs):
            started = time.perf_counter()
            desired = load_desired(project, [])
            scanned = time.perf_counter() - started
            with hub_session(project, desired.config) as session:
                plan = make_plan(session, desired.state, warnings=desired.warnings)
            seconds = time.perf_counter() - started
            planned = upload_bytes(plan)
            print(f"  run {index + 1}: {seconds:6.3f} s (scan + hash {scanned:.3f} s), "
                  f"bytes hashed {desired.bytes_hashed}, files hashed {desired.files_hashed}, "
                  f"bytes to upload {planned}, changes {len(plan.changes)}, "
                  f"Hub requests {plan.requests}")
            ok &= desired.bytes_hashed == 0 and planned == 0 and not plan.has_changes

        code, seconds, output = run(["plan", "--detailed-exitcode", "--no-color"], root)
        print(f"'release plan --detailed-exitcode' subprocess: exit {code} in {seconds:.2f} s "
              "(interpreter and embedded hub start-up included)")
        ok &= code == 0
        print("targets: 0 bytes hashed, 0 bytes to upload, no changes:",
              "met" if ok else "MISSED")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
