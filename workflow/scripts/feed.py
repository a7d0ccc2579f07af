# Rule script: thin on purpose; the logic is kokoro_narrate.feed.
from kokoro_narrate import feed, log_to_file
from kokoro_narrate.script import ScriptOptions

log_to_file(snakemake.log[0])
feed.build_feed_file(
    snakemake.output[0],
    snakemake.params.channel,
    snakemake.params.episodes,
    base_url=snakemake.params.base_url,
    voice=snakemake.wildcards.voice,
    options=ScriptOptions(**snakemake.params.script_options),
)
