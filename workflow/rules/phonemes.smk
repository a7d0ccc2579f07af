rule phonemes:
    """Narration script -> misaki phonemes, split into chunks Kokoro reads at a natural pace."""
    input:
        script="results/scripts/{post}.jsonl",
        lexicon=LEXICON,
    output:
        "results/phonemes/{lang}/{post}.jsonl",
    log:
        "logs/phonemes/{lang}/{post}.log",
    benchmark:
        "benchmarks/phonemes/{lang}/{post}.tsv"
    priority: 2
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        target=config["chunking"]["target_phonemes"],
        cache_dir=config["cache_dir"],
        memo_dir=MEMO_DIR,
        version=STAGE_VERSIONS["phonemes"],
    script:
        "../scripts/phonemes.py"


rule oov:
    """Every word the build sent to the espeak fallback, how often and in which posts: what to
    add to config/lexicon.yaml."""
    input:
        all_phonemes,
    output:
        "results/oov.csv",
    log:
        "logs/oov.log",
    benchmark:
        "benchmarks/oov/oov.tsv"
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        version=STAGE_VERSIONS["phonemes"],
    script:
        "../scripts/oov.py"
