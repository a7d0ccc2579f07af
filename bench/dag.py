#!/usr/bin/env python3
"""How long Snakemake takes to plan a big blog: the dry run of a generated corpus.

    python bench/dag.py --posts 1000 --voices 5

Generates N short posts (and the voices' .pt files, so nothing is downloaded) in a temporary
folder and times `snakemake -n` (the README's command with --dry-run): parsing the workflow,
reading every post's front matter and building the DAG, until Snakemake prints its table of jobs
(where a real run starts the first), and the whole process, which then describes every job. Prints
posts, voices, jobs and both times; then, with --floor, the same for a bare Snakefile that plans
the same jobs (a post's script, its phonemes per language, a synthesis and a narration per post and
voice with the same outputs, logs and benchmarks; empty scripts, no input functions): what
Snakemake itself costs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import REPO, snakemake_command

VOICES = ["af_heart", "af_sky", "am_adam", "bf_emma", "bm_george", "af_bella", "am_michael"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--voices", type=int, default=5)
    parser.add_argument("--floor", action="store_true", help="also time a bare Snakefile")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="kokoro-narrate-dag-")  # removed at exit
    work = Path(scratch.name)
    corpus = work / "corpus"
    corpus.mkdir()
    for n in range(args.posts):
        (corpus / f"post-{n:05d}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2026-01-01\n---\n\nParagraph {n}, with words.\n"
        )
    voices = work / "voices"
    voices.mkdir()
    for name in VOICES[: args.voices]:
        (voices / f"{name}.pt").write_bytes(b"not read by a dry run")
    (work / "model.pth").write_bytes(b"weights")
    (work / "config.json").write_text(json.dumps({}))
    (work / "config").mkdir()
    config = {
        "posts": "corpus/*.md",
        "voices": VOICES[: args.voices],
        "model": {
            "weights": str(work / "model.pth"),
            "config": str(work / "config.json"),
            "voices_dir": str(voices),
        },
        "lexicon": str(REPO / "config" / "lexicon.yaml"),
    }
    configfile = work / "config" / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    command = [*snakemake_command(work, configfile), "--dry-run", "--quiet", "rules"]
    jobs, built, seconds = timed(command)
    print(f"posts {args.posts}, voices {args.voices}, jobs {jobs}")
    print(f"DAG built (from the start of the process): {built:.1f} s")
    print(f"dry run (whole process, every job described): {seconds:.1f} s")
    if args.floor:
        snakefile = work / "Floor.smk"
        snakefile.write_text(FLOOR.format(voices=VOICES[: args.voices]))
        (work / "empty.py").write_text("")
        floor = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile)]
        floor += ["--directory", str(work), "--cores", "1", "--dry-run", "--quiet", "rules"]
        jobs, built, seconds = timed(floor)
        print(
            f"bare Snakefile, the same shape: jobs {jobs}, DAG built {built:.1f} s, "
            f"dry run {seconds:.1f} s"
        )


def timed(command: list[str]) -> tuple[str, float, float]:
    """(jobs planned, seconds until the DAG was built, seconds of the whole dry run). Snakemake
    prints its table of jobs once the DAG is built, when a real run starts its first job; a dry
    run then describes every job, which a real run does as each one starts."""
    start = time.monotonic()
    built, lines = None, []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout:
            if built is None and line.startswith("Job stats:"):
                built = time.monotonic() - start
            lines.append(line)
    seconds = time.monotonic() - start
    out = "".join(lines)
    if process.returncode:
        sys.exit(out[-6000:])
    total = re.search(r"^total\s+(\d+)", out, re.M)
    return (total.group(1) if total else "?"), built or seconds, seconds


# Planning alone: the rules of the workflow's shape with nothing but paths. English voices only
# (a and b), as the generated config has.
FLOOR = """
from pathlib import Path

POSTS = sorted(p.stem for p in Path("corpus").glob("*.md"))
VOICES = {voices}
ENCODES = ("mp3", "mp3.json", "opus", "opus.json")
PUBLISHED = ["encodes/{{post}}/{{voice}}_{{post}}." + e for e in ENCODES]
PUBLISHED += ["captions/{{post}}/{{voice}}_{{post}}." + e for e in ("vtt", "srt", "chapters.vtt")]
PUBLISHED += ["snippets/{{post}}/{{voice}}_{{post}}.html"]
rule all:
    input:
        expand("results/narrations/{{post}}/{{voice}}_{{post}}.wav", post=POSTS, voice=VOICES),
        expand(["results/" + p for p in PUBLISHED], post=POSTS, voice=VOICES),
        "results/manifest.csv", "results/oov.csv", "results/matrix.csv",
rule script:
    input: "corpus/{{post}}.md"
    output: "results/scripts/{{post}}.jsonl"
    log: "logs/script/{{post}}.log"
    benchmark: "benchmarks/script/{{post}}.tsv"
    script: "empty.py"
rule phonemes:
    input: "results/scripts/{{post}}.jsonl"
    output: "results/phonemes/{{lang}}/{{post}}.jsonl"
    log: "logs/phonemes/{{lang}}/{{post}}.log"
    benchmark: "benchmarks/phonemes/{{lang}}/{{post}}.tsv"
    script: "empty.py"
rule synthesis:
    input: lambda w: f"results/phonemes/{{w.voice[0]}}/{{w.post}}.jsonl"
    output: "results/synthesis/{{voice}}/{{post}}.jsonl"
    log: "logs/synthesis/{{voice}}/{{post}}.log"
    benchmark: "benchmarks/synthesis/{{voice}}/{{post}}.tsv"
    script: "empty.py"
rule narration:
    input: "results/synthesis/{{voice}}/{{post}}.jsonl"
    output:
        "results/narrations/{{post}}/{{voice}}_{{post}}.wav",
        "results/narrations/{{post}}/{{voice}}_{{post}}.json",
        ["results/" + p for p in PUBLISHED],
    log: "logs/narration/{{post}}/{{voice}}.log"
    benchmark: "benchmarks/narration/{{post}}/{{voice}}.tsv"
    script: "empty.py"
rule oov:
    input:
        expand(
            "results/phonemes/{{lang}}/{{post}}.jsonl",
            post=POSTS,
            lang=sorted({{v[0] for v in VOICES}}),
        ),
    output: "results/oov.csv"
    script: "empty.py"
rule manifest:
    input: expand("results/narrations/{{post}}/{{voice}}_{{post}}.json", post=POSTS, voice=VOICES)
    output: "results/manifest.csv"
    script: "empty.py"
rule matrix:
    input: "results/manifest.csv"
    output: "results/matrix.csv"
    script: "empty.py"
"""


if __name__ == "__main__":
    main()
