rule feed:
    """Every narration of one voice as a podcast feed (RSS 2.0 with iTunes tags)."""
    input:
        unpack(feed_inputs),
    output:
        "results/feed/{voice}.xml",
    log:
        "logs/feed/{voice}.log",
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        base_url=config["feed"]["base_url"],
        channel=feed_channel,
        episodes=feed_items,
        script_options=config["script"],
        version=STAGE_VERSIONS["feed"],
    script:
        "../scripts/feed.py"
