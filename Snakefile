# kokoro-narrate: Markdown posts in corpus/ -> narration scripts -> phonemes -> synthesized
# chunks -> loudness-normalized narrations -> manifest and voice matrix, and for publishing: web
# encodes, captions and chapters, HTML snippets and a podcast feed. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/script.smk"
include: "workflow/rules/phonemes.smk"
include: "workflow/rules/synthesis.smk"
include: "workflow/rules/narration.smk"
include: "workflow/rules/manifest.smk"
include: "workflow/rules/matrix.smk"
include: "workflow/rules/feed.smk"
include: "workflow/rules/cache.smk"
include: "workflow/rules/clean.smk"


rule all:
    """Every final output: a narration that went missing is rebuilt by a plain run."""
    default_target: True
    input:
        all_narrations,
        all_timings,
        "results/manifest.csv",
        "results/oov.csv",
        "results/matrix.csv",
        "results/matrix.html",
        all_encodes,
        all_captions,
        all_snippets,
        all_feeds,


onerror:
    describe_failures()
