"""Speed of the narration stage on real Kokoro-82M speech, and how its output compares with main's.

The narration stage is trim, join, loudness normalization (gain plus true-peak limiter), WAV write
and the final measurement: `narration.build_narration`. This script

  1. synthesizes the chunks of corpus/long-essay.md once, the way the pipeline does (parse_post,
     American English G2P with the packaged lexicon, 300-phoneme chunks, voice jf_alpha, kokoro's
     KModel on the CPU through engine.KokoroEngine, each chunk seeded from its cache key), in a
     subprocess, and keeps them in a scratch folder (--scratch); later runs only read them;
  2. times build_narration on those pieces, best of --repeats, in this process, which never
     imports torch (set OMP_NUM_THREADS=1 for one core; the script sets it when unset);
  3. times the same stage as main had it at commit BASELINE (its narration.py and loudness.py,
     read with `git show` into a throwaway package), best of --baseline-repeats;
  4. prints audio minutes, seconds per narration (wall and CPU), times real time per core, the
     LUFS and true peak of both WAVs (pyloudnorm's meter and resample_poly over the whole file,
     ffmpeg's ebur128 filter when ffmpeg is installed, and what the timing JSON reports) and the
     largest sample difference between them.

Usage (the first run synthesizes for several minutes; later ones take about a minute):
  OMP_NUM_THREADS=1 python bench/narration_speed.py --weights-dir ~/.cache/kokoro-dequant
(--weights-dir defaults to $KOKORO_NARRATE_REALWEIGHTS.)
"""

from __future__ import annotations

import os

# one core, as a narration job gets; set before numpy loads its BLAS
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pyloudnorm  # noqa: E402
import soundfile as sf  # noqa: E402
from scipy.signal import resample_poly  # noqa: E402

from kokoro_narrate import narration  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
POST = REPO / "corpus" / "long-essay.md"
BASELINE = "3cd9153"  # main before the narration-speed branch
VOICE = "jf_alpha"
LANG = "a"  # American English G2P, as the pipeline gives an English voice
TARGET_PHONEMES = 300  # the config schema's chunking.target_phonemes default
SR = 24000
TARGET_LUFS, CEILING_DBTP = -16.0, -1.5  # config/config.yaml's loudness


def chunks_of_post():
    """The long essay's chunks, exactly as the script and phonemes stages make them."""
    from kokoro_narrate import phonemes, script

    post = script.parse_post(POST.read_bytes(), str(POST), lang="en")
    g2p = phonemes.G2P(LANG, phonemes.load_lexicon(REPO / "config" / "lexicon.yaml"))
    return phonemes.phonemize_script([vars(p) for p in post.paragraphs], g2p, TARGET_PHONEMES)


def scratch_folder(root: Path, weights_dir: Path, chunks) -> Path:
    """One folder per (weights, voice, chunk text): a changed post or model never reuses audio."""
    from kokoro_narrate.digests import file_digest

    (weights,) = weights_dir.glob("*.pth")
    parts = [
        file_digest(str(weights)),
        file_digest(str(weights_dir / "voices" / f"{VOICE}.pt")),
        [c.phonemes for c in chunks],
    ]
    return root / hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def prepare(weights_dir: Path, scratch: Path, threads: int) -> Path:
    """Run in a subprocess (G2P and the model import torch): the folder holding the post's
    chunks, synthesized first if it is not there yet, through the pipeline's engine."""
    from kokoro_narrate.cache import chunk_key
    from kokoro_narrate.engine import KokoroEngine, ModelSettings, Request, locate_voice
    from kokoro_narrate.synthesis import seed_from_key
    from kokoro_narrate.voices import Voice, load_pack, voice_digest

    chunks = chunks_of_post()
    folder = scratch_folder(scratch, weights_dir, chunks)
    if (folder / "audio.npz").is_file():
        return folder
    print(f"# synthesizing {POST.name} into {folder} (once; several minutes)", file=sys.stderr)
    (weights,) = weights_dir.glob("*.pth")
    model = ModelSettings(
        weights=str(weights),
        config=str(weights_dir / "config.json"),
        voices_dir=str(weights_dir / "voices"),
    )
    engine = KokoroEngine(model, device="cpu", threads=threads)
    voice = Voice(VOICE, LANG, ((VOICE, 1.0),))
    locate = lambda name: locate_voice(model, name)  # noqa: E731
    pack, digest = load_pack(voice, locate), voice_digest(voice, locate)
    audio, start = {}, time.perf_counter()
    for i, chunk in enumerate(chunks):
        key = chunk_key(chunk.phonemes, digest, 1.0, engine.identity)
        (entry,) = engine.synthesize_many([Request(chunk.phonemes, pack, 1.0, seed_from_key(key))])
        audio[f"c{i:04d}"] = entry.audio
        print(
            f"  chunk {i + 1}/{len(chunks)}: {entry.audio.size / SR:.1f} s of audio "
            f"({time.perf_counter() - start:.0f} s so far)",
            file=sys.stderr,
            flush=True,
        )
    folder.mkdir(parents=True, exist_ok=True)
    meta = [
        {"paragraph": c.paragraph, "kind": c.kind, "pause_before": c.pause_before} for c in chunks
    ]
    tmp = folder / ".audio.npz"
    np.savez(tmp, **audio)
    (folder / "pieces.json").write_text(json.dumps(meta, indent=1))
    os.replace(tmp, folder / "audio.npz")
    return folder


def load_pieces(folder: Path) -> list[narration.Piece]:
    meta = json.loads((folder / "pieces.json").read_text())
    with np.load(folder / "audio.npz") as audio:
        return [
            narration.Piece(audio[f"c{i:04d}"], m["paragraph"], m["kind"], m["pause_before"])
            for i, m in enumerate(meta)
        ]


def baseline_narration(workdir: Path):
    """main's narration module at BASELINE (with its loudness module), imported under another
    package name so it sits beside the current one."""
    package = workdir / f"kokoro_narrate_{BASELINE}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("narration.py", "loudness.py"):
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{BASELINE}:workflow/kokoro_narrate/{name}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / name).write_text(source)
    sys.path.insert(0, str(workdir))
    return importlib.import_module(f"{package.name}.narration")


def best_of(repeats: int, build, pieces, wav: Path, timing: Path):
    """(best wall seconds, best CPU seconds of this process, the last result, whether every
    repeat wrote the same WAV bytes) over `repeats`."""
    walls, cpus, digests = [], [], set()
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        info = build(pieces, SR, narration.Pauses(), TARGET_LUFS, CEILING_DBTP, wav, timing)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        digests.add(hashlib.sha256(wav.read_bytes()).hexdigest())
    return min(walls), min(cpus), info, len(digests) == 1


def ffmpeg_loudness(wav: Path) -> str:
    """ffmpeg's readings: the ebur128 filter's integrated loudness and true peak (from its
    metadata, which has three decimals where its summary has one; it measures at the file's rate)
    and the loudnorm filter's analysis (which measures at 192 kHz)."""
    if not shutil.which("ffmpeg"):
        return "ffmpeg not installed"

    def run(chain: str) -> str:
        command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(wav), "-af", chain]
        return subprocess.run(
            [*command, "-f", "null", "-"], capture_output=True, text=True, check=True
        ).stderr

    log = run("ebur128=peak=true:metadata=1,ametadata=print:key=lavfi.r128.I")
    lufs = float(re.findall(r"lavfi\.r128\.I=(-?[\d.]+)", log)[-1])
    log = run("ebur128=peak=true:metadata=1,ametadata=print:key=lavfi.r128.true_peaks_ch0")
    peak = max(float(v) for v in re.findall(r"true_peaks_ch0=([\d.]+)", log))
    log = run("loudnorm=print_format=json")
    analysis = json.loads(log[log.rindex("{") : log.rindex("}") + 1])
    return (
        f"ffmpeg ebur128 {lufs:.3f} LUFS, {20 * np.log10(peak):.2f} dBTP; ffmpeg loudnorm "
        f"{analysis['input_i']} LUFS, {analysis['input_tp']} dBTP"
    )


def reference_loudness(wav: Path) -> tuple[float, float]:
    """(LUFS, dBTP) of a WAV by the plain definitions: pyloudnorm's meter, and the absolute
    maximum of resample_poly over the whole signal (independent of loudness.py's shortcuts)."""
    audio, sr = sf.read(str(wav), dtype="float64")
    lufs = pyloudnorm.Meter(sr).integrated_loudness(audio)
    x32 = audio.astype(np.float32)
    peak = max(np.abs(resample_poly(x32, 4, 1)).max(), np.abs(x32).max())
    return lufs, 20 * np.log10(peak)


def describe(name, wav: Path, minutes, repeats, wall, cpu, info, same) -> None:
    lufs, peak = reference_loudness(wav)
    print(
        f"{name:>9}: {wall:6.2f} s per narration ({minutes * 60 / wall:4.0f}x real time), "
        f"CPU {cpu:5.2f} s ({minutes * 60 / cpu:4.0f}x real time per core); best of {repeats}; "
        f"same bytes every time: {same}\n"
        f"{'':>11}pyloudnorm {lufs:.3f} LUFS, true peak {peak:.3f} dBTP (resample_poly); "
        f"timing JSON {info['lufs']} LUFS, {info['true_peak_dbtp']} dBTP\n"
        f"{'':>11}{ffmpeg_loudness(wav)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--weights-dir", default=os.environ.get("KOKORO_NARRATE_REALWEIGHTS"))
    ap.add_argument(
        "--scratch",
        type=Path,
        default=Path.home() / ".cache" / "kokoro-narrate-bench",
        help="where the synthesized chunks are kept (outside the repo)",
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline-repeats", type=int, default=3)
    ap.add_argument("--synth-threads", type=int, default=2)
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)  # the subprocess
    args = ap.parse_args()
    if not args.weights_dir:
        ap.error("--weights-dir (or KOKORO_NARRATE_REALWEIGHTS) is required")
    weights_dir = Path(args.weights_dir).expanduser()
    if args.prepare:
        print(prepare(weights_dir, args.scratch, args.synth_threads))
        return

    run = subprocess.run(
        [
            sys.executable,
            __file__,
            "--weights-dir",
            str(weights_dir),
            "--scratch",
            str(args.scratch),
            "--synth-threads",
            str(args.synth_threads),
            "--prepare",
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": str(args.synth_threads)},
    )
    folder = Path(run.stdout.strip().splitlines()[-1])
    pieces = load_pieces(folder)
    assert "torch" not in sys.modules, "torch must stay out of the timed process"

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        new_wav, old_wav = tmp / "new.wav", tmp / "old.wav"
        new = best_of(args.repeats, narration.build_narration, pieces, new_wav, tmp / "new.json")
        old_module = baseline_narration(tmp)
        old = best_of(
            args.baseline_repeats, old_module.build_narration, pieces, old_wav, tmp / "old.json"
        )
        minutes = new[2]["duration_s"] / 60
        print(
            f"# {POST.name}: {len(pieces)} chunks, voice {VOICE}, {minutes:.2f} min of audio; "
            f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
        )
        describe("this tree", new_wav, minutes, args.repeats, *new)
        describe(BASELINE, old_wav, minutes, args.baseline_repeats, *old)
        a = sf.read(str(new_wav), dtype="int16")[0].astype(np.int32)
        b = sf.read(str(old_wav), dtype="int16")[0].astype(np.int32)
        if a.size != b.size:
            print(f"  the WAVs differ in length: {a.size} and {b.size} samples")
        else:
            diff = np.abs(a - b)
            print(
                f"  largest sample difference: {diff.max()} LSB ({diff.max() / 32768:.2e} of full "
                f"scale, {20 * np.log10(max(diff.max(), 1e-9) / 32768):.1f} dBFS); "
                f"{np.mean(diff > 0) * 100:.2f}% of samples differ; "
                f"timing JSON identical: {new[2]['pieces'] == old[2]['pieces']}"
            )


if __name__ == "__main__":
    main()
