#!/usr/bin/env python3
"""Cold build, one-paragraph edit and no-op rebuild of a post of N paragraphs in 2 voices.

    python bench/incremental.py --weights-dir ~/.cache/kokoro-dequant --paragraphs 20

Prints each wall time, the chunks synthesized and reused, the ratios, and the fixed start-up of
one synthesis job (process start, torch and kokoro imports, model load) measured on its own.
Target: edit <= cold * (1/N + 5%) + start-up; no-op <= 3 s. Without --weights-dir it uses the
tests' small random-weight checkpoint (quick, but the start-up then dominates).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import REPO, model_config, snakemake_command

SYNTH_LINE = re.compile(r"(\d+) chunks: (\d+) in the cache, (\d+) to synthesize")
TOPICS = ["the river", "the bakery", "the old bridge", "the station", "the garden", "the market"]


def make_post(n: int) -> str:
    """N paragraphs of 35-45 words, each different, deterministic."""
    paragraphs = ["# A walk through town", ""]
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        paragraphs.append(
            f"Stop number {i + 1} was {topic}. We stayed for a while and watched people go by, "
            f"some in a hurry and some with all the time in the world. The light was soft, the "
            f"air smelled of rain, and nobody seemed to mind that we were there at all."
        )
        paragraphs.append("")
    return "\n".join(paragraphs)


def run(workdir: Path, cores: int) -> tuple[float, int, int]:
    """Wall seconds of one snakemake run, and (synthesized, reused) chunks over its jobs."""
    shutil.rmtree(workdir / "logs" / "synthesis", ignore_errors=True)
    command = snakemake_command(workdir, workdir / "config" / "config.yaml", cores)
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - start
    if done.returncode:
        sys.exit(done.stderr[-4000:])
    synthesized = reused = 0
    for log in (workdir / "logs" / "synthesis").rglob("*.log"):
        match = SYNTH_LINE.search(log.read_text())
        reused += int(match.group(2))
        synthesized += int(match.group(3))
    return wall, synthesized, reused


def startup(config: dict) -> float:
    """One synthesis job's fixed cost: a fresh process that imports torch and kokoro and loads
    the model, as the synthesis job does before its first chunk."""
    code = (
        "from kokoro_narrate.engine import KokoroEngine, ModelSettings\n"
        f"engine = KokoroEngine(ModelSettings(**{config['model']!r}), device='cpu', threads=2)\n"
        "engine._load()\n"
    )
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights-dir", default=os.environ.get("KOKORO_NARRATE_REALWEIGHTS"))
    parser.add_argument("--paragraphs", type=int, default=20)
    parser.add_argument("--voice", action="append", default=[], help="name or name:lang (2)")
    parser.add_argument("--cores", type=int, default=1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kokoro-narrate-incremental-"))
    if args.weights_dir:
        folder = Path(args.weights_dir).expanduser().resolve()
    else:
        sys.path.insert(0, str(REPO / "tests"))
        from conftest import build_tiny_model

        # Kokoro-82M's generator geometry, as the README's figures were measured with
        folder = build_tiny_model(workdir / "tiny-model", light_generator=False)
    voices = []
    for spec in args.voice or sorted(p.stem for p in (folder / "voices").glob("*.pt"))[:2]:
        name, _, lang = spec.partition(":")
        voices.append({"name": name, "lang": lang or "a"})
    config = {
        "posts": "corpus/*.md",
        "voices": voices,
        "model": model_config(folder),
    }
    (workdir / "config").mkdir()
    (workdir / "corpus").mkdir()
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    post = workdir / "corpus" / "walk.md"
    post.write_text(make_post(args.paragraphs))
    print(f"post: {args.paragraphs} paragraphs + title; voices: {[v['name'] for v in voices]}")
    print(f"build folder: {workdir}; weights: {config['model']['weights']}")

    cold, cold_synth, cold_reused = run(workdir, args.cores)
    middle = args.paragraphs // 2 + 1
    post.write_text(
        post.read_text().replace(f"Stop number {middle} was", f"Stop number {middle} came at")
    )
    edit, edit_synth, edit_reused = run(workdir, args.cores)
    noop, _, _ = run(workdir, args.cores)
    fixed = startup(config)

    n = args.paragraphs + 1  # the title is a paragraph too
    jobs = len(voices)  # one synthesis job per voice reruns, each with its own start-up
    budget = cold * (1 / n + 0.05) + fixed
    print(f"cold build:     {cold:7.1f} s  synthesized {cold_synth}, reused {cold_reused}")
    print(f"one-para edit:  {edit:7.1f} s  synthesized {edit_synth}, reused {edit_reused}")
    print(f"no-op rebuild:  {noop:7.1f} s")
    print(f"start-up of one synthesis job (process, imports, model load): {fixed:.1f} s")
    ratio, net = edit / cold, (edit - fixed) / cold
    print(f"edit / cold = {ratio:.3f}; (edit - start-up) / cold = {net:.3f}")
    print(
        f"target: edit <= cold * (1/{n} + 0.05) + start-up = {budget:.1f} s -> "
        f"{'met' if edit <= budget else 'MISSED'}; no-op <= 3 s -> "
        f"{'met' if noop <= 3 else 'MISSED'}"
    )
    per_job = budget + (jobs - 1) * fixed
    print(
        f"with one start-up per synthesis job that ran ({jobs}): edit <= {per_job:.1f} s -> "
        f"{'met' if edit <= per_job else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
