rule script:
    """Markdown post -> the exact words to be spoken, one paragraph per JSON line."""
    input:
        unpack(script_inputs),
        lexicon=LEXICON,
    output:
        "results/scripts/{post}.jsonl",
    log:
        "logs/script/{post}.log",
    benchmark:
        "benchmarks/script/{post}.tsv"
    priority: 3
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        post=script_params,
        options=config["script"],
        author=config["author"],
        version=STAGE_VERSIONS["script"],
    script:
        "../scripts/script.py"
