#!/usr/bin/env python3
"""The plain notebook loop the pipeline is measured against: one process, the model loaded once,
every paragraph of every post through Kokoro one at a time.

    python bench/loop.py WORKDIR --voice af_heart --threads 1 [--device cuda] [--text]

WORKDIR is a build folder of bench/throughput.py (its config and results). With --text the loop
is the notebook's own: kokoro's KPipeline (misaki G2P and kokoro's own chunking) over the text of
every paragraph of results/scripts/*.jsonl. Without it (for a machine without misaki, such as the
GPU machine) it is KModel over the pipeline's phoneme chunks (results/phonemes/...): the same
model work without G2P. Prints the seconds of audio it made; time the whole process from outside
(bench/throughput.py does), imports and model load included, as a user would.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "workflow"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--voice", default="af_heart")
    parser.add_argument("--lang", default="a", help="Kokoro language code of the voice")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--text", action="store_true", help="KPipeline over the scripts' text")
    parser.add_argument("--seconds", type=float, help="stop after this long (a rate is enough)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if args.text:
        from kokoro import KModel, KPipeline
    else:
        sys.path.insert(0, str(REPO / "bench"))
        from batched import import_kokoro  # kokoro with misaki stand-ins where it is absent

        KModel = import_kokoro()  # noqa: N806
    config = yaml.safe_load((args.workdir / "config" / "config.yaml").read_text())
    # paths in the config are relative to the build folder
    model_files = {k: str(args.workdir / v) for k, v in config["model"].items() if v}
    model = KModel(
        repo_id="hexgrad/Kokoro-82M", config=model_files["config"], model=model_files["weights"]
    )
    model = model.to(args.device).eval()
    voice_path = str(Path(model_files["voices_dir"]) / f"{args.voice}.pt")
    made = 0.0
    start = time.monotonic()
    if args.text:
        from kokoro_narrate import phonemes

        g2p = phonemes.G2P(args.lang)._g2p  # misaki's en.G2P, built without a spaCy download
        import misaki.en

        # KPipeline builds its own en.G2P (and would download spaCy's model): hand it ours, for
        # the construction only, since en.G2P's own methods look the class up by that name
        en_g2p, misaki.en.G2P = misaki.en.G2P, lambda **_: g2p
        try:
            pipeline = KPipeline(lang_code=args.lang, repo_id="hexgrad/Kokoro-82M", model=model)
        finally:
            misaki.en.G2P = en_g2p
        for script in sorted((args.workdir / "results" / "scripts").glob("*.jsonl")):
            for line in script.read_text(encoding="utf-8").splitlines():
                text = json.loads(line)["text"]
                for result in pipeline(text, voice=voice_path):
                    if result.audio is not None:
                        made += len(result.audio) / 24000
            if args.seconds and time.monotonic() - start > args.seconds:
                break
    else:
        pack = torch.load(voice_path, weights_only=True).to(args.device)
        folder = args.workdir / "results" / "phonemes" / args.lang
        for path in sorted(folder.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                ps = json.loads(line)["phonemes"]
                with torch.inference_mode():
                    audio = model(ps, pack[len(ps) - 1], 1.0)
                made += len(audio) / 24000
                if args.seconds and time.monotonic() - start > args.seconds:
                    break
            if args.seconds and time.monotonic() - start > args.seconds:
                break
    synth = time.monotonic() - start
    print(f"loop: {made:.1f} s of audio in {synth:.1f} s after start-up")
    print(f"audio_s {made:.3f} synth_s {synth:.3f}")


if __name__ == "__main__":
    main()
