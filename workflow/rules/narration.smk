rule narration:
    """Cached chunks -> one narration with natural pauses, normalized to the loudness target."""
    input:
        "results/synthesis/{voice}/{post}.jsonl",
    output:
        wav="results/narrations/{post}/{voice}_{post}.wav",
        timing="results/narrations/{post}/{voice}_{post}.json",
    log:
        "logs/narration/{post}/{voice}.log",
    benchmark:
        "benchmarks/narration/{post}/{voice}.tsv"
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        pauses=config["pauses"],
        loudness=config["loudness"],
        cache_dir=config["cache_dir"],
        version=STAGE_VERSIONS["narration"],
    script:
        "../scripts/narration.py"
