"""Web encodes of a narration: MP3 and Opus in Ogg, beside the WAV master, tagged and measured.

Both are written through PyAV (its wheels carry FFmpeg with LAME and libopus): the MP3 by LAME at
a quality libsndfile's writer does not let one set, in half its time (see `MP3_QUALITY`), the Opus
file by libopus, which in libsndfile took three times as long for the same stream (see
`write_opus`). Both are tagged with mutagen: the MP3 gets ID3v2.3 title, artist, album, date and
the chapters (CHAP frames under a CTOC), the Opus file the same as Vorbis comments (with the
CHAPTERnnn convention). The MP3 keeps Kokoro's 24 kHz (MPEG-2 Layer III); the Opus file is encoded
from the master's own 24 kHz (see `OPUS_INPUT_RATES`) and plays at 48 kHz, as every Opus decoder
does (see CODECS). Both are decoded for measuring as players decode them: the MP3 by libsndfile,
the Opus file by libopus at 48 kHz, as browsers do (see `decode`).

Loudness. Lossy encoders change peaks (a band-limited, re-synthesized waveform overshoots the
original by a dB or more), and a low bitrate can shift the loudness a little. So each encode is
made from a copy of the master limited further under the ceiling (`HEADROOM_DB`, by codec), then
decoded and measured; while its true peak is above `ceiling - PEAK_MARGIN_DB` or its loudness is
more than `LOUDNESS_TOLERANCE_LU` off the target, the copy is made again with the headroom and the
aim corrected by what was measured. The master WAV is never touched.

Reproducibility: same master, same settings, same software -> same bytes. LAME, libopus and mutagen
write no time or random value, and FFmpeg's muxers none in their bit-exact mode (without it, the Ogg
muxer writes a random stream serial, and both write FFmpeg's version). The serial is then rewritten
with mutagen's Ogg page writer (which also recomputes each page's checksum) to one derived from the
output's name, so that two encodes never share one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from . import files, loudness
from .captions import Chapter
from .digests import file_digest
from .loudness import normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Codec:
    name: str
    suffix: str
    mime: str  # what an HTML <source> or a feed enclosure says it is


CODECS = {
    "mp3": Codec("mp3", ".mp3", "audio/mpeg"),
    # Opus decoders (browsers, ffmpeg) play at 48 kHz, whatever rate went in, and a 48 kHz decode
    # peaks up to 0.5 dB higher than libsndfile's 24 kHz one of the same file: so the encode is
    # decoded and measured at 48 kHz, as listeners get it (`decode`)
    "opus": Codec("opus", ".opus", 'audio/ogg; codecs="opus"'),
}
# The rates libopus takes in. A master at one of them (Kokoro's 24 kHz) is encoded as it is: a 48
# kHz copy of it holds nothing above 12 kHz, yet made libopus code the full band, for files 2-3%
# larger at the same distance to the master on real speech, and on the random-weight model's
# noise-like audio twice the encoder's time and a loudness 0.66 LU lower (bench/encode_speed.py).
OPUS_INPUT_RATES = (8000, 12000, 16000, 24000, 48000)

# How far under the ceiling the copy each encode is made from is limited, to begin with: the
# codec's overshoot plus PEAK_MARGIN_DB, so that the first try passes. Measured on five narrations
# of real Kokoro speech (short-note, medium-guide and long-essay, 51 to 1,019 s; bench/publish.py
# prints the headroom each encode needed), each limited 0.8 dB under the ceiling: MP3 at 64 kbps
# overshot by -0.09 to +0.17 dB true peak, Opus at 32 kbps by +0.22 to +0.79 dB, which took a
# medium-guide Opus encode to a second try (a whole encode again, about 40x real time). libopus
# through PyAV, on the three posts limited 1.0 dB under: +0.15 to +0.49 dB (bench/encode_speed.py).
HEADROOM_DB = {"mp3": 0.5, "opus": 1.0}
# What an encode loses in loudness, made up for in the first try's aim. LAME at 64 kbps, 24 kHz
# low-passes the master and measured 0.44-0.45 LU under it on four narrations of real Kokoro
# speech (short, medium and long posts), which took every MP3 encode to a second try; Opus at
# 32 kbps stays within 0.2 LU. Other bitrates may lose more or less: the tries correct that.
LOUDNESS_LOSS_LU = {"mp3": 0.45, "opus": 0.0}
# an encode's true peak must stay this far under the ceiling by our meter, for meters that
# oversample more finely (ffmpeg's ebur128 reads up to about 0.05 dB higher)
PEAK_MARGIN_DB = 0.15
# the promise is 0.5 LU; aim well inside it, and where no try gets that close (an encoder whose
# loudness jumps with the level), keep the closest within the promise
LOUDNESS_TOLERANCE_LU = 0.2
LOUDNESS_PROMISE_LU = 0.5
MAX_TRIES = 6
# LAME's quality for the MP3 (0 best, 9 fastest; libsndfile's writer has no setting for it): on
# the medium guide's and the long essay's narrations of real speech at 64 kbps, 7 scored the same
# wide-band PESQ as libsndfile's LAME (4.282, 4.274 against 4.269, 4.285) and log-spectral distance
# to the master (within 0.008 dB) in 9.7 s against 19.2 s (bench/encode_speed.py --pesq)
MP3_QUALITY = 7
# the constant bitrates of Layer III by sample rate: MPEG-1 from 32 kHz, MPEG-2 (Kokoro's 24 kHz,
# the config's enum) from 16 kHz, MPEG-2.5 below
MP3_KBPS = {
    32000: (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    16000: (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    0: (8, 16, 24, 32, 40, 48, 56, 64),
}
# samples handed to an encoder at a time (see write_with_pyav)
FEED_SAMPLES = 1 << 16
# the first frame of the muxer's output, the Xing/Info frame, lies within this many bytes
LAME_TAG_READ = 512
# the packages whose versions can change an encode's bytes (with libsndfile's, which soundfile
# carries): a new one makes every encode again
SOFTWARE = ("soundfile", "av", "mutagen", "numpy", "scipy", "pyloudnorm")


class EncodeError(RuntimeError):
    """An encode that cannot meet the loudness target under the ceiling."""


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str | None = None
    album: str | None = None
    date: str | None = None  # ISO date, YYYY-MM-DD
    chapters: tuple[Chapter, ...] = field(default_factory=tuple)  # in samples of the master


def write_opus(path: Path, audio: np.ndarray, sr: int, kbps: int) -> None:
    """Ogg Opus through PyAV: libopus with FFmpeg's defaults for it (complexity 10, VBR, 20 ms
    frames, the "audio" application) and the target bitrate, from `audio` at its own rate where
    libopus takes it, else from a 48 kHz copy. On narrations of real speech at 48 kHz and 32 kbps
    this ran at 115x real time and libsndfile 1.2.2's libopus at 39x, for files within 0.5% in
    size and 0.01 dB in log-spectral distance to the master (bench/encode_speed.py)."""

    if not 6 <= kbps <= 256:
        raise ValueError(f"Opus takes 6 to 256 kbps per channel, not {kbps}")
    if not len(audio):
        raise ValueError(f"no audio to write to {path}")  # PyAV makes no frame of no samples
    if sr not in OPUS_INPUT_RATES:
        audio = resample_poly(audio, 48000 // math.gcd(48000, sr), sr // math.gcd(48000, sr))
        sr = 48000
    write_with_pyav(path, audio, sr, kbps, "ogg", "libopus", "flt")


def write_mp3(path: Path, audio: np.ndarray, sr: int, kbps: int) -> None:
    """MPEG Layer III at a constant bitrate, by LAME through PyAV (bit-exact, no ID3 tag of the
    muxer's) at LAME's quality MP3_QUALITY, with the gapless record put right (set_mp3_padding).
    """

    rates = next(kbps for lowest, kbps in MP3_KBPS.items() if sr >= lowest)
    if kbps not in rates:
        raise ValueError(f"an MP3 at {sr} Hz takes one of {rates} kbps, not {kbps}")
    if not len(audio):
        raise ValueError(f"no audio to write to {path}")
    # no ID3 tag of the muxer's: tag_mp3 writes the one the file gets
    muxer = {"id3v2_version": "0"}
    write_with_pyav(path, audio, sr, kbps, "mp3", "libmp3lame", "fltp", MP3_QUALITY, muxer)
    set_mp3_padding(path, len(audio))


def write_with_pyav(
    path: Path,
    audio: np.ndarray,
    sr: int,
    kbps: int,
    container_format: str,
    codec: str,
    sample_format: str,
    level: int | None = None,
    muxer: dict | None = None,
) -> None:
    """Mono `audio` at its rate and a target bitrate, by `codec` through PyAV's FFmpeg (at
    compression level `level`, else the codec's default) into `container_format`, bit-exact.

    The encoder gets FEED_SAMPLES at a time and every packet is muxed as it comes: PyAV cuts each
    frame it is given into the codec's frames all at once, and a whole narration in one took 110 MB
    more memory for the MP3 of a 4-minute narration and 88 MB for its Opus file; the pieces make
    the same bytes. Timestamps count samples from 0: without them FFmpeg's Ogg muxer misplaces the
    granule positions, and a stream under about a second decodes 312 samples long or reads as
    malformed.
    """
    import av

    audio = np.ascontiguousarray(audio, dtype=np.float32)
    with av.open(str(path), "w", format=container_format, options=muxer or {}) as container:
        container.flags |= av.container.Flags.bitexact.value
        stream = container.add_stream(codec, rate=sr, layout="mono")
        stream.bit_rate = kbps * 1000
        stream.codec_context.flags |= av.codec.context.Flags.bitexact.value
        if level is not None:
            stream.options = {"compression_level": str(level)}
        for start in range(0, len(audio), FEED_SAMPLES):
            frame = av.AudioFrame.from_ndarray(
                audio[None, start : start + FEED_SAMPLES], format=sample_format, layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = sr, start, Fraction(1, sr)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def set_mp3_padding(path: Path, samples: int) -> None:
    """Write into the MP3's LAME tag the end padding that makes it decode to `samples` samples:
    the frames the Xing header counts, less the encoder delay and the samples. FFmpeg's muxer
    takes the padding from the encoder's last packet, which is wrong where LAME's flush makes
    more than one frame: 7 of 100 lengths of a narration decoded up to 43 samples long. The tag's
    CRC is made again as LAME makes it, over every byte of the frame before it (FFmpeg's covers
    the first 190 bytes whatever the layout)."""
    with open(path, "r+b") as stream:
        head = bytearray(stream.read(LAME_TAG_READ))
        mpeg1 = head[1] >> 3 & 1  # MPEG-1: 1152 samples a frame; MPEG-2 and 2.5: 576
        mono = head[3] >> 6 == 3
        xing = 4 + (17 if mpeg1 else 9) if mono else 4 + (32 if mpeg1 else 17)
        if head[0] != 0xFF or bytes(head[xing : xing + 4]) not in (b"Info", b"Xing"):
            raise ValueError(f"{path}: no Xing/Info frame where the muxer writes it")
        flags = int.from_bytes(head[xing + 4 : xing + 8], "big")
        if not flags & 1:
            raise ValueError(f"{path}: the Xing header counts no frames")
        frames = int.from_bytes(head[xing + 8 : xing + 12], "big")
        # frames, bytes, table of contents, quality: each there when its flag is
        lame = (
            xing + 8 + sum(size for bit, size in ((1, 4), (2, 4), (4, 100), (8, 4)) if flags & bit)
        )
        delay = head[lame + 21] << 4 | head[lame + 22] >> 4
        padding = frames * (1152 if mpeg1 else 576) - delay - samples
        if not 0 <= padding < 1 << 12:
            raise ValueError(f"{path}: {frames} frames cannot hold {samples} samples")
        head[lame + 22] = (head[lame + 22] & 0xF0) | padding >> 8
        head[lame + 23] = padding & 0xFF
        head[lame + 34 : lame + 36] = _crc16(head[: lame + 34]).to_bytes(2, "big")
        stream.seek(0)
        stream.write(head)


def _crc16(data: bytes) -> int:
    """CRC-16/ARC (reflected 0x8005, from 0), the LAME tag's checksum."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = crc >> 1 ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def decode(path: Path, codec: str) -> tuple[np.ndarray, int]:
    """The audio a player gets from an encode: the MP3 through libsndfile (mpg123), the Opus file
    through libopus in PyAV's FFmpeg, to floats, as browsers decode it (FFmpeg's native Opus
    decoder differed by up to 0.42 in sample value; libopus through libsndfile gives the same
    samples to float rounding, 2.4e-7 on the long essay's narration, in half again the time).

    float32, as both decoders make them: `measure` widens each block it filters to float64 and
    takes the true peak of float32, so a float64 copy of the whole decode (160 MB for a 7-minute
    Opus file at 48 kHz) bought nothing but its own time.
    """
    if codec == "mp3":
        audio, sr = sf.read(str(path), dtype="float32", always_2d=False)
        return audio, sr
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        decoder = av.CodecContext.create("libopus", "r")
        decoder.extradata = stream.codec_context.extradata  # the Opus head: pre-skip, gain
        decoder.options = {"request_sample_fmt": "flt"}  # libopus's float output, not int16
        # each frame's samples copied straight from its buffer: to_ndarray's copies and stacking
        # took as long as libopus itself (50,958 frames of 20 ms in the long essay's narration);
        # a view instead of the copy would keep every frame's buffer, six times the samples
        frames = [
            np.frombuffer(frame.planes[0], np.float32, frame.samples).copy()
            for packet in container.demux(stream)
            for frame in decoder.decode(packet)
        ]
        sr = decoder.sample_rate
    return np.concatenate(frames), sr


@dataclass(frozen=True)
class Measured:
    lufs: float
    true_peak_dbtp: float


def measure(audio: np.ndarray, sr: int) -> Measured:
    """Loudness, and the true peak at OVERSAMPLE times the rate (loudness.true_peak_dbtp): at
    Kokoro's 24 kHz that is 192 kHz, where BS.1770 puts it and where ffmpeg's ebur128 filter
    measures it."""
    got = loudness.measure(audio, sr)
    return Measured(got.lufs, got.true_peak_dbtp)


def tag_mp3(path, tags: Tags) -> None:
    """ID3v2.3 (what podcast apps and iTunes read best): TIT2, TPE1, TALB, the date (TYER and
    TDAT in v2.3) and one CHAP per chapter under a top-level, ordered CTOC."""
    from mutagen.id3 import CHAP, CTOC, ID3, TALB, TDRC, TIT2, TPE1, CTOCFlags

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=[tags.artist]))
    if tags.album:
        id3.add(TALB(encoding=3, text=[tags.album]))
    if tags.date:
        id3.add(TDRC(encoding=3, text=[tags.date]))
    ids = [f"chp{n}" for n in range(len(tags.chapters))]
    for element, chapter in zip(ids, tags.chapters, strict=True):
        id3.add(
            CHAP(
                element_id=element,
                start_time=chapter.start,
                end_time=chapter.end,
                start_offset=0xFFFFFFFF,  # "not used": times, not byte offsets
                end_offset=0xFFFFFFFF,
                sub_frames=[TIT2(encoding=3, text=[chapter.title])],
            )
        )
    if ids:
        id3.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=["Chapters"])],
            )
        )
    id3.save(str(path), v2_version=3)


def tag_opus(path, tags: Tags, serial: int) -> None:
    """Vorbis comments (TITLE, ARTIST, ALBUM, DATE, CHAPTERnnn and CHAPTERnnnNAME), then every
    Ogg page's stream serial set to `serial` (see the module docstring)."""
    from mutagen.ogg import OggPage
    from mutagen.oggopus import OggOpus

    opus = OggOpus(str(path))
    opus.tags["TITLE"] = [tags.title]
    for key, value in (("ARTIST", tags.artist), ("ALBUM", tags.album), ("DATE", tags.date)):
        if value:
            opus.tags[key] = [value]
    for n, chapter in enumerate(tags.chapters, 1):
        opus.tags[f"CHAPTER{n:03d}"] = [_clock(chapter.start)]
        opus.tags[f"CHAPTER{n:03d}NAME"] = [chapter.title]
    opus.save()
    pages = []
    with open(path, "rb") as stream:
        while True:
            try:
                pages.append(OggPage(stream))
            except EOFError:
                break
    for page in pages:
        page.serial = serial
    Path(path).write_bytes(b"".join(page.write() for page in pages))


def _clock(ms: int) -> str:
    h, rest = divmod(int(ms), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def post_tags(timing: dict, source, title: str, album: str, author: str) -> Tags:
    """The tags of one narration: its post's title (front matter, else the script's, else the
    post file's name), author (front matter, else `author`), date, `album` and its chapters."""
    from .captions import chapters
    from .frontmatter import read

    front = None
    if source:
        front, _ = read(Path(source).read_bytes(), str(source))
    spoken = next((p["text"] for p in timing["pieces"] if p["kind"] == "title"), None)
    title = title or spoken or (Path(source).stem if source else "Narration")
    return Tags(
        title=title,
        artist=(front.author if front else None) or author or None,
        album=album or None,
        date=front.date.isoformat() if front and front.date else None,
        chapters=tuple(chapters(timing, title)),
    )


def write_measurement(measured: dict, path) -> None:
    files.write_text(path, json.dumps(measured, indent=1, sort_keys=True) + "\n")


def made_from(
    wav_path, out_path, codec: str, kbps: int, loudness: dict, tags: Tags, version
) -> str:
    """The digest of everything an encode's bytes follow from: the master's bytes, the codec and
    its bitrate, the loudness target and ceiling, the tags, the file's name (the Ogg serial), the
    stage's version and the versions of the software that writes and measures it. The same
    digest means the same bytes (see the module docstring)."""
    from importlib.metadata import version as installed

    inputs = {
        "master": file_digest(wav_path),
        "codec": codec,
        "kbps": kbps,
        "target_lufs": loudness["target_lufs"],
        "ceiling_dbtp": loudness["true_peak_dbtp"],
        "tags": asdict(tags),
        "name": Path(out_path).name,
        "version": version,
        "software": {
            "libsndfile": sf.__libsndfile_version__,
            **{name: installed(name) for name in SOFTWARE},
        },
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode("utf-8")).hexdigest()


def kept_encode(out_path, measured_path, digest: str) -> dict | None:
    """The record of the encode at `out_path` (what was measured, what it was made from, its
    sha256) if it was made from `digest` and is intact (its bytes hash to what was recorded when
    it was written); else None."""
    try:
        measured = json.loads(Path(measured_path).read_text(encoding="utf-8"))
        if measured.get("made_from") != digest:
            return None
        return measured if file_digest(out_path) == measured.get("sha256") else None
    except (OSError, ValueError, AttributeError):
        return None


def encode_unless_made(
    wav_path, out_path, measured_path, codec: str, kbps: int, loudness: dict, tags: Tags, version
) -> tuple[dict, bool]:
    """Stage entry point: the encode at `out_path` and its measurement at `measured_path`, kept if
    they were made from the same inputs (`made_from`), else made again. Returns its record (what
    `kept_encode` returns) and whether the encode was kept."""
    digest = made_from(wav_path, out_path, codec, kbps, loudness, tags, version)
    measured = kept_encode(out_path, measured_path, digest)
    if measured is not None:
        return measured, True
    measured = encode(
        wav_path,
        out_path,
        codec,
        kbps,
        target_lufs=loudness["target_lufs"],
        ceiling_dbtp=loudness["true_peak_dbtp"],
        tags=tags,
    )
    measured |= {"made_from": digest, "sha256": file_digest(out_path)}
    # written after the encode: a job killed between the two leaves an old digest, not a match
    write_measurement(measured, measured_path)
    return measured, False


def stream_serial(name: str) -> int:
    """A serial number of 31 bits from a name: the same file always gets the same one."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Try:
    """What one try's encode measured, and how it was made."""

    lufs: float
    true_peak_dbtp: float
    headroom_db: float
    duration_s: float


def next_aim(aim: float, off: float, quieter: float | None, louder: float | None) -> float:
    """The loudness the next try's copy is limited to, after one that came out `off` LU from the
    target at `aim`: corrected by what it missed by (an encoder's loudness loss is nearly constant
    in the gain), until some aim came out too quiet and a higher one too loud; then the middle of
    the two. libopus on noise-like audio lost 1 LU below one level and 0.2 LU above it, so no aim
    reached the target and the corrections went back and forth between the same two aims; halving
    the range closes in on the jump from both sides, and the closest try is kept."""
    if quieter is not None and louder is not None and quieter < louder:
        return (quieter + louder) / 2
    return aim - off


def encode(
    wav_path,
    out_path,
    codec: str,
    kbps: int,
    target_lufs: float,
    ceiling_dbtp: float,
    tags: Tags,
) -> dict:
    """Stage entry point: one encode of the master at `wav_path`, tagged, at the loudness target
    and under the ceiling once decoded; returns what was measured on the written file."""
    spec = CODECS[codec]
    # float32 holds a 16-bit master's samples exactly, and normalize widens where it sums: the
    # same copies as from float64, without a float64 array of the whole master
    master, master_sr = sf.read(str(wav_path), dtype="float32", always_2d=False)
    out = Path(out_path)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp{spec.suffix}")
    closest = out.with_name(f".{out.name}.{os.getpid()}.closest{spec.suffix}")
    headroom, aim, tries = HEADROOM_DB[codec], target_lufs + LOUDNESS_LOSS_LU[codec], 0
    best: Try | None = None
    quieter = louder = None  # the aims of this headroom that came out too quiet, too loud
    try:
        while True:
            tries += 1
            source = normalize(
                master, master_sr, target_lufs=aim, ceiling_dbtp=ceiling_dbtp - headroom
            )
            (write_opus if codec == "opus" else write_mp3)(tmp, source, master_sr, kbps)
            decoded, decoded_sr = decode(tmp, codec)
            got = measure(decoded, decoded_sr)
            over = got.true_peak_dbtp - (ceiling_dbtp - PEAK_MARGIN_DB)
            off = got.lufs - target_lufs
            if over <= 0 and (best is None or abs(off) < abs(best.lufs - target_lufs)):
                os.replace(tmp, closest)
                best = Try(got.lufs, got.true_peak_dbtp, headroom, decoded.size / decoded_sr)
            if over <= 0 and abs(off) <= LOUDNESS_TOLERANCE_LU:
                break
            if tries == MAX_TRIES:
                if best is None or abs(best.lufs - target_lufs) > LOUDNESS_PROMISE_LU:
                    raise EncodeError(
                        f"{spec.name} encode of {wav_path} did not reach {target_lufs} LUFS under "
                        f"{ceiling_dbtp} dBTP in {MAX_TRIES} tries (last: {got.lufs:.2f} LUFS, "
                        f"{got.true_peak_dbtp:.2f} dBTP)"
                    )
                log.warning(
                    "%s encode of %s: no try came within %s LU of %s LUFS (the encoder's "
                    "loudness jumps with the level); kept the closest, %.2f LUFS, within the %s "
                    "LU promised",
                    spec.name,
                    wav_path,
                    LOUDNESS_TOLERANCE_LU,
                    target_lufs,
                    best.lufs,
                    LOUDNESS_PROMISE_LU,
                )
                break
            if over > 0:  # nearly constant in the gain: make room for it, and aim afresh
                headroom += over + 0.05
                quieter = louder = None
            elif off < 0:
                quieter = aim if quieter is None else max(quieter, aim)
            else:
                louder = aim if louder is None else min(louder, aim)
            aim = next_aim(aim, off, quieter, louder)
        millis = Tags(
            tags.title,
            tags.artist,
            tags.album,
            tags.date,
            tuple(
                Chapter(round(c.start * 1000 / master_sr), round(c.end * 1000 / master_sr), c.title)
                for c in tags.chapters
            ),
        )
        # Tags and the Ogg serial change headers and page checksums, never an audio frame or
        # packet: what was measured above is what the tagged file decodes to (a test holds it)
        if codec == "mp3":
            tag_mp3(closest, millis)
        else:
            tag_opus(closest, millis, stream_serial(out.name))
        os.replace(closest, out)
    finally:
        tmp.unlink(missing_ok=True)
        closest.unlink(missing_ok=True)
    return {
        "codec": codec,
        "mime": spec.mime,
        "kbps": kbps,
        "bytes": out.stat().st_size,
        "duration_s": round(best.duration_s, 6),
        "lufs": round(best.lufs, 3),
        "true_peak_dbtp": round(best.true_peak_dbtp, 3),
        "headroom_db": round(best.headroom_db, 3),
        "tries": tries,
    }
