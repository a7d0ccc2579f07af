#!/usr/bin/env python3
"""How long Snakemake takes to plan a big blog: the dry run of a generated corpus.

    python bench/dag.py --posts 1000 --voices 5

Generates N short posts (and the voices' .pt files, so nothing is downloaded) in a temporary
folder and times `snakemake -n` (the README's command with --dry-run) as a whole process: parsing
the workflow, reading every post's front matter and building the DAG. Prints posts, voices, jobs
and seconds.
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
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kokoro-narrate-dag-"))
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
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if result.returncode:
        sys.exit(result.stdout[-2000:] + result.stderr[-4000:])
    total = re.search(r"^total\s+(\d+)", result.stdout + result.stderr, re.M)
    print(f"posts {args.posts}, voices {args.voices}, jobs {total.group(1) if total else '?'}")
    print(f"dry run (whole process): {seconds:.1f} s")


if __name__ == "__main__":
    main()
