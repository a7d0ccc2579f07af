rule snippet:
    """An HTML snippet a blogger pastes into the post: <audio> with the encodes and captions."""
    input:
        unpack(snippet_inputs),
    output:
        "results/snippets/{post}/{voice}_{post}.html",
    log:
        "logs/snippet/{post}/{voice}.log",
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        base_url=config["feed"]["base_url"],
        title=post_title,
        lang=post_lang,
        version=STAGE_VERSIONS["snippet"],
    script:
        "../scripts/snippet.py"
