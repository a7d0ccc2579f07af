# Rule script: thin on purpose; the logic is kokoro_narrate.encode.
import json

from kokoro_narrate import encode, log_to_file

log_to_file(snakemake.log[0])
with open(snakemake.input.timing, encoding="utf-8") as timing_file:
    timing = json.load(timing_file)
tags = encode.post_tags(
    timing,
    snakemake.input.post[0] if snakemake.input.post else None,
    title=snakemake.params.title,
    album=snakemake.params.tags["album"],
    author=snakemake.params.tags["author"],
)
measured = encode.encode(
    snakemake.input.wav,
    snakemake.output.audio,
    snakemake.wildcards.codec,
    snakemake.params.kbps,
    target_lufs=snakemake.params.loudness["target_lufs"],
    ceiling_dbtp=snakemake.params.loudness["true_peak_dbtp"],
    tags=tags,
)
encode.write_measurement(measured, snakemake.output.measured)
