# Rule script: thin on purpose; the logic is kokoro_narrate.captions.
import json
import logging

from kokoro_narrate import captions, log_to_file

log_to_file(snakemake.log[0])
with open(snakemake.input[0], encoding="utf-8") as timing_file:
    timing = json.load(timing_file)
counts = captions.build_captions(
    timing,
    snakemake.output.vtt,
    snakemake.output.srt,
    snakemake.output.chapters,
    title=snakemake.params.title or None,
)
logging.info("%s", counts)
