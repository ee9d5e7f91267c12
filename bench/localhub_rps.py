"""Requests/second the local hub sustains for `model_info` (bounded, loopback only).

The hub runs as `release hub serve` in its own process, so the load generator does not share its
GIL; P client processes x T threads each hold one keep-alive httpx2 connection and GET
/api/models/{repo} (what HfApi.model_info sends) until the duration or request budget runs out.
On 2 cores the clients compete with the server for CPU, so `server_cpu_share` (server CPU
seconds per wall second) is printed too: below 1.0 means the clients, not the hub, were the limit.

    .venv/bin/python bench/localhub_rps.py [--procs 1] [--threads 8] [--seconds 5]
                                           [--max-requests 50000] [--client socket|raw|hfapi]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.pop("HF_HUB_OFFLINE", None)

import httpx2  # noqa: E402
from huggingface_hub import CommitOperationAdd, HfApi  # noqa: E402

from release.localhub import DEFAULT_TOKEN  # noqa: E402

REPO = "bench/model"


def start_server(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "release", "hub", "serve", "--data-dir", data_dir, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    if not banner.startswith("Local hub at "):
        process.kill()
        raise SystemExit(f"hub did not start: {banner!r}")
    return process, banner.split()[3]


def seed(endpoint: str, files: int) -> None:
    api = HfApi(endpoint=endpoint, token=DEFAULT_TOKEN)
    api.create_repo(REPO, exist_ok=True)
    operations = [CommitOperationAdd("README.md", b"---\nlicense: mit\n---\n# bench\n")]
    operations += [CommitOperationAdd(f"shard-{i:03d}.txt", b"x" * 100) for i in range(files)]
    api.create_commit(REPO, operations, commit_message="seed")


async def _socket_worker(
    host: str,
    port: int,
    request: bytes,
    take: Callable[[], bool],
    latencies: list[float],
    errors: list[int],
) -> None:
    """Minimal keep-alive HTTP/1.1 client: costs the CPU far less than httpx2 per request."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while take():
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            found = re.search(rb"(?i)content-length: *(\d+)", head)
            await reader.readexactly(int(found.group(1)) if found else 0)
            latencies.append(time.perf_counter() - started)
            errors[0] += not head.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()


def load(endpoint: str, threads: int, seconds: float, budget: int, client: str) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    errors = [0]

    def take() -> bool:
        with lock:
            if issued[0] >= budget or time.monotonic() >= deadline:
                return False
            issued[0] += 1
            return True

    def worker() -> None:
        mine: list[float] = []
        failed = 0
        if client == "hfapi":
            api = HfApi(endpoint=endpoint, token=DEFAULT_TOKEN)
            while take():
                started = time.perf_counter()
                try:
                    api.model_info(REPO)
                except Exception:
                    failed += 1
                mine.append(time.perf_counter() - started)
        else:
            headers = {"authorization": f"Bearer {DEFAULT_TOKEN}"}
            with httpx2.Client(base_url=endpoint, headers=headers) as http:
                while take():
                    started = time.perf_counter()
                    response = http.get(f"/api/models/{REPO}")
                    failed += response.status_code != 200
                    mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    if client == "socket":
        host, port = endpoint.removeprefix("http://").split(":")
        request = (
            f"GET /api/models/{REPO} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {DEFAULT_TOKEN}\r\n\r\n"
        ).encode()

        async def run_all() -> None:
            await asyncio.gather(
                *(
                    _socket_worker(host, int(port), request, take, latencies, errors)
                    for _ in range(threads)
                )
            )

        asyncio.run(run_all())
    else:
        workers = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "client": client,
        "threads": threads,
        "requests": len(latencies),
        "errors": errors[0],
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def load_in_processes(endpoint: str, args: argparse.Namespace) -> dict[str, Any]:
    """Several load processes, because one Python client process saturates before the server."""
    if args.procs == 1:
        return load(endpoint, args.threads, args.seconds, args.max_requests, args.client)
    budget = args.max_requests // args.procs
    with ProcessPoolExecutor(args.procs) as pool:
        futures = [
            pool.submit(load, endpoint, args.threads, args.seconds, budget, args.client)
            for _ in range(args.procs)
        ]
        parts = [f.result() for f in futures]
    seconds = max(float(p["seconds"]) for p in parts)
    requests = sum(int(p["requests"]) for p in parts)
    return {
        "client": args.client,
        "procs": args.procs,
        "threads": args.threads,
        "requests": requests,
        "errors": sum(int(p["errors"]) for p in parts),
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1),
        "p50_ms": max(p["p50_ms"] for p in parts),
        "p99_ms": max(p["p99_ms"] for p in parts),
    }


def _cpu_seconds(pid: int) -> float:
    """User+system CPU time of the server process (Linux /proc), to see who is the bottleneck."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--procs", type=int, default=1, help="load-generating processes")
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="client threads (connections, for --client socket) per process",
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument(
        "--client",
        choices=("socket", "raw", "hfapi"),
        default="socket",
        help="socket: minimal asyncio HTTP/1.1; raw: httpx2; hfapi: HfApi",
    )
    parser.add_argument("--files", type=int, default=20, help="files in the benchmarked repo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="localhub-bench-") as data_dir:
        process, endpoint = start_server(data_dir)
        try:
            seed(endpoint, args.files)
            load(endpoint, 2, 0.5, 500, args.client)  # warm-up: caches, connections
            httpx2.post(f"{endpoint}/_localhub/stats/reset")
            cpu_before = _cpu_seconds(process.pid)
            result = load_in_processes(endpoint, args)
            result["server_cpu_share"] = round(
                (_cpu_seconds(process.pid) - cpu_before) / float(result["seconds"]), 2
            )
            served = httpx2.get(f"{endpoint}/_localhub/stats").json()["by_endpoint"]
            result["server_counted_model_info"] = served.get("model_info", 0)
            result["cpus"] = os.cpu_count()
            print(json.dumps(result))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
