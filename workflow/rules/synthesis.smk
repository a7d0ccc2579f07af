rule synthesis:
    """Phoneme chunks -> audio in the content-addressed chunk cache, on the gpu resource."""
    input:
        phonemes=voice_phonemes,
        voice_files=voice_files,
        model_files=model_files,
    output:
        "results/synthesis/{voice}/{post}.jsonl",
    log:
        "logs/synthesis/{voice}/{post}.log",
    benchmark:
        "benchmarks/synthesis/{voice}/{post}.tsv"
    conda:
        "../envs/kokoro-narrate.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        voice=voice_params,
        speed=post_speed,
        model=config["model"],
        device=config["device"],
        cache_dir=config["cache_dir"],
        digests=file_digests,
        version=STAGE_VERSIONS["synthesis"],
    script:
        "../scripts/synthesis.py"
