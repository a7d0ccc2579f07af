rule narration:
    """Cached chunks -> one narration with natural pauses, normalized to the loudness target; then
    its web encodes, captions and HTML snippet (NARRATION_OUTPUTS in common.smk says why one job).

    The WAV, timing and encodes are update(): the previous ones stay until the new ones are
    complete, a failed job gets them back, and an encode made from the same master is kept.
    """
    input:
        unpack(narration_inputs),
    output:
        **NARRATION_OUTPUTS,
    log:
        "logs/narration/{post}/{voice}.log",
    benchmark:
        "benchmarks/narration/{post}/{voice}.tsv"
    # after the phonemes (all there before the prefill, with --cores 1), before the synthesis jobs
    # that wait for the prefill: a free core goes to a narration whose wave is made, not to a job
    # that would only wait
    priority: 1
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        pauses=config["pauses"],
        loudness=config["loudness"],
        cache_dir=config["cache_dir"],
        engine=ENGINE,
        pair=narration_params,
        memo_dir=MEMO_DIR,
        kbps=ENCODE_KBPS,
        tags=ENCODE_TAGS,
        base_url=config["feed"]["base_url"],
        versions=NARRATION_VERSIONS,
    script:
        "../scripts/narration.py"
