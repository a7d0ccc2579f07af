import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from kokoro_narrate import manifest
from kokoro_narrate.phonemes import Chunk, write_chunks


@pytest.fixture
def narration(tmp_path):
    root = tmp_path / "repo"
    folder = root / "results/narrations/post"
    folder.mkdir(parents=True)
    wav = folder / "af_heart_post.wav"
    sf.write(wav, np.zeros(24000 * 3, dtype=np.int16), 24000, subtype="PCM_16")
    timing = folder / "af_heart_post.json"
    timing.write_text(json.dumps({"lufs": -16.0123, "true_peak_dbtp": -1.6049}))
    synthesized = tmp_path / "synth.jsonl"
    records = [
        {"paragraph": "p0001", "chunk": 0, "kind": "title", "text": "A title", "words": 2},
        {"paragraph": "p0002", "chunk": 0, "kind": "paragraph", "text": "One two.", "words": 2},
        {"paragraph": "p0002", "chunk": 1, "kind": "paragraph", "text": "Three four.", "words": 2},
    ]
    synthesized.write_text("".join(json.dumps(r) + "\n" for r in records))
    phonemes = tmp_path / "phonemes.jsonl"
    write_chunks(
        [
            Chunk("p0001", 0, 1, "title", "A title", "ɐ tˈItᵊl", 2),
            Chunk("p0002", 0, 2, "paragraph", "One two zorb.", "x", 3, oov=["zorb"]),
            Chunk("p0002", 1, 2, "paragraph", "Three zorb.", "x", 2, oov=["zorb"]),
        ],
        phonemes,
    )
    return root, wav, timing, synthesized, phonemes


def test_row_is_measured_from_the_files(narration):
    root, wav, timing, synthesized, phonemes = narration
    row = manifest.manifest_row(
        "post", None, "af_heart", "a", 1.0, wav, timing, synthesized, phonemes, root=root
    )
    assert row["title"] == "A title"  # no front matter title: the script's title paragraph
    assert row["paragraphs"] == 2 and row["chunks"] == 3 and row["words"] == 6
    assert row["duration_s"] == 3.0 and row["wpm"] == 120.0
    assert row["lufs"] == -16.01 and row["true_peak_dbtp"] == -1.6
    assert row["oov_words"] == 1
    assert row["path"] == "results/narrations/post/af_heart_post.wav"
    assert row["sha256"] == hashlib.sha256(wav.read_bytes()).hexdigest()
    assert row["status"] == "narrated"


def test_table_is_sorted_and_written_the_same_way_twice(narration, tmp_path):
    root, wav, timing, synthesized, phonemes = narration
    rows = [
        manifest.manifest_row("post", "T", v, "a", 1.0, wav, timing, synthesized, phonemes, root)
        for v in ("bm_george", "af_heart")
    ]
    rows.append(manifest.skipped_row("post", "ef_dora", "post language en, voice speaks Spanish"))
    table = manifest.build_manifest(rows)
    assert list(table.columns) == manifest.COLUMNS
    assert list(table.voice) == ["af_heart", "bm_george", "ef_dora"]
    manifest.write_manifest(table, tmp_path / "a.csv")
    manifest.write_manifest(manifest.build_manifest(rows[::-1]), tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    back = pd.read_csv(tmp_path / "a.csv")
    assert back.status.tolist()[-1].startswith("skipped: post language en")


def test_counts_are_written_as_integers_beside_skipped_rows(narration, tmp_path):
    root, wav, timing, synthesized, phonemes = narration
    row = manifest.manifest_row(
        "post", "T", "af_heart", "a", 1.0, wav, timing, synthesized, phonemes, root
    )
    table = manifest.build_manifest(
        [row, manifest.skipped_row("post", "ef_dora", "other language")]
    )
    manifest.write_manifest(table, tmp_path / "m.csv")
    first = (tmp_path / "m.csv").read_text().splitlines()[1].split(",")
    assert first[manifest.COLUMNS.index("words")] == "6"


def pair(tmp_path, narration, **files):
    root, wav, timing, synthesized, phonemes = narration
    paths = {"wav": wav, "timing": timing, "synthesized": synthesized, "phonemes": phonemes}
    paths.update(files)
    logs = [tmp_path / f"{stage}.log" for stage in ("script", "phonemes", "synthesis", "narration")]
    return {
        "post": "post",
        "title": "T",
        "voice": "af_heart",
        "lang": "a",
        "speed": 1.0,
        "files": {k: str(v) for k, v in paths.items()},
        "logs": [str(p) for p in logs],
    }, root


def test_rows_check_every_file_on_disk(narration, tmp_path):
    declared, root = pair(tmp_path, narration)
    assert manifest.pair_row(declared, root)["status"] == "narrated"
    Path(declared["files"]["wav"]).unlink()  # deleted by hand
    row = manifest.pair_row(declared, root)
    assert row["status"].startswith("not built") and "path" not in row and "sha256" not in row


def test_a_failed_job_names_its_message_and_log(narration, tmp_path):
    declared, root = pair(tmp_path, narration)
    Path(declared["logs"][1]).write_text(
        "2026-11-26 INFO root: start\n2026-11-26 ERROR kokoro_narrate: job failed: no G2P\n"
        "Traceback ...\n"
    )
    row = manifest.pair_row(declared, root)
    assert row["status"] == f"failed: no G2P (see {declared['logs'][1]})"
    # the narration of an earlier run is still there: listed, with its checksum
    assert row["path"].endswith("af_heart_post.wav") and len(row["sha256"]) == 64


def test_formula_cells_are_neutralized(tmp_path):
    rows = [
        {"post": "p", "title": '=HYPERLINK("http://x")', "voice": "v", "status": "narrated"},
        {"post": "q", "title": "-16 LUFS, explained", "voice": "v", "status": "narrated"},
        {"post": "r", "title": "@home", "voice": "v", "status": "narrated"},
        {"post": "s", "title": "Plain", "voice": "v", "status": "narrated"},
    ]
    manifest.write_manifest(manifest.build_manifest(rows), tmp_path / "m.csv")
    titles = pd.read_csv(tmp_path / "m.csv", keep_default_na=False).title.tolist()
    assert titles == ['\'=HYPERLINK("http://x")', "'-16 LUFS, explained", "'@home", "Plain"]


def test_encodes_get_their_paths_sizes_and_loudness(narration, tmp_path):
    root, wav, timing, synthesized, phonemes = narration
    encodes = root / "results/encodes/post"
    encodes.mkdir(parents=True)
    (encodes / "af_heart_post.mp3").write_bytes(b"m" * 1000)
    (encodes / "af_heart_post.mp3.json").write_text(
        json.dumps({"lufs": -16.04, "true_peak_dbtp": -1.789})
    )
    (encodes / "af_heart_post.opus").write_bytes(b"o" * 500)  # no measurement: not listed
    pair = {
        "post": "post",
        "title": "T",
        "voice": "af_heart",
        "lang": "a",
        "speed": 1.0,
        "files": {"wav": wav, "timing": timing, "synthesized": synthesized, "phonemes": phonemes},
        "logs": [],
    }
    files = {"mp3": encodes / "af_heart_post.mp3", "opus": encodes / "af_heart_post.opus"}
    (row,) = manifest.rows(
        [pair], [], root=root, encodes=[{"post": "post", "voice": "af_heart", "files": files}]
    )
    assert row["mp3_path"] == "results/encodes/post/af_heart_post.mp3"
    assert (row["mp3_bytes"], row["mp3_lufs"], row["mp3_true_peak_dbtp"]) == (1000, -16.04, -1.79)
    assert "opus_path" not in row
    table = manifest.build_manifest([row])
    assert list(table.columns) == manifest.COLUMNS and table.mp3_bytes.dtype == "Int64"
    manifest.write_manifest(table, tmp_path / "m.csv")
    back = pd.read_csv(tmp_path / "m.csv")
    assert back.mp3_path[0] == row["mp3_path"] and back.opus_path.isna().all()


def two_pairs(narration):
    """Two declared pairs, each with a narration of its own (different bytes)."""
    root, wav, timing, synthesized, phonemes = narration
    other = wav.with_name("af_sky_post.wav")
    sf.write(other, np.ones(24000 * 3, dtype=np.int16), 24000, subtype="PCM_16")
    pairs = []
    for voice, path in (("af_heart", wav), ("af_sky", other)):
        files = {"wav": path, "timing": timing, "synthesized": synthesized, "phonemes": phonemes}
        pairs.append(
            {"post": "post", "title": "", "voice": voice, "lang": "a", "speed": 1.0}
            | {"files": files, "logs": []}
        )
    return root, pairs


def test_a_rebuild_hashes_only_the_narrations_it_replaced(narration, tmp_path, monkeypatch):
    from kokoro_narrate import digests

    root, pairs = two_pairs(narration)
    memo = tmp_path / "memo"
    hashed = []
    real = digests._sha256
    monkeypatch.setattr(digests, "_sha256", lambda path: hashed.append(path) or real(path))

    first = manifest.rows(pairs, [], root=root, memo_dir=memo, threads=2)
    assert len(hashed) == 2
    assert manifest.rows(pairs, [], root=root, memo_dir=memo, threads=2) == first
    assert len(hashed) == 2  # nothing changed: nothing hashed again
    # a rebuilt narration is a new file (written beside it and renamed over it)
    wav = pairs[0]["files"]["wav"]
    new = wav.with_name("new.wav")
    sf.write(new, np.full(24000 * 3, 7, dtype=np.int16), 24000, subtype="PCM_16")
    new.replace(wav)
    rows = manifest.rows(pairs, [], root=root, memo_dir=memo, threads=2)
    assert hashed[2:] == [wav]
    assert rows[0]["sha256"] == hashlib.sha256(wav.read_bytes()).hexdigest()
    assert rows[1] == first[1]
    # the replaced file's digest is forgotten: one memo per current narration
    assert len(list(memo.glob("*.sha256"))) == 2


def test_a_narration_changed_in_place_is_hashed_again(narration, tmp_path):
    """Same size, same modification time put back: the change time still differs."""
    import os
    import time

    root, pairs = two_pairs(narration)
    memo = tmp_path / "memo"
    wav = pairs[0]["files"]["wav"]
    before = manifest.rows(pairs, [], root=root, memo_dir=memo)[0]["sha256"]
    time.sleep(0.05)  # file times tick in steps of a few ms: let the change time move
    stat = wav.stat()
    data = bytearray(wav.read_bytes())
    data[-1] ^= 1
    with open(wav, "r+b") as f:  # the same file, one byte changed
        f.write(bytes(data))
    os.utime(wav, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = manifest.rows(pairs, [], root=root, memo_dir=memo)[0]["sha256"]
    assert after != before and after == hashlib.sha256(bytes(data)).hexdigest()
