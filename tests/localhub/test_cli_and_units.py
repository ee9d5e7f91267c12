"""`release hub serve` as a user runs it, and the pure parts: names, LFS rules, pointers, auth."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from release.localhub import LocalHub
from release.localhub.auth import DEFAULT_TOKEN, AuthConfig
from release.localhub.datalock import LOCK_NAME, DataDirInUse
from release.localhub.errors import HubError
from release.localhub.faults import FaultInjector, FaultRule
from release.localhub.gitattributes import LfsRules, default_gitattributes
from release.localhub.lfs_store import make_pointer, parse_pointer
from release.localhub.names import check_path, check_ref_name
from release.localhub.testing import ALICE_TOKEN, STRICT_AUTH, hub_api


def test_hub_serve_runs_until_interrupted(tmp_path: Path):
    auth_file = tmp_path / "auth.yaml"
    auth_file.write_text(yaml.safe_dump(STRICT_AUTH))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "release",
            "hub",
            "serve",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            "0",
            "--auth",
            str(auth_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("Local hub at http://127.0.0.1:"), banner
        endpoint = banner.split()[3]
        api = HfApi(endpoint=endpoint, token=ALICE_TOKEN)
        assert api.whoami()["name"] == "alice"
        api.create_repo("acme/from-cli")
        assert api.model_info("acme/from-cli").id == "acme/from-cli"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "Local hub stopped." in out
    assert ALICE_TOKEN not in banner + out + err
    assert (tmp_path / "data" / "repos" / "models" / "acme" / "from-cli.git").is_dir()


@pytest.mark.parametrize("name", ["main", "release/v1", "sft_tulu3_8b_2024-01-15_seed42", "v1.0"])
def test_good_ref_names(name):
    assert check_ref_name(name, "branch") == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/x",
        "x/",
        "a..b",
        "a b",
        "x.lock",
        "a/.hidden",
        "@",
        "a@{1}",
        "refs/heads/x",
        "q?",
        "f" * 40,
    ],
)
def test_bad_ref_names(name):
    with pytest.raises(HubError):
        check_ref_name(name, "tag")


@pytest.mark.parametrize("path", ["../x", "/x", "a//b", ".git/config", "a/./b", "", "a/../b"])
def test_bad_paths(path):
    with pytest.raises(HubError):
        check_path(path)


def test_lfs_rules_follow_gitattributes_semantics():
    rules = LfsRules.parse(
        default_gitattributes("model").decode() + "docs/*.pdf filter=lfs\n*.bin -filter\n"
    )
    assert rules.is_lfs("model.safetensors") and rules.is_lfs("deep/dir/w.safetensors")
    assert rules.is_lfs("archive.tar.gz") and rules.is_lfs("saved_model/v1/vars/data")
    assert rules.is_lfs("logs/events.out.tfevents.123")
    assert rules.is_lfs("docs/a.pdf") and not rules.is_lfs("other/docs/a.pdf")
    assert not rules.is_lfs("pytorch_model.bin")  # the later `-filter` line wins
    assert not rules.is_lfs("README.md") and not rules.is_lfs("config.json")
    assert "*.png" in default_gitattributes("dataset").decode()
    assert "*.png" not in default_gitattributes("model").decode()


def test_lfs_pointer_round_trip():
    pointer = make_pointer("ab" * 32, 42)
    assert parse_pointer(pointer) == parse_pointer(pointer) is not None
    assert parse_pointer(pointer).size == 42  # type: ignore[union-attr]
    assert parse_pointer(b"not a pointer") is None
    assert parse_pointer(pointer + b"x" * 2000) is None


def test_auth_config_validation(tmp_path):
    with pytest.raises(ValueError):
        AuthConfig.from_dict({"users": ["a"], "tokens": [{"value": "t", "user": "ghost"}]})
    with pytest.raises(ValueError):
        AuthConfig.from_dict({"users": ["a"], "orgs": [{"name": "o", "members": ["ghost"]}]})
    path = tmp_path / "auth.json"
    path.write_text('{"users": ["a"], "tokens": [{"value": "t", "user": "a", "role": "write"}]}')
    config = AuthConfig.load(path)
    assert config.authenticate("Bearer t").user == "a"
    with pytest.raises(HubError):
        config.authenticate("Bearer nope")


def test_fault_rules_are_validated_and_capped():
    with pytest.raises(ValueError):
        FaultRule.from_dict({"kind": "error", "status": 404})
    with pytest.raises(ValueError):
        FaultRule.from_dict({"kind": "latency", "rate": 2})
    injector = FaultInjector([FaultRule.from_dict({"kind": "error", "times": 2})])
    assert [injector.decide("any").status for _ in range(3)] == [503, 503, None]


def _serve(data_dir: Path, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "release", "hub", "serve", "--data-dir", str(data_dir)]
        + ["--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_server_on_the_data_dir_is_refused_and_a_killed_ones_lock_is_broken(
    tmp_path: Path,
):
    """Two servers on one data dir diverge in memory and 500 each other's writes (issue 10,
    item 4): the second is refused with a message naming the first. A server killed with
    SIGKILL cannot clean up; its lock (a flock) dies with it, so the next server starts."""
    data = tmp_path / "data"
    first = _serve(data, "--duplicate-collections", "--private-storage-quota", "10kB")
    try:
        assert first.stdout is not None
        endpoint = first.stdout.readline().split()[3]
        api = HfApi(endpoint=endpoint, token=DEFAULT_TOKEN)
        api.create_repo("acme/kept")
        # --duplicate-collections: a second collection for the same title, as on the real Hub
        slugs = {api.create_collection("Same", namespace="acme").slug for _ in range(2)}
        assert len(slugs) == 2
        # --private-storage-quota 10kB: 10,000 bytes of private storage in a namespace
        api.create_repo("acme/private", private=True)
        with pytest.raises(HfHubHTTPError, match="Private repository storage limit reached"):
            api.upload_file(path_or_fileobj=b"x" * 9000, path_in_repo="x", repo_id="acme/private")

        second = _serve(data)
        out, err = second.communicate(timeout=30)
        assert second.returncode == 1 and "Local hub at" not in out
        assert f"the local hub data directory {data} is in use by another local hub" in err
        assert f"pid {first.pid}:" in err and "Traceback" not in err
        with pytest.raises(DataDirInUse, match="in use by another local hub"):
            LocalHub(data)  # the embedded hub (release plan/apply) is refused the same way
    finally:
        first.kill()  # SIGKILL: no cleanup runs
        first.communicate(timeout=15)
    assert (data / LOCK_NAME).exists()  # the dead server's file is still there
    with LocalHub(data) as hub:
        assert hub_api(hub).model_info("acme/kept").id == "acme/kept"
