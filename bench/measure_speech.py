"""Measure real Kokoro-82M speech to calibrate trimming, pauses and loudness.

Prints, for a handful of short English sentences synthesized on CPU:
  * leading/trailing silence of each chunk before trimming (at narration.TRIM_THRESHOLD_DB and a
    few other thresholds, so the threshold choice can be checked),
  * the pause Kokoro itself makes at a sentence end inside one chunk,
  * peak-to-loudness ratio (true peak minus integrated loudness) of the speech,
  * words per minute against chunk length in phonemes (chunks built by concatenating sentences).

Usage:
  python bench/measure_speech.py --weights-dir /root/.cache/kokoro-dequant [--voice jf_alpha]
(--weights-dir defaults to $KOKORO_NARRATE_REALWEIGHTS.) About 2-3 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from kokoro_narrate.loudness import measure, normalize
from kokoro_narrate.narration import (
    TRIM_FRAME_S,
    TRIM_THRESHOLD_DB,
    Pauses,
    Piece,
    assemble,
    frame_levels_db,
    speech_bounds,
    trim,
)

SR = 24000

# plain blog-like sentences of varied length and ending
SENTENCES = [
    "The build finished in under a minute.",
    "We moved the cache to a faster disk last week.",
    "Why does the test fail only on Mondays?",
    "It turned out that the clock was wrong.",
    "Small tools are easier to trust than big ones.",
    "Each paragraph becomes one chunk of audio.",
    "The model runs on a laptop without a graphics card.",
    "Reading the logs took longer than fixing the bug.",
    "Nobody noticed the change for three months.",
    "Please keep your comments short and kind.",
    "The second version was slower, but it was correct.",
    "We will come back to this in the next post.",
    "Good defaults matter more than clever options.",
    "Then we wrote it all down.",
    "The pipeline reads a folder of markdown files and writes one audio file per post.",
    "Every step is cached, so a small edit only renders the paragraphs that changed.",
    "This is how the numbers looked after a week of use.",
    "Most of the time went into waiting for the network.",
    "A single flag turned the feature off for everyone.",
    "Later that day, the fix was merged and deployed.",
]


def silence_runs(levels: np.ndarray, threshold_db: float) -> tuple[float, float, float]:
    """Leading silence, trailing silence and the longest inner gap (seconds) at a threshold."""
    loud = np.flatnonzero(levels > threshold_db)
    if loud.size == 0:
        return float("nan"), float("nan"), float("nan")
    lead = loud[0] * TRIM_FRAME_S
    trail = (levels.size - 1 - loud[-1]) * TRIM_FRAME_S
    inner = np.diff(loud).max() - 1 if loud.size > 1 else 0
    return lead, trail, inner * TRIM_FRAME_S


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--weights-dir", default=os.environ.get("KOKORO_NARRATE_REALWEIGHTS"))
    ap.add_argument("--voice", default="jf_alpha")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save", help="optional .npz to keep the synthesized chunks")
    args = ap.parse_args()
    if not args.weights_dir:
        ap.error("--weights-dir (or KOKORO_NARRATE_REALWEIGHTS) is required")
    wdir = Path(args.weights_dir)

    from kokoro import KModel
    from misaki import espeak

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = KModel(
        repo_id="hexgrad/Kokoro-82M",
        config=str(wdir / "config.json"),
        model=str(wdir / "kokoro-82m-dequant.pth"),
    ).eval()
    pack = torch.load(wdir / "voices" / f"{args.voice}.pt", weights_only=True)
    g2p = espeak.EspeakG2P(language="en-us")

    def phonemes(text: str) -> str:
        return g2p(text)[0]

    synth_s = 0.0

    def synth(ps: str) -> np.ndarray:
        nonlocal synth_s
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model(ps, pack[len(ps) - 1], 1.0, return_output=True)
        synth_s += time.perf_counter() - t0
        return out.audio.numpy().astype(np.float32)

    saved: dict[str, np.ndarray] = {}
    thresholds = (-40.0, -50.0, TRIM_THRESHOLD_DB, -70.0)
    thresholds = tuple(sorted(set(thresholds), reverse=True))

    # 1. single sentences: edge silence before trimming
    print(f"# voice {args.voice}, {SR} Hz, frames of {TRIM_FRAME_S * 1000:.0f} ms")
    print("## 1. edge silence per chunk before trimming (ms), at frame-RMS thresholds (dBFS)")
    head = "  ".join(f"lead@{t:g}  trail@{t:g}" for t in thresholds)
    print(f"{'chunk':>5} {'phon':>4} {'dur_ms':>6}  {head}  floor_dBFS  trim_lead trim_trail")
    singles = []
    edges = {t: ([], []) for t in thresholds}
    for i, text in enumerate(SENTENCES[:12]):
        ps = phonemes(text)
        audio = synth(ps)
        saved[f"single{i:02d}"] = audio
        singles.append(audio)
        levels = frame_levels_db(audio, SR)
        cols = []
        for t in thresholds:
            lead, trail, _ = silence_runs(levels, t)
            edges[t][0].append(lead)
            edges[t][1].append(trail)
            cols.append(f"{lead * 1000:9.0f}  {trail * 1000:10.0f}")
        # noise floor: the quietest frames at the edges
        floor = np.median(np.concatenate([levels[:4], levels[-4:]]))
        start, end = trim(audio, SR)
        print(
            f"{i:>5} {len(ps):>4} {audio.size / SR * 1000:6.0f}  {'  '.join(cols)}  "
            f"{floor:10.1f}  {start / SR * 1000:9.0f} {(audio.size - end) / SR * 1000:10.0f}"
        )
    for t in thresholds:
        lead, trail = np.array(edges[t][0]), np.array(edges[t][1])
        print(
            f"  @{t:g} dBFS: lead mean {lead.mean() * 1000:.0f} ms "
            f"(min {lead.min() * 1000:.0f}, max {lead.max() * 1000:.0f}); "
            f"trail mean {trail.mean() * 1000:.0f} ms "
            f"(min {trail.min() * 1000:.0f}, max {trail.max() * 1000:.0f})"
        )

    # 2. sentence pause inside one chunk: two sentences in one call, longest inner gap
    print("\n## 2. natural pause at a sentence end inside one chunk (longest inner gap, ms)")
    gaps = {t: [] for t in thresholds}
    comma_gaps = {t: [] for t in thresholds}
    for i in range(0, 12, 2):
        text = f"{SENTENCES[i]} {SENTENCES[i + 1]}"
        audio = synth(phonemes(text))
        saved[f"pair{i:02d}"] = audio
        levels = frame_levels_db(audio, SR)
        row = []
        for t in thresholds:
            gap = silence_runs(levels, t)[2]
            gaps[t].append(gap)
            row.append(f"@{t:g}: {gap * 1000:4.0f}")
        print(f"  pair {i // 2}: " + "  ".join(row) + f"   | {text}")
    # a comma pause for comparison
    for text in ("After the update, the tests passed again.", "In short, it works."):
        audio = synth(phonemes(text))
        levels = frame_levels_db(audio, SR)
        for t in thresholds:
            comma_gaps[t].append(silence_runs(levels, t)[2])
    for t in thresholds:
        g = np.array(gaps[t]) * 1000
        c = np.array(comma_gaps[t]) * 1000
        print(
            f"  @{t:g} dBFS: sentence gap mean {g.mean():.0f} ms (min {g.min():.0f}, "
            f"max {g.max():.0f}); comma gap mean {c.mean():.0f} ms"
        )

    # 3. peak-to-loudness ratio
    print("\n## 3. peak-to-loudness ratio (true peak - integrated loudness)")
    plrs = []
    for i, audio in enumerate(singles):
        m = measure(audio, SR)
        plrs.append(m.true_peak_dbtp - m.lufs)
        print(
            f"  chunk {i:2d}: {m.lufs:6.1f} LUFS  {m.true_peak_dbtp:5.1f} dBTP  "
            f"sample peak {m.sample_peak_dbfs:5.1f} dBFS  PLR {plrs[-1]:4.1f} dB"
        )
    joined = []
    for audio in singles:
        s, e = trim(audio, SR)
        joined += [audio[s:e], np.zeros(int(0.6 * SR), np.float32)]
    m = measure(np.concatenate(joined), SR)
    print(
        f"  per chunk: mean {np.mean(plrs):.1f} dB (min {np.min(plrs):.1f}, max {np.max(plrs):.1f})"
    )
    print(
        f"  all chunks trimmed and joined with 600 ms pauses: {m.lufs:.1f} LUFS, "
        f"{m.true_peak_dbtp:.1f} dBTP, PLR {m.true_peak_dbtp - m.lufs:.1f} dB"
    )

    # 4. what normalize() does to it
    print("\n## 4. normalize() on the 12 chunks assembled with the default pauses")
    pieces = [Piece(a, f"p{i // 2:04d}", "paragraph") for i, a in enumerate(singles)]
    joined, _ = assemble(pieces, SR, Pauses.from_config())
    t0 = time.perf_counter()
    y = normalize(joined, SR, target_lufs=-16.0, ceiling_dbtp=-1.5)
    took = time.perf_counter() - t0
    loud = np.abs(joined) > 1e-3
    ratio_db = 20 * np.log10(np.abs(y[loud]) / np.abs(joined[loud]))
    gain_db = np.median(ratio_db)
    m = measure(y, SR)
    print(
        f"  assembled + normalize(-16 LUFS, -1.5 dBTP): {m.lufs:.2f} LUFS, "
        f"{m.true_peak_dbtp:.2f} dBTP; make-up gain {gain_db:+.1f} dB, limiter reduction "
        f"max {gain_db - ratio_db.min():.1f} dB, >0.5 dB on "
        f"{np.mean(ratio_db < gain_db - 0.5) * 100:.2f}% of speech samples; "
        f"{took:.2f} s for {joined.size / SR:.0f} s of audio"
    )

    # 5. words per minute vs chunk length
    print("\n## 5. speaking rate vs chunk length (chunks made by concatenating sentences)")
    print(
        f"  {'target':>6} {'phon':>4} {'sent':>4} {'words':>5} {'speech_s':>8} {'wpm':>5} "
        f"{'phon/s':>6} {'pauses_s':>8} {'wpm_no_pauses':>13}"
    )
    print(
        "  (speech_s: first to last sample of speech, inner pauses included; pauses_s: inner "
        "silences of 150 ms or more at the trim threshold, taken out for wpm_no_pauses)"
    )
    order = SENTENCES[1:] + SENTENCES[:1]
    for target in (50, 100, 200, 300, 400, 500):
        # add sentences while that brings the phoneme count closer to the target
        text, ps, k = "", "", 0
        while k < len(order):
            cand = (text + " " + order[k]).strip()
            cand_ps = phonemes(cand)
            if len(cand_ps) > 508:  # model window: 510 tokens including the two pads
                break
            if ps and abs(len(cand_ps) - target) >= abs(len(ps) - target):
                break
            text, ps, k = cand, cand_ps, k + 1
        audio = synth(ps)
        saved[f"len{target}"] = audio
        s, e = speech_bounds(audio, SR)
        speech_s = (e - s) / SR
        words = len(text.split())
        quiet = frame_levels_db(audio[s:e], SR) <= TRIM_THRESHOLD_DB
        # lengths of runs of quiet frames
        edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(int), [0]])))
        runs = edges[1::2] - edges[::2]
        pauses_s = runs[runs * TRIM_FRAME_S >= 0.150].sum() * TRIM_FRAME_S
        print(
            f"  {target:>6} {len(ps):>4} {k:>4} {words:>5} {speech_s:8.2f} "
            f"{words / speech_s * 60:5.0f} {len(ps) / speech_s:6.1f} {pauses_s:8.2f} "
            f"{words / (speech_s - pauses_s) * 60:13.0f}"
        )

    total = sum(a.size for a in saved.values()) / SR
    print(f"\n# synthesized {total:.0f} s of audio in {synth_s:.0f} s (RTF {synth_s / total:.2f})")
    if args.save:
        np.savez(args.save, **saved)


if __name__ == "__main__":
    main()
