# Rule script: thin on purpose; the logic is kokoro_narrate.synthesis.
from kokoro_narrate import log_to_file, phonemes, settings, synthesis, voices
from kokoro_narrate.cache import ChunkCache

log_to_file(snakemake.log[0])
memo_dir, model = snakemake.params.memo_dir, snakemake.params.engine["model"]
pair = snakemake.params.pair
voice = voices.Voice(
    pair["voice"]["id"], pair["voice"]["lang"], tuple(map(tuple, pair["voice"]["components"]))
)
digest, load_pack = synthesis.voice_work_for(model, {voice.id: voice}, memo_dir)(voice.id)
work = synthesis.Work(
    phonemes.read_chunks(snakemake.input.phonemes), digest, pair["speed"], load_pack
)


def build():
    """Every narration of the build (for the prefill): planned from the config, not from params or
    inputs, so adding a post elsewhere never reruns this job."""
    plan = settings.load(snakemake.config, memo_dir=memo_dir)
    folder = snakemake.params.phonemes_dir
    path = lambda post, lang: f"{folder}/{lang}/{post}.jsonl"  # noqa: E731
    return synthesis.build_work(plan, path, synthesis.voice_work_for(model, plan.voices, memo_dir))


engine = synthesis.open_engine(snakemake.params.engine, snakemake.threads, memo_dir)
chunks = synthesis.synthesize_post(
    work,
    engine,
    ChunkCache(snakemake.params.cache_dir),
    build if snakemake.params.prefill else None,
    # from the config, not params: the size of the waves changes no output, so it reruns nothing
    snakemake.config["synthesis"]["wave_chunks"],
)
synthesis.write_synthesized(chunks, snakemake.output[0])
