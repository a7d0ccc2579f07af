# Rule script: thin on purpose; the logic is kokoro_narrate.cache.
from kokoro_narrate import log_to_file
from kokoro_narrate.cache import ChunkCache, tidy

log_to_file(snakemake.log[0])
print(tidy(ChunkCache(snakemake.params.cache_dir), snakemake.input, snakemake.params.prune))
