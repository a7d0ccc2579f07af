# Helpers and input functions shared by the rules; the logic lives in workflow/kokoro_narrate.
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from kokoro_narrate import settings as narrate_settings

validate(config, "../schemas/config.schema.yaml")

try:
    SETTINGS = narrate_settings.load(config)
except narrate_settings.ConfigError as err:
    raise WorkflowError(f"kokoro-narrate: {err}") from None

for _post, _why in SETTINGS.skipped_posts.items():
    logger.info(f"kokoro-narrate: post {_post} is not narrated: {_why}")

PAIRS = SETTINGS.pairs()


wildcard_constraints:
    post="|".join(map(re.escape, SETTINGS.posts)),
    voice="|".join(map(re.escape, SETTINGS.voices)),
    lang="[a-z]",


def post_source(wildcards):
    return SETTINGS.posts[wildcards.post].path


def post_problem(wildcards):
    return SETTINGS.posts[wildcards.post].problem or ""


def post_lang(wildcards):
    return SETTINGS.posts[wildcards.post].lang


def voice_phonemes(wildcards):
    lang = SETTINGS.voice(wildcards.voice).lang
    return f"results/phonemes/{lang}/{wildcards.post}.jsonl"


def voice_files(wildcards):
    """Local .pt files of a voice: inputs, so replacing one rebuilds its narrations."""
    return [
        src
        for src, _ in SETTINGS.voice(wildcards.voice).components
        if src.endswith(".pt")
    ]


def voice_params(wildcards):
    voice = SETTINGS.voice(wildcards.voice)
    return {
        "id": voice.id,
        "lang": voice.lang,
        "components": [list(c) for c in voice.components],
    }


def post_speed(wildcards):
    return SETTINGS.posts[wildcards.post].speed


def lexicon_file(wildcards):
    return [config["lexicon"]] if Path(config["lexicon"]).is_file() else []


def narration_wav(post, voice):
    return f"results/narrations/{post}/{voice}_{post}.wav"


def all_narrations(wildcards=None):
    return [narration_wav(post, voice) for post, voice in PAIRS]


def all_timings(wildcards=None):
    return [wav.removesuffix(".wav") + ".json" for wav in all_narrations()]


def all_synthesized(wildcards=None):
    return [f"results/synthesis/{voice}/{post}.jsonl" for post, voice in PAIRS]


def all_pair_phonemes(wildcards=None):
    return [
        f"results/phonemes/{SETTINGS.voice(voice).lang}/{post}.jsonl"
        for post, voice in PAIRS
    ]


def manifest_skipped(wildcards=None):
    return [list(skipped) for skipped in SETTINGS.skipped_pairs()]


def manifest_pairs(wildcards=None):
    rows = []
    for post, voice in PAIRS:
        meta = SETTINGS.posts[post]
        rows.append(
            {
                "post": post,
                "title": meta.title,
                "voice": voice,
                "lang": SETTINGS.voice(voice).lang,
                "speed": meta.speed,
            }
        )
    return rows
