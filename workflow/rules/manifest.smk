rule manifest:
    """Every narration's durations, words, loudness and checksum in one table."""

    # the encodes, made by the jobs that make the timings, are read but not asked for again:
    # asked for, each file costs Snakemake a fraction of a millisecond of planning, 20,000 of them
    # a sixth of a 1,000-post blog's in 5 voices (bench/dag.py)
    input:
        wavs=all_narrations,
        timings=all_timings,
    output:
        report(
            "results/manifest.csv",
            caption="../report/manifest.rst",
            category="Manifest",
        ),
    log:
        "logs/manifest/manifest.log",
    benchmark:
        "benchmarks/manifest/manifest.tsv"
    conda:
        "../envs/kokoro-narrate.yaml"
    threads: TAIL_THREADS
    params:
        pairs=manifest_pairs,
        skipped=manifest_skipped,
        encodes=manifest_encodes,
        cache_dir=config["cache_dir"],
        digests=NARRATION_DIGESTS,
        version=STAGE_VERSIONS["manifest"],
    script:
        "../scripts/manifest.py"
