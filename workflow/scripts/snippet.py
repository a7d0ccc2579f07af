# Rule script: thin on purpose; the logic is kokoro_narrate.snippet.
from kokoro_narrate import log_to_file, snippet

log_to_file(snakemake.log[0])
snippet.build_snippet(
    dict(snakemake.input.items()),
    snakemake.output[0],
    base_url=snakemake.params.base_url,
    title=snakemake.params.title or None,
    lang=snakemake.params.lang,
)
