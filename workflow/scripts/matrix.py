# Rule script: thin on purpose; the logic is kokoro_narrate.matrix.
from kokoro_narrate import log_to_file
from kokoro_narrate.matrix import build_matrix

log_to_file(snakemake.log[0])
build_matrix(
    manifest=snakemake.input.manifest,
    out_dir=snakemake.output.matrix,
    csv=snakemake.output.csv,
    page=snakemake.output.page,
    excerpt_s=snakemake.params.excerpt_s,
    threads=snakemake.threads,
    excerpt_cache=snakemake.params.excerpt_cache,
)
