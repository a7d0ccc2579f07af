"""End to end: the publishing outputs of a build with the tiny random-weight Kokoro checkpoint.

One build (intro and outro on, a base URL, an author), then: every output exists, captions land
in the pauses of the written WAV, chapters are the headings, the MP3's ID3 frames and the loudness
of WAV, MP3 and Opus by ffmpeg, the feed, the manifest's encode columns, and a second run that has
nothing to do.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from ebur128 import measure as ffmpeg_measure
from ebur128 import require_ffmpeg
from mutagen.id3 import ID3

from conftest import DATA, REPO, write_config
from conftest import run_snakemake as snakemake
from kokoro_narrate.script import read_script

pytestmark = pytest.mark.slow

BASE = "https://example.com/audio/"
CUE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$", re.M)


@pytest.fixture(scope="module")
def tiny_model(kokoro_geometry_model):
    """Kokoro-82M's own generator geometry: the checks here measure the
    audio with another meter and decoder, ffmpeg's, whose readings depend on the sound itself. On
    the lighter generator's noise ffmpeg read a WAV's true peak 0.19 dB above a 64-times
    oversampled measure (-1.37 against -1.56 dBTP) and decoded an MP3 to a true peak 1.1 dB above
    libsndfile's decode of the same file."""
    return kokoro_geometry_model


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_model):
    workdir = tmp_path_factory.mktemp("publish")
    shutil.copytree(DATA / "corpus", workdir / "corpus")
    (workdir / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", workdir / "config" / "lexicon.yaml")
    write_config(
        workdir,
        tiny_model,
        voices=["af_heart", "ef_dora"],
        author="Ana Writer",
        script={"intro": "This is an audio version of {title} by {author}.", "outro": "Bye."},
        feed={"base_url": BASE, "title": "Bread & more"},
    )
    snakemake(workdir)
    return workdir


PAIRS = [("hello", "af_heart"), ("notes", "af_heart"), ("hola", "ef_dora")]


def files(post, voice):
    stem = f"{voice}_{post}"
    return {
        "wav": f"results/narrations/{post}/{stem}.wav",
        "timing": f"results/narrations/{post}/{stem}.json",
        "mp3": f"results/encodes/{post}/{stem}.mp3",
        "opus": f"results/encodes/{post}/{stem}.opus",
        "vtt": f"results/captions/{post}/{stem}.vtt",
        "srt": f"results/captions/{post}/{stem}.srt",
        "chapters": f"results/captions/{post}/{stem}.chapters.vtt",
        "snippet": f"results/snippets/{post}/{stem}.html",
    }


def cues(path):
    out = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n")[1:]:
        g = [int(x) for x in CUE.search(block).groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        text = re.sub(r"<[^>]+>", "", block.split("\n", 2)[2])
        out.append((start, end, " ".join(text.split())))
    return out


def test_every_output_is_built(built):
    for post, voice in PAIRS:
        for path in files(post, voice).values():
            assert (built / path).is_file() and (built / path).stat().st_size > 0, path
    assert (built / "results/feed/af_heart.xml").is_file()
    assert not (built / "results/feed/ef_dora.xml").exists()  # feed.voices: the first voice


def test_intro_and_outro_are_said(built):
    paragraphs = read_script(built / "results/scripts/hello.jsonl")
    assert paragraphs[0].kind == "added"
    assert paragraphs[0].text == "This is an audio version of Hello, listener by Ana Writer."
    assert (paragraphs[-1].kind, paragraphs[-1].text) == ("added", "Bye.")
    vtt = cues(built / files("hello", "af_heart")["vtt"])
    assert vtt[0][2] == paragraphs[0].text and vtt[-1][2] == "Bye."


@pytest.mark.parametrize(("post", "voice"), PAIRS)
def test_captions_start_in_the_pauses_of_the_written_audio(built, post, voice):
    paths = files(post, voice)
    audio, sr = sf.read(built / paths["wav"], dtype="float64")
    timing = json.loads((built / paths["timing"]).read_text())
    vtt = cues(built / paths["vtt"])
    starts = {p["start_sample"] for p in timing["pieces"]}
    margin = round(0.030 * sr)  # narration's LEAD_MARGIN_S: the chunk's own lead-in, kept
    loud = 10 ** (-40 / 20)
    previous_end = 0.0
    piece_cues = 0
    for start, end, text in vtt:
        assert previous_end <= start < end and text
        previous_end = end
        first = round(start * sr)
        # a cue that opens a piece: silence from the cue to the piece's speech, then the voice
        opened = [s for s in starts if first <= s <= first + round(0.21 * sr)]
        if not opened:
            continue
        piece_cues += 1
        speech = opened[0]
        assert not np.any(audio[first : speech - margin]), (post, text)
        onset = first + int(np.argmax(np.abs(audio[first:]) > loud))
        assert speech - margin <= onset <= speech + round(0.050 * sr), (post, text)
    assert piece_cues == len(timing["pieces"])  # every piece opens with a cue in its pause
    # the end: the last cue ends after the voice does, and within a pause's length of it
    voice_end = (np.flatnonzero(np.abs(audio) > loud)[-1] + 1) / sr
    assert 0 <= vtt[-1][1] - voice_end <= 0.35


def test_srt_has_the_same_cues(built):
    paths = files("hello", "af_heart")
    srt = (built / paths["srt"]).read_text()
    vtt = cues(built / paths["vtt"])
    assert srt.count(" --> ") == len(vtt) and srt.startswith("1\n00:00:")
    assert "<" not in srt


def test_chapters_are_the_headings(built):
    for post, voice in PAIRS:
        paths = files(post, voice)
        script = read_script(built / f"results/scripts/{post}.jsonl")
        headings = [p.text for p in script if p.kind == "heading"]
        chapters = cues(built / paths["chapters"])
        title = next(p.text for p in script if p.kind == "title")
        assert [c[2] for c in chapters] == [title, *headings]
        assert chapters[0][0] == 0.0
        duration = sf.info(str(built / paths["wav"])).duration
        assert abs(chapters[-1][1] - duration) < 0.001


def test_mp3_tags_read_back(built):
    tags = ID3(built / files("hello", "af_heart")["mp3"])
    assert str(tags["TIT2"]) == "Hello, listener"
    assert str(tags["TPE1"]) == "Ana Writer" and str(tags["TALB"]) == "Bread & more"
    assert str(tags["TDRC"]) == "2026-11-20"
    chapters = cues(built / files("hello", "af_heart")["chapters"])
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == [c[2] for c in chapters]
    assert [c.start_time for c in chaps] == [round(c[0] * 1000) for c in chapters]
    assert len(tags.getall("CTOC")) == 1


@pytest.mark.parametrize("kind", ["wav", "mp3", "opus"])
def test_loudness_and_true_peak_by_ffmpeg(built, kind):
    require_ffmpeg()
    for post, voice in PAIRS:
        lufs, peak = ffmpeg_measure(built / files(post, voice)[kind])
        assert abs(lufs - -16) <= 0.5, (post, kind, lufs)
        assert peak <= -1.5, (post, kind, peak)


def test_feed_lists_every_narration_of_its_voice(built):
    root = ET.parse(built / "results/feed/af_heart.xml").getroot()
    channel = root.find("channel")
    assert channel.findtext("title") == "Bread & more"
    items = {i.findtext("title"): i for i in channel.findall("item")}
    assert set(items) == {"Hello, listener", "Notes on bread"}
    for post, title in (("hello", "Hello, listener"), ("notes", "Notes on bread")):
        enclosure = items[title].find("enclosure")
        mp3 = built / files(post, "af_heart")["mp3"]
        assert enclosure.get("url") == BASE + files(post, "af_heart")["mp3"].removeprefix(
            "results/"
        )
        assert int(enclosure.get("length")) == mp3.stat().st_size
        assert enclosure.get("type") == "audio/mpeg"
    assert items["Hello, listener"].findtext("description").startswith("This is the first")


def test_manifest_lists_the_encodes(built):
    table = pd.read_csv(built / "results/manifest.csv")
    narrated = table[table.status == "narrated"].set_index(["post", "voice"])
    for post, voice in PAIRS:
        row = narrated.loc[(post, voice)]
        for codec in ("mp3", "opus"):
            path = files(post, voice)[codec]
            assert row[f"{codec}_path"] == path
            assert row[f"{codec}_bytes"] == (built / path).stat().st_size
            assert abs(row[f"{codec}_lufs"] - -16) <= 0.25
            assert row[f"{codec}_true_peak_dbtp"] <= -1.5
        assert row["mp3_bytes"] < (built / files(post, voice)["wav"]).stat().st_size / 3


def test_nothing_to_do_after_the_build(built):
    result = snakemake(built, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr
