rule manifest:
    """Every narration's durations, words, loudness and checksum in one table."""
    input:
        wavs=all_narrations,
        timings=all_timings,
        encodes=all_encodes,
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
    params:
        pairs=manifest_pairs,
        skipped=manifest_skipped,
        encodes=manifest_encodes,
        cache_dir=config["cache_dir"],
        version=STAGE_VERSIONS["manifest"],
    script:
        "../scripts/manifest.py"
