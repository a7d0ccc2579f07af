"""Synthesis: every chunk of one post in one voice, from the cache if there, else from the engine.

The job writes a chunk list (JSON Lines) that names each chunk's cache key; the narration stage
reads the audio back from the cache by that key. Only cache misses cost model time, so editing one
paragraph re-synthesizes only that paragraph's chunks.

The model loads once per build. Snakemake runs one synthesis job per post and voice (so outputs,
logs and rebuilds stay per post), but the first of them that finds a chunk missing does not stop at
its own post: it loads the model and synthesizes every chunk the whole build is missing, all posts
and all voices, in length-bucketed batches (`prefill`), in waves of whole narrations (config
`synthesis.wave_chunks`). The jobs after it find their chunks in the cache and finish without
importing torch. The phonemes stage runs first (its rules have a higher priority), so with the
README's --cores 1 every post's phonemes are there by then; with more cores the prefill takes in
the posts whose phonemes appear while it works, and a post whose phonemes come after it has
finished is synthesized by its own job (a second model load).

Synthesis jobs claim no `gpu` resource, so that those that only read the cache run side by side
instead of one at a time behind the prefill. What keeps the model to one process per machine is a
lock (engine.machine_lock) taken by a job that finds a chunk missing. A job started while the
prefill runs waits for it with its chunk keys named beside the lock; the prefill makes the
narrations that waiting jobs want in its next wave, and each such job ends as soon as its chunks
are made, so its narration runs on a free core while the model goes on with the next wave.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import partial

from . import files
from .cache import ChunkCache, chunk_key
from .engine import Engine, Request
from .phonemes import Chunk, read_chunks

log = logging.getLogger(__name__)

# Chunks per engine call; each is cached as the engine hands it over (a GPU engine a batch at a
# time), so a killed job loses only what was being made. A GPU engine buckets a slice by length
# and batches it: 256 keeps its batches full. On the CPU chunks go one at a time (about a second
# of work per second of audio), so a slice of 256 would log progress once an hour: 8 keeps the
# progress log moving.
SLICE = {"batched": 256, "single": 8}


@dataclass
class SynthesizedChunk:
    paragraph: str
    chunk: int
    chunks_in_paragraph: int
    kind: str
    text: str
    words: int
    phonemes: str  # what Kokoro read: lets narration re-synthesize a chunk the cache lost
    key: str  # cache key of the audio
    samples: int
    duration_s: float
    wpm: float  # words per minute of this chunk as Kokoro spoke it (untrimmed)
    cached: bool  # taken from the cache rather than synthesized in this run
    pause_before: bool = False


@dataclass(frozen=True)
class Work:
    """One narration's chunks, with what the engine needs to make them."""

    chunks: list[Chunk]
    voice_digest: str
    speed: float
    load_pack: Callable[[], object]  # the voice's style tensor (imports torch: only when needed)


def seed_from_key(key: str) -> int:
    return int(key[:15], 16)


def keys_of(work: Work, engine: Engine) -> list[str]:
    return [
        chunk_key(c.phonemes, work.voice_digest, work.speed, engine.identity) for c in work.chunks
    ]


def fill(
    wanted: dict[str, tuple[Chunk, Work]],
    engine: Engine,
    cache: ChunkCache,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Synthesize every (key -> chunk) in `wanted` into the cache, shortest first, in slices;
    return the seconds of audio made. Logs progress with an ETA after every slice."""
    todo = sorted(wanted.items(), key=lambda kv: (len(kv[1][0].phonemes), kv[0]))
    start, made_s, done = clock(), 0.0, 0
    size = SLICE["batched" if getattr(engine, "batched", False) else "single"]
    for first in range(0, len(todo), size):
        part = todo[first : first + size]
        requests = [
            Request(chunk.phonemes, work.load_pack(), work.speed, seed_from_key(key))
            for key, (chunk, work) in part
        ]
        # each entry to the cache as it comes: the slice's audio is never all in memory at once
        for n, entry in engine.synthesize_each(requests):
            cache.put(part[n][0], entry)
            made_s += len(entry.audio) / engine.sample_rate
        done += len(part)
        elapsed = clock() - start
        log.info(
            "synthesized %d/%d chunks: %.1f s of audio in %.1f s, ETA %.0f s",
            done,
            len(todo),
            made_s,
            elapsed,
            elapsed / done * (len(todo) - done),
        )
    if todo:
        elapsed = clock() - start
        log.info(
            "synthesized %d chunks, %.1f s of audio in %.1f s (%.1fx real time)",
            len(todo),
            made_s,
            elapsed,
            made_s / elapsed if elapsed else 0.0,
        )
    return made_s


def missing_chunks(work: Work, engine: Engine, cache: ChunkCache) -> dict:
    """{key: (chunk, work)} of the chunks of `work` that the cache lacks."""
    return {
        key: (chunk, work)
        for key, chunk in zip(keys_of(work, engine), work.chunks, strict=True)
        if key not in cache
    }


def next_wave(
    narrations: list[dict], waiting: set[str], size: int, last: frozenset[str] = frozenset()
) -> dict:
    """The chunks of the next wave: whole narrations, first those whose missing chunks waiting
    jobs want, all of them (a waiting job's own: it names every chunk it lacks), then the others
    in their order, and those of `last` (the prefill's own, whose job ends with the prefill
    whatever it does first) at the end, until the wave holds `size` chunks or more (0: all). A
    narration that merely shares a chunk with a waiting job keeps its place: posts that share
    sentences would otherwise fill the first wave before the waiting jobs' own narrations."""

    def rank(narration: dict) -> int:
        if narration.keys() <= last:
            return 2
        return 0 if narration.keys() <= waiting else 1

    wave: dict = {}
    for narration in sorted(narrations, key=rank):  # stable: in their order within a rank
        if size and len(wave) >= size:
            break
        wave.update(narration)
    return wave


def prefill(
    build: Callable[[], Iterable[Work]],
    engine: Engine,
    cache: ChunkCache,
    wave_chunks: int = 0,
    own: Iterable[str] = (),
) -> int:
    """Synthesize every chunk of the whole build that the cache lacks, in waves of whole
    narrations (next_wave); return how many.

    A narration's chunks are all made at the end of its wave, so its job, which waits for the
    lock, finds them and ends, and its narration starts on the CPU while the next wave is
    synthesized. Waves of fewer chunks start the narrations sooner and fill a GPU's length
    buckets less well (README "GPU, CPU and clusters"). The narration of the job that prefills
    (the keys `own`) goes last. The build is asked for again before each wave (build_work reads
    only the phoneme files that changed): with --cores N the posts whose phonemes appear meanwhile
    are taken in."""
    made, own = 0, frozenset(own)
    # what each narration still lacks, kept between waves: a wave's chunks are taken off it, and
    # only a narration the build had not given before is looked up in the cache, so planning a
    # wave costs the build's new narrations, not all of them again (build_work hands back the
    # same Work for a narration whose phonemes are unchanged)
    lacking: dict[int, tuple[Work, dict]] = {}  # by id: the last round's Works are alive here
    while True:
        works = list(build())
        lacking = {
            id(work): lacking.get(id(work)) or (work, missing_chunks(work, engine, cache))
            for work in works
        }
        narrations = [missing for _, missing in lacking.values() if missing]
        if not narrations:
            return made
        # the model first (seconds of imports and loading on a GPU): by the time the first wave is
        # planned, the jobs Snakemake started beside this one have named what they wait for
        engine.load()
        waiting = engine.waiting()
        wave = next_wave(narrations, waiting, wave_chunks, own)
        taken = sum(1 for n in narrations if not wave.keys().isdisjoint(n))
        log.info(
            "the build lacks chunks of %d narrations: synthesizing %d chunks of %d of them now "
            "(%d wanted by waiting jobs), with the model loaded once",
            len(narrations),
            len(wave),
            taken,
            len(waiting & wave.keys()),
        )
        todo = {key: v for key, v in wave.items() if key not in cache}  # not made elsewhere
        fill(todo, engine, cache)
        made += len(todo)
        for missing in narrations:
            for key in wave.keys() & missing.keys():
                del missing[key]


def all_made(cache: ChunkCache, keys: Iterable[str]) -> bool:
    return all(cache.samples(key) is not None for key in keys)


def synthesize_post(
    work: Work,
    engine: Engine,
    cache: ChunkCache,
    build: Callable[[], Iterable[Work]] | None = None,
    wave_chunks: int = 0,
) -> list[SynthesizedChunk]:
    """Fill the cache for every chunk of `work` and describe them. When a chunk is missing and
    `build` is given, first synthesize everything the whole build lacks, in waves of
    `wave_chunks` (see the module doc and `prefill`). Synthesis happens inside
    `engine.exclusive()` (engine.machine_lock): a job that waits for it leaves as soon as the
    holder has made its chunks, and loads no model for that."""
    keys = keys_of(work, engine)
    missing = {k for k in keys if k not in cache}
    log.info(
        "%d chunks: %d in the cache, %d to synthesize",
        len(keys),
        len(keys) - len(missing),
        len(missing),
    )
    # The audio itself is checked (size, sha256) when narration reads it, and a damaged entry is
    # made again there; here the metadata's sample count is enough, so a job whose chunks are all
    # cached reads no audio.
    samples = {key: cache.samples(key) for key in dict.fromkeys(keys)}
    while absent := sorted(key for key, count in samples.items() if count is None):
        with engine.exclusive(absent, partial(all_made, cache, absent)) as free:
            if free:
                if build is not None:
                    prefill(build, engine, cache, wave_chunks, keys)
                lost = {
                    k: (c, work)
                    for k, c in zip(keys, work.chunks, strict=True)
                    if cache.samples(k) is None
                }
                fill(lost, engine, cache)  # chunks the prefill could not see, or damaged metadata
        samples = {key: cache.samples(key) for key in samples}
    results = []
    for chunk, key in zip(work.chunks, keys, strict=True):
        duration = samples[key] / engine.sample_rate
        results.append(
            SynthesizedChunk(
                paragraph=chunk.paragraph,
                chunk=chunk.chunk,
                chunks_in_paragraph=chunk.chunks_in_paragraph,
                kind=chunk.kind,
                text=chunk.text,
                words=chunk.words,
                phonemes=chunk.phonemes,
                key=key,
                samples=samples[key],
                duration_s=round(duration, 6),
                wpm=round(chunk.words / duration * 60, 2) if duration else 0.0,
                cached=key not in missing,
                pause_before=chunk.pause_before,
            )
        )
    return results


def build_work(plan, phonemes_path: Callable[[str, str], str], voice_work) -> list[Work]:
    """The Work of every narration in `plan` (settings.Settings) whose phonemes are written: what
    the prefill plans its waves from, called again before each wave.

    `phonemes_path(post, lang)` names a post's phoneme file; `voice_work(voice_id)` returns
    (voice digest, pack loader) for a voice. A file is read once while it stays the same
    (_phonemes_of), and a narration whose phonemes, voice and speed are unchanged gets the same
    Work back, which the prefill knows: on a blog of 1,000 posts in 5 voices, reading every file
    and looking up every chunk again took longer than synthesizing a wave.
    """
    out = []
    for post_id, voice_id in plan.pairs():
        chunks = _phonemes_of(phonemes_path(post_id, plan.voice(voice_id).lang))
        if chunks is None:
            continue
        digest, load_pack = voice_work(voice_id)
        speed = plan.posts[post_id].speed
        work = _BUILT.get((post_id, voice_id, digest, speed))
        if work is None or work.chunks is not chunks:
            work = _BUILT[post_id, voice_id, digest, speed] = Work(chunks, digest, speed, load_pack)
        out.append(work)
    return out


# What build_work has read and made, for the life of the job (the prefill calls it per wave)
_READ: dict[str, tuple[tuple[int, int, int], list[Chunk]]] = {}
_BUILT: dict[tuple[str, str, str, float], Work] = {}


def _phonemes_of(path: str) -> list[Chunk] | None:
    """A phoneme file's chunks, read again only when the file was replaced (its inode, size and
    time), with their phonemes and places alone: the text and word spans, most of a chunk's
    memory, are for the narration, and a blog's every chunk is held here. None while the file is
    missing or being written."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    known = _READ.get(path)
    if known is not None and known[0] == signature:
        return known[1]
    try:
        chunks = [
            Chunk(c.paragraph, c.chunk, c.chunks_in_paragraph, c.kind, "", c.phonemes, 0)
            for c in read_chunks(path)
        ]
    except (OSError, ValueError, TypeError):  # being rewritten right now: its own job will do
        return None
    _READ[path] = (signature, chunks)
    return chunks


def write_synthesized(chunks: list[SynthesizedChunk], path) -> None:
    # `cached` describes this run, not the audio: keep it out of the file so output bytes depend
    # only on the inputs (it goes to the log instead).
    lines = []
    for chunk in chunks:
        record = asdict(chunk)
        del record["cached"]
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    files.write_text(path, "".join(lines))


def read_synthesized(path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def open_engine(params: dict, threads: int, memo_dir) -> Engine:
    """The engine the config describes (`params`: model, device, dtype, batch_frames,
    cpu_engine, compile)."""
    from .engine import KokoroEngine, ModelSettings

    return KokoroEngine(
        ModelSettings.from_config(params["model"]),
        device=params["device"],
        threads=threads,
        memo_dir=memo_dir,
        dtype=params["dtype"],
        batch_frames=params["batch_frames"],
        cpu_engine=params["cpu_engine"],
        compile=params["compile"],
    )


def voice_work_for(model: dict, voices: dict, memo_dir) -> Callable[[str], tuple[str, Callable]]:
    """voice id -> (voice digest, loader of its style tensor), each computed once."""
    from functools import cache

    from . import voices as voicelib
    from .engine import ModelSettings, locate_voice

    locate = partial(locate_voice, ModelSettings.from_config(model))

    @cache
    def pack(voice_id):
        return voicelib.load_pack(voices[voice_id], locate)

    @cache
    def work(voice_id):
        digest = voicelib.voice_digest(voices[voice_id], locate, memo_dir)
        return digest, partial(pack, voice_id)

    return work


def resynthesize(records: list[dict], work: Work, engine: Engine, cache: ChunkCache) -> None:
    """Make again, under the same keys, chunks of a written chunk list that the cache has lost,
    inside `engine.exclusive()` (engine.machine_lock)."""
    wanted = {}
    for record in records:
        key = chunk_key(record["phonemes"], work.voice_digest, work.speed, engine.identity)
        if key != record["key"]:
            raise RuntimeError(
                f"chunk {record['paragraph']}.{record['chunk']} was synthesized with another "
                "model, voice or engine set-up than the current config; rebuild it with: "
                "snakemake --cores 1 --resources gpu=1 --forcerun synthesis"
            )
        fields = {k: record[k] for k in ("paragraph", "chunk", "chunks_in_paragraph", "kind")}
        chunk = Chunk(**fields, text=record["text"], phonemes=record["phonemes"], words=0)
        wanted[key] = (chunk, work)
    log.warning("re-synthesizing %d chunks the cache lost", len(wanted))
    with engine.exclusive():
        fill(wanted, engine, cache)


def speak(text: str, lang: str, lexicon: dict, work: Work, engine: Engine) -> list:
    """`text` as a post's paragraph would be said (normalizer, lexicon, G2P, chunking) in the
    voice of `work`: the audio of each piece, for the `say` target. Logs the phonemes, so an
    entry can be checked by eye and by ear before a build."""
    from .phonemes import G2P, KOKORO_WINDOW, chunk_paragraph, say

    g2p = G2P(lang, lexicon)
    said = say(text, lang, g2p=g2p)
    log.info("%r is read as %r: %s", text, said.spoken, said.phonemes)
    if said.oov:
        log.warning("through the espeak fallback: %s", ", ".join(said.oov))
    pieces, _ = chunk_paragraph(said.spoken, g2p, KOKORO_WINDOW)
    requests = [Request(ps, work.load_pack(), work.speed, n) for n, (_, ps) in enumerate(pieces)]
    with engine.exclusive():
        return [entry.audio for entry in engine.synthesize_many(requests)]
