#!/usr/bin/env python3
"""What planning the prefill's waves costs on a big blog, the model left out.

    PYTHONPATH=workflow python bench/prefill_plan.py --posts 1000 --voices 5 --waves 5

Generates N posts (front matter and a line each), their phoneme files (--chunks per post, each
about 300 phonemes, the chunker's target, so a file is about the size of a real post's) for the
languages of the voices, and the config, in a temporary folder. Then runs the synthesis job's own
prefill (`synthesis.prefill` over `synthesis.build_work`, the plan loaded from the config before
each wave, as the rule script does) with an engine that makes each chunk instantly (a tenth of a
second of silence): what is left of a wave's time is planning it (reading the build, looking
chunks up in the cache, choosing the wave). Stops after --waves waves, a real build goes on until
every chunk is made: a thousand posts in 5 voices at the default 512 chunks a wave is about 300
waves. Prints the narrations and chunks, the seconds from the start to the first wave (the first
reading of the build), each later wave's planning seconds, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import REPO

sys.path.insert(0, str(REPO / "workflow"))
from kokoro_narrate import settings, synthesis  # noqa: E402
from kokoro_narrate.cache import ChunkCache, Entry  # noqa: E402
from kokoro_narrate.phonemes import Chunk, write_chunks  # noqa: E402

VOICES = ["af_heart", "af_sky", "am_adam", "bf_emma", "bm_george", "af_bella", "am_michael"]
SYMBOLS = "abdefhijklmnopstuvwzæðŋɐɑɔəɛɜɪɹʃʊʌʒθˈˌː "


class Done(Exception):
    """--waves waves have been planned."""


class InstantEngine:
    """The engine interface with no model: each chunk is a tenth of a second of silence."""

    sample_rate = 24000
    identity = "bench-prefill-plan"

    def load(self) -> None:
        pass

    def waiting(self) -> set[str]:
        return set()

    def exclusive(self, wanted=(), made=None):
        return contextlib.nullcontext(True)

    def synthesize_many(self, requests):
        return [Entry(np.zeros(2400, np.float32), [1] * len(r.phonemes)) for r in requests]

    def synthesize_each(self, requests):
        yield from enumerate(self.synthesize_many(requests))


def make_blog(root: Path, posts: int, voices: list[str], chunks: int, seed: int = 7) -> dict:
    import torch

    rng = random.Random(seed)
    (root / "corpus").mkdir()
    (root / "voices").mkdir()
    for n, name in enumerate(voices):  # a voice's style tensor, distinct per voice
        torch.save(torch.full((510, 1, 256), float(n)), root / "voices" / f"{name}.pt")
    (root / "model.pth").write_bytes(b"weights")
    (root / "config.json").write_text("{}")
    for lang in sorted({name[0] for name in voices}):
        (root / "results" / "phonemes" / lang).mkdir(parents=True)
    for n in range(posts):
        post = f"post-{n:05d}"
        (root / "corpus" / f"{post}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2026-01-01\n---\n\nParagraph {n}, with words.\n"
        )
        for lang in sorted({name[0] for name in voices}):
            made = []
            for k in range(chunks):
                phonemes = "".join(rng.choice(SYMBOLS) for _ in range(300))
                text = " ".join("word" for _ in range(45))
                spans = [[5 * w, 5 * w + 4, 7 * w, 7 * w + 6] for w in range(45)]
                made.append(
                    Chunk(f"p{k:03d}", 0, 1, "paragraph", text, phonemes, 45, [], False, spans)
                )
            write_chunks(made, root / "results" / "phonemes" / lang / f"{post}.jsonl")
    return {
        "posts": "corpus/*.md",
        "voices": voices,
        "model": {
            "weights": str(root / "model.pth"),
            "config": str(root / "config.json"),
            "voices_dir": str(root / "voices"),
        },
        "cache_dir": str(root / "cache"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--voices", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=31, help="per post (the 10-hour blog's)")
    parser.add_argument("--wave-chunks", type=int, default=512)
    parser.add_argument("--waves", type=int, default=5)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="kokoro-narrate-plan-")  # removed at exit
    root = Path(scratch.name)
    config = make_blog(root, args.posts, VOICES[: args.voices], args.chunks)
    os.chdir(root)
    memo = root / ".snakemake" / "kokoro-narrate"
    model = config["model"]

    def build():  # what workflow/scripts/synthesis.py gives the prefill
        plan = settings.load(config, memo_dir=memo)
        path = lambda post, lang: f"results/phonemes/{lang}/{post}.jsonl"  # noqa: E731
        return synthesis.build_work(plan, path, synthesis.voice_work_for(model, plan.voices, memo))

    waves, filled = [], synthesis.fill
    clock = {"planned": time.perf_counter()}

    def timed_fill(wanted, engine, cache):
        waves.append(time.perf_counter() - clock["planned"])
        if len(waves) > args.waves:
            raise Done
        filled(wanted, engine, cache)
        clock["planned"] = time.perf_counter()

    synthesis.fill = timed_fill
    narrations = args.posts * args.voices
    print(
        f"posts {args.posts}, voices {args.voices}: {narrations} narrations, "
        f"{narrations * args.chunks} chunks, waves of {args.wave_chunks}"
    )
    with contextlib.suppress(Done):
        synthesis.prefill(build, InstantEngine(), ChunkCache(config["cache_dir"]), args.wave_chunks)
    print(f"to the first wave (the first reading of the build): {waves[0]:.2f} s")
    later = waves[1 : args.waves + 1]
    print(
        f"planning each later wave: {', '.join(f'{s:.2f}' for s in later)} s "
        f"(mean {sum(later) / max(len(later), 1):.2f} s)"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
