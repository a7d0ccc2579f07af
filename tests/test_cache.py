import json
import os

import numpy as np
import pytest

from kokoro_narrate.cache import MARKER, CacheError, ChunkCache, Entry, chunk_key, tidy


def entry(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return Entry(rng.standard_normal(n).astype(np.float32), [2, 3, 1])


def test_roundtrip_is_exact(tmp_path):
    cache = ChunkCache(tmp_path)
    original = entry()
    cache.put("ab" * 32, original)
    got = cache.get("ab" * 32)
    assert got.audio.dtype == np.float32
    assert np.array_equal(got.audio, original.audio) and got.frames == [2, 3, 1]
    assert "ab" * 32 in cache and cache.keys() == {"ab" * 32}


def test_key_covers_every_input():
    base = dict(phonemes="hˈɛlO", voice_digest="v1", speed=1.0, engine_identity="e1")
    keys = {chunk_key(**base)}
    for change in (
        {"phonemes": "hˈɛlO."},
        {"voice_digest": "v2"},
        {"speed": 1.1},
        {"engine_identity": "e2"},
    ):
        keys.add(chunk_key(**{**base, **change}))
    assert len(keys) == 5
    assert chunk_key(**base) == chunk_key(**base)


def test_truncated_entry_is_a_logged_miss_and_removed(tmp_path, caplog):
    cache = ChunkCache(tmp_path)
    key = "cd" * 32
    cache.put(key, entry())
    audio = next(tmp_path.glob("cd/*.f32"))
    audio.write_bytes(audio.read_bytes()[:-8])
    assert cache.get(key) is None
    assert "damaged" in caplog.text and key not in cache


def test_corrupt_entry_same_size_is_detected(tmp_path):
    cache = ChunkCache(tmp_path)
    key = "ef" * 32
    cache.put(key, entry())
    audio = next(tmp_path.glob("ef/*.f32"))
    data = bytearray(audio.read_bytes())
    data[10] ^= 0xFF
    audio.write_bytes(bytes(data))
    assert cache.get(key) is None


def test_writes_leave_no_temporary_files(tmp_path):
    cache = ChunkCache(tmp_path)
    cache.put("12" * 32, entry())
    assert sorted(p.name for p in (tmp_path / "12").iterdir()) == [
        "12" * 32 + ".f32",
        "12" * 32 + ".json",
    ]


def age(cache, key, seconds=7200):
    """Make an entry look written `seconds` ago (prune spares recent ones)."""
    for path in cache._paths(key):
        t = path.stat().st_mtime - seconds
        os.utime(path, (t, t))


def test_prune_keeps_referenced_and_recent_entries_and_counts_what_it_deleted(tmp_path):
    cache = ChunkCache(tmp_path)
    keep, drop, recent = "aa" * 32, "bb" * 32, "cc" * 32
    for n, key in enumerate((keep, drop, recent)):
        cache.put(key, entry(seed=n))
    age(cache, keep)
    age(cache, drop)
    stray = tmp_path / "aa" / ".stray.tmp"
    stray.write_bytes(b"x" * 10)
    os.utime(stray, (0, 0))
    before = cache.size_bytes()
    entries, freed = cache.prune({keep})
    assert entries == 1 and freed > 0
    assert cache.keys() == {keep, recent}
    assert cache.size_bytes() == before - freed
    assert cache.prune({keep}) == (0, 0)  # nothing left to delete: it says so


def test_tidy_reports_and_prunes_unreferenced_entries(tmp_path):
    cache = ChunkCache(tmp_path / "cache")
    used, stale = "aa" * 32, "bb" * 32
    cache.put(used, entry(seed=1))
    cache.put(stale, entry(seed=2))
    age(cache, stale)
    chunk_list = tmp_path / "post.jsonl"
    chunk_list.write_text(json.dumps({"key": used}) + "\n")
    report = tidy(cache, [chunk_list], prune=False, project=tmp_path)
    assert "2 entries" in report and "1 referenced by this project" in report
    assert "1 by none" in report and cache.keys() == {used, stale}
    report = tidy(cache, [chunk_list], prune=True, project=tmp_path)
    assert "pruned 1 entries" in report
    assert cache.keys() == {used}


def test_two_projects_share_a_cache_and_prune_spares_the_other(tmp_path):
    shared = ChunkCache(tmp_path / "shared")
    a, b = tmp_path / "project-a", tmp_path / "project-b"
    a.mkdir()
    b.mkdir()
    for key in ("aa" * 32, "bb" * 32):
        shared.put(key, entry())
        age(shared, key)
    lists = {}
    for project, key in ((a, "aa" * 32), (b, "bb" * 32)):
        lists[project] = project / "list.jsonl"
        lists[project].write_text(json.dumps({"key": key}) + "\n")
        tidy(shared, [lists[project]], prune=False, project=project)
    report = tidy(shared, [lists[a]], prune=True, project=a, grace_s=0)
    assert "pruned 0 entries" in report and shared.keys() == {"aa" * 32, "bb" * 32}
    # once project b's folder is gone, its entries are no longer anyone's
    (b / "list.jsonl").unlink()
    b.rmdir()
    tidy(shared, [lists[a]], prune=True, project=a, grace_s=0)
    assert shared.keys() == {"aa" * 32}


def test_a_folder_that_is_not_a_cache_is_refused(tmp_path):
    folder = tmp_path / "photos"
    (folder / "ab").mkdir(parents=True)
    (folder / "ab" / "holiday.json").write_text("{}")
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(CacheError, match="not a kokoro-narrate chunk cache"):
        ChunkCache(folder)
    assert (folder / "ab" / "holiday.json").exists() and (folder / "notes.txt").exists()


def test_a_cache_another_build_is_making_is_opened(tmp_path):
    """Two builds sharing a new cache_dir start together: the second finds the first's marker
    still a temporary file (or already written) and opens the cache, not refuses it."""
    root = tmp_path / "shared"
    root.mkdir()
    (root / f".{MARKER}.k3j9.tmp").write_text("")  # the other build, between write and rename
    (root / "g2p").mkdir()
    ChunkCache(root).put("ab" * 32, entry())
    assert ChunkCache(root).get("ab" * 32) is not None


def test_an_old_cache_without_marker_is_adopted(tmp_path):
    cache = ChunkCache(tmp_path / "c")
    cache.put("ab" * 32, entry())
    (tmp_path / "c" / MARKER).unlink()
    assert ChunkCache(tmp_path / "c").get("ab" * 32) is not None
    assert (tmp_path / "c" / MARKER).is_file()


def test_a_full_disk_leaves_no_partial_entry_and_says_so(tmp_path, monkeypatch):
    import errno

    cache = ChunkCache(tmp_path)
    real_replace = os.replace

    def full(src, dst):
        if str(dst).endswith(".json") and "projects" not in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(CacheError, match="full") as err:
        cache.put("de" * 32, entry())
    assert "cache_prune" in str(err.value)
    monkeypatch.setattr(os, "replace", real_replace)
    assert "de" * 32 not in cache
    assert [p.name for p in (tmp_path / "de").iterdir()] == []


def test_concurrent_writers_of_one_entry_never_corrupt_it(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    cache = ChunkCache(tmp_path)
    key, original = "ef" * 32, entry(n=200_000)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: cache.put(key, original), range(32)))
        reads = list(pool.map(lambda _: cache.get(key), range(32)))
    assert all(r is not None and np.array_equal(r.audio, original.audio) for r in reads)
    assert sorted(p.name for p in (tmp_path / "ef").iterdir()) == [f"{key}.f32", f"{key}.json"]
