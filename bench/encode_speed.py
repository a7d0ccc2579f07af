#!/usr/bin/env python3
"""What a web encode costs, per codec, on narrations of real speech; and the two Opus writers.

    PYTHONPATH=workflow .venv/bin/python bench/encode_speed.py results/narrations/*/*.wav

For each narration WAV (a master the narration stage wrote), it prints:
- the encode stage's own work (`kokoro_narrate.encode.encode`, MP3 and Opus at the config's
  default bitrates): seconds, times real time, tries, the headroom it ended at and the true peak;
  the Opus stage twice, with its writer (libopus through PyAV) and with libsndfile's in its place
  (soundfile's wheels carry libopus; the stage's writer before PyAV);
- the two Opus writers alone on the same 48 kHz copy of the master: seconds, bytes, and the
  log-spectral distance of each decode to the master (bench/cpu_engines.py's measure, at
  Kokoro's 24 kHz).

Every figure is the best of --repeat runs, one process, one encode at a time: on a build's
machine the encodes run side by side, one per core.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import soundfile as sf
import yaml
from common import REPO
from cpu_engines import log_spectral_distance
from scipy.signal import resample_poly

sys.path.insert(0, str(REPO / "workflow"))
from kokoro_narrate import defaults, encode  # noqa: E402


def best_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def libsndfile_opus(path: Path, audio: np.ndarray, sr: int, kbps: int) -> None:
    """encode.write_opus's stream written by libsndfile: its Opus is VBR, and it turns a
    compression level c into int((1 - c) * 250000 + 6000) bits per second (src/ogg_opus.c)."""
    level = 1.0 - (kbps * 1000 - 6000 + 0.5) / 250000
    sf.write(
        str(path),
        audio.astype(np.float32),
        sr,
        format="OGG",
        subtype="OPUS",
        compression_level=level,
    )


def distance_to_master(path: Path, master: np.ndarray, sr: int) -> float:
    """Mean log-spectral distance (dB) of the file's decode, brought back to the master's rate."""
    decoded, decoded_sr = sf.read(str(path), dtype="float64")
    gcd = math.gcd(sr, decoded_sr)
    back = resample_poly(decoded, sr // gcd, decoded_sr // gcd)
    return float(log_spectral_distance(master, back).mean())


def encode_stage(wav: Path, out: Path, codec: str, kbps: int, loudness: dict, repeat: int):
    """The stage's best time over `repeat` runs, and what it measured."""
    measured = {}

    def run():
        measured.update(
            encode.encode(
                wav,
                out,
                codec,
                kbps,
                target_lufs=loudness["target_lufs"],
                ceiling_dbtp=loudness["true_peak_dbtp"],
                tags=encode.Tags("Benchmark"),
            )
        )

    return best_time(run, repeat), measured


def main() -> None:
    import av

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wavs", nargs="+", type=Path, help="narration WAVs")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    config = defaults.with_defaults(yaml.safe_load((REPO / "config/config.yaml").read_text()))
    loudness = config["loudness"]
    kbps = {"mp3": config["encode"]["mp3_kbps"], "opus": config["encode"]["opus_kbps"]}
    out = Path(tempfile.mkdtemp(prefix="kokoro-narrate-encode-"))
    libavcodec = ".".join(map(str, av.library_versions["libavcodec"]))
    print(
        f"soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__}), "
        f"PyAV {av.__version__} (libavcodec {libavcodec})"
    )
    audio, stages, writers = 0.0, {}, {}
    for wav in args.wavs:
        master, sr = sf.read(str(wav), dtype="float64")
        seconds = len(master) / sr
        audio += seconds
        print(f"\n{wav} ({seconds:.1f} s)")
        for codec, writer in (("mp3", None), ("opus", None), ("opus", libsndfile_opus)):
            name = codec if writer is None else f"{codec} (libsndfile)"
            with mock.patch.object(encode, "write_opus", writer or encode.write_opus):
                took, measured = encode_stage(
                    wav, out / f"{wav.stem}.{codec}", codec, kbps[codec], loudness, args.repeat
                )
            stages[name] = stages.get(name, 0.0) + took
            print(
                f"  encode {name:<17} {took:6.2f} s  {seconds / took:6.1f}x real time  tries "
                f"{measured['tries']}  headroom {measured['headroom_db']:.2f} dB  true peak "
                f"{measured['true_peak_dbtp']:+.2f} dBTP"
            )
        copy = resample_poly(master, 2, 1).astype(np.float32)  # Opus's 48 kHz, as the stage
        for name, writer in (("libsndfile", libsndfile_opus), ("PyAV", encode.write_opus)):
            path = out / f"{wav.stem}.{name}.opus"
            took = best_time(lambda: writer(path, copy, 48000, kbps["opus"]), args.repeat)  # noqa: B023
            writers[name] = writers.get(name, 0.0) + took
            distance = distance_to_master(path, master, sr)
            print(
                f"  Opus writer {name:<10} {took:6.2f} s  {seconds / took:6.1f}x real time  "
                f"{path.stat().st_size:>9,} bytes  LSD {distance:.3f} dB"
            )
    print(f"\nall {len(args.wavs)} narrations, {audio:.1f} s of audio:")
    for name, took in stages.items():
        print(f"  encode {name:<17} {took:7.2f} s  {audio / took:6.1f}x real time")
    for name, took in writers.items():
        print(f"  Opus writer {name:<10} {took:7.2f} s  {audio / took:6.1f}x real time")


if __name__ == "__main__":
    main()
