#!/usr/bin/env python3
"""What a web encode costs, per codec, on narrations of real speech; and the writers alone.

    PYTHONPATH=workflow .venv/bin/python bench/encode_speed.py results/narrations/*/*.wav

For each narration WAV (a master the narration stage wrote), it prints:
- the encode stage's own work (`kokoro_narrate.encode.encode`, MP3 and Opus at the config's
  default bitrates): seconds, times real time, tries, the headroom it ended at and the true peak;
- the writers alone: the stage's Opus writer (libopus through PyAV) on the master's own 24 kHz,
  as the stage encodes, and on a 48 kHz copy, as it did before encode stage version 6;
  libsndfile's (soundfile's wheels carry libopus; the stage's writer before PyAV) on the 48 kHz
  copy; the stage's Opus writer at libopus complexity 7 and 5 (the stage keeps FFmpeg's 10);
  the stage's MP3 writer (LAME at quality 7 through PyAV, its gapless record put right), the same
  with FFmpeg's record as its muxer writes it, and LAME in libsndfile at the quality libsndfile
  leaves it (the stage's writer before encode stage version 8). For each: seconds, bytes, the
  log-spectral distance of the decode to the master (bench/cpu_engines.py's measure, at Kokoro's
  24 kHz), the decode's loudness against the master's (what an encode moves, and the stage's
  tries make up for), the samples the decode has beyond the master's (an MP3's gapless
  information at work), and with --pesq the wide-band PESQ score (ITU-T P.862.2, the `pesq`
  package: `pip install pesq`, not a dependency of the project) of the decode against the master,
  the mean over 10-second stretches at 16 kHz. Every decode is the stage's (`encode.decode`): an
  Opus file's by libopus at 48 kHz, as browsers play Opus;
- for the stage's MP3, how FFmpeg's decoder (browsers') and libsndfile's (the stage's) agree:
  the largest sample difference and each decode's true peak;
- with --gapless N, for each MP3 writer, how many of N lengths of the master (cut 7 samples
  apart) decode to more or fewer samples than were written.

--stages-only prints the first item alone (what a machine's cores make of the stage, e.g. on a GPU
machine, bench/gpu_kit.py's session). Every figure is the best of --repeat runs, one process, one
encode at a time: on a build's machine the encodes run side by side, one per core.
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


def libsndfile_writer(container_format: str, subtype: str, level, **settings):
    """A writer of the master through libsndfile (soundfile's wheels carry LAME and libopus) at the
    compression level `level(kbps)`."""

    def write(path: Path, audio: np.ndarray, sr: int, kbps: int) -> None:
        sf.write(
            str(path),
            audio.astype(np.float32),
            sr,
            format=container_format,
            subtype=subtype,
            compression_level=level(kbps),
            **settings,
        )

    return write


# encode.write_opus's stream written by libsndfile: its Opus is VBR, and it turns a compression
# level c into int((1 - c) * 250000 + 6000) bits per second (src/ogg_opus.c)
libsndfile_opus = libsndfile_writer(
    "OGG", "OPUS", lambda kbps: 1.0 - (kbps * 1000 - 5999.5) / 250000
)
# encode.write_mp3's stream written by LAME in libsndfile, which turns a compression level c into
# int(160 - c * 152) kbps for MPEG-2 rates (src/mpeg_l3_encode.c); half a kbps of slack keeps the
# truncation on `kbps`
libsndfile_mp3 = libsndfile_writer(
    "MP3", "MPEG_LAYER_III", lambda kbps: (160 - kbps - 0.5) / 152, bitrate_mode="CONSTANT"
)


def pyav_writer(container_format: str, codec: str, sample_format: str, level: int, **muxer):
    """A writer of one mono stream at the master's rate and a target bitrate, by `codec` through
    PyAV's FFmpeg at compression level `level`, bit-exact, as the stage's writers write."""

    def write(path: Path, audio: np.ndarray, sr: int, kbps: int) -> None:
        encode.write_with_pyav(
            path, audio, sr, kbps, container_format, codec, sample_format, level, muxer
        )

    return write


def pyav_mp3(quality: int):
    """encode.write_mp3's stream (constant bitrate) by LAME through PyAV at LAME's `quality` (0
    best, 9 fastest), with FFmpeg's Xing/LAME header as its muxer writes it (the end padding
    that encode.set_mp3_padding puts right) and no ID3 tag of the muxer's."""
    return pyav_writer("mp3", "libmp3lame", "fltp", quality, id3v2_version="0")


def pyav_opus(complexity: int):
    """encode.write_opus's stream at libopus complexity `complexity` (FFmpeg's default, which the
    stage keeps, is 10)."""
    return pyav_writer("ogg", "libopus", "flt", complexity)


def to_rate(audio: np.ndarray, sr: int, rate: int) -> np.ndarray:
    gcd = math.gcd(sr, rate)
    return resample_poly(audio, rate // gcd, sr // gcd)


def pesq_wb(master: np.ndarray, decoded: np.ndarray, sr: int, decoded_sr: int) -> float:
    """Wide-band PESQ of the decode against the master: the mean over 10-second stretches (the
    measure is made for short recordings) of both at 16 kHz."""
    from pesq import pesq

    reference, degraded = to_rate(master, sr, 16000), to_rate(decoded, decoded_sr, 16000)
    stretch = 10 * 16000
    starts = range(0, min(reference.size, degraded.size) - stretch + 1, stretch)
    scores = [
        pesq(16000, reference[at : at + stretch], degraded[at : at + stretch], "wb")
        for at in starts
    ]
    return float(np.mean(scores)) if scores else float("nan")


def against_master(
    path: Path, master: np.ndarray, sr: int, codec: str = "opus", with_pesq: bool = False
) -> dict:
    """The mean log-spectral distance (dB) of the file's decode, brought back to the master's
    rate; the decode's loudness less the master's (LU); the samples it has beyond the master's
    (at the master's rate); and with_pesq, its wide-band PESQ."""
    decoded, decoded_sr = encode.decode(path, codec)
    decoded = decoded.astype(np.float64)  # the distances in float64, as they were first measured
    back = to_rate(decoded, decoded_sr, sr)
    moved = loudness.measure(decoded, decoded_sr).lufs - loudness.measure(master, sr).lufs
    return {
        "lsd": float(log_spectral_distance(master, back).mean()),
        "moved": moved,
        "extra": back.size - master.size,
        "pesq": pesq_wb(master, decoded, sr, decoded_sr) if with_pesq else None,
    }


def ffmpeg_against_libsndfile(path: Path, sr: int) -> tuple[float, float, float, int]:
    """An MP3 decoded by FFmpeg (through PyAV: what browsers use) and by libsndfile (mpg123, the
    stage's): the largest sample difference, the true peak (dBTP) of each, and the samples
    FFmpeg's decode has beyond libsndfile's."""
    import av

    ours, _ = encode.decode(path, "mp3")
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        theirs = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
    theirs = theirs.astype(np.float32)
    n = min(ours.size, theirs.size)
    return (
        float(np.abs(ours[:n] - theirs[:n]).max()),
        loudness.true_peak_dbtp(ours, sr),
        loudness.true_peak_dbtp(theirs, sr),
        theirs.size - ours.size,
    )


def gapless(
    writer, master: np.ndarray, sr: int, kbps: int, lengths: int, folder: Path
) -> tuple[int, int]:
    """How many of `lengths` cuts of the master, 7 samples apart from 7 s on, the writer's MP3
    decodes (by libsndfile) to another number of samples than were written, and the largest
    difference in samples."""
    path, wrong, largest = folder / "gapless.mp3", 0, 0
    for k in range(lengths):
        n = 7 * sr + 7 * k
        writer(path, master[:n], sr, kbps)
        off = sf.info(str(path)).frames - n
        wrong, largest = wrong + (off != 0), max(largest, abs(off))
    return wrong, largest


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
    parser.add_argument("--pesq", action="store_true", help="wide-band PESQ (pip install pesq)")
    parser.add_argument("--gapless", type=int, default=0, metavar="N", help="lengths to try")
    parser.add_argument(
        "--stages-only", action="store_true", help="the encode stage per codec, no writers alone"
    )
    args = parser.parse_args()
    if args.pesq:
        try:
            import pesq  # noqa: F401
        except ImportError:
            sys.exit("--pesq needs the pesq package: pip install pesq")
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
        if args.stages_only:
            continue
        copy = resample_poly(master, 2, 1)  # what the stage encoded before version 6
        for name, writer, audio_in, rate in (
            ("Opus, PyAV, 24 kHz", encode.write_opus, master, sr),
            ("Opus, PyAV, 48 kHz", encode.write_opus, copy, 48000),
            ("Opus, libsndfile, 48 kHz", libsndfile_opus, copy, 48000),
            ("Opus, PyAV, 24 kHz, cx 7", pyav_opus(7), master, sr),
            ("Opus, PyAV, 24 kHz, cx 5", pyav_opus(5), master, sr),
            ("MP3, LAME q7, PyAV", encode.write_mp3, master, sr),  # the stage's
            ("MP3, LAME q7, FFmpeg's tag", pyav_mp3(7), master, sr),
            ("MP3, LAME, libsndfile", libsndfile_mp3, master, sr),
        ):
            codec = name.split(",")[0].lower()
            path = out / f"{wav.stem}.{name.replace(', ', '-').replace(' ', '')}.{codec}"
            took = best_time(lambda: writer(path, audio_in, rate, kbps[codec]), args.repeat)  # noqa: B023
            writers[name] = writers.get(name, 0.0) + took
            got = against_master(path, master, sr, codec, args.pesq)
            pesq_score = f"  PESQ-WB {got['pesq']:.3f}" if args.pesq else ""
            print(
                f"  writer {name:<26} {took:6.2f} s  {seconds / took:6.1f}x real time  "
                f"{path.stat().st_size:>9,} bytes  LSD {got['lsd']:.3f} dB  loudness "
                f"{got['moved']:+.2f} LU  extra samples {got['extra']:+d}{pesq_score}"
            )
            if codec == "mp3" and args.gapless:
                wrong, largest = gapless(writer, master, sr, kbps[codec], args.gapless, out)
                print(
                    f"    {wrong} of {args.gapless} lengths decode to another length "
                    f"(by {largest} samples at most)"
                )
        difference, ours, theirs, extra = ffmpeg_against_libsndfile(out / f"{wav.stem}.mp3", sr)
        print(
            f"  the stage's MP3 decoded by FFmpeg and by libsndfile: largest difference "
            f"{difference:.2e}, true peak {theirs:+.3f} and {ours:+.3f} dBTP, FFmpeg's "
            f"{extra:+d} samples longer"
        )
    print(f"\nall {len(args.wavs)} narrations, {audio:.1f} s of audio:")
    for name, took in stages.items():
        print(f"  encode {name:<5} {took:7.2f} s  {audio / took:6.1f}x real time")
    for name, took in writers.items():
        print(f"  writer {name:<26} {took:7.2f} s  {audio / took:6.1f}x real time")


if __name__ == "__main__":
    main()
