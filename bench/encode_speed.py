#!/usr/bin/env python3
"""What a web encode costs, per codec, on narrations of real speech; and the writers alone.

    PYTHONPATH=workflow .venv/bin/python bench/encode_speed.py results/narrations/*/*.wav

For each narration WAV (a master the narration stage wrote), it prints:
- the encode stage's own work (`kokoro_narrate.encode.encode`, MP3 and Opus at the config's
  default bitrates): seconds, times real time, tries, the headroom it ended at and the true peak;
- the writers alone: the stage's Opus writer (libopus through PyAV) on the master's own 24 kHz,
  as the stage encodes, and on a 48 kHz copy, as it did before encode stage version 6;
  libsndfile's (soundfile's wheels carry libopus; the stage's writer before PyAV) on the 48 kHz
  copy; and the stage's MP3 writer (LAME in libsndfile). For each:
  seconds, bytes, the log-spectral distance of the decode to the master (bench/cpu_engines.py's
  measure, at Kokoro's 24 kHz) and the decode's loudness against the master's (what an encode
  moves, and the stage's tries make up for). Every decode is the stage's (`encode.decode`): an
  Opus file's by libopus at 48 kHz, as browsers play Opus.

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

import numpy as np
import soundfile as sf
import yaml
from common import REPO
from cpu_engines import log_spectral_distance
from scipy.signal import resample_poly

sys.path.insert(0, str(REPO / "workflow"))
from kokoro_narrate import defaults, encode, loudness  # noqa: E402


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


def against_master(
    path: Path, master: np.ndarray, sr: int, codec: str = "opus"
) -> tuple[float, float]:
    """The mean log-spectral distance (dB) of the file's decode, brought back to the master's
    rate, and the decode's loudness less the master's (LU)."""
    decoded, decoded_sr = encode.decode(path, codec)
    decoded = decoded.astype(np.float64)  # the distances in float64, as they were first measured
    gcd = math.gcd(sr, decoded_sr)
    back = resample_poly(decoded, sr // gcd, decoded_sr // gcd)
    moved = loudness.measure(decoded, decoded_sr).lufs - loudness.measure(master, sr).lufs
    return float(log_spectral_distance(master, back).mean()), moved


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
    target = config["loudness"]
    kbps = {"mp3": config["encode"]["mp3_kbps"], "opus": config["encode"]["opus_kbps"]}
    scratch = tempfile.TemporaryDirectory(prefix="kokoro-narrate-encode-")  # removed at exit
    out = Path(scratch.name)
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
        for codec in ("mp3", "opus"):
            took, measured = encode_stage(
                wav, out / f"{wav.stem}.{codec}", codec, kbps[codec], target, args.repeat
            )
            stages[codec] = stages.get(codec, 0.0) + took
            print(
                f"  encode {codec:<5} {took:6.2f} s  {seconds / took:6.1f}x real time  tries "
                f"{measured['tries']}  headroom {measured['headroom_db']:.2f} dB  true peak "
                f"{measured['true_peak_dbtp']:+.2f} dBTP"
            )
        copy = resample_poly(master, 2, 1)  # what the stage encoded before version 6
        for name, writer, audio_in, rate in (
            ("Opus, PyAV, 24 kHz", encode.write_opus, master, sr),
            ("Opus, PyAV, 48 kHz", encode.write_opus, copy, 48000),
            ("Opus, libsndfile, 48 kHz", libsndfile_opus, copy, 48000),
            ("MP3, LAME, 24 kHz", encode.write_mp3, master, sr),  # the stage's
        ):
            codec = name.split(",")[0].lower()
            path = out / f"{wav.stem}.{name.replace(', ', '-').replace(' ', '')}.{codec}"
            took = best_time(lambda: writer(path, audio_in, rate, kbps[codec]), args.repeat)  # noqa: B023
            writers[name] = writers.get(name, 0.0) + took
            distance, moved = against_master(path, master, sr, codec)
            print(
                f"  writer {name:<24} {took:6.2f} s  {seconds / took:6.1f}x real time  "
                f"{path.stat().st_size:>9,} bytes  LSD {distance:.3f} dB  loudness {moved:+.2f} LU"
            )
    print(f"\nall {len(args.wavs)} narrations, {audio:.1f} s of audio:")
    for name, took in stages.items():
        print(f"  encode {name:<5} {took:7.2f} s  {audio / took:6.1f}x real time")
    for name, took in writers.items():
        print(f"  writer {name:<24} {took:7.2f} s  {audio / took:6.1f}x real time")


if __name__ == "__main__":
    main()
