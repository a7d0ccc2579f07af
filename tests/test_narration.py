"""Trimming, joining, writing and timing of narration audio (synthetic pieces, no model)."""

import json

import numpy as np
import pytest
import soundfile as sf

from kokoro_narrate import narration
from kokoro_narrate.loudness import measure
from kokoro_narrate.narration import (
    LEAD_MARGIN_S,
    TAIL_MARGIN_S,
    TRIM_THRESHOLD_DB,
    Pauses,
    Piece,
    assemble,
    build_narration,
    speech_bounds,
    trim,
    write_wav,
)

SR = 24000
LEVEL = 10 ** (TRIM_THRESHOLD_DB / 20)


def burst_chunk(lead: int, speech: int, trail: int, seed: int = 0) -> np.ndarray:
    """A Kokoro-like chunk: a faint noise floor, then a 'speech' burst whose every sample is
    clearly above the trim threshold (so its bounds are known to the sample)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + speech + trail) * 1e-5  # -100 dBFS floor
    mags = 0.05 + 0.25 * rng.random(speech)
    x[lead : lead + speech] = mags * rng.choice([-1.0, 1.0], size=speech)
    return x.astype(np.float32)


def speech_runs(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of runs of samples above the trim level, merging gaps under 10 ms."""
    idx = np.flatnonzero(np.abs(audio) > LEVEL)
    breaks = np.flatnonzero(np.diff(idx) > SR // 100)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def test_trim_finds_speech_bounds():
    x = burst_chunk(6123, 20000, 17000)
    assert speech_bounds(x, SR) == (6123, 26123)
    assert trim(x, SR) == (6123 - round(LEAD_MARGIN_S * SR), 26123 + round(TAIL_MARGIN_S * SR))


def test_trim_tone_with_silence():
    t = np.arange(SR) / SR
    x = np.concatenate([np.zeros(7000), 0.3 * np.cos(2 * np.pi * 220 * t), np.zeros(9000)])
    start, end = speech_bounds(x, SR)
    assert abs(start - 7000) <= 2 and abs(end - (7000 + SR)) <= 2


def test_trim_clips_margins_to_chunk():
    x = burst_chunk(10, 5000, 10)
    assert trim(x, SR) == (0, x.size)


def test_trim_silence_raises():
    with pytest.raises(ValueError, match="no speech"):
        trim(np.zeros(SR, np.float32), SR)
    with pytest.raises(ValueError, match="no speech"):
        trim(np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 1e-4, SR)


def make_pieces():
    spec = [
        ("p0000", "title", 6000, 15000, 17000),
        ("p0001", "paragraph", 5000, 30000, 16000),
        ("p0001", "paragraph", 7000, 20000, 15000),  # second piece of a split paragraph
        ("p0002", "paragraph", 6500, 25000, 19000),
        ("p0003", "heading", 6000, 12000, 16000),
        ("p0004", "list_item", 100, 18000, 200),  # speech almost touching the chunk edges
        ("p0005", "quote", 6000, 22000, 18000),
    ]
    pieces = [
        Piece(burst_chunk(a, s, t, seed=i), pid, kind)
        for i, (pid, kind, a, s, t) in enumerate(spec)
    ]
    return pieces, [s for *_, s, _ in spec]


@pytest.mark.parametrize(
    "pauses",
    [
        Pauses.from_config(),
        Pauses.from_config(paragraph_ms=800, heading_ms=1200, sentence_ms=500, edge_ms=250),
        Pauses.from_config(paragraph_ms=70, heading_ms=90, sentence_ms=40, edge_ms=20),
    ],
)
def test_assemble_puts_exact_pauses(pauses):
    pieces, lengths = make_pieces()
    audio, timings = assemble(pieces, SR, pauses)
    assert audio.dtype == np.float32
    runs = speech_runs(audio)
    assert [e - s for s, e in runs] == lengths

    ms = lambda v: round(v * SR / 1000)  # noqa: E731
    expected = [
        pauses.heading_ms,  # title -> paragraph
        pauses.sentence_ms,  # same paragraph
        pauses.paragraph_ms,
        pauses.heading_ms,  # paragraph -> heading
        pauses.heading_ms,  # heading -> list item
        pauses.paragraph_ms,
    ]
    gaps = [b[0] - a[1] for a, b in zip(runs, runs[1:], strict=False)]
    assert gaps == [ms(p) for p in expected]
    assert runs[0][0] == ms(pauses.edge_ms)
    assert audio.size - runs[-1][1] == ms(pauses.edge_ms)

    # timings are the speech runs, to the sample
    assert [t["paragraph"] for t in timings] == [p.paragraph for p in pieces]
    assert [t["kind"] for t in timings] == [p.kind for p in pieces]
    assert [(round(t["start_s"] * SR), round(t["end_s"] * SR)) for t in timings] == runs
    for t, (s, e) in zip(timings, runs, strict=True):
        assert t["start_s"] == s / SR and t["end_s"] == e / SR


def test_assemble_fades_cut_points():
    # speech touching both chunk edges: the cut must still start and end at (near) zero
    pieces = [Piece(np.full(SR, 0.5, np.float32), "p0001", "paragraph")] * 2
    audio, _ = assemble(pieces, SR, Pauses.from_config())
    jumps = np.abs(np.diff(audio.astype(np.float64)))
    assert jumps.max() < 0.05


def test_assemble_rejects_silent_piece():
    pieces = [Piece(np.zeros(SR, np.float32), "p0001", "paragraph")]
    with pytest.raises(ValueError, match="p0001"):
        assemble(pieces, SR, Pauses.from_config())


def test_write_wav_roundtrip(tmp_path):
    x = (np.sin(np.arange(SR) / 10) * 0.5).astype(np.float32)
    write_wav(tmp_path / "x.wav", x, SR)
    back, sr = sf.read(tmp_path / "x.wav", dtype="float32")
    info = sf.info(tmp_path / "x.wav")
    assert (sr, info.channels, info.subtype) == (SR, 1, "PCM_16")
    assert np.abs(back - x).max() <= 0.5 / 32768 + 1e-9


def test_build_narration(tmp_path):
    pieces, _ = make_pieces()
    pauses = Pauses.from_config()
    args = (pieces, SR, pauses, -16.0, -1.5)
    info = build_narration(*args, tmp_path / "a.wav", tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text()) == info
    assert abs(info["lufs"] + 16.0) <= 0.1 and info["true_peak_dbtp"] <= -1.5
    audio, sr = sf.read(tmp_path / "a.wav", dtype="float64")
    assert info["sample_rate"] == sr == SR and info["samples"] == audio.size
    assert info["duration_s"] == audio.size / SR
    assert abs(measure(audio, SR).lufs + 16.0) <= 0.5 and np.abs(audio).max() < 32767 / 32768
    _, timings = assemble(pieces, SR, pauses)
    assert info["pieces"] == timings

    # deterministic: same pieces, same bytes
    build_narration(*args, tmp_path / "b.wav", tmp_path / "b.json")
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_horizontal_rule_gets_a_heading_pause():
    sr = 24000
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(sr // 2) / sr)).astype(np.float32)
    pauses = narration.Pauses.from_config(
        paragraph_ms=400, heading_ms=1200, sentence_ms=200, edge_ms=100
    )
    plain = [
        narration.Piece(tone, "p0001", "paragraph"),
        narration.Piece(tone, "p0002", "paragraph"),
    ]
    ruled = [plain[0], narration.Piece(tone, "p0002", "paragraph", pause_before=True)]
    _, t_plain = narration.assemble(plain, sr, pauses)
    _, t_ruled = narration.assemble(ruled, sr, pauses)
    gap = lambda t: t[1]["start_s"] - t[0]["end_s"]  # noqa: E731
    assert gap(t_plain) == pytest.approx(0.4, abs=1e-3)
    assert gap(t_ruled) == pytest.approx(1.2, abs=1e-3)
