#!/usr/bin/env python3
"""A whole blog end to end: stage times, model loads, times real time, memory; and the plain loop.

    # CPU, real weights, the repo's corpus, the README's --cores 1 (the loop gets 1 thread)
    python bench/throughput.py --corpus corpus --weights-dir ~/.cache/kokoro-dequant \\
        --voice jf_alpha:a --cores 1 --loop
    # a generated blog of about 10 hours of audio on a GPU (full-size random model there)
    python bench/throughput.py --hours 10 --random-model --device cuda --cores 16 --loop

It builds a folder with the posts (given, or generated from the sentences of corpus/ so every
paragraph is new) and a config, runs the README's command (`snakemake --cores N --resources gpu=1`)
and prints: posts, chunks, hours of audio, wall seconds per stage (the sum of its jobs' wall times
from benchmarks/, so parallel jobs overlap) and their CPU seconds (from the line each job's log
closes with: the benchmark files' samples miss part of any job over 15 s), the CPU work that
follows synthesis (what bounds a GPU build: its core-seconds over --cores is the least wall time it
can take), model loads (from the logs), when the job that loaded the model logged first, loaded it
and made its first wave (no narration can run before that), times real time for synthesis (audio /
the span of the synthesis jobs, the first one's start to the last one's end) and end to end (audio
/ the whole process), when the prefill ended and how many narrations were done by then (the CPU
work its waves let run beside it; --wave-chunks sets config synthesis.wave_chunks), peak RSS per
stage (from the logs too) and peak GPU memory (from the synthesis log). With --loop it then times
bench/loop.py on the same posts, voice and threads as a whole process, and prints both costs per
second of audio.

For a GPU machine without misaki or spaCy: `--stage prepare` here makes the scripts and phonemes
(and copies the workflow's metadata with them), `--stage rest --workdir DIR --device cuda` there
does the rest on that device (without --text in the loop: KModel over the same phoneme chunks).
bench/gpu_kit.py packs all of it, and the packages such a machine lacks, in one folder.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import yaml
from common import REPO, job_usage, model_config, snakemake_command

# the rules with a benchmark (the feed has none: text, milliseconds); a narration job makes the
# narration's encodes, captions and snippet too
STAGES = ("script", "phonemes", "synthesis", "narration", "manifest", "oov", "matrix")
# what runs on the CPU once a post's chunks are made: with the model on a GPU, the CPU's share
AFTER_SYNTHESIS = ("narration", "manifest", "matrix")
WORDS_PER_HOUR = 10_000  # Kokoro reads plain prose at about 165-180 words a minute


def sentences() -> list[str]:
    """Prose sentences of the repo's English posts, through the project's own front end."""
    sys.path.insert(0, str(REPO / "workflow"))
    from kokoro_narrate.script import parse_post

    found = []
    for path in ("corpus/long-essay.md", "corpus/medium-guide.md", "corpus/short-note.md"):
        post = parse_post((REPO / path).read_bytes(), path)
        for p in post.paragraphs:
            if p.kind == "paragraph":
                found += [s for s in re.split(r"(?<=[.!?])\s+", p.text) if len(s.split()) > 4]
    return found


def generate(folder: Path, hours: float, seed: int = 7) -> int:
    """Posts of about 1,300 words, each paragraph a new mix of corpus sentences."""
    rng = random.Random(seed)
    pool = sentences()
    words_left = int(hours * WORDS_PER_HOUR)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    while words_left > 0:
        n += 1
        body = [f"---\ntitle: Field notes, part {n}\ndate: 2026-01-{n % 28 + 1:02d}\n---\n"]
        words = 0
        for k in range(1, 12):
            if k % 4 == 0:
                body.append(f"## Section {k // 4} of part {n}\n")
            picked = rng.sample(pool, 5)
            body.append(f"Paragraph {k} of part {n}. " + " ".join(picked) + "\n")
            words += sum(len(s.split()) for s in picked) + 5
        (folder / f"part-{n:03d}.md").write_text("\n".join(body), encoding="utf-8")
        words_left -= words
    return n


def random_model(folder: Path) -> Path:
    sys.path.insert(0, str(REPO / "bench"))
    import gpu_model

    if not (folder / "config.json").is_file():
        gpu_model.build(folder)
    return folder


def stage_table(workdir: Path) -> dict[str, dict[str, float]]:
    import pandas as pd

    table = {}
    for stage in STAGES:
        files = list((workdir / "benchmarks" / stage).rglob("*.tsv"))
        if not files:
            continue
        frames = [pd.read_csv(f, sep="\t") for f in files]
        used = [job_usage(workdir, path) for path in files]
        table[stage] = {
            "jobs": len(files),
            "seconds": sum(float(f.s.iloc[0]) for f in frames),
            "cpu_seconds": sum(cpu for cpu, _ in used),
            "peak_rss_mb": max(peak for _, peak in used),
        }
    return table


def logs_say(workdir: Path, pattern: str) -> list[str]:
    out = []
    for log in (workdir / "logs").rglob("*.log"):
        out += re.findall(pattern, log.read_text(errors="replace"))
    return out


def synthesis_span(workdir: Path) -> float:
    """Seconds from the first synthesis job's start to the last one's end: the jobs that wait for
    the prefill run beside it, so the sum of their times would count the same seconds many
    times. Each job's end is its output's time, its start that less its benchmark's seconds."""
    import pandas as pd

    spans = []
    for tsv in (workdir / "benchmarks" / "synthesis").rglob("*.tsv"):
        made = workdir / "results/synthesis" / tsv.relative_to(workdir / "benchmarks/synthesis")
        if made.with_suffix(".jsonl").is_file():
            end = made.with_suffix(".jsonl").stat().st_mtime
            spans.append((end - float(pd.read_csv(tsv, sep="\t").s.iloc[0]), end))
    if not spans:
        return float("nan")
    return max(end for _, end in spans) - min(start for start, _ in spans)


def synthesis_ends(workdir: Path) -> dict[Path, tuple[bool, float]]:
    """Each synthesis job's chunk list: whether its job loaded the model, and when it was
    written (its job's end)."""
    ends = {}
    for log in (workdir / "logs" / "synthesis").rglob("*.log"):
        made = workdir / "results/synthesis" / log.relative_to(workdir / "logs/synthesis")
        made = made.with_suffix(".jsonl")
        if made.is_file():
            ends[made] = ("loaded Kokoro" in log.read_text(errors="replace"), made.stat().st_mtime)
    return ends


def prefill_end(ends: dict[Path, tuple[bool, float]]) -> float | None:
    """When the first job that loaded the model ended (an epoch): the prefill's end."""
    return min((end for loaded, end in ends.values() if loaded), default=None)


def narration_ends(workdir: Path) -> list[float]:
    """When each narration WAV was written: those before the prefill's end ran beside it."""
    return [w.stat().st_mtime for w in (workdir / "results" / "narrations").rglob("*.wav")]


def log_time(stamp: str) -> float:
    """A log line's time ("2026-11-27 07:20:44,325"), in seconds since the epoch."""
    return time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + int(stamp[20:]) / 1000


class Prefill(NamedTuple):
    """What the log of the job that loaded the model says (times are epochs)."""

    audio: float  # seconds of chunk audio its waves made
    seconds: float  # from the load to its last wave's end
    waves: list[float]  # each wave's times real time
    first_log: float  # its first line: its imports, torch's among them, are behind it
    loaded: float
    first_wave: float  # the first wave's end: no narration can run before it


def prefill_log(workdir: Path) -> Prefill | None:
    """The model's own rate and the prefill's first marks, from the log of the job that loaded
    it. The span of the synthesis jobs (synthesis_span) counts jobs that waited for a core."""
    stamp = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) "
    wave = stamp + r".*synthesized \d+ chunks, ([\d.]+) s of audio in ([\d.]+) s"
    for log in (workdir / "logs" / "synthesis").rglob("*.log"):
        text = log.read_text(errors="replace")
        loaded = re.search(stamp + r".*loaded Kokoro", text, re.M)
        waves = re.findall(wave, text, re.M)
        if loaded and waves:
            return Prefill(
                audio=sum(float(a) for _, a, _ in waves),
                seconds=log_time(waves[-1][0]) - log_time(loaded.group(1)),
                waves=[float(a) / float(t) for _, a, t in waves],
                first_log=log_time(re.search(stamp, text, re.M).group(1)),
                loaded=log_time(loaded.group(1)),
                first_wave=log_time(waves[0][0]),
            )
    return None


def waits(workdir: Path) -> list[float]:
    """Seconds each synthesis job spent waiting for the job that loaded the model: a core held
    that a narration could have had, once there are narrations to run."""
    return [
        float(seconds)
        for log in (workdir / "logs" / "synthesis").rglob("*.log")
        for seconds in re.findall(r"waited ([\d.]+) s", log.read_text(errors="replace"))
    ]


def after_the_prefill(ends: dict[Path, tuple[bool, float]]) -> tuple[int, float] | None:
    """How many synthesis jobs ended after the first one that loaded the model, and how long
    after it the last of them ended: the time the readers of the cache it filled add."""
    first = prefill_end(ends)
    if first is None:
        return None
    later = [end for _, end in ends.values() if end > first]
    return len(later), max(later, default=first) - first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--corpus", type=Path, help="a folder of posts")
    where.add_argument("--hours", type=float, help="generate a blog of about this much audio")
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--weights-dir", type=Path, help="config.json, one .pth, voices/")
    model.add_argument("--random-model", action="store_true", help="full-size, random weights")
    parser.add_argument("--voice", default="af_heart", help="name or name:lang")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument(
        "--threads", type=int, help="config threads, a CPU synthesis job's (default: --cores)"
    )
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--wave-chunks", type=int, help="config synthesis.wave_chunks")
    parser.add_argument(
        "--batch-frames", type=int, help="config synthesis.batch_frames (a GPU chunk key's part)"
    )
    parser.add_argument("--cpu-engine", choices=("kmodel", "onnx"), help="default: the config's")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--stage", choices=("all", "prepare", "rest"), default="all")
    parser.add_argument("--loop", action="store_true", help="also time the plain loop")
    parser.add_argument("--text-loop", action="store_true", help="the loop with KPipeline's G2P")
    parser.add_argument("--loop-seconds", type=float, help="stop the loop after this long")
    parser.add_argument(
        "--targets",
        nargs="+",
        help="build only these (e.g. results/manifest.csv: the narrations and the manifest, "
        "without the publishing outputs); default: everything",
    )
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kokoro-narrate-throughput-"))
    name, _, lang = args.voice.partition(":")
    if args.stage != "rest":
        corpus = workdir / "corpus"
        if args.corpus:
            corpus.mkdir(parents=True, exist_ok=True)
            for post in args.corpus.glob("*.md"):
                (corpus / post.name).write_bytes(post.read_bytes())
        else:
            generate(corpus, args.hours or 1.0)
        (workdir / "config").mkdir(parents=True, exist_ok=True)
        lexicon = (REPO / "config" / "lexicon.yaml").read_bytes()
        (workdir / "config" / "lexicon.yaml").write_bytes(lexicon)
        if args.random_model:  # inside the folder, by relative paths: the folder can travel
            random_model(workdir / "model")
            model = {
                k: str(Path(v).relative_to(workdir))
                for k, v in model_config(workdir / "model").items()
            }
        else:
            model = model_config(Path(args.weights_dir).expanduser().resolve())
        config = {
            "posts": "corpus/*.md",
            "voices": [{"name": name, "lang": lang} if lang else name],
            "threads": args.threads or args.cores,
            "device": args.device,
            "synthesis": {"dtype": args.dtype},
            "model": model,
            "lexicon": "config/lexicon.yaml",
        }
        if args.cpu_engine:
            config["synthesis"]["cpu_engine"] = args.cpu_engine
        (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    configfile = workdir / "config" / "config.yaml"
    if args.stage == "rest" or args.wave_chunks is not None or args.batch_frames:
        config = yaml.safe_load(configfile.read_text())  # settings of the rest alone
        config["device"] = args.device
        if args.wave_chunks is not None:  # it changes no output
            config.setdefault("synthesis", {})["wave_chunks"] = args.wave_chunks
        if args.batch_frames:  # on a GPU, new chunk keys: every chunk is made in the run
            config.setdefault("synthesis", {})["batch_frames"] = args.batch_frames
        configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    command = snakemake_command(workdir, configfile, args.cores)
    if args.stage == "prepare":
        command += ["--until", "phonemes"]
    elif args.targets:  # before the options: --resources would take them as resources
        command[3:3] = args.targets
    print("build folder:", workdir)
    print("command:", " ".join(command))
    start, started_at = time.monotonic(), time.time()
    with open(workdir / f"snakemake-{args.stage}.log", "w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    if done.returncode:
        sys.exit(f"the build failed: see {workdir / f'snakemake-{args.stage}.log'}")
    if args.stage == "prepare":
        print(f"scripts and phonemes made in {wall:.1f} s; carry {workdir} to the GPU machine")
        return

    import pandas as pd

    lists = list((workdir / "results/synthesis").rglob("*.jsonl"))
    chunks = sum(len(p.read_text().splitlines()) for p in lists)
    if (workdir / "results" / "manifest.csv").is_file():
        manifest = pd.read_csv(workdir / "results" / "manifest.csv")
        manifest = manifest[manifest.status == "narrated"]
        posts, audio_s = len(manifest), float(manifest.duration_s.sum())
    else:  # --targets without the manifest: the synthesized chunks, untrimmed
        posts = len(lists)
        audio_s = sum(r["duration_s"] for p in lists for r in map(json.loads, p.open()))
    stages = stage_table(workdir)
    loads = len(logs_say(workdir, r"loaded Kokoro"))
    gpu = [float(g) for g in logs_say(workdir, r"GPU memory: ([\d.]+) GiB")]
    print(f"\nposts {posts}, chunks {chunks}, audio {audio_s / 3600:.2f} h")
    print(f"{'stage':<10} {'jobs':>5} {'seconds':>9} {'CPU s':>9} {'peak RSS MB':>12}")
    for stage, row in stages.items():
        print(
            f"{stage:<10} {row['jobs']:>5} {row['seconds']:>9.1f} {row['cpu_seconds']:>9.1f} "
            f"{row['peak_rss_mb']:>12.0f}"
        )
    after = sum(row["cpu_seconds"] for stage, row in stages.items() if stage in AFTER_SYNTHESIS)
    if after:
        print(
            f"CPU work after synthesis: {after:.0f} core-seconds, {audio_s / after:.1f}x real time "
            f"per core; at least {after / args.cores:.1f} s on --cores {args.cores}"
        )
    synth = synthesis_span(workdir)
    print(f"model loads: {loads}")
    prefill = prefill_log(workdir)
    if prefill:
        print(
            f"the model: {prefill.audio:.0f} s of chunk audio in {prefill.seconds:.1f} s from its "
            f"load, {prefill.audio / prefill.seconds:.1f}x real time; its waves "
            + ", ".join(f"{w:.0f}x" for w in prefill.waves)
        )
        print(
            f"before any narration can run: the job that loaded the model logged first at "
            f"{prefill.first_log - started_at:.1f} s, loaded it at "
            f"{prefill.loaded - started_at:.1f} s and made its first wave at "
            f"{prefill.first_wave - started_at:.1f} s"
        )
    ends = synthesis_ends(workdir)
    followers = after_the_prefill(ends)
    if followers:
        print(
            f"synthesis jobs after the one that loaded the model: {followers[0]}, the last "
            f"ended {followers[1]:.1f} s after it"
        )
    waited = waits(workdir)
    if waited:
        print(
            f"synthesis jobs that waited for it: {len(waited)}, holding a core for "
            f"{sum(waited):.0f} s in all (the longest {max(waited):.1f} s)"
        )
    print(
        f"synthesis: {audio_s / synth:.1f}x real time ({synth:.1f} s from the first synthesis "
        f"job's start to the last one's end)"
    )
    prefilled = prefill_end(ends)
    narrated = narration_ends(workdir) if prefilled else []
    if narrated:
        print(
            f"the prefill ended at {prefilled - started_at:.1f} s; narrations done by then: "
            f"{sum(end < prefilled for end in narrated)} of {len(narrated)}, the first at "
            f"{min(narrated) - started_at:.1f} s, the last at {max(narrated) - started_at:.1f} s"
        )
    print(f"end to end: {audio_s / wall:.1f}x real time ({wall:.1f} s wall, --cores {args.cores})")
    if gpu:
        print(f"peak GPU memory: {max(gpu):.2f} GiB")
    if args.loop or args.text_loop:
        loop = [sys.executable, str(REPO / "bench" / "loop.py"), str(workdir), "--voice", name]
        loop += ["--lang", lang or name[0], "--threads", str(args.cores), "--device", args.device]
        loop += ["--text"] if args.text_loop else []
        loop += ["--seconds", str(args.loop_seconds)] if args.loop_seconds else []
        start = time.monotonic()
        out = subprocess.run(loop, capture_output=True, text=True)
        loop_wall = time.monotonic() - start
        if out.returncode:
            sys.exit(out.stderr[-3000:])
        loop_audio = float(re.search(r"audio_s ([\d.]+)", out.stdout).group(1))
        loop_synth = float(re.search(r"synth_s ([\d.]+)", out.stdout).group(1))
        startup = loop_wall - loop_synth
        # the loop over the whole blog: its start-up once, then its rate for all the audio (the
        # rate of a loop cut short by --loop-seconds is the rate of the whole loop)
        loop_full = startup + audio_s * loop_synth / loop_audio
        kind = "KPipeline with G2P" if args.text_loop else "KModel over the same chunks"
        print(
            f"plain loop ({kind}, {args.cores} threads): start-up {startup:.1f} s, then "
            f"{loop_audio / loop_synth:.1f}x real time ({loop_audio:.0f} s of audio in "
            f"{loop_synth:.1f} s); the whole blog: {loop_full:.1f} s"
        )
        print(
            f"cost per second of audio: pipeline {wall / audio_s:.4f} s, loop "
            f"{loop_full / audio_s:.4f} s (pipeline/loop {wall / loop_full:.2f})"
        )
    summary = {"audio_s": audio_s, "wall_s": wall, "stages": stages, "model_loads": loads}
    (workdir / "throughput.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
