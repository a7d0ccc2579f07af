#!/usr/bin/env python3
"""A full-size Kokoro-82M with random weights: the same work as the real model, no download.

    python bench/gpu_model.py OUT_DIR [--check CHUNKS.json]

Writes OUT_DIR/config.json (Kokoro-82M v1.0's hyper-parameters, as in hexgrad/Kokoro-82M's
config.json and ../shared/realweights/convert.py, with the vocabulary of tests/data), OUT_DIR/
kokoro-random.pth (327 MB) and OUT_DIR/voices/<name>.pt ([510, 1, 256] * 0.2). The weights are
KModel's own random initialisation after torch.manual_seed(seed), as tests/conftest.py builds its
tiny model; the duration head's bias is set so a token lasts FRAMES_PER_TOKEN frames on average,
so the decoder and generator do as much work per phoneme as the real model. For a machine that
cannot receive the real 327 MB of weights (the GPU machine).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FRAMES_PER_TOKEN = 2.49  # the brief's figure for real Kokoro speech
# The duration head keeps its random weights (durations vary token to token, as real ones do); its
# bias is set for FRAMES_PER_TOKEN frames a token before rounding, then shifted so that the
# rounded durations average FRAMES_PER_TOKEN: -0.077 gave 2.490 over every third chunk of
# bench/data/corpus-chunks.json (voice af_heart, speed 1); `--check` prints it for all chunks.
# On the GPU machine (torch 2.11, transformers 5.17: another random initialisation of ALBERT) and
# with four voices, bench/batched.py counted 2.60 frames a token over the same chunks.
DURATION_BIAS_SHIFT = -0.077
VOICES = ("af_heart", "af_sky", "bm_george", "ef_dora")

CONFIG = {
    "istftnet": {
        "upsample_kernel_sizes": [20, 12],
        "upsample_rates": [10, 6],
        "gen_istft_hop_size": 5,
        "gen_istft_n_fft": 20,
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11],
        "upsample_initial_channel": 512,
    },
    "dim_in": 64,
    "dropout": 0.2,
    "hidden_dim": 512,
    "max_conv_dim": 512,
    "max_dur": 50,
    "multispeaker": True,
    "n_layer": 3,
    "n_mels": 80,
    "n_token": 178,
    "style_dim": 128,
    "text_encoder_kernel_size": 5,
    "plbert": {
        "hidden_size": 768,
        "num_attention_heads": 12,
        "intermediate_size": 2048,
        "max_position_embeddings": 512,
        "num_hidden_layers": 12,
        "dropout": 0.1,
    },
}


def build(folder: Path, seed: int = 0, kmodel=None) -> Path:
    import torch

    if kmodel is None:
        from kokoro import KModel as kmodel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = json.loads((REPO / "tests" / "data" / "tiny-kokoro-config.json").read_text("utf-8"))
    config = dict(CONFIG, vocab=vocab["vocab"])
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    empty = folder / "empty.pth"
    torch.save({}, empty)
    torch.manual_seed(seed)
    model = kmodel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    empty.unlink()
    with torch.no_grad():
        proj = model.predictor.duration_proj.linear_layer
        # duration = sum over max_dur bins of sigmoid(logit): FRAMES_PER_TOKEN at the bias alone
        p = FRAMES_PER_TOKEN / proj.out_features
        proj.bias.fill_(math.log(p / (1 - p)) + DURATION_BIAS_SHIFT)
    state = {
        name: getattr(model, name).state_dict()
        for name in ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
    }
    torch.save(state, folder / "kokoro-random.pth")
    (folder / "voices").mkdir(exist_ok=True)
    for n, name in enumerate(VOICES):
        gen = torch.Generator().manual_seed(seed + n)
        pack = torch.randn((510, 1, 256), generator=gen) * 0.2
        torch.save(pack, folder / "voices" / f"{name}.pt")
    return folder


def check(folder: Path, chunks_path: Path, kmodel) -> float:
    """Mean rounded frames a token over the chunk file, through the durations alone."""
    import torch

    sys.path.insert(0, str(REPO / "workflow"))
    from kokoro_narrate.batched import BatchedKokoro, Item, bucket

    model = kmodel(
        repo_id="hexgrad/Kokoro-82M",
        config=str(folder / "config.json"),
        model=str(folder / "kokoro-random.pth"),
    ).eval()
    pack = torch.load(folder / "voices" / f"{VOICES[0]}.pt", weights_only=True)
    chunks = json.loads(chunks_path.read_text(encoding="utf-8"))
    batched = BatchedKokoro(model, max_frames=2)  # one row a batch: no dummy rows on the CPU
    frames = tokens = 0
    with torch.inference_mode():
        for n, chunk in enumerate(chunks):
            ps = chunk["phonemes"]
            ids = [0, *[model.vocab[p] for p in ps if p in model.vocab], 0]
            item = Item(ps, pack[len(ps) - 1], 1.0, n)
            size = bucket(len(ids), 16, model.context_length)
            (out,) = batched._stage1([ids], [item], [0], size)
            frames += int(out.pred_dur.sum())
            tokens += len(out.pred_dur)
    print(f"{len(chunks)} chunks, {tokens} tokens, {frames} frames: {frames / tokens:.3f} a token")
    return frames / tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", type=Path, help="a chunk file: print frames a token")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    from batched import import_kokoro

    kmodel = import_kokoro()
    build(args.out, args.seed, kmodel)
    print(f"full-size random Kokoro in {args.out}")
    if args.check:
        check(args.out, args.check, kmodel)


if __name__ == "__main__":
    main()
