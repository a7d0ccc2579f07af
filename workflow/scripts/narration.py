# Rule script: thin on purpose; the logic is kokoro_narrate.narration.
from kokoro_narrate import alignment, log_to_file, narration, phonemes, settings, synthesis
from kokoro_narrate.cache import ChunkCache
from kokoro_narrate.engine import SAMPLE_RATE

log_to_file(snakemake.log[0])
cache = ChunkCache(snakemake.params.cache_dir)


def repair(lost):
    """Chunks the cache lost since synthesis: made again here, in the same run."""
    memo_dir = snakemake.params.memo_dir
    plan = settings.load(snakemake.config, memo_dir=memo_dir)
    voice_work = synthesis.voice_work_for(snakemake.params.engine["model"], plan.voices, memo_dir)
    digest, load_pack = voice_work(snakemake.wildcards.voice)
    work = synthesis.Work([], digest, snakemake.params.pair["speed"], load_pack)
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
    target_lufs=snakemake.params.loudness["target_lufs"],
    ceiling_dbtp=snakemake.params.loudness["true_peak_dbtp"],
    wav_path=snakemake.output.wav,
    timing_path=snakemake.output.timing,
    vocab=alignment.vocab_loader(snakemake.params.engine["model"]),
)
