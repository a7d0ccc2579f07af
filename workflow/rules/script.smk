rule script:
    """Markdown post -> the exact words to be spoken, one paragraph per JSON line."""
    input:
        post=post_source,
    output:
        "results/scripts/{post}.jsonl",
    log:
        "logs/script/{post}.log",
    priority: 2
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        lang=post_lang,
        options=config["script"],
        author=config["author"],
        problem=post_problem,
        version=STAGE_VERSIONS["script"],
    script:
        "../scripts/script.py"
