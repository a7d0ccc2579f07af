"""Manifest: one row per post and voice, measured on the files the build wrote.

Its rows are the post x voice pairs the build declares, each file checked on disk: a narration is
`narrated` only when its files are there; a pair whose job failed is `failed`, naming the message
and the log; the rest are `skipped` (other language, front matter) with the reason. The workflow
also writes it when a run fails (`onerror`), so it never describes files that are gone.

It holds no wall-clock values (run timings go to benchmarks/ and the logs), and its paths are
relative to the repository root, so the same build gives the same bytes wherever the repo lives.
Each web encode of a narrated pair (MP3, Opus) has its path, size in bytes, and the loudness and
true peak measured on the decoded file by the encode stage (the measurement JSON beside it); the
voice matrix plays `opus_path`, then `mp3_path`, then `path`.
Text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.

A narration's sha256 is remembered (digests.file_digest) in a memo folder while the file is
unchanged, so a rebuild after an edit hashes the narrations it replaced, not the whole blog
(gigabytes for a big one, at the end of every build); the rows are read on `threads` threads,
hashing among them.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import soundfile as sf

from .digests import file_digest, forget_others
from .files import replacing
from .phonemes import read_chunks
from .synthesis import read_synthesized

COLUMNS = [
    "post",
    "title",
    "voice",
    "status",  # "narrated", "failed: why (see log)", "not built: why", or "skipped: why"
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
    "mp3_path",
    "mp3_bytes",
    "mp3_lufs",
    "mp3_true_peak_dbtp",
    "opus_path",
    "opus_bytes",
    "opus_lufs",
    "opus_true_peak_dbtp",
]
ENCODE_CODECS = ("mp3", "opus")


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
    memo_dir=None,
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
        "sha256": file_digest(wav, memo_dir),
    }


def encode_columns(files: dict[str, str], root=".") -> dict:
    """The manifest cells of a narration's encodes ({codec: path}): each one that is on disk with
    its measurement beside it (path + ".json")."""
    cells = {}
    for codec, path in files.items():
        measured = Path(str(path) + ".json")
        if codec not in ENCODE_CODECS or not Path(path).is_file() or not measured.is_file():
            continue
        info = json.loads(measured.read_text(encoding="utf-8"))
        cells[f"{codec}_path"] = _relative(path, root)
        cells[f"{codec}_bytes"] = Path(path).stat().st_size
        cells[f"{codec}_lufs"] = round(info["lufs"], 2)
        cells[f"{codec}_true_peak_dbtp"] = round(info["true_peak_dbtp"], 2)
    return cells


def _relative(path, root) -> str:
    return Path(os.path.relpath(Path(path).resolve(), Path(root).resolve())).as_posix()


def skipped_row(post: str, voice: str, why: str) -> dict:
    return {"post": post, "title": "", "voice": voice, "status": f"skipped: {why}"}


FAILED_MARK = "job failed: "  # what kokoro_narrate.log_to_file writes when a job ends in an error


def failure(logs: list[str]) -> tuple[str, str] | None:
    """(message, log) of the first of a pair's stage logs that records a failed job."""
    for log in logs:
        try:
            text = Path(log).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        at = text.find(FAILED_MARK)
        if at >= 0:
            return text[at + len(FAILED_MARK) :].split("\n", 1)[0].strip(), log
    return None


def pair_row(pair: dict, root=".", memo_dir=None) -> dict:
    """The row of one declared pair, from what is on disk.

    `pair` holds post, title, voice, lang, speed, `files` (wav, timing, synthesized, phonemes) and
    `logs` (the stage logs of its chain, in order)."""
    files = pair["files"]
    failed = failure(pair["logs"])
    present = all(Path(files[k]).is_file() for k in ("wav", "timing", "synthesized", "phonemes"))
    fields = {k: pair[k] for k in ("post", "title", "voice", "lang", "speed")}
    if present and not failed:
        return manifest_row(**fields, **files, root=root, memo_dir=memo_dir)
    row = {**fields, "title": fields["title"] or fields["post"]}
    if failed:
        message, log = failed
        row["status"] = f"failed: {message} (see {log})"
    else:
        row["status"] = "not built: the run stopped before this narration; run snakemake again"
    if Path(files["wav"]).is_file():  # the narration of an earlier run, still on disk
        wav = Path(files["wav"])
        row["path"] = Path(os.path.relpath(wav.resolve(), Path(root).resolve())).as_posix()
        row["sha256"] = file_digest(wav, memo_dir)
    return row


def rows(
    pairs: list[dict],
    skipped: list,
    root=".",
    encodes: list[dict] = (),
    memo_dir=None,
    threads: int = 1,
) -> list[dict]:
    """Every pair's row and every skipped combination's; `encodes` lists, per post and voice,
    the encode files ({"post", "voice", "files": {codec: path}}) whose cells a narrated row gets.
    With `memo_dir`, narration digests are remembered there, and only the current narrations'
    are kept."""
    found = {(e["post"], e["voice"]): e["files"] for e in encodes}

    def row_of(pair: dict) -> dict:
        row = pair_row(pair, root, memo_dir)
        if row["status"] == "narrated":
            row.update(encode_columns(found.get((pair["post"], pair["voice"]), {}), root))
        return row

    with ThreadPoolExecutor(max(1, threads)) as pool:
        out = list(pool.map(row_of, pairs))
    if memo_dir is not None:
        forget_others(memo_dir, [pair["files"]["wav"] for pair in pairs])
    return out + [skipped_row(*s) for s in skipped]


def build_manifest(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    # counts stay integers (3083, not 3083.0) next to the empty cells of skipped rows
    for column in ("paragraphs", "chunks", "words", "oov_words", "mp3_bytes", "opus_bytes"):
        table[column] = table[column].astype("Int64")
    return table.sort_values(["post", "voice"], kind="stable").reset_index(drop=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    """A text cell a spreadsheet would evaluate (=, +, -, @ first) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_manifest(table: pd.DataFrame, path) -> None:
    """CSV, written to a temporary name and renamed."""
    table = table.copy()
    for column in ("post", "title", "voice", "status", "lang", "path", "mp3_path", "opus_path"):
        table[column] = table[column].map(_inert)
    with replacing(path) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")
