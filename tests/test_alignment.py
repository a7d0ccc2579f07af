"""Word spans in the phonemes stage, and word times from Kokoro's durations in the narration."""

from __future__ import annotations

import re

import numpy as np
import pytest

from kokoro_narrate import alignment, narration, phonemes
from kokoro_narrate.phonemes import G2P, read_paragraph

SR = 24_000


@pytest.fixture(scope="module")
def english():
    return G2P("a", {"Kokoro": "/kˈOkəɹO/", "Nginx": "engine x"})


def said(reading):
    return [(reading.text[a:b], reading.phonemes[c:d]) for a, b, c, d in reading.spans]


def test_every_word_has_its_phonemes(english):
    text = "Hello, world. Kokoro runs Nginx on well-known hosts, don't you think?"
    reading, _ = english.read(text)
    assert reading.phonemes == english(text)[0]  # the spans change nothing that is said
    pairs = said(reading)
    assert [w for w, _ in pairs] == [
        "Hello", "world", "Kokoro", "runs", "Nginx", "on", "well-known", "hosts", "don't",
        "you", "think",
    ]  # fmt: skip
    assert dict(pairs)["Kokoro"] == "kˈOkəɹO"  # the lexicon's phonemes
    assert dict(pairs)["Nginx"] == "ˈɛnʤən ˈɛks"  # a respelling: one word, both of its tokens
    assert all(ps and " " not in ps.strip() or w == "Nginx" for w, ps in pairs)


def test_punctuation_stays_out_of_the_words(english):
    reading, _ = english.read("It's 3 o'clock — say \"hi\" (twice)... OK!")
    assert said(reading) == [
        ("It's", "ˌɪts"),
        ("3", "θɹˈi"),
        ("o'clock", "əklˈɑk"),
        ("say", "sˈA"),
        ("hi", "hˈI"),
        ("twice", "twˈIs"),
        ("OK", "ˌOkˈA"),
    ]


def test_spans_survive_the_chunker(english):
    sentence = "Kokoro reads the dough, the oven and the crust slowly."
    text = " ".join([sentence] * 12) + " " + " ".join(["dough"] * 300) + "."
    readings, _ = read_paragraph(text, english, target=120)
    assert len(readings) > 3
    for reading in readings:
        assert len(reading.spans) == phonemes.count_words(reading.text)
        for word, ps in said(reading):
            assert word.strip(".,") == word and ps  # a word and its phonemes, nothing else
    assert sum(len(r.spans) for r in readings) == phonemes.count_words(text)


def test_chunk_records_keep_the_spans(tmp_path, english):
    chunks = phonemes.phonemize_script(
        [{"id": "p0001", "kind": "paragraph", "text": "Bread needs time."}], english, 300
    )
    text = chunks[0].text
    assert [text[a:b] for a, b, _, _ in chunks[0].spans] == ["Bread", "needs", "time"]
    phonemes.write_chunks(chunks, tmp_path / "c.jsonl")
    assert phonemes.read_chunks(tmp_path / "c.jsonl") == chunks


def test_espeak_languages_have_no_word_spans():
    reading, _ = G2P("e").read("Hola. ¿Cómo estás?")
    assert reading.spans == () and reading.phonemes


# -- durations to samples ---------------------------------------------------------------------


def test_token_positions_skip_what_kokoro_drops():
    assert alignment.token_positions("abc", 5) == [1, 2, 3]
    assert alignment.token_positions("a#c", 4) is None  # a character dropped, no vocabulary
    assert alignment.token_positions("a#c", 4, lambda: frozenset("ac")) == [1, None, 2]
    assert alignment.token_positions("a#c", 9, lambda: frozenset("ac")) is None


def test_span_samples_follow_the_frames():
    # tokens: boundary, h, i, " ", y, o, boundary
    frames = [4, 3, 1, 4, 2, 2, 5]
    spans = [[0, 2, 0, 2], [3, 5, 3, 5]]
    f = alignment.FRAME_SAMPLES
    got = alignment.span_samples("hi yo", frames, spans, lead=0)
    assert got == [(0, 2, 4 * f, 8 * f), (3, 5, 12 * f, 16 * f)]
    lead = alignment.VOICE_LEAD_SAMPLES  # Kokoro's voice runs ahead of its frames
    got = alignment.span_samples("hi yo", frames, spans)
    assert got == [(0, 2, 4 * f - lead, 8 * f - lead), (3, 5, 12 * f - lead, 16 * f - lead)]
    assert alignment.span_samples("hi yo", [1, 3, 1, 4, 2, 2, 5], spans)[0][2] == 0  # clipped


def test_sentence_spans_match_the_sentence_marks():
    text = "Hola. ¿Cómo estás? Bien."
    ps = "ˈola. kˈomo estˈas? bjˈen."
    spans = alignment.sentence_spans(text, ps, phonemes.SENTENCE_END)
    assert [(text[a:b], ps[c:d]) for a, b, c, d in spans] == [
        ("Hola.", "ˈola."),
        ("¿Cómo estás?", "kˈomo estˈas?"),
        ("Bien.", "bjˈen."),
    ]
    assert alignment.sentence_spans("One. Two.", "wˈʌn tˈu.", phonemes.SENTENCE_END) == []


@pytest.mark.parametrize("geometry", ["kokoro_geometry_model", "tiny_model"])
def test_kokoro_makes_600_samples_per_frame(geometry, request):
    """The rule alignment rests on, checked on the real model code (random weights), with
    Kokoro-82M's generator and with the lighter one the workflow tests build with."""
    tiny_model = request.getfixturevalue(geometry)
    import torch
    from kokoro import KModel

    model = KModel(
        repo_id="hexgrad/Kokoro-82M",
        config=str(tiny_model / "config.json"),
        model=str(tiny_model / "tiny-kokoro.pth"),
    ).eval()
    pack = torch.load(tiny_model / "voices" / "af_heart.pt", weights_only=True)
    for ps in ("həlˈO, wˈɜɹld.", "ðə dˈO ɹˈOz slˈOli."):
        out = model(ps, pack[len(ps) - 1], 1.0, return_output=True)
        frames = out.pred_dur.reshape(-1).tolist()
        assert len(frames) == len(ps) + 2
        assert out.audio.shape[-1] == sum(frames) * alignment.FRAME_SAMPLES


# -- word times in the assembled narration ------------------------------------------------------


def fake_chunk(text: str, rng, lead_frames: int = 6, tail_frames: int = 9):
    """A chunk as Kokoro would give it, with a phoneme per letter: silence in the boundary
    tokens, spaces and punctuation, a noise burst for every letter, running ahead of its frames
    by VOICE_LEAD_SAMPLES as Kokoro's voice does; its spans and frames."""
    ps = text.lower()
    frames = [lead_frames] + [int(rng.integers(2, 5)) for _ in ps] + [tail_frames]
    audio = np.zeros(sum(frames) * alignment.FRAME_SAMPLES, np.float32)
    starts = [s - alignment.VOICE_LEAD_SAMPLES for s in alignment.token_starts(frames)]
    assert starts[1] >= 0, "lead_frames too short for the voice's lead"
    for i, ch in enumerate(ps, 1):
        if ch.isalpha():
            audio[starts[i] : starts[i + 1]] = rng.normal(0, 0.1, starts[i + 1] - starts[i])
    spans = []
    for word in re.finditer(r"[A-Za-z]+", text):
        spans.append((word.start(), word.end(), word.start(), word.end()))
    return audio, tuple(frames), tuple(spans), ps


def test_word_times_land_on_their_audio_after_trims_and_pauses():
    rng = np.random.default_rng(7)
    pieces = []
    for n in range(150):  # a long post: any error in the trims would add up by its end
        text = f"Paragraph number {'abc'[n % 3] * (n % 5 + 1)} says words. Then more."
        audio, frames, spans, ps = fake_chunk(text, rng, lead_frames=int(rng.integers(3, 12)))
        kind = "heading" if n % 10 == 0 else "paragraph"
        pieces.append(
            narration.Piece(
                audio, f"p{n:04d}", kind, text=text, phonemes=ps, frames=frames, spans=spans
            )
        )
    audio, timings = narration.assemble(pieces, SR, narration.Pauses.from_config())
    level = 10 ** (narration.TRIM_THRESHOLD_DB / 20)
    for timing in timings:
        assert timing["word_timing"] == "word"
        assert timing["kept_start_sample"] <= timing["start_sample"] < timing["end_sample"]
        assert timing["end_sample"] <= timing["kept_end_sample"]
        for word in timing["words"]:
            segment = np.abs(audio[word["start_sample"] : word["end_sample"]])
            assert segment.max() > level  # the word is sounding there
            before = np.abs(audio[word["start_sample"] - 24 : word["start_sample"]])
            assert before.max(initial=0) < level  # and not just before (silence or a space)
    last = timings[-1]["words"][-1]
    onset = last["start_sample"]
    assert np.abs(audio[onset : onset + 48]).max() > level
    assert timings[-1]["words"][-1]["text"] == "more"
