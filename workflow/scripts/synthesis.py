# Rule script: thin on purpose; the logic is kokoro_narrate.synthesis.
from functools import partial

from kokoro_narrate import log_to_file, phonemes, synthesis, voices
from kokoro_narrate.cache import ChunkCache
from kokoro_narrate.engine import KokoroEngine, ModelSettings, locate_voice

log_to_file(snakemake.log[0])
model = ModelSettings.from_config(snakemake.params.model)
voice = voices.Voice(
    snakemake.params.voice["id"],
    snakemake.params.voice["lang"],
    tuple(tuple(c) for c in snakemake.params.voice["components"]),
)
cache = ChunkCache(snakemake.params.cache_dir)
engine = KokoroEngine(
    model,
    device=snakemake.params.device,
    threads=snakemake.threads,
    memo_dir=cache.root / ".digests",
)
style = voices.load_pack(voice, partial(locate_voice, model))
chunks = synthesis.synthesize_post(
    phonemes.read_chunks(snakemake.input.phonemes),
    style,
    voices.pack_digest(style),
    snakemake.params.speed,
    engine,
    cache,
)
synthesis.write_synthesized(chunks, snakemake.output[0])
