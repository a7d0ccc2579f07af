#!/usr/bin/env python3
"""Are names said better from the pronouncing dictionary (names.tsv) than by espeak-ng's guess?
The same sentences narrated both ways, each through the offline ASR round trip.

    PYTHONPATH=workflow .venv/bin/python bench/wer_names.py \\
        --weights-dir ~/.cache/kokoro-dequant --voice jf_alpha --asr ~/.cache/asr

The sentences (bench/data/names-sentences.txt, our own words) each hold one or two names that
misaki does not know and names.tsv has: Paul, Motorola, Gutenberg, Schneier. Each is phonemized by
the phonemes stage's American G2P twice, with names.tsv and without it (then espeak-ng guesses the
names, as before names.tsv), synthesized with kokoro's KModel one sentence at a time (the same seed
for both), joined by the narration stage and scored by ../shared/asr/wer.py (Whisper base, CPU
int8): the word error rate, its substitutions, deletions and insertions, per variant. Everything
but the names' phonemes is the same in both, so the difference is the names'.
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
    parser.add_argument("--sentences", type=Path, default=REPO / "bench/data/names-sentences.txt")
    add_asr_arguments(parser)
    args = parser.parse_args()

    import torch

    from kokoro_narrate import narration, phonemes
    from kokoro_narrate.engine import SAMPLE_RATE

    torch.set_num_threads(args.threads)
    out = args.out or Path(tempfile.mkdtemp(prefix="kokoro-narrate-wer-names-"))
    out.mkdir(parents=True, exist_ok=True)
    model = load_kmodel(args.weights_dir)
    voices = args.weights_dir.expanduser() / "voices"
    pack = torch.load(voices / f"{args.voice}.pt", weights_only=True)
    sentences = [s.strip() for s in args.sentences.read_text(encoding="utf-8").splitlines()]
    sentences = [s for s in sentences if s]
    reference = out / "sentences.txt"
    reference.write_text(" ".join(sentences) + "\n", encoding="utf-8")
    with_names = phonemes.G2P("a")
    without = phonemes.G2P("a")
    without.names = {}  # as before names.tsv: espeak-ng guesses every name
    pauses = narration.Pauses.from_config(
        paragraph_ms=800, heading_ms=1000, sentence_ms=500, edge_ms=300
    )
    wavs = []
    for name, g2p in (("dictionary", with_names), ("espeak", without)):
        pieces, guessed = [], 0
        for n, sentence in enumerate(sentences):
            ps, oov = g2p(sentence)
            guessed += len(oov)
            torch.manual_seed(n)
            with torch.inference_mode():
                audio = model(ps, pack[len(ps) - 1], 1.0).numpy().astype(np.float32)
            pieces.append(narration.Piece(audio, f"p{n:04d}", "paragraph", False))
        wav = out / f"{name}.wav"
        narration.build_narration(
            pieces, SAMPLE_RATE, pauses, -16.0, -1.5, wav, wav.with_suffix(".json")
        )
        print(f"{name}: {len(sentences)} sentences, {guessed} words guessed by espeak-ng")
        wavs.append(wav)
    for wav in wavs:
        print(word_error_rate(args, wav, reference))


if __name__ == "__main__":
    main()
