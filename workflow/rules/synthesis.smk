rule synthesis:
    """Phoneme chunks -> audio in the content-addressed chunk cache.

    The first job that finds a chunk missing synthesizes every chunk the build lacks, with the
    model loaded once (kokoro_narrate.synthesis); the others read theirs from the cache. So the
    jobs claim no `gpu` resource, which would run those readers one at a time: a job that finds
    a chunk missing takes the machine's engine lock instead, and one that waits for it ends as
    soon as its chunks are made (the prefill goes in waves). Cluster profiles add gpu=1 to send
    the jobs to a GPU node.
    """
    input:
        unpack(synthesis_inputs),
        model_files=MODEL_FILES,
    output:
        "results/synthesis/{voice}/{post}.jsonl",
    log:
        "logs/synthesis/{voice}/{post}.log",
    benchmark:
        "benchmarks/synthesis/{voice}/{post}.tsv"
    priority: synthesis_priority
    conda:
        "../envs/kokoro-narrate.yaml"
    threads: SYNTHESIS_THREADS
    params:
        pair=pair_params,
        engine=ENGINE,
        cache_dir=config["cache_dir"],
        prefill=config["synthesis"]["prefill"],
        phonemes_dir="results/phonemes",
        memo_dir=MEMO_DIR,
        version=STAGE_VERSIONS["synthesis"],
    script:
        "../scripts/synthesis.py"


rule say:
    """Speak config `say` in one voice, normalized like a narration, to hear a lexicon entry
    before a build: snakemake --cores 1 results/say/af_heart.wav --config say="Kokoro-82M".
    """
    input:
        lexicon=LEXICON,
        voice_files=voice_files,
        model_files=MODEL_FILES,
    output:
        wav="results/say/{voice}.wav",
        timing="results/say/{voice}.json",
    log:
        "logs/say/{voice}.log",
    conda:
        "../envs/kokoro-narrate.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        text=config["say"],
        engine=ENGINE,
        speed=config["speed"],
        pauses=config["pauses"],
        loudness=config["loudness"],
        memo_dir=MEMO_DIR,
    script:
        "../scripts/say.py"
