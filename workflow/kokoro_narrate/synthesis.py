"""Synthesis: every chunk of one post in one voice, from the cache if there, else from the engine.

The job writes a chunk list (JSON Lines) that names each chunk's cache key; the narration stage
reads the audio back from the cache by that key. Only cache misses cost model time, so editing one
paragraph re-synthesizes only that paragraph's chunks.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from .cache import ChunkCache, chunk_key
from .engine import Engine
from .phonemes import Chunk

log = logging.getLogger(__name__)


@dataclass
class SynthesizedChunk:
    paragraph: str
    chunk: int
    chunks_in_paragraph: int
    kind: str
    text: str
    words: int
    phonemes: int  # length of the phoneme string
    key: str  # cache key of the audio
    samples: int
    duration_s: float
    wpm: float  # words per minute of this chunk as Kokoro spoke it (untrimmed)
    cached: bool  # taken from the cache rather than synthesized in this run
    pause_before: bool = False


def seed_from_key(key: str) -> int:
    return int(key[:15], 16)


def synthesize_post(
    chunks: list[Chunk],
    style,
    voice_digest: str,
    speed: float,
    engine: Engine,
    cache: ChunkCache,
    clock: Callable[[], float] = time.monotonic,
) -> list[SynthesizedChunk]:
    """Fill the cache for every chunk and describe them; logs progress with an ETA per chunk."""
    keys = [chunk_key(c.phonemes, voice_digest, speed, engine.identity) for c in chunks]
    missing = {k for k in keys if k not in cache}
    log.info(
        "%d chunks: %d in the cache, %d to synthesize",
        len(chunks),
        len(chunks) - len(missing),
        len(missing),
    )
    start, made_s, done = clock(), 0.0, 0
    results = []
    for n, (chunk, key) in enumerate(zip(chunks, keys, strict=True), start=1):
        entry = cache.get(key) if key not in missing else None
        cached = entry is not None
        if entry is None:
            entry = engine.synthesize(chunk.phonemes, style, speed, seed_from_key(key))
            cache.put(key, entry)
            done += 1
            made_s += len(entry.audio) / engine.sample_rate
            elapsed = clock() - start
            todo = max(0, len(missing) - done)  # a damaged entry found on read adds one
            eta = elapsed / done * todo
            log.info(
                "chunk %d/%d (%s.%d): %.1f s of audio made, %.1f s elapsed, ETA %.0f s",
                n,
                len(chunks),
                chunk.paragraph,
                chunk.chunk,
                made_s,
                elapsed,
                eta,
            )
        duration = len(entry.audio) / engine.sample_rate
        results.append(
            SynthesizedChunk(
                paragraph=chunk.paragraph,
                chunk=chunk.chunk,
                chunks_in_paragraph=chunk.chunks_in_paragraph,
                kind=chunk.kind,
                text=chunk.text,
                words=chunk.words,
                phonemes=len(chunk.phonemes),
                key=key,
                samples=len(entry.audio),
                duration_s=round(duration, 6),
                wpm=round(chunk.words / duration * 60, 2) if duration else 0.0,
                cached=cached,
                pause_before=chunk.pause_before,
            )
        )
    if done:
        elapsed = clock() - start
        log.info(
            "synthesized %d chunks, %.1f s of audio in %.1f s (real-time factor %.3f)",
            done,
            made_s,
            elapsed,
            elapsed / made_s if made_s else 0.0,
        )
    return results


def write_synthesized(chunks: list[SynthesizedChunk], path) -> None:
    # `cached` describes this run, not the audio: keep it out of the file so output bytes depend
    # only on the inputs (it goes to the log instead).
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for chunk in chunks:
            record = asdict(chunk)
            del record["cached"]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_synthesized(path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
