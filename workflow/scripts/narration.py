# Rule script: thin on purpose; the logic is kokoro_narrate.narration, then encode, captions and
# snippet for the narration's publishable files.
import json
import logging

from kokoro_narrate import (
    alignment,
    captions,
    encode,
    log_to_file,
    narration,
    phonemes,
    settings,
    snippet,
    synthesis,
)
from kokoro_narrate.cache import ChunkCache
from kokoro_narrate.engine import SAMPLE_RATE

log_to_file(snakemake.log[0])
cache = ChunkCache(snakemake.params.cache_dir)
out, loudness, pair = snakemake.output, snakemake.params.loudness, snakemake.params.pair


def repair(lost):
    """Chunks the cache lost since synthesis: made again here, in the same run."""
    memo_dir = snakemake.params.memo_dir
    plan = settings.load(snakemake.config, memo_dir=memo_dir)
    voice_work = synthesis.voice_work_for(snakemake.params.engine["model"], plan.voices, memo_dir)
    digest, load_pack = voice_work(snakemake.wildcards.voice)
    work = synthesis.Work([], digest, pair["speed"], load_pack)
    engine = synthesis.open_engine(snakemake.params.engine, snakemake.threads, memo_dir)
    synthesis.resynthesize(lost, work, engine, cache)


pieces = narration.pieces_from_cache(
    synthesis.read_synthesized(snakemake.input.synthesized),
    cache,
    repair=repair,
    phonemes=phonemes.read_chunks(snakemake.input.phonemes),
)
narration.build_narration(
    pieces,
    SAMPLE_RATE,
    narration.Pauses(**snakemake.params.pauses),
    target_lufs=loudness["target_lufs"],
    ceiling_dbtp=loudness["true_peak_dbtp"],
    wav_path=out.wav,
    timing_path=out.timing,
    vocab=alignment.vocab_loader(snakemake.params.engine["model"]),
)

with open(out.timing, encoding="utf-8") as timing_file:
    timing = json.load(timing_file)
tags = encode.post_tags(
    timing,
    snakemake.input.post[0] if snakemake.input.post else None,
    title=pair["title"],
    album=snakemake.params.tags["album"],
    author=snakemake.params.tags["author"],
)
for codec, kbps in snakemake.params.kbps.items():
    measured, kept = encode.encode_unless_made(
        out.wav,
        getattr(out, codec),
        getattr(out, f"{codec}_measured"),
        codec,
        kbps,
        loudness,
        tags,
        snakemake.params.versions["encode"],
    )
    logging.info(
        "%s %s: %s", codec, "kept (made from the same master)" if kept else "encoded", measured
    )
logging.info(
    "captions: %s",
    captions.build_captions(timing, out.vtt, out.srt, out.chapters, title=pair["title"] or None),
)
snippet.build_snippet(
    {
        "timing": out.timing,
        "wav": out.wav,
        "vtt": out.vtt,
        "chapters": out.chapters,
        **{codec: getattr(out, codec) for codec in snakemake.params.kbps},
    },
    out.snippet,
    base_url=snakemake.params.base_url,
    title=pair["title"] or None,
    lang=pair["lang"],
)
