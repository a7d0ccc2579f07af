"""Web encodes: bitrates, loudness and true peak by ffmpeg's meter, tags read back with mutagen, and
the same bytes from the same master."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from ebur128 import measure as ffmpeg_measure
from ebur128 import require_ffmpeg
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus

from kokoro_narrate import encode
from kokoro_narrate.captions import Chapter
from kokoro_narrate.loudness import normalize
from kokoro_narrate.narration import write_wav

SR = 24_000
TARGET, CEILING = -16.0, -1.5


def speechlike(seconds: float = 12.0, seed: int = 5) -> np.ndarray:
    """Voiced syllables (harmonics of a gliding pitch, shaped by a formant-like envelope), noise
    bursts and plosives, with pauses: peaky like speech (the limiter works at -16 LUFS under
    -1.5 dBTP), where lossy encoders overshoot."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 110 + 25 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(
        np.sin(k * phase + rng.uniform(0, 2 * np.pi))
        * (np.exp(-((k * 110 - 700) ** 2) / 4e5) + 0.3 / k)
        for k in range(1, 40)
    )
    noise = rng.normal(0, 0.3, t.size) * (np.sin(2 * np.pi * 2.1 * t) > 0.85)
    syllables = (np.sin(2 * np.pi * 3.3 * t) > -0.2) * (np.sin(2 * np.pi * 0.25 * t) > -0.6)
    plosives = rng.normal(0, 1.5, t.size) * (np.sin(2 * np.pi * 2.5 * t) > 0.998)
    return ((voiced * syllables + noise + plosives) * 0.2).astype(np.float32)


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    path = tmp_path_factory.mktemp("master") / "af_heart_post.wav"
    write_wav(path, normalize(speechlike(), SR, TARGET, CEILING), SR)
    return path


TAGS = encode.Tags(
    title="Bread & <salt>: a year",
    artist="Ana Ruiz",
    album="Narrated posts",
    date="2024-01-14",
    chapters=(Chapter(0, 4 * SR, "A year of bread"), Chapter(4 * SR, 12 * SR, "Part two")),
)


@pytest.fixture(scope="module")
def encodes(master, tmp_path_factory):
    out = tmp_path_factory.mktemp("encodes")
    found = {}
    for codec, kbps in (("mp3", 64), ("opus", 32)):
        path = out / f"af_heart_post.{codec}"
        found[codec] = (path, encode.encode(master, path, codec, kbps, TARGET, CEILING, TAGS))
    return found


def test_the_encodes_have_the_bitrates_asked_for(encodes):
    assert MP3(encodes["mp3"][0]).info.bitrate == 64000
    assert MP3(encodes["mp3"][0]).info.sample_rate == SR
    size = encodes["opus"][0].stat().st_size * 8 / 12.0
    assert 20_000 < size < 40_000  # VBR around its 32 kbps target
    with pytest.raises(ValueError, match="not 320"):
        encode.write_mp3(encodes["mp3"][0].with_name("x.mp3"), np.zeros(960), SR, 320)  # MPEG-2
    with pytest.raises(ValueError, match="6 to 256 kbps"):
        encode.write_opus(encodes["opus"][0].with_name("x.opus"), np.zeros(960), 48_000, 300)


def lame_tag(path):
    """(delay, padding, stored CRC, the bytes the CRC covers) of a mono MPEG-2 file's LAME tag
    (the Info frame's header and side information are 13 bytes, its Xing fields 120)."""
    head = path.read_bytes()[:512]
    assert head[13:17] == b"Info"
    lame = 133
    delay = head[lame + 21] << 4 | head[lame + 22] >> 4
    padding = (head[lame + 22] & 0x0F) << 8 | head[lame + 23]
    return delay, padding, int.from_bytes(head[lame + 34 : lame + 36], "big"), head[: lame + 34]


def test_mp3_decodes_to_every_length_written(tmp_path):
    """The LAME tag's padding trims the stream to what went in, at every length: FFmpeg's muxer
    wrote a padding too small for some (9 of the 116 lengths here), which decoded that much longer
    in libsndfile and in FFmpeg (browsers)."""
    import av

    audio = speechlike(2.0)
    wrong = []
    for samples in range(SR, SR + 576, 5):  # one frame of MPEG-2 Layer III in steps
        path = tmp_path / f"{samples}.mp3"
        encode.write_mp3(path, audio[:samples], SR, 64)
        with av.open(str(path)) as container:
            by_ffmpeg = sum(frame.samples for frame in container.decode(audio=0))
        if (sf.info(str(path)).frames, by_ffmpeg) != (samples, samples):
            wrong.append(samples)
    assert wrong == []


def test_the_lame_tag_checksum_is_made_as_lame_makes_it(tmp_path):
    """LAME's own tag (libsndfile's writer) checks out with encode's CRC, and so does the tag
    after its padding was written, which is LAME's own for that length."""
    ours, lames = tmp_path / "ours.mp3", tmp_path / "lame.mp3"
    encode.write_mp3(ours, speechlike(1.0), SR, 64)
    sf.write(
        str(lames),
        speechlike(1.0),
        SR,
        format="MP3",
        compression_level=(160 - 64.5) / 152,  # 64 kbps in libsndfile's scale for MPEG-2
        bitrate_mode="CONSTANT",
    )
    for path in (ours, lames):
        delay, padding, stored, covered = lame_tag(path)
        assert encode._crc16(covered) == stored, path.name
    assert lame_tag(ours)[:2] == lame_tag(lames)[:2]  # the same delay and padding as LAME's own


@pytest.mark.parametrize("codec", ["wav", "mp3", "opus"])
def test_loudness_and_true_peak_by_ffmpeg(master, encodes, codec):
    require_ffmpeg()
    path = master if codec == "wav" else encodes[codec][0]
    lufs, peak = ffmpeg_measure(path)
    assert abs(lufs - TARGET) <= 0.5, (codec, lufs)
    assert peak <= CEILING, (codec, peak)
    if codec != "wav":  # and our own meter agrees with what the stage recorded
        info = encodes[codec][1]
        assert abs(info["lufs"] - TARGET) <= encode.LOUDNESS_TOLERANCE_LU
        assert info["true_peak_dbtp"] <= CEILING - encode.PEAK_MARGIN_DB
        assert info["bytes"] == path.stat().st_size


@pytest.mark.parametrize("codec", ["mp3", "opus"])
def test_what_is_recorded_is_what_the_tagged_file_decodes_to(encodes, codec):
    # the stage measures its last encode before tagging: tags must not touch the audio
    path, info = encodes[codec]
    audio, sr = encode.decode(path, codec)
    got = encode.measure(audio, sr)
    assert round(got.lufs, 3) == info["lufs"]
    assert round(got.true_peak_dbtp, 3) == info["true_peak_dbtp"]
    assert round(audio.size / sr, 6) == info["duration_s"]


def test_the_master_read_as_float32_is_limited_as_its_float64_read_would_be(master):
    # encode reads the 16-bit master as float32: each try's copy must not depend on that
    as32, sr = sf.read(str(master), dtype="float32")
    as64, _ = sf.read(str(master), dtype="float64")
    assert np.array_equal(as32.astype(np.float64), as64)
    for codec in ("mp3", "opus"):
        aim = TARGET + encode.LOUDNESS_LOSS_LU[codec]
        ceiling = CEILING - encode.HEADROOM_DB[codec]
        assert np.array_equal(normalize(as32, sr, aim, ceiling), normalize(as64, sr, aim, ceiling))


@pytest.mark.parametrize("codec", ["mp3", "opus"])
def test_the_decode_is_measured_as_a_float64_copy_would_be(encodes, codec):
    # decode keeps the decoders' float32: measuring must not depend on that
    audio, sr = encode.decode(encodes[codec][0], codec)
    assert audio.dtype == np.float32
    assert encode.measure(audio, sr) == encode.measure(audio.astype(np.float64), sr)


def test_the_master_is_left_as_it_is(master, encodes):
    before = hashlib.sha256(master.read_bytes()).hexdigest()
    encode.encode(master, master.with_suffix(".again.mp3"), "mp3", 64, TARGET, CEILING, TAGS)
    assert hashlib.sha256(master.read_bytes()).hexdigest() == before


def test_id3_frames_read_back(encodes):
    tags = ID3(encodes["mp3"][0])
    assert tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == "Bread & <salt>: a year"
    assert str(tags["TPE1"]) == "Ana Ruiz" and str(tags["TALB"]) == "Narrated posts"
    assert str(tags["TDRC"]) == "2024-01-14"
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in chapters] == [
        (0, 4000, "A year of bread"),
        (4000, 12000, "Part two"),
    ]
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [c.element_id for c in chapters]


def test_opus_comments_read_back(encodes):
    opus = OggOpus(encodes["opus"][0])
    assert opus.tags["TITLE"] == ["Bread & <salt>: a year"]
    assert opus.tags["ARTIST"] == ["Ana Ruiz"] and opus.tags["DATE"] == ["2024-01-14"]
    assert opus.tags["CHAPTER002"] == ["00:00:04.000"]
    assert opus.tags["CHAPTER002NAME"] == ["Part two"]
    assert opus.info.length == pytest.approx(12.0, abs=0.01)


def test_encodes_decode_to_the_master_length(master, encodes):
    """Nothing added or cut (the encoders' delay and padding are undone by the decoders). The
    Opus file plays at 48 kHz in browsers (libopus, as `encode.decode` runs it) and at the rate
    it was encoded from, the master's, in libsndfile, which reads that rate from its header."""
    seconds = sf.info(str(master)).duration
    for codec, (path, info) in encodes.items():
        decoded, sr = sf.read(str(path))
        assert sr == SR and decoded.size == round(seconds * sr)
        decoded, sr = encode.decode(path, codec)
        assert sr == {"mp3": SR, "opus": 48_000}[codec] and decoded.size == round(seconds * sr)
        assert info["duration_s"] == pytest.approx(seconds, abs=1e-6)


def test_same_master_same_bytes(master, encodes, tmp_path):
    """LAME, libopus, FFmpeg's muxers (bit-exact) and mutagen write nothing random, and the
    Ogg serial is one derived from the file name, so the same output name gets the same bytes."""
    for codec, (first, _) in encodes.items():
        again = tmp_path / first.name
        encode.encode(master, again, codec, 64 if codec == "mp3" else 32, TARGET, CEILING, TAGS)
        assert again.read_bytes() == first.read_bytes(), codec
    with open(encodes["opus"][0], "rb") as stream:
        page = OggPage(stream)
    assert page.serial == encode.stream_serial("af_heart_post.opus")


def test_an_encode_is_kept_only_while_everything_it_was_made_from_is_the_same(master, tmp_path):
    """A narration job reruns for its captions or snippet too: an encode whose master, settings,
    tags, name, version and software are unchanged, and whose bytes are intact, is kept."""
    loudness = {"target_lufs": TARGET, "true_peak_dbtp": CEILING}
    out, measured = tmp_path / "af_heart_post.mp3", tmp_path / "af_heart_post.mp3.json"

    def run(master=master, kbps=64, tags=TAGS, version=4):
        before = out.stat().st_ino if out.exists() else None
        info, kept = encode.encode_unless_made(
            master, out, measured, "mp3", kbps, loudness, tags, version
        )
        assert kept == (out.stat().st_ino == before)  # kept: the very same file
        return info, kept

    first, kept = run()
    assert not kept and measured.is_file()
    made = out.read_bytes()
    assert run() == (first, True)
    # each change is made, then going back is made again, to the same bytes as at first
    assert not run(tags=encode.Tags(**{**TAGS.__dict__, "album": "Another"}))[1]
    assert not run()[1] and out.read_bytes() == made
    assert not run(kbps=96)[1] and not run()[1]
    assert not run(version=5)[1] and not run()[1]
    # another master (one sample changed), and a damaged encode whose record still matches
    other = tmp_path / "other.wav"
    audio, sr = sf.read(str(master), dtype="int16")
    audio[100] += 1
    sf.write(str(other), audio, sr, subtype="PCM_16")
    assert not run(master=other)[1] and not run()[1]
    out.write_bytes(made[:-10])
    info, kept = run()
    assert not kept and out.read_bytes() == made and info == first


def test_post_tags_from_front_matter(tmp_path):
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: Bread\nauthor: {name: Ana}\ndate: 2024-02-03\n---\n\nHi.\n")
    timing = {
        "sample_rate": SR,
        "samples": 10 * SR,
        "pieces": [
            {
                "paragraph": "p0001",
                "kind": "title",
                "text": "Bread",
                "start_sample": SR // 4,
                "end_sample": SR,
                "words": [],
            }
        ],
    }
    tags = encode.post_tags(timing, post, title="Bread", album="Narrated", author="Config")
    assert (tags.title, tags.artist, tags.album, tags.date) == (
        "Bread",
        "Ana",
        "Narrated",
        "2024-02-03",
    )
    assert [c.title for c in tags.chapters] == ["Bread"]
    bare = encode.post_tags(timing, None, title="", album="", author="Config")
    assert (bare.title, bare.artist, bare.album, bare.date) == ("Bread", "Config", None, None)


@pytest.mark.parametrize("rate", [24_000, 48_000])
@pytest.mark.parametrize("samples", [1, 959, 20_000, 40_000, 48_001, 96_017])
def test_opus_stream_decodes_to_the_length_written(tmp_path, samples, rate):
    """The granule positions trim the stream to what went in, at any length: without timestamps
    FFmpeg's muxer left short streams 312 samples long, and one of 40,000 unreadable."""
    path = tmp_path / "x.opus"
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(samples) / rate)
    encode.write_opus(path, tone, rate, 32)
    decoded, sr = sf.read(str(path))  # libsndfile decodes at the rate the header names
    assert (sr, decoded.size) == (rate, samples)
    decoded, sr = encode.decode(path, "opus")  # libopus at 48 kHz, as browsers
    assert (sr, decoded.size) == (48_000, samples * 48_000 // rate)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's VmHWM")
@pytest.mark.parametrize("codec", ["mp3", "opus"])
def test_a_writer_holds_no_more_than_a_piece_of_the_audio_at_once(tmp_path, codec):
    """Given 5 minutes of audio as one frame, PyAV cut it into the codec's frames all at once:
    the writer's peak grew by 67 MB here for the MP3 and 43 MB for the Opus file (110 and 88 on
    a 4-minute narration of real speech); fed in pieces, by next to nothing."""
    code = f"""
import numpy as np
from pathlib import Path
from kokoro_narrate import _own_peak_rss, encode
audio = (0.1 * np.random.default_rng(1).standard_normal(300 * 24_000)).astype(np.float32)
encode.write_{codec}(Path("{tmp_path}") / "tiny.{codec}", audio[:2400], 24_000, 32)  # libraries
before = _own_peak_rss()
encode.write_{codec}(Path("{tmp_path}") / "x.{codec}", audio, 24_000, 32)
print((_own_peak_rss() - before) / 2**20)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(done.stdout) < 25, done.stdout


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's VmHWM")
def test_the_opus_decode_holds_the_samples_not_the_frames(tmp_path):
    """The decode keeps a copy of each frame's samples: views of the frames' buffers kept every
    decoded frame alive, the peak growing by 6.7 times the decoded samples (1.4 times with the
    copies, the list and its concatenation)."""
    code = f"""
import numpy as np
from pathlib import Path
from kokoro_narrate import _own_peak_rss, encode
audio = (0.1 * np.random.default_rng(1).standard_normal(300 * 24_000)).astype(np.float32)
encode.write_opus(Path("{tmp_path}") / "x.opus", audio, 24_000, 32)
encode.write_opus(Path("{tmp_path}") / "tiny.opus", audio[:2400], 24_000, 32)
encode.decode(Path("{tmp_path}") / "tiny.opus", "opus")  # the libraries
before = _own_peak_rss()
decoded, _ = encode.decode(Path("{tmp_path}") / "x.opus", "opus")
print((_own_peak_rss() - before) / decoded.nbytes)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(done.stdout) < 2.5, done.stdout


def test_opus_writer_takes_other_rates_through_a_48_khz_copy(tmp_path):
    path = tmp_path / "x.opus"
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22_050) / 22_050)
    encode.write_opus(path, tone, 22_050, 32)
    decoded, sr = sf.read(str(path))
    assert (sr, decoded.size) == (48_000, 48_000)


def test_opus_writer_refuses_no_audio(tmp_path):
    with pytest.raises(ValueError, match="no audio"):
        encode.write_opus(tmp_path / "x.opus", np.zeros(0), 48_000, 32)


def jumpy_loudness(monkeypatch, loss_below, loss_above, level):
    """An encoder whose loudness loss jumps at one level of its input, as libopus's did on the
    tiny test model's noise-like narration (1 LU below about -15.36 LUFS, 0.2 LU above): every
    try's measured loudness is its aim less the loss at that aim. Returns the aims tried."""
    aims = []
    real_normalize = encode.normalize

    def normalize(audio, sr, target_lufs, ceiling_dbtp):
        aims.append(target_lufs)
        return real_normalize(audio, sr, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)

    def measure(audio, sr):
        aim = aims[-1]
        return encode.Measured(aim - (loss_below if aim < level else loss_above), -4.0)

    monkeypatch.setattr(encode, "normalize", normalize)
    monkeypatch.setattr(encode, "measure", measure)
    return aims


def test_an_encoder_whose_loudness_jumps_keeps_the_closest_try_within_the_promise(
    master, tmp_path, monkeypatch, caplog
):
    aims = jumpy_loudness(monkeypatch, 0.96, 0.23, -15.36)
    out = tmp_path / "jumpy.opus"
    got = encode.encode(master, out, "opus", 32, TARGET, CEILING, encode.Tags("Jumpy"))
    assert len(aims) == encode.MAX_TRIES == got["tries"]
    # after the first correction overshoots, each try halves the range around the jump
    assert aims[0] == TARGET and aims[1] == pytest.approx(TARGET + 0.96)
    assert all(abs(a - b) > 0.01 for a in aims for b in aims if a is not b)
    closest = min((a - (0.96 if a < -15.36 else 0.23) for a in aims), key=lambda x: abs(x - TARGET))
    assert got["lufs"] == round(closest, 3)
    assert encode.LOUDNESS_TOLERANCE_LU < abs(got["lufs"] - TARGET) <= encode.LOUDNESS_PROMISE_LU
    assert "kept the closest" in caplog.text and out.is_file()
    assert not list(tmp_path.glob(".*"))  # no try left behind


def test_an_encoder_that_never_comes_within_the_promise_fails_and_writes_nothing(
    master, tmp_path, monkeypatch
):
    jumpy_loudness(monkeypatch, 1.3, 0.0, -15.3)  # from -16.6 straight to -15.3 LUFS
    out = tmp_path / "far.opus"
    with pytest.raises(encode.EncodeError, match="did not reach -16.0 LUFS"):
        encode.encode(master, out, "opus", 32, TARGET, CEILING, encode.Tags("Far"))
    assert not list(tmp_path.iterdir())
