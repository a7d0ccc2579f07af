rule synthesis:
    """Phoneme chunks -> audio in the content-addressed chunk cache, on the gpu resource.

    The first job that finds a chunk missing synthesizes every chunk the build lacks, with the
    model loaded once (kokoro_narrate.synthesis); the others read theirs from the cache.
    """
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
        engine=ENGINE,
        cache_dir=config["cache_dir"],
        digests=file_digests,
        prefill=config["synthesis"]["prefill"],
        phonemes_pattern=phonemes_pattern,
        memo_dir=MEMO_DIR,
        version=STAGE_VERSIONS["synthesis"],
    script:
        "../scripts/synthesis.py"
