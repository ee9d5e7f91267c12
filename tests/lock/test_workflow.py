"""The shipped pull-request workflow keeps the promises the README makes about it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "release.yml"


def _workflow() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return document


def test_every_action_is_pinned_to_a_commit_sha_with_its_tag() -> None:
    uses = re.findall(r"uses: (\S+)(.*)", WORKFLOW.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.search(r"# v\d+\.\d+\.\d+", comment), (action, comment)


def test_only_the_commenting_job_may_write_to_the_pull_request() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {}
    writers = [name for name, job in workflow["jobs"].items()
               if "write" in job.get("permissions", {}).values()]
    assert writers == ["comment"]
    assert workflow["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    assert workflow["jobs"]["comment"]["if"].startswith("always()")  # also when the plan fails


def test_applies_never_overlap_and_apply_the_reviewed_saved_plan() -> None:
    jobs = _workflow()["jobs"]
    assert jobs["apply"]["concurrency"] == {"group": "release-apply",
                                            "cancel-in-progress": False}
    apply_steps = "\n".join(str(step.get("run", "")) for step in jobs["apply"]["steps"])
    assert "release apply out/plan.json" in apply_steps  # the saved plan, not a fresh one
    plan_steps = "\n".join(str(step.get("run", "")) for step in jobs["plan"]["steps"])
    assert "-o out/plan.json" in plan_steps
    cached = [step for job in ("plan", "apply") for step in jobs[job]["steps"]
              if str(step.get("uses", "")).startswith("actions/cache@")]
    assert [step["with"]["path"] for step in cached] == [".release/cache", ".release/cache"]


def test_the_lock_triggers_a_plan() -> None:
    assert "release.lock" in _workflow()["on"]["pull_request"]["paths"]
