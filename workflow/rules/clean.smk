# Housekeeping for results/: run on demand (snakemake --cores 1 clean).


rule clean:
    """List the outputs, logs and benchmarks of posts and voices the config no longer names;
    with --config clean=remove, remove them."""
    log:
        "logs/clean.log",
    localrule: True
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        declared=all_declared_outputs,
        delete=config["clean"] == "remove",
    script:
        "../scripts/clean.py"
