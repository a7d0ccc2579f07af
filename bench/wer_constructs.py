#!/usr/bin/env python3
"""Is a post written with real blogs' constructs heard as a narrator would read it aloud?

    PYTHONPATH=workflow .venv/bin/python bench/wer_constructs.py \\
        --weights-dir ~/.cache/kokoro-dequant --voice jf_alpha --asr ~/.cache/asr \\
        [--package OTHER_CHECKOUT/workflow]

The post (bench/data/constructs-post.md, our own words) holds what Jekyll, Obsidian, Quarto and
exported posts write: a generated table of contents and its heading, durations as CI logs print
them (4m32s), struck-out corrections, clock-time ranges, a plus-or-minus sign, millions, a kramdown
comment and abbreviation definition, wiki links, a titled callout, a Pandoc citation, MathJax
math, and footnotes written in HTML. The reference (bench/data/constructs-reference.txt) is what a
person reading the page aloud says. The front end of `--package` (the script stage's parse_post,
default this checkout's) makes the post's paragraphs; each is phonemized by the phonemes stage's
American G2P, synthesized with kokoro's KModel (seeded by its index) and joined by the narration
stage; ../shared/asr/wer.py (Whisper base, CPU int8) scores the narration against the reference.
Run it once per checkout: the same voice, seeds and scorer, so the difference is the front end's.
Prints the spoken paragraphs and the word error rate with its substitutions, deletions and
insertions. `--post bench/data/generators-post.md --reference bench/data/generators-reference.txt`
measures the same on what Zola, Eleventy, MkDocs Material and markdown-it plugins write.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import REPO, add_asr_arguments, load_kmodel, word_error_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--post", type=Path, default=REPO / "bench/data/constructs-post.md")
    parser.add_argument(
        "--reference", type=Path, default=REPO / "bench/data/constructs-reference.txt"
    )
    parser.add_argument("--package", type=Path, default=REPO / "workflow", help="its front end")
    add_asr_arguments(parser)
    args = parser.parse_args()
    sys.path.insert(0, str(args.package.resolve()))

    import torch

    from kokoro_narrate import narration, phonemes, script
    from kokoro_narrate.engine import SAMPLE_RATE

    torch.set_num_threads(args.threads)
    out = args.out or Path(tempfile.mkdtemp(prefix="kokoro-narrate-wer-constructs-"))
    out.mkdir(parents=True, exist_ok=True)
    post = script.parse_post(
        args.post.read_bytes(), str(args.post), options=script.ScriptOptions.from_config()
    )
    model = load_kmodel(args.weights_dir)
    pack = torch.load(
        args.weights_dir.expanduser() / "voices" / f"{args.voice}.pt", weights_only=True
    )
    g2p = phonemes.G2P("a")
    pieces = []
    for n, paragraph in enumerate(post.paragraphs):
        print(f"{paragraph.kind:>9}: {paragraph.text}")
        ps, _ = g2p(paragraph.text)
        torch.manual_seed(n)
        with torch.inference_mode():
            audio = model(ps, pack[len(ps) - 1], 1.0).numpy().astype(np.float32)
        pieces.append(narration.Piece(audio, paragraph.id, paragraph.kind, paragraph.pause_before))
    wav = out / "constructs.wav"
    pauses = narration.Pauses.from_config(
        paragraph_ms=800, heading_ms=1000, sentence_ms=500, edge_ms=300
    )
    narration.build_narration(
        pieces, SAMPLE_RATE, pauses, -16.0, -1.5, wav, wav.with_suffix(".json")
    )
    print(f"front end: {args.package}")
    print(word_error_rate(args, wav, args.reference))


if __name__ == "__main__":
    main()
