rule encode:
    """Narration WAV -> a web encode (MP3 with ID3 tags and chapters, or Opus in Ogg), at the
    loudness target and under the true-peak ceiling once decoded; its measurement beside it.
    """
    input:
        unpack(script_inputs),
        wav="results/narrations/{post}/{voice}_{post}.wav",
        timing="results/narrations/{post}/{voice}_{post}.json",
    output:
        audio="results/encodes/{post}/{voice}_{post}.{codec}",
        measured="results/encodes/{post}/{voice}_{post}.{codec}.json",
    log:
        "logs/encode/{post}/{voice}.{codec}.log",
    benchmark:
        "benchmarks/encode/{post}/{voice}.{codec}.tsv"
    wildcard_constraints:
        codec="mp3|opus",
    conda:
        "../envs/kokoro-narrate.yaml"
    params:
        kbps=encode_kbps,
        loudness=config["loudness"],
        title=post_title,
        tags=encode_tags,
        version=STAGE_VERSIONS["encode"],
    script:
        "../scripts/encode.py"
