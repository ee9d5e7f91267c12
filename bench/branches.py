"""One repo with hundreds of run branches (issue 12 item 3, issue 18 step 4).

An OLMo-style repo: `--branches` run branches found on disk (`runs.discover`), each with a
small checkpoint (config.json + a 4 kB weights file), on a bench hub in its own process
(bench/hubserver.py, `--latency-ms` per request, default 20 as in `make bench`). Measured
with `release` from this checkout:

  apply:      `release apply --auto-approve` from an empty hub (one commit and one branch
              creation per run);
  cold plan:  `release plan` with no `.release/cache` (what CI runs): one tree read per branch;
  warm plan:  `release plan` again (trees are cached by commit sha: refs and listings only).

Per step: wall time, requests the hub answered, and the most requests it answered at once.
Results go to --out (default bench/BRANCHES.md) and are printed.

    .venv/bin/python -m bench.branches [--branches 500] [--latency-ms 20] [--parallelism 8]
        [--out PATH] [--label TEXT]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench.discover_bench import _project
from bench.run import Hub, Step, _env, measure, release_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.branches")
    parser.add_argument("--branches", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("BRANCHES.md"))
    parser.add_argument("--label", default="", help="a note for the table (e.g. the commit)")
    args = parser.parse_args(argv)
    rows: list[tuple[str, Step]] = []
    with tempfile.TemporaryDirectory(prefix="release-branches-bench-") as tmp:
        work = Path(tmp)
        env = _env(work)
        root = _project(work / "project", args.branches, discover=True)
        hub_arg = "hub.endpoint={}"
        with Hub(work / "hub", args.latency_ms, env) as hub:
            steps = [
                ("apply from empty", ["apply", "--auto-approve", "--parallelism",
                                      str(args.parallelism)]),
                ("cold plan", ["plan"]),
                ("warm plan", ["plan"]),
            ]
            for name, command in steps:
                if name == "cold plan":
                    shutil.rmtree(root / ".release" / "cache", ignore_errors=True)
                step = Step(args.branches, "release", name, args.parallelism)
                measure(step, hub, [*release_cli(), *command, hub_arg.format(hub.endpoint)],
                        root, env, work / "logs" / name.replace(" ", "-"))
                step.detail["in_flight_peak"] = hub.counters()[0].get("in_flight_peak", {})
                if step.exit_code:
                    print((work / "logs" / f"{name.replace(' ', '-')}.err").read_text()[-2000:],
                          file=sys.stderr)
                    return 1
                rows.append((name, step))
    text = (f"# One repo with {args.branches} run branches (bench/branches.py)\n\n"
            f"Bench hub in its own process, {args.latency_ms} ms latency per request; "
            f"`--parallelism {args.parallelism}` for apply (plan reads with 8 workers)."
            + (f" {args.label}." if args.label else "") + "\n\n"
            "| step | wall | requests | requests per branch | most at once (endpoint) |\n"
            "|---|---|---|---|---|\n")
    for name, step in rows:
        peaks = step.detail["in_flight_peak"]
        busiest = max(peaks.items(), key=lambda item: item[1]) if peaks else ("-", 0)
        text += (f"| {name} | {step.wall_s:.1f} s | {step.requests} | "
                 f"{step.requests / args.branches:.2f} | {busiest[1]} ({busiest[0]}) |\n")
    args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
