"""bench/RESULTS.md and the wall-time chart, from the steps bench/run.py measured."""

from __future__ import annotations

import datetime
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RSS_LIMIT_MB = 300
TARGET_N = 1000
PAGE_SIZE = 1000  # list_models page size on the Hub and the local hub


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "usable_cores": usable,
            "memory_gb": memory_gb, "python": platform.python_version(),
            "platform": platform.platform(), "huggingface_hub": version("huggingface_hub"),
            "commit": commit or "unknown",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# -- figures ------------------------------------------------------------------------------------

def bound_s(step: Any, latency_ms: int) -> float:
    """The round-trip bound: ceil(requests / parallelism) x latency."""
    return math.ceil(step.requests / max(1, step.parallelism)) * latency_ms / 1000


def _find(steps: Sequence[Any], n: int, tool: str, name: str) -> Any | None:
    for step in steps:
        if (step.n, step.tool, step.step) == (n, tool, name):
            return step
    return None


def _fmt_s(value: float | None) -> str:
    return "–" if value is None else (f"{value:.2f}" if value < 100 else f"{value:.0f}")


def _fmt_ratio(value: float | None) -> str:
    if value is None or math.isinf(value) or math.isnan(value):
        return "–"
    return f"{value:.1f}×" if value < 100 else f"{value:.0f}×"


def _fmt_bytes(value: int) -> str:
    if value < 10_000:
        return f"{value} B"
    if value < 10_000_000:
        return f"{value / 1000:.0f} kB"
    return f"{value / 1e6:.1f} MB"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def warm_request_limit(n: int) -> int:
    """One request per repo, plus one per namespace page and per collection, plus 2."""
    from bench import workload

    per_namespace = [n - n // 2, n // 2]
    pages = sum(max(1, math.ceil(count / PAGE_SIZE)) for count in per_namespace)
    collections = len(workload.FAMILIES)
    return n + pages + collections + 2


# -- targets ------------------------------------------------------------------------------------

def targets(steps: Sequence[Any], settings: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, PASS | MISS | NOT MEASURED, the figures and the reason)."""
    latency = settings["latency_ms"]
    sizes = settings["sizes"]
    big = TARGET_N if TARGET_N in sizes else max(sizes)
    at = "" if big == TARGET_N else f" (N = {TARGET_N} not run; figures at N = {big})"
    found: list[tuple[str, str, str]] = []

    status = _find(steps, big, "baseline", "status")
    for name, label in (("plan_cold", "cold cache"), ("plan_warm", "warm cache")):
        plan = _find(steps, big, "release", name)
        title = f"No-change plan ({label}) at N = {TARGET_N}: within 2× of the round-trip bound"
        speed_title = (f"No-change plan ({label}) at N = {TARGET_N}: ≥ 20× faster than the "
                       "baseline status check")
        if plan is None or not plan.measured or plan.exit_code:
            found.append((title, "NOT MEASURED", (plan.note if plan else "") + at))
            found.append((speed_title, "NOT MEASURED", (plan.note if plan else "") + at))
            continue
        bound = bound_s(plan, latency)
        over = _ratio(plan.wall_s, bound)
        ok = bound > 0 and over is not None and over <= 2
        why = (f"{plan.wall_s:.2f} s against a bound of {bound:.2f} s "
               f"(ceil({plan.requests} requests / {plan.parallelism}) × {latency} ms) = "
               f"{_fmt_ratio(over)} the bound; CPU {_fmt_s(plan.cpu_s)} s in the CLI, "
               f"{_fmt_s(plan.hub_cpu_s)} s in the hub{at}")
        validate = _find(steps, big, "release", "validate")
        if not ok and validate is not None and validate.measured:
            why += (f"; `release validate` alone (start-up, config compose and expansion, no "
                    f"Hub) takes {validate.wall_s:.2f} s ({_fmt_s(validate.cpu_s)} s CPU)")
        verdict = "PASS" if ok else "MISS"
        if bound == 0:
            why, verdict = "latency 0: the bound is 0, so the ratio is undefined" + at, "N/A"
        found.append((title, verdict, why))
        speed = _ratio(status.wall_s if status else None, plan.wall_s)
        ok = speed is not None and speed >= 20
        why = (f"baseline status check {_fmt_s(status.wall_s if status else None)} s / plan "
               f"{plan.wall_s:.2f} s = {_fmt_ratio(speed)}{at}")
        found.append((speed_title, "PASS" if ok else "MISS", why))

    for n in sizes:
        warm = _find(steps, n, "release", "plan_warm")
        limit = warm_request_limit(n)
        title = (f"Warm no-change plan at N = {n}: ≤ {limit} requests (one per repo, one per "
                 "namespace page and collection, plus 2)")
        if warm is None or not warm.measured or warm.exit_code:
            found.append((title, "NOT MEASURED", warm.note if warm else ""))
            continue
        extra = ", ".join(f"{k} {v}" for k, v in sorted(warm.by_endpoint.items()))
        found.append((title, "PASS" if warm.requests <= limit else "MISS",
                      f"{warm.requests} requests ({extra})"))

    for n in sizes:
        noop = _find(steps, n, "release", "apply_noop")
        title = f"No-op apply at N = {n}: 0 bytes uploaded and 0 write requests"
        if noop is None or not noop.measured or noop.exit_code:
            found.append((title, "NOT MEASURED", noop.note if noop else ""))
            continue
        ok = noop.upload_bytes == 0 and noop.writes == 0
        found.append((title, "PASS" if ok else "MISS",
                      f"{noop.upload_bytes} content bytes, {noop.writes} writes, "
                      f"{noop.requests} requests in all ({noop.all_body_bytes} request-body "
                      "bytes, e.g. form or JSON queries)"))

    found += _peer_and_quota_targets(steps, settings, big, at)

    measured = [s for s in steps if s.n == big and s.tool == "release" and s.measured
                and s.step != "validate"]
    title = f"Peak RSS of the `release` process under {RSS_LIMIT_MB} MB at N = {TARGET_N}"
    if not measured:
        found.append((title, "NOT MEASURED", at))
    else:
        worst = max(measured, key=lambda s: s.rss_mb or 0)
        not_run = [label for tool, name, label in STEP_LABELS if tool == "release"
                   and name != "validate" and not any(s.step == name for s in measured)]
        why = f"largest: {worst.rss_mb:.0f} MB ({_label(worst)}){at}"
        if not_run:
            why += "; not measured: " + ", ".join(not_run)
        found.append((title, "PASS" if (worst.rss_mb or 0) < RSS_LIMIT_MB else "MISS", why))
    return found


def _peer_and_quota_targets(steps: Sequence[Any], settings: dict[str, Any], big: int,
                            at: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    warm = _find(steps, big, "release", "plan_warm")
    peer = _find(steps, big, "baseline", "status_p8")
    title = (f"Warm no-change plan at N = {TARGET_N}: within {PEER_SLACK}× the wall time of the "
             "fair peer (the status check on 8 threads)")
    if warm is None or peer is None or not (warm.measured and peer.measured):
        found.append((title, "NOT MEASURED", at))
    else:
        ratio = _ratio(warm.wall_s, peer.wall_s)
        ok = ratio is not None and ratio <= PEER_SLACK
        found.append((title, "PASS" if ok else "MISS",
                      f"plan {warm.wall_s:.2f} s ({warm.requests} requests) / peer "
                      f"{peer.wall_s:.2f} s ({peer.requests} requests) = {_fmt_ratio(ratio)}"
                      f"{at}"))
    quota = settings.get("quota")
    sizes = settings.get("quota_sizes") or []
    if not quota or not sizes:
        return found
    qn = TARGET_N if TARGET_N in sizes else max(sizes)
    qat = "" if qn == TARGET_N else f" (N = {TARGET_N} not run; figures at N = {qn})"
    step = _find(steps, qn, "release", "quota_apply_empty")
    title = (f"Apply from empty at N = {TARGET_N} under an emulated quota ({quota}): completes "
             f"with 0 failed changes and 0 429s, within {QUOTA_SLACK}× the quota bound, "
             f"≤ {MAX_REQUESTS_PER_REPO} requests per repo")
    if step is None or not step.measured:
        found.append((title, "NOT MEASURED", qat))
        return found
    bound = quota_bound_s(step)
    over = _ratio(step.wall_s, bound)
    per_repo = step.requests / max(1, qn)
    failed = _failed_changes(step)
    parts = {
        "completed": step.exit_code == 0 and failed == 0,
        "0 429s": step.rate_limited == 0,
        "bound": over is not None and over <= QUOTA_SLACK,
        "requests": per_repo <= MAX_REQUESTS_PER_REPO,
    }
    missed = [name for name, ok in parts.items() if not ok]
    why = (f"exit {step.exit_code}, {failed} failed changes, {step.rate_limited} 429s; "
           f"{step.wall_s:.1f} s against a quota bound of {bound:.1f} s ({step.requests} "
           f"requests / {quota}) = {_fmt_ratio(over)}; {per_repo:.2f} requests per repo"
           + (f"; missed: {', '.join(missed)}" if missed else "") + qat)
    found.append((title, "PASS" if not missed else "MISS", why))
    return found


def _quota_section(steps: Sequence[Any], settings: dict[str, Any]) -> list[str]:
    quota = settings.get("quota")
    rows = [s for s in steps if (s.tool, s.step) in {(t, n) for t, n, _ in QUOTA_LABELS}]
    if not quota or not rows:
        return []
    budget, window = quota_policy(quota)
    free, free_window = HUB_FREE_QUOTA
    out = [
        "", f"## Under an emulated API quota ({quota})", "",
        f"The hub enforces {budget} requests per {window:g} s fixed window per token (the "
        "real Hub's headers: `RateLimit`, `RateLimit-Policy`, 429 + `Retry-After` past it); "
        f"the free tier is {free} per {free_window / 60:g} minutes, so time runs "
        f"{(budget / window) / (free / free_window):g}× faster here "
        "and *quota bound* = requests / budget × window, the least time the requests can "
        "take under the quota (each step starts as a window opens). *On the Hub (free)* "
        "scales it to the real free tier "
        f"({free} per {free_window / 60:g} min). The client paces itself by the headers; "
        "*429s* are the ones the hub had to send.", "",
        "| step | N | wall s | requests | requests / repo | 429s | quota bound s | × bound | "
        "on the Hub (free), bound | exit | failed changes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in sorted(rows, key=lambda s: (s.n, s.step)):
        if not step.measured:
            out.append(f"| {_label(step)} | {step.n} | {step.note} |" + " |" * 8)
            continue
        bound = quota_bound_s(step)
        hub_bound = step.requests / free * free_window
        failed = _failed_changes(step)
        out.append(
            f"| {_label(step)} | {step.n} | {_fmt_s(step.wall_s)} | {step.requests} | "
            f"{step.requests / max(1, step.n):.2f} | {step.rate_limited} | {bound:.1f} | "
            f"{_fmt_ratio(_ratio(step.wall_s, bound))} | {hub_bound / 60:.1f} min | "
            f"{step.exit_code} | {'–' if failed is None else failed} |")
    for step in rows:
        if step.measured and step.by_endpoint:
            listed = ", ".join(f"{k} {v}" for k, v in sorted(step.by_endpoint.items()))
            out.append(f"\nRequests by endpoint, {_label(step)} at N = {step.n}: {listed}.")
    return out


# -- markdown -----------------------------------------------------------------------------------

STEP_LABELS = (
    ("release", "apply_empty", "release apply, from empty"),
    ("release", "plan_cold", "release plan, no change, cold cache"),
    ("release", "plan_warm", "release plan, no change, warm cache"),
    ("release", "apply_noop", "release apply, no change"),
    ("release", "validate", "release validate (no Hub: start-up + config)"),
    ("baseline", "apply_empty", "baseline script, from empty"),
    ("baseline", "status", "baseline status check (read-only)"),
    ("baseline", "status_p8", "peer: the status check on 8 threads (read-only)"),
    ("baseline", "apply_noop", "baseline script, run again (no change)"),
)
#: The quota scenario's steps (their own section: bound by the quota, not by round trips).
QUOTA_LABELS = (
    ("release", "quota_apply_empty", "release apply, from empty"),
    ("release", "quota_plan_cold", "release plan, no change, cold cache"),
)
#: The quota of a free account on the real Hub: what a compressed quota's figures stand for.
HUB_FREE_QUOTA = (1000, 300.0)
QUOTA_SLACK = 1.1  # the goal: within 1.1x of the quota bound
PEER_SLACK = 1.1  # and a warm plan within 1.1x of the 8-thread peer
MAX_REQUESTS_PER_REPO = 5
BASELINE_OF = {"apply_empty": "apply_empty", "plan_cold": "status", "plan_warm": "status",
               "apply_noop": "apply_noop"}


def quota_policy(text: str) -> tuple[int, float]:
    """`1000/20s` -> (1000, 20.0); units s, m, h."""
    count, window = text.split("/", 1)
    units = {"s": 1, "m": 60, "h": 3600}
    unit = window[-1] if window[-1] in units else "s"
    number = window[:-1] if window[-1] in units else window
    return int(count), float(number or 1) * units[unit]


def quota_bound_s(step: Any) -> float:
    """The quota bound: requests / budget x window (the fewest windows the requests need)."""
    budget, window = quota_policy(step.quota)
    return step.requests / budget * window


def _failed_changes(step: Any) -> int | None:
    summary = step.detail.get("summary") if isinstance(step.detail, dict) else None
    return summary.get("failed") if isinstance(summary, dict) else None


def _label(step: Any) -> str:
    for tool, name, label in (*STEP_LABELS, *QUOTA_LABELS):
        if (tool, name) == (step.tool, step.step):
            return label
    return f"{step.tool} {step.step}"


def _size_table(steps: Sequence[Any], n: int, latency: int) -> list[str]:
    rows = [s for tool, name, _ in STEP_LABELS if (s := _find(steps, n, tool, name)) is not None]
    lines = [
        "| step | wall s | requests | requests / repo | writes | bytes uploaded | "
        "all request bodies | peak RSS MB | CPU s | hub CPU s | P | round-trip bound s | "
        "× bound | baseline ÷ this (time) | baseline ÷ this (requests) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in rows:
        if not step.measured:
            lines.append(f"| {_label(step)} | {step.note} |" + " |" * 14)
            continue
        bound = bound_s(step, latency)
        base = None
        if step.tool == "release" and step.step in BASELINE_OF:
            base = _find(steps, n, "baseline", BASELINE_OF[step.step])
        speed = fewer = None
        if base is not None and base.measured:
            speed = _ratio(base.wall_s, step.wall_s)
            fewer = _ratio(base.requests, step.requests)
        label = _label(step) + (" ⚠" if step.note else "")
        lines.append(
            f"| {label} | {_fmt_s(step.wall_s)} | {step.requests} | "
            f"{step.requests / max(1, n):.2f} | {step.writes} | "
            f"{_fmt_bytes(step.upload_bytes)} | {_fmt_bytes(step.all_body_bytes)} | "
            f"{step.rss_mb:.0f} | {_fmt_s(step.cpu_s)} | {_fmt_s(step.hub_cpu_s)} | "
            f"{'–' if step.step == 'validate' else step.parallelism} | "
            f"{_fmt_s(bound) if bound else '–'} | "
            f"{_fmt_ratio(_ratio(step.wall_s, bound))} | {_fmt_ratio(speed)} | "
            f"{_fmt_ratio(fewer)} |")
    notes = [f"* ⚠ {_label(s)}: {s.note}" for s in rows if s.measured and s.note]
    return lines + ([""] + notes if notes else [])


def _endpoint_table(steps: Sequence[Any], n: int) -> list[str]:
    rows = [s for tool, name, _ in STEP_LABELS
            if (s := _find(steps, n, tool, name)) is not None and s.measured and s.requests]
    if not rows:
        return []
    short = {("release", "apply_empty"): "rel apply empty", ("release", "plan_cold"):
             "rel plan cold", ("release", "plan_warm"): "rel plan warm",
             ("release", "apply_noop"): "rel apply no-op", ("baseline", "apply_empty"):
             "base apply empty", ("baseline", "status"): "base status",
             ("baseline", "status_p8"): "peer status 8 thr",
             ("baseline", "apply_noop"): "base apply again"}
    endpoints = sorted({e for s in rows for e in s.by_endpoint})
    lines = ["| endpoint | " + " | ".join(short.get((s.tool, s.step), s.step) for s in rows)
             + " |", "|---|" + "---:|" * len(rows)]
    for endpoint in endpoints:
        lines.append(f"| {endpoint} | "
                     + " | ".join(str(s.by_endpoint.get(endpoint, "")) for s in rows) + " |")
    return lines


def markdown(steps: Sequence[Any], settings: dict[str, Any], host: dict[str, Any],
             chart: Path | None) -> str:
    latency, parallelism = settings["latency_ms"], settings["parallelism"]
    out = [
        "# Benchmark: `release` against the huggingface_hub script labs write today",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand. Issue 7.",
        "",
        "## Machine and settings",
        "",
        f"* {host['date']}; {host['cpu'] or 'CPU unknown'}, {host['cores']} cores "
        f"({host['usable_cores']} usable), {host['memory_gb']} GB; Python {host['python']}; "
        f"{host['platform']}; huggingface_hub {host['huggingface_hub']}; "
        f"project commit {host['commit']}. Load average (1 min) before / after the run: "
        f"{settings.get('load_before')} / {settings.get('load_after')} (other work on the "
        "machine competes for its cores and inflates wall times; the CPU columns are steadier)."
        f" Peak RSS of the runner itself (the floor of every child's figure): "
        f"{settings.get('runner_peak_rss_mb')} MB.",
        f"* Sizes N = {', '.join(str(n) for n in settings['sizes'])}; injected latency "
        f"{latency} ms per request (server-side); `release apply --parallelism "
        f"{parallelism}`; the plan's reader uses its own pool of 8. Runner time: "
        f"{settings['runner_seconds']} s.",
        "* Workload (`bench/workload.py`): N repos across 2 families in 2 namespaces; each "
        "with a model card and a tiny config.json on main and one run branch; 1 in 10 tagged, "
        "1 in 5 gated, 1 in 2 public; one collection per family. Small content: this bench "
        "measures requests and round trips.",
        "* Each step is a subprocess against a fresh local hub running in its own process "
        "(`bench/hubserver.py`, i.e. `release hub serve` plus a byte counter). Requests and "
        "writes are the hub's own counters over the step; *bytes uploaded* are the request "
        "bodies of `commit` and `lfs_upload` (file content); *all request bodies* adds "
        "preupload samples, JSON and form queries; peak RSS is the step's own process "
        "(`os.wait4`); *CPU s* is that process's user + system time and *hub CPU s* the "
        "hub process's over the step (on 2 cores, their sum near 2 × wall means CPU-bound).",
        "* Baseline (`bench/baseline.py`): unmodified `HfApi`, sequential; per variant "
        "`create_repo(exist_ok=True)`, `upload_folder` (the same README.md and config.json), "
        "`create_branch(exist_ok=True)`, `create_tag(exist_ok=True)` where tagged, "
        "`update_repo_settings`, `add_collection_item(exists_ok=True)` (after one "
        "`create_collection` per family), so both tools publish the same end state; the status "
        "check is `model_info`, `list_repo_refs` and a README `hf_hub_download` per repo. "
        "Its parallelism P is 1, so its round-trip bound is requests × latency. Above "
        f"N = {settings.get('baseline_apply_max')} (`--baseline-apply-max`; `--full` lifts it) "
        "the script's two apply runs are not run, to keep `make bench` under 10 minutes, and "
        "its status check reads the hub `release apply` populated (the same end state).",
        "* Round-trip bound = ceil(requests / P) × latency: the wall time of the same requests "
        "if latency were the only cost. *baseline ÷ this* compares each release row with the "
        "baseline doing the same job (plan with the status check, apply with the script, "
        "no-op apply with the script run again).",
    ]
    if not settings.get("apply_available"):
        out.append(f"* **`release apply`: {settings.get('apply_note')}.** The no-change plans "
                   "were measured against the hub the baseline script populated (the same end "
                   "state).")
    out += ["", "## Targets", "", "| target | result | figures |", "|---|---|---|"]
    for title, verdict, why in targets(steps, settings):
        shown = f"**{verdict}**" if verdict != "PASS" else verdict
        out.append(f"| {title} | {shown} | {why} |")
    for n in settings["sizes"]:
        out += ["", f"## N = {n}", ""]
        out += _size_table(steps, n, latency)
        endpoints = _endpoint_table(steps, n)
        if endpoints:
            out += ["", f"Requests by endpoint, N = {n}:", ""] + endpoints
    out += _quota_section(steps, settings)
    if chart is not None:
        out += ["", "## Wall time against N", "", f"![wall time against N]({chart.name})"]
    return "\n".join(out) + "\n"


# -- chart --------------------------------------------------------------------------------------

def chart(steps: Sequence[Any], path: Path, settings: dict[str, Any]) -> Path | None:
    """Wall time against N, log-log; None (and a message) if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no chart", flush=True)
        return None
    # the same colour for a release step and the baseline step doing the same job
    styles = {("release", "apply_empty"): ("C0", "-"), ("baseline", "apply_empty"): ("C0", "--"),
              ("release", "plan_cold"): ("C1", "-"), ("release", "plan_warm"): ("C2", "-"),
              ("baseline", "status"): ("C1", "--"), ("release", "apply_noop"): ("C3", "-"),
              ("baseline", "status_p8"): ("C2", "--"),
              ("baseline", "apply_noop"): ("C3", "--"), ("release", "validate"): ("C7", ":")}
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    sizes: set[int] = set()
    for tool, name, label in STEP_LABELS:
        points = sorted((s.n, s.wall_s) for s in steps
                        if (s.tool, s.step) == (tool, name) and s.measured and s.wall_s)
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        sizes.update(xs)
        colour, line = styles.get((tool, name), ("k", "-"))
        ax.plot(xs, ys, line, color=colour, marker="o" if tool == "release" else "s",
                label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xticks(sorted(sizes))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel("managed repos N")
    ax.set_ylabel("wall time (s)")
    title = (f"release vs huggingface_hub script, {settings['latency_ms']} ms latency, "
             f"P = {settings['parallelism']}")
    if not settings.get("apply_available"):
        title += "\n(release apply not measured: not available)"
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
