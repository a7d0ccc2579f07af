rule captions:
    """Narration timing -> WebVTT captions with word times, SRT captions, WebVTT chapters."""
    input:
        "results/narrations/{post}/{voice}_{post}.json",
    output:
        vtt="results/captions/{post}/{voice}_{post}.vtt",
        srt="results/captions/{post}/{voice}_{post}.srt",
        chapters="results/captions/{post}/{voice}_{post}.chapters.vtt",
    log:
        "logs/captions/{post}/{voice}.log",
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        title=post_title,
        version=STAGE_VERSIONS["captions"],
    script:
        "../scripts/captions.py"
