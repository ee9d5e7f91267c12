"""Seeded fault and latency injection and the request counter, as tests and benchmarks use them."""

from __future__ import annotations

import time

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError

from release.localhub import LocalHub
from release.localhub.testing import STRICT_AUTH, hub_api


@pytest.fixture
def api(make_api):
    api = make_api()
    api.create_repo("alice/faulty")
    return api


def test_rate_limit_with_retry_after_is_retried_by_list_models(api, local_hub):
    local_hub.set_faults(
        [{"endpoint": "list_models", "kind": "rate_limit", "retry_after": 0, "times": 1}]
    )
    local_hub.reset_stats()
    started = time.monotonic()
    assert [m.id for m in api.list_models(author="alice")] == ["alice/faulty"]
    assert time.monotonic() - started >= 1.0  # Retry-After: 0 still costs the client 1 s
    assert local_hub.stats()["by_endpoint"]["list_models"] == 2


def test_server_error_on_model_info_raises_at_once(api, local_hub):
    local_hub.set_faults([{"endpoint": "model_info", "kind": "error", "status": 503, "times": 1}])
    local_hub.reset_stats()
    with pytest.raises(HfHubHTTPError) as err:
        api.model_info("alice/faulty")
    assert err.value.response.status_code == 503
    assert local_hub.stats()["by_endpoint"] == {"model_info": 1}
    assert api.model_info("alice/faulty").id == "alice/faulty"  # `times` exhausted


def test_connection_reset_reaches_the_client_as_a_transport_error(api, local_hub):
    local_hub.set_faults([{"endpoint": "model_info", "kind": "reset", "times": 1}])
    with pytest.raises(httpx2.TransportError):
        api.model_info("alice/faulty")
    assert api.model_info("alice/faulty").id == "alice/faulty"


def test_a_lost_response_carries_the_request_out_then_fails(api, local_hub):
    local_hub.set_faults([{"endpoint": "commit", "kind": "lost", "status": 503, "times": 1},
                          {"endpoint": "create_tag", "kind": "lost_reset", "times": 1}])
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit("alice/faulty", [CommitOperationAdd("a.txt", b"a")],
                          commit_message="landed")
    assert err.value.response.status_code == 503
    assert [c.title for c in api.list_repo_commits("alice/faulty")][0] == "landed"
    with pytest.raises(httpx2.TransportError):
        api.create_tag("alice/faulty", tag="v1")
    assert [t.name for t in api.list_repo_refs("alice/faulty").tags] == ["v1"]


def test_faults_are_reproducible_for_a_seed(api, local_hub):
    def pattern(seed: int) -> list[bool]:
        local_hub.set_faults([{"endpoint": "model_info", "kind": "error", "rate": 0.5}], seed=seed)
        outcomes = []
        for _ in range(16):
            try:
                api.model_info("alice/faulty")
                outcomes.append(True)
            except HfHubHTTPError as err:
                assert err.response.status_code == 503
                outcomes.append(False)
        return outcomes

    first = pattern(11)
    assert True in first and False in first
    assert pattern(11) == first
    assert pattern(12) != first
    local_hub.clear_faults()
    assert api.model_info("alice/faulty").id == "alice/faulty"


def test_latency_injection_per_endpoint_and_global(api, local_hub, tmp_path):
    local_hub.set_faults([{"endpoint": "model_info", "kind": "latency", "latency_ms": 300}])
    started = time.monotonic()
    api.model_info("alice/faulty")
    assert time.monotonic() - started >= 0.3
    local_hub.clear_faults()
    with LocalHub(tmp_path / "slow", auth=STRICT_AUTH, latency_ms=200) as slow:
        started = time.monotonic()
        list(hub_api(slow, False).list_models())
        assert time.monotonic() - started >= 0.2


def test_faults_and_stats_over_http(api, local_hub):
    base = f"{local_hub.endpoint}/_localhub"
    refused = httpx2.put(f"{base}/faults", json={"rules": [{"kind": "explode"}]})
    assert refused.status_code == 400
    rules = {"seed": 5, "rules": [{"endpoint": "whoami", "kind": "error", "status": 502}]}
    assert httpx2.put(f"{base}/faults", json=rules).json()["rules"][0]["status"] == 502
    with pytest.raises(HfHubHTTPError) as err:
        api.whoami()
    assert err.value.response.status_code == 502
    assert httpx2.put(f"{base}/faults", json={"rules": []}).status_code == 200
    assert httpx2.post(f"{base}/stats/reset").json() == {
        "total": 0, "writes": 0, "rate_limited": 0, "by_endpoint": {}, "body_bytes": 0,
        "body_bytes_by_endpoint": {}, "in_flight_peak": {}}
    api.model_info("alice/faulty")
    stats = httpx2.get(f"{base}/stats").json()
    assert stats == {
        "total": 1,
        "writes": 0,
        "rate_limited": 0,
        "by_endpoint": {"model_info": 1},
        "body_bytes": 0,
        "body_bytes_by_endpoint": {},
        "in_flight_peak": {"model_info": 1},
    }  # controls uncounted


def test_request_counter_separates_writes_from_reads(api, local_hub):
    local_hub.reset_stats()
    api.create_commit("alice/faulty", [CommitOperationAdd("a.txt", b"a")], commit_message="a")
    api.create_tag("alice/faulty", tag="v1")
    api.model_info("alice/faulty")
    api.get_paths_info("alice/faulty", ["a.txt"])
    stats = local_hub.stats()
    assert stats["by_endpoint"] == {
        "preupload": 1,
        "commit": 1,
        "create_tag": 1,
        "model_info": 1,
        "paths_info": 1,
    }
    assert (stats["total"], stats["writes"]) == (5, 2)
    # an unchanged re-apply makes no write request at all
    local_hub.reset_stats()
    api.create_commit("alice/faulty", [CommitOperationAdd("a.txt", b"a")], commit_message="a")
    assert local_hub.stats()["writes"] == 0
