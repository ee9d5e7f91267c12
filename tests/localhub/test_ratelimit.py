"""The local hub rehearses the Hub's API quota: fixed windows per user, the RateLimit and
RateLimit-Policy headers on every answer, 429 + Retry-After once the window is spent."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers

from release.localhub import LocalHub
from release.localhub.auth import DEFAULT_TOKEN
from release.localhub.ratelimit import QuotaMeter, QuotaPolicy
from release.localhub.testing import ALICE_TOKEN, BOB_TOKEN, STRICT_AUTH, hub_api


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("spec", "quota", "window"),
                         [("1000/300s", 1000, 300), ("1000/5m", 1000, 300), ("100/3", 100, 3)])
def test_policy_parses_requests_per_window(spec: str, quota: int, window: int) -> None:
    assert QuotaPolicy.parse(spec) == QuotaPolicy(quota, window)


@pytest.mark.parametrize("spec", ["", "1000", "1000/0s", "0/300s", "x/300s", "1000/300h"])
def test_policy_rejects_what_it_cannot_read(spec: str) -> None:
    with pytest.raises(ValueError, match="REQUESTS/WINDOW|at least 1"):
        QuotaPolicy.parse(spec)


def test_fixed_windows_per_caller() -> None:
    clock = Clock(1000.0)  # window [900, 1200) for 3 per 300 s: 200 s to its reset
    meter = QuotaMeter(QuotaPolicy(3, 300), clock)
    seen = [meter.admit("user:alice") for _ in range(4)]
    assert [(a.refused, a.remaining, a.reset_s) for a in seen] == [
        (False, 2, 200), (False, 1, 200), (False, 0, 200), (True, 0, 200)]
    assert seen[-1].headers() == {"RateLimit": '"api";r=0;t=200',
                                  "RateLimit-Policy": '"fixed window";"api";q=3;w=300',
                                  "Retry-After": "200"}
    assert not meter.admit("user:bob").refused  # another user has a budget of their own
    clock.now = 1199.5
    assert meter.admit("user:alice").reset_s == 1  # rounded up: never "reset in 0 s"
    clock.now = 1200.0  # a new window: the quota is back, whatever was refused before
    fresh = meter.admit("user:alice")
    assert (fresh.refused, fresh.remaining, fresh.reset_s) == (False, 2, 300)


def test_every_answer_carries_the_quota_and_a_spent_window_answers_429(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub", auth=STRICT_AUTH, rate_limit="3/60s") as hub:
        with httpx2.Client(base_url=hub.endpoint) as http:
            alice = {"authorization": f"Bearer {ALICE_TOKEN}"}
            answers = [http.get("/api/whoami-v2", headers=alice) for _ in range(3)]
            remaining = [parse_ratelimit_headers(a.headers).remaining  # type: ignore[union-attr]
                         for a in answers]
            assert remaining == [2, 1, 0]
            assert answers[0].headers["RateLimit-Policy"] == '"fixed window";"api";q=3;w=60'
            assert "Retry-After" not in answers[0].headers
            # Errors count and carry the headers too (a 404 is still an API call).
            refused = http.get("/api/models/alice/missing", headers=alice)
            assert refused.status_code == 429
            info = parse_ratelimit_headers(refused.headers)
            assert info is not None and info.remaining == 0 and info.limit == 3
            assert 1 <= int(refused.headers["Retry-After"]) == info.reset_in_seconds <= 60
            assert "Rate limit reached" in refused.json()["error"]
            # Another user, and the test controls, are not held back by alice's spent window.
            bob = http.get("/api/whoami-v2", headers={"authorization": f"Bearer {BOB_TOKEN}"})
            assert bob.status_code == 200 and 'r=2;' in bob.headers["RateLimit"]
            assert http.get("/_localhub/health").status_code == 200
        stats = hub.stats()
        assert stats["rate_limited"] == 1 and stats["by_endpoint"]["whoami"] == 4
        hub.reset_stats()
        assert hub.stats()["rate_limited"] == 0


def test_the_client_sees_the_hubs_429_and_the_window_resets(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub") as hub:
        api = hub_api(hub, DEFAULT_TOKEN)
        api.create_repo("acme/metered")
        hub.set_rate_limit("2/1s")
        deadline = time.monotonic() + 5
        while True:  # spend the window; its edge may fall anywhere in the loop
            try:
                api.list_repo_refs("acme/metered")  # not retried by the client
            except HfHubHTTPError as err:
                assert err.response.status_code == 429
                assert "you have reached your 'api' rate limit" in str(err)
                retry_after = float(err.response.headers["Retry-After"])
                break
            assert time.monotonic() < deadline, "the quota never refused a request"
        time.sleep(retry_after)
        assert api.list_repo_refs("acme/metered").branches  # the window reset
        hub.set_rate_limit(None)
        for _ in range(5):
            api.list_repo_refs("acme/metered")  # no quota once turned off


def test_hub_serve_rate_limit_option(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "release", "hub", "serve", "--data-dir", str(tmp_path / "d"),
         "--port", "0", "--rate-limit", "2/300s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "API quota 2/300s per user" in banner, banner
        endpoint = banner.split()[3]
        codes = [httpx2.get(f"{endpoint}/api/whoami-v2",
                            headers={"authorization": f"Bearer {DEFAULT_TOKEN}"}).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    bad = subprocess.run([sys.executable, "-m", "release", "hub", "serve", "--data-dir",
                          str(tmp_path / "d"), "--rate-limit", "lots"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "--rate-limit" in bad.stderr and "1000/300s" in bad.stderr
