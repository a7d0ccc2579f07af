rule narration:
    """Cached chunks -> one narration with natural pauses, normalized to the loudness target.

    Outputs are update(): the previous narration stays until the new one is complete, and a
    failed job gets it back."""
    input:
        synthesized="results/synthesis/{voice}/{post}.jsonl",
        phonemes=pair_phonemes,
    output:
        wav=update("results/narrations/{post}/{voice}_{post}.wav"),
        timing=update("results/narrations/{post}/{voice}_{post}.json"),
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
        engine=ENGINE,
        pair=pair_params,
        memo_dir=MEMO_DIR,
        version=STAGE_VERSIONS["narration"],
    script:
        "../scripts/narration.py"
