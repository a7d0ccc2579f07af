# Housekeeping for the chunk cache; run on demand: snakemake --cores 1 cache_report (or cache_prune).


rule cache_report:
    """Log the cache's size and how much of it the current build references."""
    input:
        all_synthesized,
    log:
        "logs/cache/report.log",
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        cache_dir=config["cache_dir"],
        prune=False,
    script:
        "../scripts/cache.py"


rule cache_prune:
    """Delete cache entries that no narration of the current build references."""
    input:
        all_synthesized,
    log:
        "logs/cache/prune.log",
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        cache_dir=config["cache_dir"],
        prune=True,
    script:
        "../scripts/cache.py"
