# Rule script: thin on purpose; the logic is kokoro_narrate.manifest.
from kokoro_narrate import log_to_file, manifest
from kokoro_narrate.cache import ChunkCache, referenced_keys

log_to_file(snakemake.log[0])
rows = manifest.rows(
    snakemake.params.pairs,
    snakemake.params.skipped,
    encodes=snakemake.params.encodes,
    memo_dir=snakemake.params.digests,
    threads=snakemake.threads,
)
manifest.write_manifest(manifest.build_manifest(rows), snakemake.output[0])
# this project's entries, recorded in the (possibly shared) cache so no other project prunes them
synthesized = [pair["files"]["synthesized"] for pair in snakemake.params.pairs]
ChunkCache(snakemake.params.cache_dir).record_project(".", referenced_keys(synthesized))
