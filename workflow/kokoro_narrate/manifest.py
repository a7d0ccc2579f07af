"""Manifest: one row per post and voice, measured on the files the build wrote.

It holds no wall-clock values (run timings go to benchmarks/ and the logs), and its paths are
relative to the repository root, so the same build gives the same bytes wherever the repo lives.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import soundfile as sf

from .phonemes import read_chunks
from .synthesis import read_synthesized

COLUMNS = [
    "post",
    "title",
    "voice",
    "status",  # "narrated", or "skipped: why" for a combination the build does not narrate
    "lang",
    "speed",
    "paragraphs",
    "chunks",
    "words",
    "duration_s",
    "wpm",
    "lufs",
    "true_peak_dbtp",
    "oov_words",
    "path",
    "sha256",
]


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_row(
    post: str,
    title: str | None,
    voice: str,
    lang: str,
    speed: float,
    wav,
    timing,
    synthesized,
    phonemes,
    root=".",
) -> dict:
    chunks = read_synthesized(synthesized)
    if not title:  # no front matter title: the script's title paragraph (a leading H1)
        title = next((c["text"] for c in chunks if c["kind"] == "title"), None)
    info = sf.info(str(wav))
    measured = json.loads(Path(timing).read_text(encoding="utf-8"))
    duration = info.frames / info.samplerate
    words = sum(c["words"] for c in chunks)
    oov = {w for c in read_chunks(phonemes) for w in c.oov}
    return {
        "post": post,
        "title": title or post,
        "voice": voice,
        "status": "narrated",
        "lang": lang,
        "speed": speed,
        "paragraphs": len({c["paragraph"] for c in chunks}),
        "chunks": len(chunks),
        "words": words,
        "duration_s": round(duration, 6),
        "wpm": round(words / duration * 60, 1) if duration else 0.0,
        "lufs": round(measured["lufs"], 2),
        "true_peak_dbtp": round(measured["true_peak_dbtp"], 2),
        "oov_words": len(oov),
        "path": Path(os.path.relpath(Path(wav).resolve(), Path(root).resolve())).as_posix(),
        "sha256": sha256_file(wav),
    }


def skipped_row(post: str, voice: str, why: str) -> dict:
    return {"post": post, "title": "", "voice": voice, "status": f"skipped: {why}"}


def build_manifest(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    # counts stay integers (3083, not 3083.0) next to the empty cells of skipped rows
    for column in ("paragraphs", "chunks", "words", "oov_words"):
        table[column] = table[column].astype("Int64")
    return table.sort_values(["post", "voice"], kind="stable").reset_index(drop=True)


def write_manifest(table: pd.DataFrame, path) -> None:
    table.to_csv(path, index=False, lineterminator="\n")
