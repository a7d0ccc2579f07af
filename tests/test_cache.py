import numpy as np

from kokoro_narrate.cache import ChunkCache, Entry, chunk_key


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


def test_prune_keeps_referenced_entries(tmp_path):
    cache = ChunkCache(tmp_path)
    keep, drop = "aa" * 32, "bb" * 32
    cache.put(keep, entry(seed=1))
    cache.put(drop, entry(seed=2))
    (tmp_path / "aa" / ".stray.tmp").write_bytes(b"x" * 10)
    before = cache.size_bytes()
    entries, freed = cache.prune({keep})
    assert entries == 1 and freed > 0
    assert cache.keys() == {keep}
    assert cache.size_bytes() == before - freed


def test_tidy_reports_and_prunes_unreferenced_entries(tmp_path):
    import json

    from kokoro_narrate.cache import tidy

    cache = ChunkCache(tmp_path / "cache")
    used, stale = "aa" * 32, "bb" * 32
    cache.put(used, entry(seed=1))
    cache.put(stale, entry(seed=2))
    chunk_list = tmp_path / "post.jsonl"
    chunk_list.write_text(json.dumps({"key": used}) + "\n")
    report = tidy(cache, [chunk_list], prune=False)
    assert "2 entries" in report and "1 referenced" in report and "1 not" in report
    assert cache.keys() == {used, stale}
    report = tidy(cache, [chunk_list], prune=True)
    assert "pruned 1 entries" in report
    assert cache.keys() == {used}
