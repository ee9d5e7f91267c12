"""Progress on long uploads (issue 11, piece 5): the status area a terminal shows (a pure
function, and the printer that redraws it), one line per file without a terminal, and byte
counts that match what the local hub received."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from applykit import Demo

from release.apply.progress import ProgressPrinter, RepoUpload, status_lines
from release.apply.runner import ApplyEvents


def upload(repo_id: str, total: int, *points: tuple[float, int]) -> RepoUpload:
    """A RepoUpload that saw `(time, bytes moved)` reports."""
    progress = RepoUpload(repo_id, total)
    for now, moved in points:
        progress.add(now, moved)
    return progress


def test_the_status_area_shows_each_uploading_repo_with_rate_and_time_left() -> None:
    big = upload("acme/Big-1B", 4_000_000_000, (0.0, 0), (5.0, 500_000_000),
                 (10.0, 500_000_000))
    fresh = upload("acme/New-1B", 2_000_000, (9.5, 1000))  # under a second of data: no rate
    finished = upload("acme/Done-1B", 1000, (1.0, 1000))
    nothing = RepoUpload("acme/Card-only", 0)
    assert status_lines([big, fresh, finished, nothing], done=1, repos=5, sent=1_000_001_000,
                        now=10.0) == [
        "  [1/5 repos done, 1.0 GB sent]",
        "  acme/Big-1B: 1.0 GB of 4.0 GB, 100.0 MB/s, 30 s left",
        "  acme/New-1B: 1.0 kB of 2.0 MB",
    ]


def test_the_rate_is_over_the_last_ten_seconds_and_long_lists_are_counted() -> None:
    # 100 MB/s for a minute, then 10 MB/s for the last 20 s: the rate says 10 MB/s.
    points = [(float(t), 100_000_000) for t in range(60)]
    points += [(float(t), 10_000_000) for t in range(60, 81)]
    slow = upload("acme/Slow", 10_000_000_000, *points)
    assert slow.rate(80.0) == 10_000_000
    many = [upload(f"acme/R{i}", 100, (0.0, 1)) for i in range(6)]
    lines = status_lines(many, done=0, repos=6, sent=6, now=0.5, shown=4)
    assert len(lines) == 6 and lines[-1] == "  ... and 2 more repo(s) uploading"


def test_the_terminal_printer_redraws_the_area_in_place_at_most_twice_a_second() -> None:
    out: list[str] = []
    now = [0.0]
    printer = ProgressPrinter(lambda text, nl: out.append(text + ("\n" if nl else "")),
                              tty=True, repos=2, clock=lambda: now[0])
    printer.repo_started("acme/Big-1B", 3, 4_000_000_000)
    printer.upload_moved("acme/Big-1B", 1_000_000_000)
    printer.tick(1_000_000_000)
    assert out[-1] == "  [0/2 repos done, 1.0 GB sent]\n  acme/Big-1B: 1.0 GB of 4.0 GB"
    drawn = len(out)
    now[0] = 0.3
    printer.upload_moved("acme/Big-1B", 1_000_000_000)
    printer.tick(2_000_000_000)
    assert len(out) == drawn  # too soon: not redrawn
    now[0] = 2.0
    printer.tick(2_000_000_000)
    # Erase both lines of the area (clear, up one, clear), then draw it again.
    assert out[-2] == "\r\033[K\033[1A\033[K"
    assert out[-1].startswith("  [0/2 repos done, 2.0 GB sent]\n  acme/Big-1B: 2.0 GB of 4.0 GB")
    printer.file_sent("files:acme/Big-1B@main", "weights.bin", 10)  # the area shows it
    assert "weights.bin" not in "".join(out)
    printer._line("  ok card:acme/Big-1B")  # a finished change goes above the area
    assert out[-3:] == ["\r\033[K\033[1A\033[K", "  ok card:acme/Big-1B\n", out[-1]]
    assert out[-1].startswith("  [0/2 repos done")
    printer.close()
    assert out[-1] == "\r\033[K\033[1A\033[K"


class Recorder(ApplyEvents):
    def __init__(self) -> None:
        self.moved: Counter[str] = Counter()
        self.files: list[tuple[str, str, int]] = []
        self.notes: list[str] = []
        self.lock = threading.Lock()

    def upload_moved(self, repo_id: str, size: int) -> None:
        with self.lock:
            self.moved[repo_id] += size

    def file_sent(self, address: str, path: str, size: int, note: str = "") -> None:
        with self.lock:
            self.files.append((address, path, size))
            self.notes.append(note)


def _checkpoint_files(demo: Demo) -> dict[str, int]:
    return {f"{folder.name}/{file.name}": file.stat().st_size
            for folder in (demo.root / "checkpoints").iterdir() for file in folder.iterdir()}


def test_streamed_bytes_and_sent_files_match_what_the_hub_received(demo: Demo) -> None:
    desired, plan = demo.plan()
    demo.hub.reset_stats()
    events = Recorder()
    result = demo.apply(plan, desired, events=events)
    assert result.status == "complete", result.to_json()
    received = demo.hub.stats()["body_bytes_by_endpoint"]
    # The LFS bytes streamed through the client's progress hook are the bytes the hub took in.
    assert sum(events.moved.values()) == received["lfs_upload"] > 0
    assert set(events.moved) == {"acme/Demo-1B", "acme/Demo-7B"}
    # One report per local file on the Hub, under its files change, at its size: every
    # checkpoint file once, except the ones the client found already there (a run branch
    # starts with main's files, and `tokenizer_config.json` is the same everywhere).
    sizes = _checkpoint_files(demo)
    assert len(events.files) == len({(a, p) for a, p, _ in events.files})
    for address, path, size in events.files:
        assert address.startswith("files:acme/Demo-")
        assert size in {s for name, s in sizes.items() if name.endswith("/" + path)}
    lfs = [f for f in events.files if f[1] == "model.safetensors"]
    assert len(lfs) == 5 and sum(s for _, _, s in lfs) == received["lfs_upload"]
    assert len(events.files) == 5 * 3 + 2  # 5 x (weights, config, tokenizer) + the {} on main
    assert set(events.notes) == {""}  # every one was sent from here


def test_a_large_file_whose_content_the_hub_had_is_listed_as_not_sent(demo: Demo) -> None:
    assert demo.run("apply", "--auto-approve", *demo.hub_args, timeout=120).code == 0
    # run-a of Demo-7B gets the weights Demo-1B's main holds: the LFS batch says "stored".
    weights = (demo.root / "checkpoints" / "main-1b" / "model.safetensors").read_bytes()
    (demo.root / "checkpoints" / "7b-run-a" / "model.safetensors").write_bytes(weights)
    demo.hub.reset_stats()
    run = demo.run("apply", "--auto-approve", *demo.hub_args, timeout=120)
    assert run.code == 0, run.err
    lines = [line for line in run.err.splitlines() if line.startswith(("  sent", "  on the"))]
    assert lines == [("  on the Hub files:acme/Demo-7B@run-a: model.safetensors (4.1 kB; not "
                      "sent over LFS: the Hub already had its content, or hf_xet sent it)")], run.err
    assert demo.hub.stats()["by_endpoint"].get("lfs_upload", 0) == 0


def test_without_a_terminal_each_file_gets_one_line_and_the_total_is_what_was_received(
        demo: Demo) -> None:
    demo.hub.reset_stats()
    run = demo.run("apply", "--auto-approve", "--format", "json", *demo.hub_args, timeout=120)
    assert run.code == 0, run.err
    report = json.loads(run.out)
    stats = demo.hub.stats()
    lines = [line for line in run.err.splitlines() if line.startswith("  sent ")]
    assert len(lines) == 17, run.err
    assert "  sent files:acme/Demo-7B@run-b: model.safetensors (4.1 kB)" in lines
    assert not any("\r" in line or "\033" in line for line in run.err.splitlines())
    # The summary counts every byte sent: the hub received exactly that, plus the card checks
    # made before the first write (validate-yaml, outside the apply's count).
    body: dict[str, Any] = stats["body_bytes_by_endpoint"]
    assert report["bytes_uploaded"] == stats["body_bytes"] - body.get("validate_yaml", 0)
    assert report["bytes_uploaded"] > body["lfs_upload"] > 0
