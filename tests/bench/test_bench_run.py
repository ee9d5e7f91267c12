"""`make bench` still runs end to end: tiny N, no latency, results in a tmp dir (seconds)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `bench` is a directory of the repo, not an installed package
    sys.path.insert(0, str(REPO_ROOT))

from bench import run  # noqa: E402
from release.localhub import DEFAULT_TOKEN  # noqa: E402


def test_bench_runs_at_tiny_n(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out" / "RESULTS.md"
    work = tmp_path / "work"
    assert run.main(["--sizes", "3", "--latency-ms", "0", "--out", str(out),
                     "--work", str(work), "--chart", "none", "--quota", "20/2s"]) == 0

    text = out.read_text()
    assert "## Targets" in text and "## N = 3" in text
    assert DEFAULT_TOKEN not in text + capsys.readouterr().out
    results = json.loads(out.with_suffix(".json").read_text())
    steps = {(s["tool"], s["step"]): s for s in results["steps"]}
    for key in [("baseline", "apply_empty"), ("baseline", "status"), ("baseline", "apply_noop"),
                ("release", "validate"), ("release", "plan_cold"), ("release", "plan_warm")]:
        assert steps[key]["exit_code"] == 0, steps[key]
    # both tools built the same end state: the baseline wrote content, the plans found none
    assert steps[("baseline", "apply_empty")]["upload_bytes"] > 0
    assert steps[("baseline", "status")]["detail"]["repos"] == 3
    for name in ("plan_cold", "plan_warm"):
        assert steps[("release", name)]["note"] == "", steps[("release", name)]
        assert steps[("release", name)]["requests"] > 0
    for name in ("apply_empty", "apply_noop"):  # measured once `release apply` exists
        step = steps[("release", name)]
        assert step["exit_code"] == 0 or step["note"].startswith("not measured"), step
    # the quota scenario: paced under 20 requests / 2 s, nothing refused, nothing failed
    for name in ("quota_apply_empty", "quota_plan_cold"):
        step = steps[("release", name)]
        assert step["exit_code"] == 0 and step["quota"] == "20/2s", step
        assert step["rate_limited"] == 0 and step["requests"] > 0, step
    applied = steps[("release", "quota_apply_empty")]
    assert applied["requests"] > 20 and applied["detail"]["summary"]["failed"] == 0  # 2 windows
    assert steps[("baseline", "status_p8")]["exit_code"] == 0
    assert "## Under an emulated API quota (20/2s)" in text
    assert not work.exists()  # hubs, projects and logs are removed
