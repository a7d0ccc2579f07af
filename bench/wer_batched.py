#!/usr/bin/env python3
"""Does batching keep the sound? The same posts narrated with kokoro's KModel one chunk at a time
and with the batched forward, each through the offline ASR round trip.

    python bench/wer_batched.py --weights-dir ~/.cache/kokoro-dequant --voice jf_alpha \\
        --asr ~/.cache/asr corpus/short-note.md corpus/medium-guide.md

Both engines run on the CPU here (real weights cannot reach the GPU machine): the batched forward
is the same code the GPU runs, with other kernels. For each post it writes the two narrations
(the pipeline's own narration stage) into a scratch folder, prints the largest sample difference
between the engines' chunks, and the word error rate of each narration from ../shared/asr/wer.py
(Whisper base, CPU int8), with its substitutions, deletions and insertions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import REPO, add_asr_arguments, load_kmodel, word_error_rate

sys.path.insert(0, str(REPO / "workflow"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("posts", nargs="+", type=Path)
    add_asr_arguments(parser)
    args = parser.parse_args()

    import torch

    from kokoro_narrate import narration, phonemes, script
    from kokoro_narrate.batched import BatchedKokoro
    from kokoro_narrate.cache import chunk_key
    from kokoro_narrate.engine import SAMPLE_RATE
    from kokoro_narrate.synthesis import seed_from_key

    torch.set_num_threads(args.threads)
    out = args.out or Path(tempfile.mkdtemp(prefix="kokoro-narrate-wer-"))
    out.mkdir(parents=True, exist_ok=True)
    model = load_kmodel(args.weights_dir)
    batched = BatchedKokoro(model)
    pack = torch.load(args.weights_dir / "voices" / f"{args.voice}.pt", weights_only=True)
    g2p = phonemes.G2P("a")
    pauses = narration.Pauses.from_config(
        paragraph_ms=800, heading_ms=1000, sentence_ms=500, edge_ms=300
    )
    wavs = []
    for post_path in args.posts:
        post = script.parse_post(post_path.read_bytes(), str(post_path))
        script.write_script(post.paragraphs, out / f"{post_path.stem}.jsonl")
        chunks = phonemes.phonemize_script([vars(p) for p in post.paragraphs], g2p, 300)
        seeds = [seed_from_key(chunk_key(c.phonemes, args.voice, 1.0, "wer")) for c in chunks]
        single = []
        for chunk, seed in zip(chunks, seeds, strict=True):
            torch.manual_seed(seed)
            with torch.inference_mode():
                ps = chunk.phonemes
                single.append(model(ps, pack[len(ps) - 1], 1.0).numpy().astype(np.float32))
        items = [
            (c.phonemes, pack[len(c.phonemes) - 1], 1.0, s)
            for c, s in zip(chunks, seeds, strict=True)
        ]
        many = [e.audio for e in batched.synthesize(items)]
        worst = max(
            float(np.abs(a - b).max()) if len(a) == len(b) else float("inf")
            for a, b in zip(single, many, strict=True)
        )
        print(f"{post_path.stem}: {len(chunks)} chunks, largest sample difference {worst:.4g}")
        for name, audio in (("single", single), ("batched", many)):
            pieces = [
                narration.Piece(a, c.paragraph, c.kind, c.pause_before)
                for a, c in zip(audio, chunks, strict=True)
            ]
            wav = out / f"{name}_{post_path.stem}.wav"
            narration.build_narration(
                pieces, SAMPLE_RATE, pauses, -16.0, -1.5, wav, wav.with_suffix(".json")
            )
            wavs.append((wav, out / f"{post_path.stem}.jsonl"))
    for wav, script_path in wavs:
        print(word_error_rate(args, wav, script_path))


if __name__ == "__main__":
    main()
