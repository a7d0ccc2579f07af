rule phonemes:
    """Narration script -> misaki phonemes, split into chunks Kokoro reads at a natural pace."""
    input:
        script="results/scripts/{post}.jsonl",
        lexicon=lexicon_file,
    output:
        "results/phonemes/{lang}/{post}.jsonl",
    log:
        "logs/phonemes/{lang}/{post}.log",
    benchmark:
        "benchmarks/phonemes/{lang}/{post}.tsv"
    priority: 1
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        target=config["chunking"]["target_phonemes"],
        version=STAGE_VERSIONS["phonemes"],
    script:
        "../scripts/phonemes.py"
