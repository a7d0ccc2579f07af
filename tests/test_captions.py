"""Captions and chapters from the timing JSON, checked against the assembled audio."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_alignment import SR, fake_chunk

from kokoro_narrate import captions, narration

LEVEL = 10 ** (narration.TRIM_THRESHOLD_DB / 20)
CUE_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)$")
INLINE = re.compile(r"<(\d\d:\d\d:\d\d\.\d\d\d)>")


def seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def build(texts_and_kinds, seed=3):
    """A narration of fake chunks (see test_alignment.fake_chunk): its audio and timing JSON."""
    rng = np.random.default_rng(seed)
    pieces = []
    for n, (text, kind) in enumerate(texts_and_kinds):
        audio, frames, spans, ps = fake_chunk(text, rng, lead_frames=int(rng.integers(3, 12)))
        pieces.append(
            narration.Piece(
                audio, f"p{n:04d}", kind, text=text, phonemes=ps, frames=frames, spans=spans
            )
        )
    audio, timings = narration.assemble(pieces, SR, narration.Pauses())
    return audio, {"sample_rate": SR, "samples": audio.size, "pieces": timings}


def long_post(paragraphs=120):
    items = [("A year of bread", "title")]
    for n in range(paragraphs):
        if n % 15 == 0:
            items.append((f"Part {'abcdefgh'[n // 15]}", "heading"))
        items.append((f"The dough rose slowly. It was {'very ' * (n % 4)}good bread.", "paragraph"))
    return items


@pytest.fixture(scope="module")
def narrated():
    return build(long_post())


def test_one_cue_per_sentence(narrated):
    _, timing = narrated
    cues = captions.cues(timing)
    sentences = sum(max(1, p["text"].count(". ") + 1) for p in timing["pieces"])
    assert len(cues) == sentences
    assert cues[2].text == "The dough rose slowly."
    assert cues[3].text == "It was good bread."


def test_every_cue_starts_inside_the_pause_before_its_sentence(narrated):
    audio, timing = narrated
    cues = captions.cues(timing)
    previous_end = 0
    for cue in cues:
        assert previous_end <= cue.start <= cue.speech_start < cue.speech_end <= cue.end
        quiet = np.abs(audio[cue.start : cue.speech_start])
        assert quiet.max(initial=0) < LEVEL  # shown in the pause, before the voice
        onset = cue.start + int(np.argmax(np.abs(audio[cue.start :]) > LEVEL))
        assert abs(onset - cue.speech_start) <= SR * 0.005  # the sentence starts on the cue
        assert cue.speech_start - cue.start <= captions.CUE_LEAD_S * SR
        previous_end = cue.end
    # the end of a long post: caption time and audio time still agree
    last = cues[-1]
    onset = last.start + int(np.argmax(np.abs(audio[last.start :]) > LEVEL))
    assert abs(onset - last.speech_start) / SR < 0.050
    speech_end = int(np.flatnonzero(np.abs(audio) > LEVEL)[-1]) + 1
    assert abs(speech_end - last.speech_end) / SR < 0.050


def test_long_sentences_split_at_clauses_to_fit_seven_seconds_and_two_lines():
    clause = "the oven was hot"
    sentence = ", ".join([clause] * 12) + "."
    audio, timing = build([(sentence, "paragraph")])
    cues = captions.cues(timing)
    assert len(cues) > 1
    assert " ".join(c.text.replace("\n", " ") for c in cues) == sentence
    for cue in cues:
        assert (cue.speech_end - cue.speech_start) / SR <= captions.MAX_CUE_S
        assert len(cue.lines) <= captions.MAX_LINES
        assert all(len(line) <= captions.LINE_CHARS for line in cue.lines)
    assert all(c.text.endswith(",") for c in cues[:-1])  # cut at the clause marks


def test_a_run_on_without_clauses_is_cut_between_words_evenly():
    sentence = " ".join(["dough"] * 60) + "."
    _, timing = build([(sentence, "paragraph")])
    cues = captions.cues(timing)
    lengths = [len(c.text.replace("\n", " ")) for c in cues]
    assert len(cues) > 1 and max(lengths) - min(lengths) <= 12
    assert all(len(line) <= captions.LINE_CHARS for c in cues for line in c.lines)


def test_webvtt_has_word_times_inside_each_cue(narrated):
    _, timing = narrated
    text = captions.webvtt(captions.cues(timing), SR)
    assert text.startswith("WEBVTT\n\n1\n")
    blocks = text.strip().split("\n\n")[1:]
    last_end = 0.0
    inline_count = 0
    for block in blocks:
        lines = block.split("\n")
        start, end = map(seconds, CUE_LINE.match(lines[1]).groups())
        assert last_end <= start < end
        last_end = end
        marks = [seconds(m) for m in INLINE.findall("\n".join(lines[2:]))]
        inline_count += len(marks)
        assert all(start < m < end for m in marks)
        assert marks == sorted(set(marks))
        assert INLINE.sub("", "\n".join(lines[2:])).split()  # the words are all there
    assert inline_count > len(blocks)


def test_webvtt_escapes_and_srt_numbers_cues():
    _, timing = build([("Salt & flour <b>not</b> tags. Fine -- done.", "paragraph")])
    cues = captions.cues(timing)
    vtt = captions.webvtt(cues, SR)
    assert "&amp;" in vtt and "&lt;b&gt;not&lt;/b&gt;" in vtt and "<b>" not in vtt
    srt = captions.srt(cues, SR)
    blocks = srt.strip().split("\n\n")
    assert [b.split("\n")[0] for b in blocks] == ["1", "2"]
    assert re.match(r"^\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d$", blocks[0].split("\n")[1])
    assert "Salt & flour" in srt and "<00:" not in srt


def test_chapters_are_the_title_then_the_headings(narrated):
    _, timing = narrated
    chapters = captions.chapters(timing)
    headings = [p for p in timing["pieces"] if p["kind"] == "heading"]
    assert [c.title for c in chapters] == ["A year of bread"] + [h["text"] for h in headings]
    assert chapters[0].start == 0 and chapters[-1].end == timing["samples"]
    assert all(a.end == b.start for a, b in zip(chapters, chapters[1:], strict=False))
    for chapter, heading in zip(chapters[1:], headings, strict=True):
        assert heading["start_sample"] - captions.CUE_LEAD_S * SR <= chapter.start
        assert chapter.start <= heading["start_sample"]
    text = captions.chapters_vtt(chapters, SR)
    assert text.count(" --> ") == len(chapters) and "Part b" in text
    assert captions.chapters(timing, title="Written title")[0].title == "Written title"


def test_a_post_that_opens_with_a_heading_starts_with_that_chapter():
    _, timing = build([("Start here", "heading"), ("Some words.", "paragraph")])
    chapters = captions.chapters(timing)
    assert [(c.start, c.title) for c in chapters] == [(0, "Start here")]


def test_without_word_times_sentences_share_their_piece():
    _, timing = build([("One two three. Four five six seven eight nine.", "paragraph")])
    piece = timing["pieces"][0]
    piece["words"], piece["word_timing"] = [], "none"
    cues = captions.cues(timing)
    assert [c.text for c in cues] == ["One two three.", "Four five six seven eight nine."]
    assert cues[0].speech_start == piece["start_sample"]
    assert cues[-1].speech_end == piece["end_sample"]
    assert cues[0].speech_end <= cues[1].speech_start
    assert not any(c.words for c in cues)
    assert "<00:" not in captions.webvtt(cues, SR)


def test_build_captions_writes_three_files(tmp_path, narrated):
    _, timing = narrated
    counts = captions.build_captions(
        timing, tmp_path / "a.vtt", tmp_path / "a.srt", tmp_path / "a.chapters.vtt"
    )
    assert counts["cues"] > 100 and counts["chapters"] == 9
    assert counts["longest_cue_s"] < captions.MAX_CUE_S + 1
    for name in ("a.vtt", "a.srt", "a.chapters.vtt"):
        assert (tmp_path / name).read_bytes().endswith(b"\n")
