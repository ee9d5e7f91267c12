"""SIGKILL at several points of an apply, then re-apply: the same state and the same number of
commits per branch as an uninterrupted run. SIGINT: in-flight calls finish, the summary is
printed, exit 130, and re-applying converges."""

from __future__ import annotations

import signal
import time

import pytest
from applykit import DEMO_COMMITS, Demo, commit_counts


def _start_and_wait_for_writes(demo: Demo, writes: int) -> object:
    """Start `release apply --auto-approve` in a process; return once the hub counted `writes`
    write requests from it (the hub's latency keeps the apply slow enough to stop there)."""
    demo.hub.set_latency(15)
    process = demo.spawn("apply", "--auto-approve", *demo.hub_args)
    deadline = time.monotonic() + 60
    while demo.hub.stats()["writes"] < writes:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the apply never reached that point"
        time.sleep(0.001)
    return process


@pytest.mark.parametrize("writes", [1, 4, 10, 18])
def test_sigkill_then_reapply_converges_with_the_same_commits(
        demo: Demo, reference_snapshot, capsys, writes: int) -> None:
    process = _start_and_wait_for_writes(demo, writes)
    process.kill()  # SIGKILL: no cleanup, requests in flight are cut
    process.communicate(timeout=30)
    demo.hub.set_latency(0)
    assert commit_counts(demo.snapshot()) != DEMO_COMMITS or writes >= 18

    rerun = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert rerun.code == 0, rerun.out + rerun.err
    assert "unmanaged" not in rerun.out
    assert commit_counts(demo.snapshot()) == DEMO_COMMITS
    assert demo.snapshot() == reference_snapshot
    assert "No changes." in demo.cli("plan", *demo.hub_args, capsys=capsys).out


def test_sigint_finishes_in_flight_work_and_exits_130(demo: Demo, reference_snapshot,
                                                     capsys) -> None:
    process = _start_and_wait_for_writes(demo, 4)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Interrupt: finishing the requests in flight" in err
    assert "Apply interrupted" in out and "re-running 'release apply'" in out
    assert "skipped" in err  # what did not start is listed
    demo.hub.set_latency(0)
    public = [m.id for m in demo.api.list_models(author="acme", expand=["private"])
              if not m.private]
    assert public == []  # stopped long before the last step of any repo

    rerun = demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys)
    assert rerun.code == 0, rerun.out + rerun.err
    assert demo.snapshot() == reference_snapshot
