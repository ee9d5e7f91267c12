"""Interrupted mid-upload (issue 18, step 3): the summary says what landed, and a re-run
plans the rest as resuming an earlier apply, not as drift.

A real `release apply` process is stopped while the local hub holds its LFS uploads (a latency
fault on `lfs_upload`): with SIGINT the in-flight commit of main (card and files: one commit)
finishes, and both of its changes are reported applied; with SIGKILL the repos exist but are
still empty, and the next plan resumes them.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from applykit import Demo


def _stop_during_upload(demo: Demo, sig: int, latency_ms: int) -> tuple[int, str, str]:
    demo.hub.set_faults([{"endpoint": "lfs_upload", "kind": "latency",
                          "latency_ms": latency_ms}])
    process = demo.spawn("apply", "--auto-approve", *demo.hub_args)
    deadline = time.monotonic() + 60
    # Both repos' main commits (one LFS file each) are uploading: either may start first.
    while demo.hub.stats()["by_endpoint"].get("lfs_upload", 0) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the apply never started an upload"
        time.sleep(0.01)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    demo.hub.set_faults([])
    return process.returncode, out, err


def _line(text: str, address: str) -> str:
    return next(line for line in text.splitlines() if f" {address}" in line
                and line.lstrip().startswith(("ok", "skipped", "FAILED", "✓", "-", "✗")))


def test_sigint_reports_the_files_that_landed_with_the_card(demo: Demo, capsys: Any) -> None:
    code, out, err = _stop_during_upload(demo, signal.SIGINT, 1500)
    assert code == 130, out + err
    card = _line(err, "card:acme/Demo-7B")
    files = _line(err, "files:acme/Demo-7B@main")
    assert card.lstrip().startswith("ok"), err
    # Card and files of main are one commit: it landed, so both did.
    assert files.lstrip().startswith("ok") and "in the same commit" in files, err
    assert "interrupted before this change started" not in files
    commits = demo.api.list_repo_commits("acme/Demo-7B")
    assert len(commits) == 2  # the initial commit and the card-and-files commit


def test_a_rerun_after_sigkill_mid_upload_resumes_and_is_not_drift(
        demo: Demo, reference_snapshot: dict[str, Any], capsys: Any) -> None:
    code, _, _ = _stop_during_upload(demo, signal.SIGKILL, 5000)
    assert code == -signal.SIGKILL
    assert {m.id for m in demo.api.list_models(author="acme")} == {"acme/Demo-1B",
                                                                    "acme/Demo-7B"}

    plan = demo.cli("plan", "--detailed-exitcode", *demo.hub_args, capsys=capsys)
    assert plan.code == 2, plan.out + plan.err
    assert "changed outside release" not in plan.out, plan.out
    assert "resuming" in plan.out, plan.out

    rerun = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert rerun.code == 0, rerun.out + rerun.err
    assert demo.snapshot() == reference_snapshot
