#!/usr/bin/env python3
"""What a build gives a blogger to publish, measured: every output's size, the loudness and true
peak of the WAV, MP3 and Opus by ffmpeg's ebur128 filter, and how far captions and audio are apart
at the end of the longest post.

    PYTHONPATH=workflow .venv/bin/python bench/publish.py \\
        --weights-dir ~/.cache/kokoro-dequant --voice jf_alpha:a

Builds corpus/ with real weights (a folder holding config.json, one .pth and voices/; `name:lang`
makes a voice read another language) and feed.base_url set, with the README's command, in
--workdir (default: a new temporary folder; give the same one and --cache-dir again to measure
without synthesizing again). Needs ffmpeg (apt-get install ffmpeg).

Caption drift: for every cue of the longest narration, its first word's time (what the captions
say, from the timing JSON) against the voice's onset in the written WAV: the first 5 ms frame
louder than ONSET_DB at or after CUE_SEARCH_S before the cue's first word. The last cue's start
and end (against the last sample of the voice) are the figure at the end of the post.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml
from common import REPO, ffmpeg_ebur128, model_config, snakemake_command, voice_entries

from kokoro_narrate import captions

ONSET_DB = -45.0  # a 5 ms frame this loud (RMS, dBFS) is voice: above Kokoro's noise floor
FRAME_S = 0.005
CUE_SEARCH_S = 0.15  # look for the onset from this long before the cue's first word


def loud_frames(audio: np.ndarray, sr: int) -> np.ndarray:
    hop = round(FRAME_S * sr)
    frames = np.zeros(-(-audio.size // hop) * hop)
    frames[: audio.size] = audio
    power = np.mean(frames.reshape(-1, hop) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(power) > ONSET_DB


def drift(wav: Path, timing: dict) -> dict:
    """Caption time minus audio time, in ms, for the cues of one narration."""
    audio, sr = sf.read(str(wav), dtype="float64")
    loud = loud_frames(audio, sr)
    hop = round(FRAME_S * sr)
    starts = []
    cues = captions.cues(timing)
    for cue in cues:
        first = max(0, (cue.speech_start - round(CUE_SEARCH_S * sr)) // hop)
        found = np.flatnonzero(loud[first:])
        if found.size:
            starts.append((cue.speech_start - (first + found[0]) * hop) / sr * 1000)
    voice_end = (np.flatnonzero(loud)[-1] + 1) * hop
    last = cues[-1]
    return {
        "cues": len(cues),
        "start_median_ms": float(np.median(np.abs(starts))),
        "start_p95_ms": float(np.percentile(np.abs(starts), 95)),
        "last_start_ms": starts[-1],
        "last_end_ms": (last.speech_end - voice_end) / sr * 1000,
        "duration_min": audio.size / sr / 60,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights-dir", default=os.environ.get("KOKORO_NARRATE_REALWEIGHTS"))
    parser.add_argument("--voice", action="append", default=[], help="name or name:lang")
    parser.add_argument(
        "--posts", action="append", help="glob of posts (again for more; default corpus/*.md)"
    )
    parser.add_argument("--workdir", help="build folder (default: a new temporary folder)")
    parser.add_argument("--cache-dir", help="chunk cache (default: in the build folder)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--cores",
        type=int,
        default=1,
        help="snakemake --cores; a synthesis job gets min(threads, cores) torch threads, which "
        "is part of every chunk's cache key",
    )
    args = parser.parse_args()
    if not args.weights_dir:
        sys.exit("give --weights-dir or set KOKORO_NARRATE_REALWEIGHTS")
    weights_dir = Path(args.weights_dir).expanduser().resolve()
    voices = voice_entries(args.voice or ["af_heart"])

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kokoro-narrate-publish-"))
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    config = {
        "posts": [str(Path(p).resolve()) for p in args.posts or [REPO / "corpus" / "*.md"]],
        "voices": voices,
        "threads": args.threads,
        "device": "cpu",
        "model": model_config(weights_dir),
        "lexicon": str(REPO / "config" / "lexicon.yaml"),
        "feed": {"base_url": "https://example.com/narrations/"},
    }
    if args.cache_dir:
        config["cache_dir"] = args.cache_dir
    configfile = workdir / "config" / "bench.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    command = snakemake_command(workdir, configfile, cores=args.cores)
    print("build folder:", workdir)
    print("command:", " ".join(command))
    start = time.monotonic()
    with open(workdir / "snakemake.log", "w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"the build failed: see {workdir / 'snakemake.log'}")
    print(f"build: {time.monotonic() - start:.0f} s wall\n")

    manifest = pd.read_csv(workdir / "results" / "manifest.csv")
    manifest = manifest[manifest.status == "narrated"]
    rows = []
    for row in manifest.itertuples():
        stem = f"{row.voice}_{row.post}"
        outputs = {
            "wav": f"results/narrations/{row.post}/{stem}.wav",
            "mp3": f"results/encodes/{row.post}/{stem}.mp3",
            "opus": f"results/encodes/{row.post}/{stem}.opus",
            "vtt": f"results/captions/{row.post}/{stem}.vtt",
            "srt": f"results/captions/{row.post}/{stem}.srt",
            "chapters": f"results/captions/{row.post}/{stem}.chapters.vtt",
            "snippet": f"results/snippets/{row.post}/{stem}.html",
        }
        for kind, rel in outputs.items():
            path = workdir / rel
            lufs = peak = float("nan")
            if kind in ("wav", "mp3", "opus"):
                lufs, peak = ffmpeg_ebur128(path)
            rows.append(
                {
                    "post": row.post,
                    "voice": row.voice,
                    "output": kind,
                    "minutes": round(row.duration_s / 60, 2),
                    "bytes": path.stat().st_size,
                    "kB_per_min": round(path.stat().st_size / 1000 / (row.duration_s / 60), 1),
                    "ffmpeg_lufs": lufs,
                    "ffmpeg_true_peak_dbtp": round(peak, 2),
                }
            )
    for feed in sorted((workdir / "results" / "feed").glob("*.xml")):
        size = feed.stat().st_size
        rows.append({"post": "(feed)", "voice": feed.stem, "output": "feed", "bytes": size})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))

    longest = manifest.sort_values("duration_s").iloc[-1]
    stem = f"results/narrations/{longest.post}/{longest.voice}_{longest.post}"
    timing = json.loads((workdir / f"{stem}.json").read_text())
    figures = drift(workdir / f"{stem}.wav", timing)
    f = figures
    print(
        f"\ncaption drift, {longest.post} in {longest.voice} ({f['duration_min']:.1f} min, "
        f"{f['cues']} cues): first word vs voice onset, median {f['start_median_ms']:.0f} ms, "
        f"95th percentile {f['start_p95_ms']:.0f} ms; at the end of the post: last cue's start "
        f"{f['last_start_ms']:+.0f} ms, its end {f['last_end_ms']:+.0f} ms (caption minus audio)"
    )
    headroom = []
    for path in sorted((workdir / "results" / "encodes").rglob("*.json")):
        info = json.loads(path.read_text())
        headroom.append((path.name, info["headroom_db"], info["tries"]))
    print("encode headroom (dB) and tries:", ", ".join(f"{n} {h} {t}" for n, h, t in headroom))


if __name__ == "__main__":
    main()
