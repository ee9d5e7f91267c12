"""The hashing bench still runs against the current API (its speed targets are not tested here)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "hash_bench.py"


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_hash_bench_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("hash_bench", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    bench.main(["--size-mib", "4", "--runs", "1", "--dir", str(tmp_path)])

    out = capsys.readouterr().out
    assert "MISMATCH" not in out
    assert "hashed 0 bytes, 7 hits, 0 misses, cache rewritten: False" in out
    assert list(tmp_path.iterdir()) == []  # cleaned up
