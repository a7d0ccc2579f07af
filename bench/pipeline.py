#!/usr/bin/env python3
"""Cold build of the corpus with real weights: words, audio minutes, wall seconds, real-time factor
per post and voice, and the synthesis jobs' peak RSS.

    python bench/pipeline.py --weights-dir ~/.cache/kokoro-dequant \\
        --voice jf_alpha:a --voice jm_kumo:e

--no-encodes leaves out the MP3 and Opus encodes, to see what they cost a narration job (the
narration_cpu_s column, and the summary's times real time per core).

The weights folder holds config.json, one .pth and voices/<name>.pt (e.g. the folder built by
make-weights.sh, or a local copy of hexgrad/Kokoro-82M). `name:lang` makes a voice read another
language than its name says. The build runs in a fresh folder with an empty chunk cache, with the
README's command (`snakemake --cores 1 --resources gpu=1`); timings come from Snakemake's
benchmark files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from common import REPO, job_usage, model_config, snakemake_command, voice_entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights-dir", default=os.environ.get("KOKORO_NARRATE_REALWEIGHTS"))
    parser.add_argument("--voice", action="append", default=[], help="name or name:lang")
    parser.add_argument("--posts", default=str(REPO / "corpus" / "*.md"))
    parser.add_argument("--workdir", help="build folder (default: a new temporary folder)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--no-encodes", action="store_true", help="config encode: no MP3, no Opus (their cost)"
    )
    args = parser.parse_args()
    if not args.weights_dir:
        sys.exit("give --weights-dir or set KOKORO_NARRATE_REALWEIGHTS")
    weights_dir = Path(args.weights_dir).expanduser().resolve()
    voices = voice_entries(args.voice or ["af_heart"])

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kokoro-narrate-bench-"))
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    config = {
        "posts": args.posts,
        "voices": voices,
        "threads": args.threads,
        "model": model_config(weights_dir),
        "lexicon": str(REPO / "config" / "lexicon.yaml"),
    }
    if args.no_encodes:
        config["encode"] = {"mp3": False, "opus": False}
    configfile = workdir / "config" / "bench.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    command = snakemake_command(workdir, configfile)
    print("build folder:", workdir)
    print("command:", " ".join(command))
    start = time.monotonic()
    with open(workdir / "snakemake.log", "w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"the build failed: see {workdir / 'snakemake.log'}")
    total = time.monotonic() - start

    manifest = pd.read_csv(workdir / "results" / "manifest.csv")
    rows = []
    manifest = manifest[manifest.status == "narrated"]
    for row in manifest.itertuples():
        synth_tsv = workdir / f"benchmarks/synthesis/{row.voice}/{row.post}.tsv"
        narr_tsv = workdir / f"benchmarks/narration/{row.post}/{row.voice}.tsv"
        synth, narr = pd.read_csv(synth_tsv, sep="\t"), pd.read_csv(narr_tsv, sep="\t")
        # CPU and peak RSS as the jobs' logs close with them (the benchmark files sample them)
        _, synth_peak = job_usage(workdir, synth_tsv)
        narr_cpu, _ = job_usage(workdir, narr_tsv)
        chunk_list = workdir / f"results/synthesis/{row.voice}/{row.post}.jsonl"
        chunks = pd.read_json(chunk_list, lines=True)
        rows.append(
            {
                "post": row.post,
                "voice": row.voice,
                "words": row.words,
                "chunks": row.chunks,
                "audio_min": round(row.duration_s / 60, 2),
                "synth_s": round(synth.s.iloc[0], 1),
                "narration_s": round(narr.s.iloc[0], 1),
                "narration_cpu_s": round(narr_cpu, 1),
                "rtf": round(synth.s.iloc[0] / row.duration_s, 3),
                "wpm": row.wpm,
                "chunk_wpm_min/med/max": "/".join(
                    f"{chunks.wpm.quantile(q):.0f}" for q in (0.0, 0.5, 1.0)
                ),
                "peak_rss_mb": round(synth_peak),
                "lufs": row.lufs,
                "true_peak_dbtp": row.true_peak_dbtp,
            }
        )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    audio_s = manifest.duration_s.sum()
    narration_cpu = table.narration_cpu_s.sum()
    print(
        f"\nall: {manifest.words.sum()} words, {audio_s / 60:.1f} audio minutes, "
        f"{total:.0f} s wall for the whole build (real-time factor {total / audio_s:.3f}); "
        f"synthesis jobs' peak RSS {table.peak_rss_mb.max()} MB; narration jobs "
        f"{narration_cpu:.1f} CPU s ({audio_s / narration_cpu:.0f}x real time per core"
        f"{', without web encodes' if args.no_encodes else ', with their web encodes'})"
    )


if __name__ == "__main__":
    main()
