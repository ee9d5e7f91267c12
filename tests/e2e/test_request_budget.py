"""The request budget of a no-change plan: with a warm cache, at most one Hub request per
managed repo, plus one per listing page and per collection, plus 2 (issue 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from release.localhub import LocalHub
from tests.e2e.conftest import REPO_ROOT, hub_override

N = 100


def write_project(root: Path, n: int) -> Path:
    (root / "conf" / "families").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "conf" / "hub", root / "conf" / "hub")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    (root / "conf" / "config.yaml").write_text(
        "defaults:\n  - hub: local\n  - families: [fleet]\n  - _self_\n")
    indices = ", ".join(f'"{i:03d}"' for i in range(n))
    (root / "conf" / "families" / "fleet.yaml").write_text(
        "fleet:\n"
        "  namespace: budget-org\n"
        '  repo_name: "fleet-{idx}"\n'
        f"  matrix: {{idx: [{indices}]}}\n"
        "  defaults:\n"
        "    card:\n"
        "      summary: One of many.\n"
        "      metadata: {license: mit}\n"
        "  collection: {title: Fleet}\n")
    return root


def _plan_requests(run_cli, project: Path, hub: LocalHub) -> tuple[int, dict]:
    hub.reset_stats()
    result = run_cli("plan", hub_override(hub), "--format", "json", "--detailed-exitcode",
                     cwd=project)
    assert result.code == 0, result.out[-2000:] + result.err  # nothing to change
    plan = json.loads(result.out)
    stats = hub.stats()
    assert plan["requests"] == stats["total"] and stats["writes"] == 0
    return stats["total"], stats["by_endpoint"]


def test_warm_no_change_plan_stays_within_budget(tmp_path: Path, hub: LocalHub,
                                                 run_cli) -> None:
    project = write_project(tmp_path, N)
    applied = run_cli("apply", hub_override(hub), "--auto-approve", cwd=project)
    assert applied.code == 0, applied.err

    shutil.rmtree(project / ".release" / "cache", ignore_errors=True)
    cold, cold_by = _plan_requests(run_cli, project, hub)
    warm, warm_by = _plan_requests(run_cli, project, hub)

    pages, collections = 1, 1  # one models listing page; one collection
    assert warm <= N + pages + collections + 2
    assert warm_by == {"whoami": 1, "list_models": 1, "list_repo_refs": N,
                       "collections_get": 1}
    # Cold, each repo's main tree is listed once, and the collection is found by listing the
    # namespace; warm, trees and the collection's slug come from the cache.
    assert cold == warm + N + 1
    assert cold_by["list_repo_tree"] == N and cold_by["collections_list"] == 1
