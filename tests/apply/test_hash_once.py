"""An apply reads each uploaded byte once to send it, and hashes nothing the scan hashed (issue 18).

The hashes come from the scan; huggingface_hub is handed them through one hook
(`release.apply.content.known_add`). The first test fails if huggingface_hub changes what the
hook relies on (a lazily hashed `UploadInfo`, `_local_oid` for regular files); the second counts
what a real `release apply` process reads (`rchar` of /proc/PID/io, which counts every read()).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest
from applykit import RELEASE, Demo

from release.apply.content import known_add
from release.artifacts.hashing import hash_file

linux_only = pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs /proc/PID/io")


def rchar(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/PID/io")


@linux_only
def test_the_hook_hands_the_client_known_hashes_without_reading_the_file(tmp_path: Path
                                                                         ) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(os.urandom(16 << 20))
    hashes = hash_file(path, size=16 << 20, git_sha1=True)
    assert hashes.git_sha1 is not None

    before = rchar()
    add = known_add("model.safetensors", path, hashes.sha256, hashes.git_sha1)
    assert add.upload_info.sha256.hex() == hashes.sha256
    add._upload_mode = "regular"  # what the client sets after preupload, for a non-LFS file
    assert add._local_oid == hashes.git_sha1
    read = rchar() - before
    # huggingface_hub 2.4.0 reads a 512-byte sample; a client that hashes on construction, or
    # ignores the known hashes, reads all 16 MiB here.
    assert read < 1 << 20, f"the client read {read} bytes of a file whose hashes it was given"

    add._upload_mode = "lfs"
    assert add._local_oid == hashes.sha256
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashes.sha256


def _age(root: Path) -> None:
    """Checkpoints are written long before they are released (the hash cache's racy window)."""
    then = time.time() - 60
    for path in (root / "checkpoints").rglob("*"):
        os.utime(path, (then, then))


def _reads_of(demo: Demo, *args: str) -> int:
    """Bytes a `release ARGS` process read, taken from /proc while it is an unreaped zombie."""
    log = demo.root / "reads.log"
    with open(log, "w") as out:
        process = subprocess.Popen([RELEASE, *args, *demo.hub_args], cwd=demo.root,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        read = rchar(process.pid)
        assert process.wait() == 0, log.read_text()
    return read


@linux_only
def test_apply_reads_each_uploaded_byte_twice_scan_and_send(tmp_path: Path) -> None:
    from applykit import write_demo_project

    from release.localhub import LocalHub

    with LocalHub(tmp_path / "hub-data") as hub:
        demo = Demo(write_demo_project(tmp_path / "project", elements=4_000_000), hub)
        _age(demo.root)
        data = sum(p.stat().st_size for p in (demo.root / "checkpoints").rglob("*")
                   if p.is_file())
        assert data > 75_000_000
        cache = demo.root / ".release" / "cache"

        plan_reads = _reads_of(demo, "plan")  # cold: hashes every file once
        subprocess.run(["rm", "-rf", str(cache)], check=True)
        apply_reads = _reads_of(demo, "apply", "--auto-approve")  # cold scan, then upload
    assert plan_reads > data  # the measure sees file reads
    # The apply's scan reads what the plan read; everything else it reads is the upload (once)
    # and a few modules the plan does not import. Before issue 18: 3x data more than the plan.
    extra = apply_reads - plan_reads
    assert extra < 1.15 * data, (f"apply read {extra / data:.2f}x the checkpoint bytes more "
                                 "than a plan: something hashes or reads them again")
