"""Join Kokoro chunks into one narration: trim, pause, normalize, write, time.

Kokoro pads every chunk with silence (and a little noise floor) of varying length, so chunks are
trimmed to their speech plus a small fixed margin and joined with explicit pauses. Positions are
counted in integer samples all the way through, so the timing JSON (what captions and chapters are
built on) never drifts from the audio.

The rule the timing JSON keeps: every position is a whole sample of the written narration, and
each piece (one chunk) says where its kept audio is in the narration (kept_start_sample,
kept_end_sample) and which sample of the chunk lands at kept_start_sample (chunk_offset_sample), so
chunk sample c is narration sample kept_start_sample + c - chunk_offset_sample. Word times
(`words`, from Kokoro's durations through alignment.py) are chunk positions moved by that rule and
kept inside the kept audio; seconds, where given, are derived from samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from . import alignment, defaults, files
from .loudness import CHUNK, normalize_pcm16
from .phonemes import SENTENCE_END

# trim analysis: RMS of non-overlapping 10 ms frames, in dBFS
TRIM_FRAME_S = 0.010
# a frame louder than this is speech (see bench/measure_speech.py for the calibration)
TRIM_THRESHOLD_DB = -50.0
# audio kept around the detected speech: onsets need little, but word ends decay slowly below the
# threshold (final consonants, breath), so keep more at the end
LEAD_MARGIN_S = 0.030
TAIL_MARGIN_S = 0.060
# raised-cosine fade at every cut point, inside the margin, so no cut clicks
FADE_S = 0.005

HEADING_KINDS = ("title", "heading")


@dataclass(frozen=True)
class Pauses:
    """Silence between the speech of two pieces (trim margins included), in ms.

    Calibrated on real Kokoro-82M speech (bench/measure_speech.py): Kokoro's own pause at a
    sentence end inside one chunk is 400-580 ms (mean 487) at the trim threshold, so a split
    paragraph sounds unsplit with sentence_ms = 500, and a paragraph break needs clearly more.
    """

    paragraph_ms: int
    heading_ms: int  # after a heading (and before one)
    sentence_ms: int  # between pieces of one paragraph that was split to fit the model window
    edge_ms: int  # silence at the start and the end of the narration

    @classmethod
    def from_config(cls, pauses: dict | None = None, **overrides) -> Pauses:
        """Config `pauses` (default: the schema's defaults, the only place they are written)."""
        return cls(**{**defaults.section("pauses"), **(pauses or {}), **overrides})


@dataclass(frozen=True)
class Piece:
    audio: np.ndarray  # float32 mono, as Kokoro made it
    paragraph: str  # paragraph id, e.g. "p0003"
    kind: str  # "title", "heading", "paragraph", "list_item", "quote", "figure", "added"
    pause_before: bool = False  # a horizontal rule: at least a heading's pause before this piece
    chunk: int = 0  # index of this chunk within its paragraph
    text: str = ""  # the words it says (the script's)
    phonemes: str = ""
    frames: tuple[int, ...] = ()  # Kokoro's predicted frames per input token
    spans: tuple[tuple[int, ...], ...] = ()  # the phonemes stage's word spans (Chunk.spans)


def pieces_from_cache(chunks: list[dict], cache, repair=None, phonemes=()) -> list[Piece]:
    """The synthesis stage's chunk list, with each chunk's audio read back from the cache.

    A chunk the cache has lost (damaged, pruned, deleted) is handed to `repair(records)`, which
    synthesizes it again under the same key, so a narration never fails for want of a chunk.
    `phonemes` is the phonemes stage's chunks (phonemes.Chunk) of the same post: their word spans
    go with the pieces whose phonemes they describe.
    """
    spans = {(c.paragraph, c.chunk, c.phonemes): c.spans for c in phonemes}
    entries = {chunk["key"]: cache.get(chunk["key"]) for chunk in chunks}
    lost = [c for c in chunks if entries[c["key"]] is None]
    if lost:
        if repair is None:
            raise RuntimeError(
                f"{len(lost)} chunks are missing from the chunk cache {cache.root}; rebuild "
                "them with: snakemake --cores 1 --resources gpu=1 --forcerun synthesis"
            )
        repair(lost)
        entries.update({c["key"]: cache.get(c["key"]) for c in lost})
    pieces = []
    for chunk in chunks:
        entry = entries[chunk["key"]]
        if entry is None or len(entry.audio) != chunk["samples"]:
            raise RuntimeError(
                f"chunk {chunk['paragraph']}.{chunk['chunk']} ({chunk['key'][:12]}) came back "
                f"from the chunk cache {cache.root} with other samples than were listed; rebuild "
                "it with: snakemake --cores 1 --resources gpu=1 --forcerun synthesis"
            )
        pieces.append(
            Piece(
                entry.audio,
                chunk["paragraph"],
                chunk["kind"],
                chunk.get("pause_before", False),
                chunk=chunk["chunk"],
                text=chunk["text"],
                phonemes=chunk["phonemes"],
                frames=tuple(entry.frames),
                spans=tuple(
                    map(
                        tuple,
                        spans.get((chunk["paragraph"], chunk["chunk"], chunk["phonemes"]), ()),
                    )
                ),
            )
        )
    return pieces


def frame_levels_db(audio: np.ndarray, sr: int) -> np.ndarray:
    """RMS level (dBFS) of each full 10 ms frame; a partial last frame is zero-padded."""
    hop = max(1, round(TRIM_FRAME_S * sr))
    x = np.asarray(audio, dtype=np.float64)
    frames = np.zeros(-(-x.size // hop) * hop)
    frames[: x.size] = x
    power = np.mean(frames.reshape(-1, hop) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power)


def speech_bounds(audio: np.ndarray, sr: int) -> tuple[int, int] | None:
    """First and one-past-last sample of speech, or None when nothing is above the threshold.

    Found on 10 ms frames, then refined to the sample: within the frame before the first loud
    frame (and after the last one) the bound moves to the first (last) sample above the
    threshold amplitude, so a clean onset is located exactly.
    """
    first, last = _edge_loud_frame(audio, sr, from_end=False), _edge_loud_frame(audio, sr, True)
    if first is None:
        return None
    x = np.asarray(audio)
    hop = max(1, round(TRIM_FRAME_S * sr))
    level = 10.0 ** (TRIM_THRESHOLD_DB / 20.0)
    lo = max(0, (first - 1) * hop)
    above = np.flatnonzero(np.abs(np.asarray(x[lo : (first + 1) * hop], np.float64)) > level)
    start = lo + int(above[0]) if above.size else first * hop
    hi = min(x.size, (last + 2) * hop)
    above = np.flatnonzero(np.abs(np.asarray(x[last * hop : hi], np.float64)) > level)
    end = last * hop + int(above[-1]) + 1 if above.size else min(x.size, (last + 1) * hop)
    return start, end


def _edge_loud_frame(audio: np.ndarray, sr: int, from_end: bool) -> int | None:
    """The first (or last) frame louder than the threshold, measuring frames from that end in
    growing steps, each as frame_levels_db measures it: a chunk's speech starts within a second
    of its edges, so the frames in between (most of the chunk) need no measuring."""
    hop = max(1, round(TRIM_FRAME_S * sr))
    frames, done, step = -(-len(audio) // hop), 0, 32
    while done < frames:
        take = min(step, frames - done)
        lo = frames - done - take if from_end else done
        loud = np.flatnonzero(
            frame_levels_db(audio[lo * hop : (lo + take) * hop], sr) > TRIM_THRESHOLD_DB
        )
        if loud.size:
            return lo + int(loud[-1] if from_end else loud[0])
        done, step = done + take, step * 2
    return None


def trim(audio: np.ndarray, sr: int) -> tuple[int, int]:
    """Start/end sample to keep: the speech plus LEAD/TAIL_MARGIN_S (clipped to the chunk).

    Raises ValueError when the chunk has no speech at all.
    """
    bounds = speech_bounds(audio, sr)
    if bounds is None:
        raise ValueError(
            f"no speech above {TRIM_THRESHOLD_DB} dBFS in a chunk of {len(audio)} samples"
        )
    start = max(0, bounds[0] - round(LEAD_MARGIN_S * sr))
    end = min(len(audio), bounds[1] + round(TAIL_MARGIN_S * sr))
    return start, end


def _pause_ms(prev: Piece, cur: Piece, pauses: Pauses) -> int:
    if prev.paragraph == cur.paragraph:
        return pauses.sentence_ms
    if prev.kind in HEADING_KINDS or cur.kind in HEADING_KINDS or cur.pause_before:
        return pauses.heading_ms
    return pauses.paragraph_ms


def _fade(segment: np.ndarray, n: int) -> None:
    """Raised-cosine fade-in and fade-out of n samples, in place."""
    n = min(n, segment.size // 2)
    if n <= 0:
        return
    ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(segment.dtype)
    segment[:n] *= ramp
    segment[segment.size - n :] *= ramp[::-1]


def assemble(
    pieces: list[Piece], sr: int, pauses: Pauses, vocab=None
) -> tuple[np.ndarray, list[dict]]:
    """Join trimmed pieces with pauses; return the audio and one timing dict per piece.

    The timing of a piece is its speech (trim margins excluded), so the distance from one piece's
    end_s to the next one's start_s is exactly the configured pause, and the first start_s and the
    distance from the last end_s to the end of the audio are exactly edge_ms. The margins are taken
    out of the pause, not added to it. Each timing also places the kept audio and the piece's words
    (see the module docstring); `vocab` is alignment.vocab_loader's, for phonemes Kokoro reads only
    in part.
    """
    if not pieces:
        raise ValueError("nothing to assemble: no pieces")
    lead, tail = round(LEAD_MARGIN_S * sr), round(TAIL_MARGIN_S * sr)
    bounds = []
    for p in pieces:
        b = speech_bounds(p.audio, sr)
        if b is None:
            raise ValueError(
                f"piece {p.paragraph} ({p.kind}) has no speech above {TRIM_THRESHOLD_DB} dBFS"
            )
        bounds.append(b)

    # silence (in samples) before each piece and after the last one
    def samples(ms: int) -> int:
        return round(ms * sr / 1000)

    gaps = [samples(pauses.edge_ms)]
    gaps += [samples(_pause_ms(a, b, pauses)) for a, b in zip(pieces, pieces[1:], strict=False)]
    gaps.append(samples(pauses.edge_ms))

    # margin actually kept on each side of each piece: what the chunk has, and never more than
    # the pause it eats into (the tail gets the first half, the lead the rest)
    leads, tails = [], []
    for i, (p, (s, e)) in enumerate(zip(pieces, bounds, strict=True)):
        tails.append(min(tail, len(p.audio) - e, gaps[i + 1] // 2))
        leads.append(min(lead, s, gaps[i] - (tails[i - 1] if i else 0)))

    out, timings, pos = [], [], 0
    fade = round(FADE_S * sr)
    for i, (p, (s, e)) in enumerate(zip(pieces, bounds, strict=True)):
        silence = gaps[i] - leads[i] - (tails[i - 1] if i else 0)
        out.append(np.zeros(silence, np.float32))
        pos += silence
        segment = np.array(p.audio[s - leads[i] : e + tails[i]], dtype=np.float32)
        _fade(segment, fade)
        out.append(segment)
        start = pos + leads[i]
        timing = {
            "paragraph": p.paragraph,
            "chunk": p.chunk,
            "kind": p.kind,
            "text": p.text,
            # integer sample positions are the truth; seconds are derived from them
            "start_sample": int(start),
            "end_sample": int(start + e - s),
            "start_s": start / sr,
            "end_s": (start + e - s) / sr,
            "kept_start_sample": int(pos),
            "kept_end_sample": int(pos + segment.size),
            "chunk_offset_sample": int(s - leads[i]),
        }
        timing["word_timing"], timing["words"] = _words(p, timing, vocab)
        timings.append(timing)
        pos += segment.size
    out.append(np.zeros(gaps[-1] - tails[-1], np.float32))
    return np.concatenate(out), timings


def _words(piece: Piece, timing: dict, vocab) -> tuple[str, list[dict]]:
    """("word", the piece's words) where the phonemes stage gave word spans, ("sentence", its
    sentences) where only the sentence marks line up, else ("none", []); each with its place in
    the text (char_start, char_end) and its samples in the narration, inside the kept audio."""
    level, spans = "word", piece.spans
    if not spans:
        level, spans = (
            "sentence",
            alignment.sentence_spans(piece.text, piece.phonemes, SENTENCE_END),
        )
    placed = alignment.span_samples(piece.phonemes, piece.frames, spans, vocab) if spans else []
    if not placed:
        return "none", []
    lo, hi = timing["kept_start_sample"], timing["kept_end_sample"]
    shift = lo - timing["chunk_offset_sample"]
    words = []
    for char_start, char_end, first, last in placed:
        start = min(max(first + shift, lo), hi)
        words.append(
            {
                "text": piece.text[char_start:char_end],
                "char_start": char_start,
                "char_end": char_end,
                "start_sample": start,
                "end_sample": max(start, min(max(last + shift, lo), hi)),
            }
        )
    return level, words


def write_wav(path, audio: np.ndarray, sr: int) -> None:
    """Write 16-bit PCM mono WAV: plain rounding (no dither, so deterministic), never clipped."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio (1-D array), got shape {audio.shape}")
    q, peak = np.empty(audio.size, np.int16), 0.0
    for start in range(0, audio.size, CHUNK):  # in cache-sized steps, as loudness sweeps
        x = np.asarray(audio[start : start + CHUNK], dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("audio contains NaN or infinity")
        # libsndfile reads PCM_16 back as q / 32768, so scale by the same factor
        step = np.rint(x * 32768.0)
        peak = max(peak, np.abs(step).max(initial=0.0))
        q[start : start + CHUNK] = step if peak < 32767 else 0
    if peak >= 32767:
        raise ValueError(
            f"refusing to write clipped audio: peak {20 * np.log10(peak / 32768):.2f} dBFS "
            "reaches full scale (normalize it first)"
        )
    # the old narration stays whole until the new one is; the rule's outputs are also update(),
    # so Snakemake keeps the previous narration and restores it if the job fails
    with files.replacing(path) as tmp:
        sf.write(str(tmp), q, sr, subtype="PCM_16", format="WAV")


def build_narration(
    pieces: list[Piece],
    sr: int,
    pauses: Pauses,
    target_lufs: float,
    ceiling_dbtp: float,
    wav_path,
    timing_path,
    vocab=None,
) -> dict:
    """Stage entry point: assemble, normalize, write the WAV, measure what was written, write
    the timing JSON, and return the same dict."""
    audio, timings = assemble(pieces, sr, pauses, vocab)
    # measure the file, not the float array: this is what listeners get. normalize_pcm16 rounds
    # the samples as write_wav does and measures those, so reading the file back is not needed
    audio, m = normalize_pcm16(audio, sr, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)
    write_wav(wav_path, audio, sr)
    written, written_sr = audio, sr
    info = {
        "sample_rate": written_sr,
        "samples": int(written.size),
        "duration_s": written.size / written_sr,
        "lufs": round(m.lufs, 3),
        "true_peak_dbtp": round(m.true_peak_dbtp, 3),
        "pieces": timings,
    }
    files.write_text(timing_path, json.dumps(info, indent=1, sort_keys=True) + "\n")
    return info
