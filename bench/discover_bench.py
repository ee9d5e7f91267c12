"""Config work for a family of N run folders: runs found on disk vs the same runs listed by hand.

Issue 11: a `runs.discover` family with 300 run folders must plan in well under a second of
config work beyond the explicit-runs baseline. Both projects have the same 300 folders (a small
config.json and weights file each) and a `release.lock`; the measured step is what every plan
and apply pays before talking to the Hub: `load_desired` (compose + checks + discovery + lock
read + folder verification through the warm hash cache + expansion). Measured with the folders
(the cluster) and without them (a pull-request runner). Best of `--repeat` runs.

    .venv/bin/python -m bench.discover_bench [--runs 300] [--repeat 5] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

FAMILY = """\
olmo:
  namespace: acme
  repo_name: "OLMo-{{size}}"
  matrix: {{size: [7B]}}
  defaults: {{visibility: private}}
  runs:
    branch: "stage{{stage}}-step{{step}}-tokens{{tokens}}"
{runs}
"""


def _project(root: Path, runs: int, discover: bool) -> Path:
    (root / "conf" / "families").mkdir(parents=True)
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "conf" / "hub", root / "conf" / "hub")
    shutil.copytree(repo / "templates", root / "templates")
    (root / "conf" / "config.yaml").write_text(
        "defaults:\n  - hub: local\n  - families: [olmo]\n  - _self_\n")
    steps = [(1 + i // 200, 1000 * (i + 1), 4 * (i + 1)) for i in range(runs)]
    if discover:
        spec = '    discover: "ckpt/olmo-{size_lower}/stage{stage}-step{step}-tokens{tokens}"'
    else:
        listed = "\n".join(f"        - {{stage: {s}, step: {t}, tokens: {k}B}}"
                           for s, t, k in steps)
        spec = ('    artifacts: "ckpt/olmo-{size_lower}/{branch}"\n'
                f'    variants:\n      "7B":\n{listed}')
    (root / "conf" / "families" / "olmo.yaml").write_text(FAMILY.format(runs=spec))
    for stage, step, tokens in steps:
        folder = root / "ckpt" / "olmo-7b" / f"stage{stage}-step{step}-tokens{tokens}B"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(f'{{"step": {step}}}\n')
        (folder / "model.safetensors").write_bytes(step.to_bytes(8, "little") * 512)
    old = time.time() - 60  # older than the hash cache's racy window
    for path in (root / "ckpt").rglob("*"):
        os.utime(path, (old, old))
    return root


def _time(root: Path, repeat: int) -> float:
    from release.workflow import Project, load_desired

    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        load_desired(Project(root / "conf"), [])
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("DISCOVER.md"))
    args = parser.parse_args(argv)
    from release.workflow import Project, lock_artifacts

    rows = []
    with tempfile.TemporaryDirectory(prefix="release-discover-bench-") as tmp:
        for discover in (False, True):
            root = _project(Path(tmp) / ("discover" if discover else "explicit"), args.runs,
                            discover)
            lock_artifacts(Project(root / "conf"), [])
            with_folders = _time(root, args.repeat)
            shutil.move(root / "ckpt", root / "ckpt-aside")
            without = _time(root, args.repeat)
            shutil.move(root / "ckpt-aside", root / "ckpt")
            lines = (root / "release.lock").read_text().count("\n")
            rows.append(("runs.discover" if discover else "explicit runs", with_folders,
                         without, lines))
    base_with, base_without = rows[0][1], rows[0][2]
    text = textwrap.dedent(f"""\
        # Config work for {args.runs} run folders (bench/discover_bench.py)

        `load_desired` (everything a plan does before the Hub), best of {args.repeat}, with a
        warm hash cache. Both projects have the same folders and a `release.lock`.

        | runs declared by | with folders | without folders (PR runner) | lock lines |
        |---|---|---|---|
        """)
    for name, with_folders, without, lines in rows:
        text += f"| {name} | {with_folders:.3f} s | {without:.3f} s | {lines} |\n"
    text += (f"\nDiscovery costs {rows[1][1] - base_with:+.3f} s with the folders and "
             f"{rows[1][2] - base_without:+.3f} s without them, beyond the explicit baseline.\n")
    args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
