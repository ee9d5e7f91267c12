"""`make bench`: the cost of `release plan` / `release apply` next to the script labs write today.

For each N: a fresh local hub in its own process (bench/hubserver.py: `release hub serve` plus a
byte counter) with injected round-trip latency, a generated project with N managed repos across
2 families in 2 namespaces (bench/workload.py), then, each step a subprocess of the real CLI:

  release:  apply --auto-approve from empty; plan with nothing to change, cold (fresh
            .release/cache) and warm (second run); apply --auto-approve with nothing to change.
  baseline: (a second fresh hub) the huggingface_hub script from empty, its read-only status
            check, and the same script run again with nothing to change (bench/baseline.py).

Per step: wall time, Hub requests by endpoint and writes (the hub's own counters, delta over the
step), request-body bytes by endpoint (the byte counter), peak RSS of the measured process
(`os.wait4` rusage of that child alone). Writes bench/RESULTS.md, bench/RESULTS.json and
bench/wall_time.png (bench/report.py).

    .venv/bin/python -m bench.run [--sizes 10,100,1000] [--latency-ms 20] [--parallelism 8]
                                  [--out bench/RESULTS.md] [--chart PATH|none] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import workload

REPO_ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT_S = 900  # a stuck step fails the run rather than hanging it
#: The fair peer of `release plan`: the baseline's status check on this many threads.
PEER_THREADS = 8
# Request bodies that carry file content: the commit (regular files, base64) and LFS uploads.
CONTENT_ENDPOINTS = ("commit", "lfs_upload")


@dataclass
class Step:
    """One measured command."""

    n: int
    tool: str  # release | baseline
    step: str  # see report.STEP_LABELS
    parallelism: int
    wall_s: float | None = None
    requests: int = 0
    writes: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    body_bytes: dict[str, int] = field(default_factory=dict)
    rss_mb: float | None = None
    cpu_s: float | None = None  # user + system CPU of the measured process
    hub_cpu_s: float | None = None  # user + system CPU of the hub process over the step
    exit_code: int | None = None
    rate_limited: int = 0  # 429s the hub answered during the step (its quota, if emulated)
    quota: str = ""  # the emulated API quota of the step's hub, e.g. 1000/20s ("" = none)
    note: str = ""  # why it was not measured, or what was odd about it
    detail: dict[str, Any] = field(default_factory=dict)  # e.g. plan summary, tool output

    @property
    def measured(self) -> bool:
        return self.wall_s is not None

    @property
    def upload_bytes(self) -> int:
        return sum(self.body_bytes.get(name, 0) for name in CONTENT_ENDPOINTS)

    @property
    def all_body_bytes(self) -> int:
        return sum(self.body_bytes.values())


# -- processes ---------------------------------------------------------------------------------

def _local_token() -> str:
    """The local hub's open-mode token, read in a child process (never printed).

    The runner itself must stay lean: on Linux a child's ru_maxrss starts from its parent's peak
    RSS (the fork/exec inherits the high-water mark), so every import here would inflate the
    peak RSS measured for the CLI. Hence no `release` import in this process.
    """
    code = ("import sys; from release.localhub import DEFAULT_TOKEN; "
            "sys.stdout.write(DEFAULT_TOKEN)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120)
    return result.stdout


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGING_FACE_", "RELEASE_"))}
    env.update({
        "HF_TOKEN": _local_token(),  # the local hub's open-mode token: never a real one
        "HF_HOME": str(work / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "PYTHONPATH": str(REPO_ROOT),
        "NO_COLOR": "1",
    })
    return env


class Hub:
    """The benchmark hub in its own process, with its counters read over loopback."""

    def __init__(self, data_dir: Path, latency_ms: int, env: dict[str, str],
                 keep: bool = False, rate_limit: str | None = None) -> None:
        self.data_dir, self.keep, self.rate_limit = data_dir, keep, rate_limit or ""
        quota = ["--rate-limit", rate_limit] if rate_limit else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.hubserver", "--data-dir", str(data_dir),
             "--latency-ms", str(latency_ms), *quota],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        banner = _readline(self.process, timeout_s=60)
        if not banner.startswith("Local hub at "):
            self.stop()
            raise RuntimeError(f"the bench hub did not start: {banner!r}")
        self.endpoint = banner.split()[3]

    def _call(self, path: str, method: str = "GET") -> dict[str, Any]:
        request = urllib.request.Request(self.endpoint + path, method=method, data=b""
                                         if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def reset(self) -> None:
        self._call("/_localhub/stats/reset", "POST")
        self._call("/_bench/bytes/reset", "POST")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the hub process so far (Linux /proc), else None."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def counters(self) -> tuple[dict[str, Any], dict[str, int]]:
        return self._call("/_localhub/stats"), self._call("/_bench/bytes")["by_endpoint"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _readline(process: subprocess.Popen[str], timeout_s: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(timeout_s)
    return line[0] if line else ""


def own_peak_rss_mb() -> float:
    """The runner's peak RSS: the floor of every child's measured ru_maxrss (see _local_token)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str], log: Path,
                 ) -> tuple[int, float, float, float, str]:
    """(exit code, wall s, peak RSS MB, CPU s, stdout) of one command, rusage of it alone."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log.with_suffix(".out"), "w+") as out, open(log.with_suffix(".err"), "w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        reaped = threading.Event()

        def kill_if_stuck() -> None:
            if not reaped.wait(STEP_TIMEOUT_S):
                process.kill()

        threading.Thread(target=kill_if_stuck, daemon=True).start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        reaped.set()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read()
    cpu = usage.ru_utime + usage.ru_stime
    return process.returncode, wall, usage.ru_maxrss / 1024, cpu, stdout


def measure(step: Step, hub: Hub, cmd: list[str], cwd: Path, env: dict[str, str],
            log: Path) -> str:
    hub.reset()
    hub_cpu = hub.cpu_seconds()
    code, wall, rss, cpu, stdout = run_measured(cmd, cwd, env, log)
    hub_cpu_after = hub.cpu_seconds()
    stats, body = hub.counters()
    step.wall_s, step.rss_mb, step.exit_code, step.cpu_s = wall, rss, code, cpu
    if hub_cpu is not None and hub_cpu_after is not None:
        step.hub_cpu_s = hub_cpu_after - hub_cpu
    step.requests, step.writes = stats["total"], stats["writes"]
    step.by_endpoint, step.body_bytes = stats["by_endpoint"], body
    step.rate_limited, step.quota = int(stats.get("rate_limited", 0)), hub.rate_limit
    if code != 0:
        tail = log.with_suffix(".err").read_text()[-800:]
        step.note = f"exit code {code}: {tail.strip().splitlines()[-1] if tail.strip() else ''}"
    print(f"  N={step.n:<5} {step.tool:8} {step.step:12} {wall:8.2f} s  {step.requests:6} req  "
          f"{step.writes:5} writes  {step.upload_bytes:9} B up  {rss:6.1f} MB  "
          f"cpu {cpu:6.2f} s  hub cpu {step.hub_cpu_s or 0:6.2f} s"
          + (f"  quota {step.quota}: {step.rate_limited} x 429" if step.quota else "")
          + (f"  [{step.note}]" if step.note else ""), flush=True)
    return stdout


# -- release ------------------------------------------------------------------------------------

def release_cli() -> list[str]:
    script = Path(sys.executable).parent / "release"
    return [str(script)] if script.exists() else [sys.executable, "-m", "release"]


def apply_available(env: dict[str, str]) -> tuple[bool, str]:
    """Whether this checkout's CLI has `apply` with the options the bench passes."""
    result = subprocess.run([*release_cli(), "apply", "--help"], env=env, capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        return False, "not measured: apply not available (no `release apply` command)"
    missing = [opt for opt in ("--auto-approve", "--parallelism", "--format")
               if opt not in result.stdout]
    if missing:
        return False, f"not measured: `release apply` lacks {', '.join(missing)}"
    return True, ""


def _plan_detail(stdout: str) -> dict[str, Any]:
    try:
        plan = json.loads(stdout)
    except ValueError:
        return {"parse_error": stdout[-300:]}
    return {"summary": plan.get("summary"), "cli_requests": plan.get("requests")}


def _apply_detail(stdout: str) -> dict[str, Any]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return {"raw_tail": stdout[-300:]}
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not isinstance(v, (list, dict)) or k in
                ("summary", "requests", "counts", "stats")}
    return {}


def run_release(n: int, project: Path, hub: Hub, args: argparse.Namespace,
                env: dict[str, str], logs: Path, can_apply: bool, why_not: str,
                ) -> list[Step]:
    conf_override = f"hub.endpoint={hub.endpoint}"
    cli = release_cli()
    steps = {name: Step(n, "release", name, args.parallelism) for name in
             ("validate", "apply_empty", "plan_cold", "plan_warm", "apply_noop")}
    measure(steps["validate"], hub, [*cli, "validate"], project, env, logs / "release-validate")
    apply_cmd = [*cli, "apply", "--auto-approve", "--parallelism", str(args.parallelism),
                 "--format", "json", conf_override]
    plan_cmd = [*cli, "plan", "--format", "json", conf_override]
    if can_apply:
        shutil.rmtree(project / ".release", ignore_errors=True)
        out = measure(steps["apply_empty"], hub, apply_cmd, project, env, logs / "release-apply")
        steps["apply_empty"].detail = _apply_detail(out)
    else:
        steps["apply_empty"].note = steps["apply_noop"].note = why_not
    shutil.rmtree(project / ".release" / "cache", ignore_errors=True)
    for name in ("plan_cold", "plan_warm"):
        out = measure(steps[name], hub, plan_cmd, project, env, logs / f"release-{name}")
        steps[name].detail = _plan_detail(out)
        summary = steps[name].detail.get("summary") or {}
        changes = sum(summary.get(k, 0) for k in ("add", "change", "destroy"))
        if changes and not steps[name].note:
            steps[name].note = f"the plan is not empty: {changes} changes"
        if not can_apply:
            steps[name].detail["hub"] = "populated by the baseline script (apply not available)"
    if can_apply:
        out = measure(steps["apply_noop"], hub, apply_cmd, project, env, logs / "release-noop")
        steps["apply_noop"].detail = _apply_detail(out)
    return list(steps.values())


# -- baseline -----------------------------------------------------------------------------------

def run_baseline(n: int, manifest: Path, hub: Hub, env: dict[str, str], logs: Path,
                 names: tuple[str, ...]) -> list[Step]:
    """The baseline's steps `names` (apply_empty, status, apply_noop), in that order."""
    base = [sys.executable, "-m", "bench.baseline"]
    where = ["--endpoint", hub.endpoint, "--manifest", str(manifest)]
    modes = {"apply_empty": ["apply"], "apply_noop": ["apply"],
             "status": ["status", "--cache-dir", str(manifest.parent / "hf-cache")],
             "status_p8": ["status", "--threads", str(PEER_THREADS), "--cache-dir",
                           str(manifest.parent / "hf-cache-p8")]}
    found = []
    for name in names:
        step = Step(n, "baseline", name, PEER_THREADS if name == "status_p8" else 1)
        mode, *extra = modes[name]
        out = measure(step, hub, [*base, mode, *where, *extra], REPO_ROOT, env,
                      logs / f"baseline-{name}")
        try:
            step.detail = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            step.detail = {"raw_tail": out[-300:]}
        found.append(step)
    return found


def _status_manifest(n: int, manifest: Path) -> None:
    """The status check needs only the repo ids: no cards to render."""
    variants = [{"repo_id": v.repo_id} for v in workload.variants(n)]
    manifest.write_text(json.dumps({"variants": variants, "collections": []}))


# -- quota --------------------------------------------------------------------------------------

def run_quota(n: int, project: Path, args: argparse.Namespace, env: dict[str, str],
              logs: Path, work: Path) -> list[Step]:
    """Apply from empty, then a cold no-change plan, against a fresh hub that enforces the API
    quota `args.quota` (fixed windows, 429 + Retry-After past it, RateLimit headers)."""
    from bench.report import quota_policy

    _, window = quota_policy(args.quota)

    def fresh_window() -> None:
        """Start a step as a window opens: the quota bound assumes whole windows, and the plan
        must not inherit a window the apply spent. The hub's windows are aligned on the
        system-wide monotonic clock, which this process reads too."""
        time.sleep(window - time.monotonic() % window + 0.05)

    cli = release_cli()
    apply_step = Step(n, "release", "quota_apply_empty", args.parallelism)
    plan_step = Step(n, "release", "quota_plan_cold", args.parallelism)
    with Hub(work / "hub-quota", args.latency_ms, env, args.keep_work,
             rate_limit=args.quota) as hub:
        override = f"hub.endpoint={hub.endpoint}"
        shutil.rmtree(project / ".release", ignore_errors=True)
        fresh_window()
        out = measure(apply_step, hub, [*cli, "apply", "--auto-approve", "--parallelism",
                                        str(args.parallelism), "--format", "json", override],
                      project, env, logs / "quota-apply")
        apply_step.detail = _apply_detail(out)
        shutil.rmtree(project / ".release" / "cache", ignore_errors=True)
        fresh_window()
        out = measure(plan_step, hub, [*cli, "plan", "--format", "json", override], project,
                      env, logs / "quota-plan_cold")
        plan_step.detail = _plan_detail(out)
    return [apply_step, plan_step]


# -- main ---------------------------------------------------------------------------------------

def run_size(n: int, args: argparse.Namespace, env: dict[str, str], can_apply: bool,
             why_not: str) -> list[Step]:
    """Everything at one N. Above --baseline-apply-max the baseline script's two apply runs are
    skipped (time), and its status check reads the hub `release apply` populated instead."""
    work = args.work / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    project = work / "project"
    workload.write_project(project, n)
    manifest = work / "baseline-manifest.json"
    logs = work / "logs"
    print(f"N={n}: {len(workload.variants(n))} repos", flush=True)
    baseline_applies = n <= args.baseline_apply_max or not can_apply
    steps: list[Step] = []
    if baseline_applies:
        subprocess.run([sys.executable, "-m", "bench.baseline", "manifest", "--project",
                        str(project), "--manifest", str(manifest), "--n", str(n)],
                       cwd=REPO_ROOT, env=env, check=True, timeout=STEP_TIMEOUT_S)
        with Hub(work / "hub-baseline", args.latency_ms, env, args.keep_work) as hub:
            steps += run_baseline(n, manifest, hub, env, logs,
                                  ("apply_empty", "status", "apply_noop"))
            if not can_apply:  # plan still gets measured, against the hub the baseline populated
                steps += run_release(n, project, hub, args, env, logs, can_apply, why_not)
    else:
        note = (f"not run above N = {args.baseline_apply_max} (--baseline-apply-max), to keep "
                "`make bench` under 10 minutes")
        steps += [Step(n, "baseline", name, 1, note=note) for name in ("apply_empty",
                                                                       "apply_noop")]
    if can_apply:
        with Hub(work / "hub-release", args.latency_ms, env, args.keep_work) as hub:
            steps += run_release(n, project, hub, args, env, logs, can_apply, why_not)
            # The same end state: the read-only checks can use it.
            names: tuple[str, ...] = ("status_p8",)
            if not baseline_applies:
                _status_manifest(n, manifest)
                names = ("status", "status_p8")
            for status in run_baseline(n, manifest, hub, env, logs, names):
                status.detail["hub"] = "populated by release apply"
                steps.append(status)
        if args.quota and n in args.quota_sizes:
            steps += run_quota(n, project, args, env, logs, work)
    if not args.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return steps


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,1000",
                        type=lambda s: [int(x) for x in s.split(",") if x])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--chart", default=None,
                        help="PNG path (default: wall_time.png next to --out); 'none' to skip")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "bench" / "work")
    parser.add_argument("--baseline-apply-max", type=int, default=100, metavar="N",
                        help="run the baseline script (from empty, then again) only up to N; "
                             "above, its status check reads the hub release applied "
                             "(default 100: N = 1000 would add ~8 minutes)")
    parser.add_argument("--full", action="store_true",
                        help="every step at every N (--baseline-apply-max unlimited)")
    parser.add_argument("--keep-work", action="store_true", help="keep hubs, projects, logs")
    parser.add_argument("--quota", default="1000/30s",
                        help="the emulated API quota of the quota scenario (default 1000/30s: "
                             "the free tier's 1000 requests per 5 minutes, 10x faster; a "
                             "tighter rate than the bench's own pace, so the run is bound by "
                             "the quota); 'none' skips the scenario")
    parser.add_argument("--quota-sizes", default=None,
                        type=lambda s: [int(x) for x in s.split(",") if x],
                        help="the sizes the quota scenario runs at (default: the largest)")
    args = parser.parse_args(argv)
    if args.quota in ("", "none"):
        args.quota = None
    if args.quota_sizes is None:
        args.quota_sizes = [max(args.sizes)]
    if args.full:
        args.baseline_apply_max = max(args.sizes)
    if any(n < 2 for n in args.sizes):
        parser.error("every size must be at least 2 (one repo per family)")
    return args


def main(argv: list[str] | None = None) -> int:
    from bench import report

    args = parse_args(argv)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    env = _env(args.work)
    can_apply, why_not = apply_available(env)
    if not can_apply:
        print(f"release apply: {why_not}", flush=True)
    steps: list[Step] = []
    for n in args.sizes:
        steps += run_size(n, args, env, can_apply, why_not)
    total = time.perf_counter() - started
    settings = {"runner_peak_rss_mb": round(own_peak_rss_mb(), 1), "sizes": args.sizes,
                "baseline_apply_max": args.baseline_apply_max, "latency_ms": args.latency_ms,
                "parallelism": args.parallelism, "apply_available": can_apply,
                "quota": args.quota, "quota_sizes": args.quota_sizes if args.quota else [],
                "apply_note": why_not, "runner_seconds": round(total, 1),
                "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}
    host = report.machine()
    results = {"machine": host, "settings": settings,
               "steps": [asdict(s) | {"upload_bytes": s.upload_bytes} for s in steps]}
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    chart = None if args.chart == "none" else Path(args.chart or out.parent / "wall_time.png")
    if chart is not None:
        chart = report.chart(steps, chart, settings)
    out.write_text(report.markdown(steps, settings, host, chart))
    print(f"wrote {out}" + (f" and {chart}" if chart else "") + f" in {total:.0f} s", flush=True)
    if not args.keep_work:  # only what this run made: --work may be a directory of the user's
        shutil.rmtree(args.work / "hf-home", ignore_errors=True)
        try:
            args.work.rmdir()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
