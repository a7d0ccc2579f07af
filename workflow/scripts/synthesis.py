# Rule script: thin on purpose; the logic is kokoro_narrate.synthesis.
from functools import partial

from kokoro_narrate import log_to_file, phonemes, settings, synthesis
from kokoro_narrate.cache import ChunkCache

log_to_file(snakemake.log[0])
memo_dir = snakemake.params.memo_dir
# the whole build's plan, for the prefill; read from the config (not a param or an input), so that
# adding a post elsewhere never reruns this job
plan = settings.load(snakemake.config, memo_dir=memo_dir)
voice_work = synthesis.voice_work_for(snakemake.params.engine["model"], plan.voices, memo_dir)
digest, load_pack = voice_work(snakemake.wildcards.voice)
work = synthesis.Work(
    phonemes.read_chunks(snakemake.input.phonemes),
    digest,
    snakemake.params.pair["speed"],
    load_pack,
)
build = None
if snakemake.params.prefill:
    folder = snakemake.params.phonemes_dir
    build = partial(
        synthesis.build_work, plan, lambda post, lang: f"{folder}/{lang}/{post}.jsonl", voice_work
    )
engine = synthesis.open_engine(snakemake.params.engine, snakemake.threads, memo_dir)
chunks = synthesis.synthesize_post(work, engine, ChunkCache(snakemake.params.cache_dir), build)
synthesis.write_synthesized(chunks, snakemake.output[0])
