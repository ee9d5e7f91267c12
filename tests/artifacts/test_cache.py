from __future__ import annotations

import json
import os
import time
from pathlib import Path

from release.artifacts import FileStamp, HashCache, scan_folder
from release.checkpoints import write_checkpoint

from .conftest import Ager


def _cache(tmp_path: Path) -> HashCache:
    return HashCache(tmp_path / "cache" / "hashes.json")


def test_rescan_of_unchanged_folder_hashes_nothing(tmp_path: Path, age: Ager) -> None:
    root = tmp_path / "ckpt"
    write_checkpoint(root, shards=3, seed=1)
    (root / "extra").mkdir()
    for i in range(20):
        (root / "extra" / f"f{i}.txt").write_text(f"file {i}\n" * 1000)
    age(root)
    with _cache(tmp_path) as cache:
        first = scan_folder(root, cache=cache)
    assert cache.stats.misses == len(first) == cache.stats.files_hashed
    assert cache.stats.bytes_hashed == sum(f.size for f in first) > 3_000_000

    fresh = _cache(tmp_path)  # a new process: loads the file
    again = scan_folder(root, cache=fresh)
    assert again == first
    assert (fresh.stats.hits, fresh.stats.misses, fresh.stats.bytes_hashed) == (len(first), 0, 0)
    assert fresh.save() is False  # nothing changed, nothing written


def test_touch_invalidates(tmp_path: Path, folder: Path, age: Ager) -> None:
    (folder / "a.json").write_text("{}")
    (folder / "b.json").write_text("[]")
    age(folder)
    cache = _cache(tmp_path)
    scan_folder(folder, cache=cache)
    age(folder / "a.json", seconds=30)  # mtime changes, content does not
    cache.reset_stats()
    scan_folder(folder, cache=cache)
    assert (cache.stats.hits, cache.stats.misses, cache.stats.bytes_hashed) == (1, 1, 2)


def test_content_change_with_same_size_is_seen(tmp_path: Path, folder: Path, age: Ager) -> None:
    path = folder / "config.json"
    path.write_text('{"a": 1}')
    age(folder, seconds=60)
    cache = _cache(tmp_path)
    before = scan_folder(folder, cache=cache)[0]
    path.write_text('{"a": 2}')
    age(folder, seconds=50)
    after = scan_folder(folder, cache=cache)[0]
    assert after.size == before.size and after.sha256 != before.sha256
    assert after.git_sha1 != before.git_sha1
    assert cache.stats.misses == 2


def test_content_change_with_mtime_set_back_is_seen_through_ctime(
        tmp_path: Path, folder: Path, age: Ager) -> None:
    path = folder / "config.json"
    path.write_text('{"a": 1}')
    age(folder)
    mtime = path.stat().st_mtime_ns
    cache = _cache(tmp_path)
    before = scan_folder(folder, cache=cache)[0]
    time.sleep(0.02)  # past the timestamp tick, so the rewrite gets a new ctime
    path.write_text('{"a": 2}')
    os.utime(path, ns=(mtime, mtime))  # same size, same mtime: only ctime tells
    assert scan_folder(folder, cache=cache)[0].sha256 != before.sha256


def test_racy_entries_are_not_trusted(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    now = time.time_ns()
    fresh = FileStamp(size=3, mtime_ns=now - 1000, ctime_ns=now, inode=7)
    cache.store("/x/fresh", fresh, "s" * 64, "g" * 40, hashed_at_ns=now)
    assert cache.lookup("/x/fresh", fresh, need_git_sha1=True) is None
    old = FileStamp(size=3, mtime_ns=now - 10**10, ctime_ns=now, inode=8)
    cache.store("/x/old", old, "s" * 64, "g" * 40, hashed_at_ns=now)
    assert cache.lookup("/x/old", old, need_git_sha1=True) == ("s" * 64, "g" * 40)
    # The old file is rewritten within the tick: its stale entry must go, not linger.
    cache.store("/x/old", old._replace(mtime_ns=now), "t" * 64, "h" * 40, hashed_at_ns=now)
    assert cache.lookup("/x/old", old, need_git_sha1=True) is None


def test_newly_written_files_are_hashed_again_not_cached(tmp_path: Path, folder: Path) -> None:
    (folder / "fresh.json").write_text("{}")
    cache = _cache(tmp_path)
    scan_folder(folder, cache=cache)
    scan_folder(folder, cache=cache)
    assert cache.stats.misses == 2 and cache.save() is False


def test_entry_without_git_sha1_is_a_miss_when_one_is_needed(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    stamp = FileStamp(size=3, mtime_ns=1, ctime_ns=1, inode=1)
    cache.store("/x/a", stamp, "s" * 64, None, hashed_at_ns=time.time_ns())
    assert cache.lookup("/x/a", stamp, need_git_sha1=False) == ("s" * 64, None)
    assert cache.lookup("/x/a", stamp, need_git_sha1=True) is None


def test_save_merges_with_another_writer_and_replaces_atomically(tmp_path: Path) -> None:
    now = time.time_ns()
    one, two = _cache(tmp_path), _cache(tmp_path)
    stamp = FileStamp(size=1, mtime_ns=1, ctime_ns=1, inode=1)
    one.lookup("/x/never", stamp, need_git_sha1=False)  # both load the (empty) file
    two.lookup("/x/never", stamp, need_git_sha1=False)
    one.store("/x/a", stamp, "a" * 64, None, hashed_at_ns=now)
    two.store("/x/b", stamp, "b" * 64, None, hashed_at_ns=now)
    assert one.save() and two.save()
    assert _cache(tmp_path).count() == 2
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["hashes.json"]  # no temp left


def test_unreadable_cache_is_empty_and_is_repaired(tmp_path: Path, folder: Path,
                                                   age: Ager) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "hashes.json").write_text('{"format": "release-hash-cache", "vers')
    (folder / "a.txt").write_text("a")
    age(folder)
    cache = _cache(tmp_path)
    scan_folder(folder, cache=cache)
    assert cache.stats.misses == 1 and cache.save()
    document = json.loads((tmp_path / "cache" / "hashes.json").read_text())
    assert list(document["entries"]) == [os.path.realpath(folder / "a.txt")]
