#!/usr/bin/env python3
"""The end of a build: the manifest and matrix jobs over a finished blog, first and after an edit.

    PYTHONPATH=workflow .venv/bin/python bench/tail.py --posts 95 --voices 1 --minutes 6.7

Both jobs read every narration of the blog, one after the other, once every narration is made, so
they are the tail of every build, the first and each one after an edit. This makes a finished
build without the model: a few narrations by the narration stage itself (kokoro_narrate.narration,
from speech-like noise: trimmed, paused, normalized, timed), each pair of posts and voices a copy
of one with one sample changed (so every file hashes differently), their synthesis and phoneme
lists; no web encodes (the manifest only reads their sizes and measurements). Then it runs each
job as its rule script calls the package, in a process of its own (imports counted), and prints
wall and CPU seconds: first with nothing remembered, then after one narration was replaced.

`--package DIR` runs the jobs on another checkout's `workflow` folder (an older version, for a
comparison); arguments that version lacks are left out. `--threads N` is what Snakemake gives the
jobs (the rules ask for 4, at most --cores).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import REPO

TEMPLATES = 4
CHUNK_S = 4.5  # about the generated blog's chunks at the real model's pace
SAMPLE_RATE = 24000


def speechlike(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Band-limited noise in syllable-rate bursts, with a quiet floor: what the trim, the limiter
    and the loudness meter see in speech, without a model."""
    n = int(seconds * SAMPLE_RATE)
    noise = np.convolve(rng.standard_normal(n), np.hanning(9), mode="same")
    phase = np.arange(n) / SAMPLE_RATE * 2 * np.pi * 3.1 + rng.uniform(0, 6)
    envelope = np.clip(np.sin(phase), 0, 1)
    audio = noise * envelope**2 * 0.1 + rng.standard_normal(n) * 1e-4
    edge = int(0.15 * SAMPLE_RATE)  # Kokoro's own silence at both ends of a chunk
    audio[:edge] = audio[-edge:] = 0.0
    return audio.astype(np.float32)


def make_templates(folder: Path, minutes: float) -> list[dict]:
    """TEMPLATES narrations (WAV, timing) with their synthesis and phoneme lists."""
    from kokoro_narrate import narration, phonemes, synthesis

    rng = np.random.default_rng(7)
    made = []
    chunks_each = max(1, round(minutes * 60 / (CHUNK_S + 0.6)))
    for t in range(TEMPLATES):
        pieces, listed, spoken = [], [], []
        for c in range(chunks_each):
            paragraph, kind = f"p{c:04d}", "heading" if c % 8 == 0 else "paragraph"
            text = f"Paragraph {c} of template {t}, which says a few things about the weather."
            audio = speechlike(rng, CHUNK_S * rng.uniform(0.6, 1.4))
            pieces.append(narration.Piece(audio, paragraph, kind, text=text))
            spoken.append(phonemes.Chunk(paragraph, 0, 1, kind, text, "", len(text.split())))
            listed.append(
                synthesis.SynthesizedChunk(
                    paragraph,
                    0,
                    1,
                    kind,
                    text,
                    len(text.split()),
                    "",
                    f"{t:02d}{c:062d}",
                    audio.size,
                    audio.size / SAMPLE_RATE,
                    150.0,
                    False,
                )
            )
        base = folder / f"template-{t}"
        narration.build_narration(
            pieces,
            SAMPLE_RATE,
            narration.Pauses.from_config(),
            target_lufs=-16.0,
            ceiling_dbtp=-1.5,
            wav_path=f"{base}.wav",
            timing_path=f"{base}.json",
        )
        phonemes.write_chunks(spoken, f"{base}.phonemes.jsonl")
        synthesis.write_synthesized(listed, f"{base}.synthesis.jsonl")
        made.append({"base": base})
    return made


def pair_files(post: str, voice: str) -> dict:
    wav = f"results/narrations/{post}/{voice}_{post}.wav"
    return {
        "wav": wav,
        "timing": wav.removesuffix(".wav") + ".json",
        "synthesized": f"results/synthesis/{voice}/{post}.jsonl",
        "phonemes": f"results/phonemes/a/{post}.jsonl",
    }


def copy_changed(source: Path, target: Path, sample: int) -> None:
    """A copy of a 16-bit WAV with one sample of its data set to `sample`'s low bits."""
    data = bytearray(source.read_bytes())
    at = data.index(b"data") + 8 + 2 * 1000  # a sample in the leading silence
    data[at : at + 2] = (sample % 7 + 1).to_bytes(2, "little")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, target)


def make_build(root: Path, posts: int, voices: int, minutes: float) -> list[dict]:
    """The finished build's files under `root`; returns the manifest's pairs (its rule's params)."""
    templates = make_templates(root, minutes)
    pairs = []
    for p in range(posts):
        post = f"post-{p:04d}"
        template = templates[p % TEMPLATES]["base"]
        for v in range(voices):
            voice = f"voice{v}"
            files = pair_files(post, voice)
            for path in files.values():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
            copy_changed(Path(f"{template}.wav"), root / files["wav"], p * voices + v)
            shutil.copyfile(f"{template}.json", root / files["timing"])
            shutil.copyfile(f"{template}.synthesis.jsonl", root / files["synthesized"])
            shutil.copyfile(f"{template}.phonemes.jsonl", root / files["phonemes"])
            pairs.append(
                {
                    "post": post,
                    "title": "",
                    "voice": voice,
                    "lang": "a",
                    "speed": 1.0,
                    "files": files,
                    "logs": [],
                }
            )
    return pairs


def accepted(function, **wanted) -> dict:
    """The keyword arguments `function` takes (an older package may lack some)."""
    names = inspect.signature(function).parameters
    return {k: v for k, v in wanted.items() if k in names}


def run_job(stage: str, root: Path, threads: int) -> None:
    """One job's work, as its rule script calls the package (workflow/scripts/<stage>.py)."""
    os.chdir(root)
    memo = ".snakemake/kokoro-narrate"
    if stage == "manifest":
        from kokoro_narrate import manifest

        pairs = json.loads(Path("pairs.json").read_text())
        rows = manifest.rows(
            pairs,
            [],
            **accepted(manifest.rows, memo_dir=f"{memo}/narration-digests", threads=threads),
        )
        manifest.write_manifest(manifest.build_manifest(rows), "results/manifest.csv")
    else:
        from kokoro_narrate.matrix import build_matrix

        shutil.rmtree("results/matrix", ignore_errors=True)  # a directory() output: removed first
        build_matrix(
            manifest="results/manifest.csv",
            out_dir="results/matrix",
            csv="results/matrix.csv",
            page="results/matrix.html",
            excerpt_s=30.0,
            **accepted(build_matrix, threads=threads, excerpt_cache=f"{memo}/excerpts"),
        )


def timed(stage: str, root: Path, threads: int, package: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one job in a process of its own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--job", stage, "--root", str(root), "--threads", str(threads)],
        env={**os.environ, "PYTHONPATH": str(package)},
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=95)
    parser.add_argument("--voices", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=6.7, help="audio per narration")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--package", type=Path, default=REPO / "workflow")
    parser.add_argument(
        "--keep",
        type=Path,
        help="build here and keep it, or reuse the build there (default: a temp dir)",
    )
    parser.add_argument("--job", choices=("manifest", "matrix"), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        run_job(args.job, args.root, args.threads)
        return
    sys.path.insert(0, str(REPO / "workflow"))
    root = args.keep or Path(tempfile.mkdtemp(prefix="kokoro-narrate-tail-"))
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if (root / "pairs.json").is_file():  # --keep's build from an earlier run
        pairs = json.loads((root / "pairs.json").read_text())
    else:
        pairs = make_build(root, args.posts, args.voices, args.minutes)
        (root / "pairs.json").write_text(json.dumps(pairs))
    shutil.rmtree(root / ".snakemake", ignore_errors=True)  # nothing remembered at first
    wavs = [root / pair["files"]["wav"] for pair in pairs]
    gigabytes = sum(w.stat().st_size for w in wavs) / 1e9
    hours = sum(w.stat().st_size - 44 for w in wavs) / 2 / SAMPLE_RATE / 3600
    posts, voices = len({p["post"] for p in pairs}), len({p["voice"] for p in pairs})
    print(
        f"{posts} posts x {voices} voices: {len(pairs)} narrations, {hours:.2f} hours, "
        f"{gigabytes:.2f} GB of WAV (made in {time.perf_counter() - start:.0f} s); package "
        f"{args.package}, {args.threads} threads"
    )
    for wav in wavs:  # in memory, as the narration jobs that just wrote them leave them
        with open(wav, "rb") as f:
            while f.read(1 << 24):
                pass
    for moment in ("first", "after an edit"):
        if moment != "first":  # a rebuilt narration: new bytes, a new file
            copy_changed(wavs[0], wavs[0], 99)
        for stage in ("manifest", "matrix"):
            wall, cpu = timed(stage, root, args.threads, args.package)
            print(f"  {moment:<14} {stage:<9} {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
