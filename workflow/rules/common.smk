# Helpers and input functions shared by the rules; the logic lives in workflow/kokoro_narrate.
# Planning needs only Snakemake and PyYAML: the package's planning modules (settings, frontmatter,
# voices, digests) use nothing else, and the heavy stack is imported inside the jobs.
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.current_basedir).parent))

from kokoro_narrate import STAGE_VERSIONS
from kokoro_narrate import settings as narrate_settings

validate(config, "../schemas/config.schema.yaml")

try:
    SETTINGS = narrate_settings.load(
        config, memo_dir=".snakemake/kokoro-narrate/digests"
    )
except narrate_settings.ConfigError as err:
    raise WorkflowError(f"kokoro-narrate: {err}") from None

for _post_id, _why in SETTINGS.skipped_posts.items():
    logger.info(f"kokoro-narrate: post {_post_id} is not narrated: {_why}")
for _post in SETTINGS.posts.values():
    for _warning in _post.warnings:
        logger.warning(f"kokoro-narrate: {_warning}")
    if _post.problem:
        logger.warning(f"kokoro-narrate: post {_post.id} will fail: {_post.problem}")

PAIRS = SETTINGS.pairs()
VOICES_DIR = config["model"].get("voices_dir")


wildcard_constraints:
    post="|".join(map(re.escape, SETTINGS.posts)),
    voice="|".join(map(re.escape, SETTINGS.voices)),
    lang="[a-z]",


def post_source(wildcards):
    """The post file; none for a post that cannot be read (its script job fails and says why)."""
    post = SETTINGS.posts[wildcards.post]
    return [post.path] if post.readable and not post.problem else []


def post_problem(wildcards):
    return SETTINGS.posts[wildcards.post].problem or ""


def post_lang(wildcards):
    return SETTINGS.posts[wildcards.post].lang


def voice_phonemes(wildcards):
    lang = SETTINGS.voice(wildcards.voice).lang
    return f"results/phonemes/{lang}/{wildcards.post}.jsonl"


def voice_files(wildcards):
    """Local .pt files of a voice: inputs, so replacing one rebuilds its narrations."""
    return SETTINGS.voice_files(wildcards.voice, VOICES_DIR)


def model_files(wildcards=None):
    """Local weights and model config: inputs of every synthesis job."""
    return [
        config["model"][key]
        for key in ("weights", "config")
        if config["model"].get(key)
    ]


def voice_params(wildcards):
    voice = SETTINGS.voice(wildcards.voice)
    return {
        "id": voice.id,
        "lang": voice.lang,
        "components": [list(c) for c in voice.components],
    }


def file_digests(wildcards):
    """sha256 of the model files and voice tensors a synthesis job reads: a replaced file (even
    one copied with its old modification time) changes the params and reruns the job."""
    files = model_files() + voice_files(wildcards)
    return {path: SETTINGS.model_files[path] for path in files}


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
