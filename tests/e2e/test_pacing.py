"""Pacing and patience against the local hub (issue 12): a plan hit by a 429, a 5xx or a reset
connection on any read waits as the Hub asks and succeeds; under the rehearsed quota an apply
paces itself and receives no 429; past --max-wait it stops cleanly, and a re-run resumes."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, constants

from release.hub.pacing import pacer
from release.localhub import LocalHub
from release.localhub.testing import hub_api
from tests.e2e.conftest import hub_override
from tests.e2e.test_request_budget import write_project

N = 3
#: Every endpoint a plan reads: the listing, refs, trees, collections, and for drift the
#: README (resolve) and a branch's newest commit (list_repo_commits).
READS = ("whoami", "list_models", "list_repo_refs", "list_repo_tree", "collections_list",
         "collections_get", "resolve", "list_repo_commits")


@pytest.fixture
def fast_backoff() -> Iterator[None]:
    """Transient-failure backoff in tens of ms (429 waits stay as long as the Hub asks)."""
    limiter = pacer()
    saved = limiter.backoff_s
    limiter.backoff_s = 0.02
    yield
    limiter.backoff_s = saved


@pytest.fixture
def applied(tmp_path: Path, hub: LocalHub, run_cli) -> Path:
    """A project of N repos and a collection, applied."""
    project = write_project(tmp_path, N)
    result = run_cli("apply", hub_override(hub), "--auto-approve", cwd=project)
    assert result.code == 0, result.err
    return project


def _cold_plan(run_cli, project: Path, hub: LocalHub, *args: str):
    """A plan with nothing cached: release's cache, and huggingface_hub's (README downloads)."""
    shutil.rmtree(project / ".release" / "cache", ignore_errors=True)
    shutil.rmtree(constants.HF_HUB_CACHE, ignore_errors=True)
    return run_cli("plan", hub_override(hub), "--format", "json", *args, cwd=project)


def _comparable(out: str) -> dict:
    plan = json.loads(out)
    for varying in ("requests", "created_at", "digest"):  # the seal covers the request count
        plan.pop(varying, None)
    return plan


def test_a_plan_hit_by_429_5xx_and_resets_on_every_read_waits_and_succeeds(
        applied: Path, hub: LocalHub, run_cli, fast_backoff) -> None:
    api = hub_api(hub)
    # Drift on one repo, so the plan also downloads a README and reads a branch's history.
    card = Path(api.hf_hub_download("budget-org/fleet-000", "README.md")).read_bytes()
    api.create_commit("budget-org/fleet-000",
                      [CommitOperationAdd("README.md", card + b"\nEdited on the Hub.\n"),
                       CommitOperationAdd("extra.txt", b"x")],
                      commit_message="edited on the Hub")
    clean = _cold_plan(run_cli, applied, hub)
    assert clean.code == 0, clean.err
    expected = _comparable(clean.out)
    for endpoint in READS:
        # First answer 429 (Retry-After: 1), then 503, then a reset connection, then served.
        hub.set_faults([
            {"endpoint": endpoint, "kind": "rate_limit", "retry_after": 1, "times": 1},
            {"endpoint": endpoint, "kind": "error", "status": 503, "times": 1},
            {"endpoint": endpoint, "kind": "reset", "times": 1},
        ])
        hub.reset_stats()
        started = time.monotonic()
        result = _cold_plan(run_cli, applied, hub)
        assert result.code == 0, f"{endpoint}: {result.err}"
        assert time.monotonic() - started >= 1.0, endpoint  # waited as long as the Hub asked
        assert "rate limited by the Hub: resuming in 1 s" in result.err, endpoint
        assert _comparable(result.out) == expected, endpoint
        assert hub.stats()["by_endpoint"][endpoint] >= 4, endpoint  # 3 faults, then served
    hub.clear_faults()


def test_max_wait_stops_a_plan_cleanly(applied: Path, hub: LocalHub, run_cli) -> None:
    hub.set_faults([{"endpoint": "list_repo_refs", "kind": "rate_limit", "retry_after": 120}])
    started = time.monotonic()
    result = _cold_plan(run_cli, applied, hub, "--max-wait", "5s")
    assert time.monotonic() - started < 30  # it did not sit out the 2 minutes
    assert result.code == 1
    assert "rate limit asks to wait 2 m 0 s more, past --max-wait 5 s" in result.err
    assert "re-run the same command later" in result.err
    hub.clear_faults()
    assert _cold_plan(run_cli, applied, hub, "--max-wait", "5s").code == 0


def test_apply_paces_itself_under_the_quota_and_gets_no_429(tmp_path: Path, hub: LocalHub,
                                                           run_cli) -> None:
    # ~3 requests per repo (create, commit, collection item) and a few per apply: 12 repos
    # spend two windows of 20 and more.
    project = write_project(tmp_path, 12)
    hub.set_rate_limit("20/2s")
    started = time.monotonic()
    result = run_cli("apply", hub_override(hub), "--auto-approve", cwd=project)
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    stats = hub.stats()
    assert stats["rate_limited"] == 0  # paced by the RateLimit header: never refused
    windows = stats["total"] / 20
    assert stats["total"] > 40 and elapsed >= 2 * (windows - 1) - 0.5  # it did wait
    again = run_cli("plan", hub_override(hub), "--detailed-exitcode", cwd=project)
    assert again.code == 0, again.out + again.err
    assert hub.stats()["rate_limited"] == 0


def test_apply_past_max_wait_stops_and_a_rerun_resumes(tmp_path: Path, hub: LocalHub,
                                                       run_cli) -> None:
    project = write_project(tmp_path, 4)
    hub.set_rate_limit("12/60s")  # the window is spent mid-apply; its reset is far off
    result = run_cli("apply", hub_override(hub), "--auto-approve", "--max-wait", "1s",
                     cwd=project)
    assert result.code == 1, result.out + result.err
    assert "past --max-wait 1 s" in result.out
    assert "re-run the same command later" in result.out
    # One stop, said once with what the Hub asked: not again by every change it cut short,
    # and never as "asks to wait 0 s more" (the pool's other threads stopping with it).
    stops = [line for line in result.out.splitlines() if "past --max-wait" in line]
    assert len(stops) == 1, result.out
    assert "asks to wait 0 s more" not in result.out
    assert "re-running 'release apply'" in result.out
    hub.set_rate_limit(None)
    resumed = run_cli("apply", hub_override(hub), "--auto-approve", cwd=project)
    assert resumed.code == 0, resumed.out + resumed.err
    again = run_cli("plan", hub_override(hub), "--detailed-exitcode", cwd=project)
    assert again.code == 0, again.out + again.err


def test_a_reset_is_told_apart_from_an_unreachable_hub(applied: Path, hub: LocalHub, run_cli,
                                                       fast_backoff) -> None:
    hub.set_faults([{"endpoint": "list_repo_refs", "kind": "reset"}])
    reset = _cold_plan(run_cli, applied, hub)
    assert reset.code == 1
    assert "kept resetting the connection" in reset.err and "cannot reach" not in reset.err
    hub.clear_faults()
    unreachable = run_cli("plan", "hub.endpoint=http://127.0.0.1:9", cwd=applied)
    assert unreachable.code == 1
    assert "cannot reach the Hub at http://127.0.0.1:9" in unreachable.err


def test_the_embedded_hub_rehearses_the_quota(applied: Path, run_cli) -> None:
    bad = run_cli("plan", "hub.rate_limit=lots", cwd=applied)
    assert bad.code == 1 and "hub.rate_limit" in bad.err and "1000/300s" in bad.err
    good = run_cli("plan", "hub.rate_limit=1000/300s", cwd=applied)
    assert good.code == 0, good.err
