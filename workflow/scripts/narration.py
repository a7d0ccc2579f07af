# Rule script: thin on purpose; the logic is kokoro_narrate.narration.
from kokoro_narrate import log_to_file, narration
from kokoro_narrate.cache import ChunkCache
from kokoro_narrate.engine import SAMPLE_RATE
from kokoro_narrate.synthesis import read_synthesized

log_to_file(snakemake.log[0])
pieces = narration.pieces_from_cache(
    read_synthesized(snakemake.input[0]), ChunkCache(snakemake.params.cache_dir)
)
narration.build_narration(
    pieces,
    SAMPLE_RATE,
    narration.Pauses(**snakemake.params.pauses),
    target_lufs=snakemake.params.loudness["target_lufs"],
    ceiling_dbtp=snakemake.params.loudness["true_peak_dbtp"],
    wav_path=snakemake.output.wav,
    timing_path=snakemake.output.timing,
)
