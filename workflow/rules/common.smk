# Helpers and input functions shared by the rules; the logic lives in workflow/kokoro_narrate.
# Planning needs only Snakemake and PyYAML: the package's planning modules (settings, frontmatter,
# voices, digests) use nothing else, and the heavy stack is imported inside the jobs.
import os
import re
import sys
import uuid
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.current_basedir).parent))

from kokoro_narrate import RUN_VARIABLE, STAGE_VERSIONS
from kokoro_narrate import settings as narrate_settings

# one id per run of snakemake, inherited by its jobs: a model that failed to load or to fit the
# GPU in one job is not loaded again by the next ones of the same run (engine.earlier_failure).
# setdefault: a cluster job's snakemake, started with the run's environment, keeps the run's id
os.environ.setdefault(RUN_VARIABLE, uuid.uuid4().hex)

validate(config, "../schemas/config.schema.yaml")

try:
    SETTINGS = narrate_settings.load(config, memo_dir=".snakemake/kokoro-narrate")
except narrate_settings.ConfigError as err:
    raise WorkflowError(f"kokoro-narrate: {err}") from None

for _post_id, _why in SETTINGS.skipped_posts.items():
    logger.info(f"kokoro-narrate: post {_post_id} is not narrated: {_why}")
if SETTINGS.unread_files:
    logger.warning(
        f"kokoro-narrate: {narrate_settings.unread_summary(SETTINGS.unread_files)}"
    )
for _post in SETTINGS.posts.values():
    for _warning in _post.warnings:
        logger.warning(f"kokoro-narrate: {_warning}")
    if _post.problem:
        logger.warning(f"kokoro-narrate: post {_post.id} will fail: {_post.problem}")

PAIRS = SETTINGS.pairs()
VOICES_DIR = config["model"].get("voices_dir")
# digests of model files and the resolved device, remembered between runs (per host)
MEMO_DIR = ".snakemake/kokoro-narrate"
# the narrations' digests, remembered by the manifest so a rebuild hashes only the replaced ones
NARRATION_DIGESTS = f"{MEMO_DIR}/narration-digests"
# the matrix's excerpts, kept by the narration they were cut from (Snakemake empties its folder)
EXCERPT_CACHE = f"{MEMO_DIR}/excerpts"
# the jobs at the end of a build (manifest, matrix) read every narration and run alone: Snakemake
# gives them at most --cores, and a cluster node of 4 cores takes them
TAIL_THREADS = 4
PHONEMES = "results/phonemes/{lang}/{post}.jsonl"
# inputs that are the same for every job: lists, not functions (a function is called, and its
# signature inspected, for every job, which a blog of a thousand posts feels while planning)
LEXICON = [config["lexicon"]] if Path(config["lexicon"]).is_file() else []
# local weights and model config: inputs of every synthesis job
MODEL_FILES = [
    config["model"][k] for k in ("weights", "config") if config["model"].get(k)
]
SYNTHESIS_THREADS = narrate_settings.synthesis_threads(config)
# what every job that may run the model needs to build it (synthesis, and narration's repairs)
ENGINE = {
    "model": config["model"],
    "device": config["device"],
    "dtype": config["synthesis"]["dtype"],
    "batch_frames": config["synthesis"]["batch_frames"],
    "cpu_engine": config["synthesis"]["cpu_engine"],
    "compile": config["synthesis"]["compile"],
}


wildcard_constraints:
    post=narrate_settings.POST_ID,
    voice=narrate_settings.one_of(SETTINGS.voices),
    lang="[a-z]",


# Every job's inputs and parameters are looked up in tables made once here, through one function
# per rule: Snakemake calls each input or params function, and inspects its signature, for every
# job, which a blog of a thousand posts in five voices (13,000 jobs) feels while planning.


def _script_table():
    table = {}
    for post in SETTINGS.posts.values():
        readable = post.readable and not post.problem
        table[post.id] = (
            {
                "post": [post.path] if readable else [],
                # an edited bibliography changes what a narrative citation says
                "bibliography": list(post.bibliography) if readable else [],
                # a Quarto project's _quarto.yml and _metadata.yml files that give the post
                # front matter (its author, language, bibliography)
                "metadata": list(post.metadata) if readable else [],
            },
            {"problem": post.problem or "", "lang": post.lang},
        )
    return table


def _pair_table():
    table = {}
    for post_id, voice_id in PAIRS:
        voice = SETTINGS.voice(voice_id)
        files = SETTINGS.voice_files(voice_id, VOICES_DIR)
        speed = SETTINGS.posts[post_id].speed
        inputs = {
            "phonemes": PHONEMES.format(lang=voice.lang, post=post_id),
            "voice_files": files,
        }
        params = {
            "voice": {
                "id": voice.id,
                "lang": voice.lang,
                "components": [list(c) for c in voice.components],
            },
            "speed": speed,
            # a replaced file (even a copy with its old date) changes these: the job reruns
            "digests": {f: SETTINGS.model_files[f] for f in MODEL_FILES + files},
        }
        table[post_id, voice_id] = (inputs, params)
    return table


def planned(table, post, voice=None):
    """A post's (or a post and voice's) entry in one of the tables, or an error that says why the
    build makes nothing for it: the post wildcard matches any id (see settings.POST_ID).
    """
    try:
        return table[post if voice is None else (post, voice)]
    except KeyError:
        raise WorkflowError(
            f"kokoro-narrate: {SETTINGS.not_built(post, voice)}"
        ) from None


SCRIPT_TABLE = _script_table()
PAIR_TABLE = _pair_table()


def script_inputs(wildcards):
    """The post file and the bibliography it names; none for a post that cannot be read (its
    script job fails and says why)."""
    return planned(SCRIPT_TABLE, wildcards.post)[0]


def script_params(wildcards):
    """The post's language, and the problem planning found in it (its job fails with it)."""
    return planned(SCRIPT_TABLE, wildcards.post)[1]


def synthesis_inputs(wildcards):
    """The phonemes of the voice's language, and the voice's local .pt files."""
    return planned(PAIR_TABLE, wildcards.post, wildcards.voice)[0]


def pair_params(wildcards):
    """Voice, speed and the digests of every file that shapes the pair's audio."""
    return planned(PAIR_TABLE, wildcards.post, wildcards.voice)[1]


# The prefill makes its waves in PAIRS' order once no job waits (kokoro_narrate.synthesis), so
# synthesis jobs start in that order too: one that starts mid-build then finds its chunks made,
# or in the wave being made, instead of holding a core while it waits. Between 0 and 1: under
# the narrations' 1, and above 0, since Snakemake's MILP scheduler counts a priority under 0
# against running a job at all.
SYNTHESIS_PRIORITY = {
    pair: (len(PAIRS) - n) / (len(PAIRS) + 1) for n, pair in enumerate(PAIRS)
}


def synthesis_priority(wildcards):
    """Earlier in the build's order, higher: see SYNTHESIS_PRIORITY."""
    return planned(SYNTHESIS_PRIORITY, wildcards.post, wildcards.voice)


def voice_files(wildcards):
    """Local .pt files of a voice (the say target's inputs)."""
    return SETTINGS.voice_files(wildcards.voice, VOICES_DIR)


def narration_wav(post, voice):
    return f"results/narrations/{post}/{voice}_{post}.wav"


def all_narrations(wildcards=None):
    return [narration_wav(post, voice) for post, voice in PAIRS]


def all_timings(wildcards=None):
    return [wav.removesuffix(".wav") + ".json" for wav in all_narrations()]


def all_synthesized(wildcards=None):
    return [f"results/synthesis/{voice}/{post}.jsonl" for post, voice in PAIRS]


def all_phonemes(wildcards=None):
    """Each phoneme file the build makes, once."""
    return sorted(set(all_pair_phonemes()))


def all_pair_phonemes(wildcards=None):
    return [
        f"results/phonemes/{SETTINGS.voice(voice).lang}/{post}.jsonl"
        for post, voice in PAIRS
    ]


def manifest_skipped(wildcards=None):
    return [list(skipped) for skipped in SETTINGS.skipped_pairs()]


def manifest_pairs(wildcards=None):
    """Every declared pair with the files it should have and the logs of its chain."""
    rows = []
    for post, voice in PAIRS:
        meta = SETTINGS.posts[post]
        lang = SETTINGS.voice(voice).lang
        wav = narration_wav(post, voice)
        rows.append(
            {
                "post": post,
                "title": meta.title,
                "voice": voice,
                "lang": lang,
                "speed": meta.speed,
                "files": {
                    "wav": wav,
                    "timing": wav.removesuffix(".wav") + ".json",
                    "synthesized": f"results/synthesis/{voice}/{post}.jsonl",
                    "phonemes": PHONEMES.format(lang=lang, post=post),
                },
                "logs": [
                    f"logs/script/{post}.log",
                    f"logs/phonemes/{lang}/{post}.log",
                    f"logs/synthesis/{voice}/{post}.log",
                    f"logs/narration/{post}/{voice}.log",
                ],
            }
        )
    return rows


def declared_outputs(wildcards=None):
    """(pattern, wildcard tuples the config makes) for every per-post and per-pair file."""
    posts = sorted((p,) for p in SETTINGS.posts)
    pairs = sorted(PAIRS)
    langs = sorted({(SETTINGS.voice(v).lang, p) for p, v in PAIRS})
    voice_post = sorted((v, p) for p, v in PAIRS)
    post_voice = sorted((p, v) for p, v in PAIRS)
    return [
        ("results/scripts/{post}.jsonl", posts),
        ("logs/script/{post}.log", posts),
        ("benchmarks/script/{post}.tsv", posts),
        ("results/phonemes/{lang}/{post}.jsonl", langs),
        ("logs/phonemes/{lang}/{post}.log", langs),
        ("benchmarks/phonemes/{lang}/{post}.tsv", langs),
        ("results/synthesis/{voice}/{post}.jsonl", voice_post),
        ("logs/synthesis/{voice}/{post}.log", voice_post),
        ("benchmarks/synthesis/{voice}/{post}.tsv", voice_post),
        ("results/narrations/{post}/{voice}_{post}.{ext}", post_voice),
        ("logs/narration/{post}/{voice}.log", post_voice),
        ("benchmarks/narration/{post}/{voice}.tsv", post_voice),
    ]


def forget(paths):
    """Make the next run rebuild files written or restored around a failure instead of trusting
    them: Snakemake gives a restored update() output a fresh date, and would take it, or a
    manifest written here, for up to date. An old date and no record of earlier inputs (so no
    input checksum to compare) make every input count as newer."""
    from snakemake.io import IOFile

    for path in paths:
        if not Path(path).exists():
            continue
        try:
            workflow.persistence.cleanup_metadata(IOFile(path))
        except Exception:  # no record (fine), or a persistence backend without one
            pass
        os.utime(path, (0, 0))


def describe_failures():
    """After a failed run: the manifest (and matrix) rewritten around what failed, so they never
    list a narration that is gone, and what the failed jobs kept marked for the next run. Runs
    in Snakemake's own process: if that environment lacks the pipeline's packages (a
    Snakemake-only env with --sdm conda), it only says so."""
    try:
        from kokoro_narrate import manifest
    except ImportError as err:
        logger.warning(
            f"kokoro-narrate: manifest not rewritten after the failure ({err})"
        )
        return
    path = "results/manifest.csv"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pairs = manifest_pairs()
    rows = manifest.rows(
        pairs,
        manifest_skipped(),
        encodes=manifest_encodes(),
        memo_dir=NARRATION_DIGESTS,
        threads=TAIL_THREADS,
    )
    manifest.write_manifest(manifest.build_manifest(rows), path)
    kept = [
        path
        for pair, row in zip(pairs, rows)
        if row["status"].startswith("failed") and pair["logs"][-1] in row["status"]
        for path in (
            pair["files"]["wav"],
            pair["files"]["timing"],
            *(
                encode_file(pair["post"], pair["voice"], codec) + suffix
                for codec in ENCODE_CODECS
                for suffix in ("", ".json")
            ),
        )
    ]
    matrix_files = ["results/matrix", "results/matrix.csv", "results/matrix.html"]
    try:
        from kokoro_narrate.matrix import build_matrix

        build_matrix(
            manifest=path,
            out_dir=matrix_files[0],
            csv=matrix_files[1],
            page=matrix_files[2],
            excerpt_s=config["matrix"]["excerpt_s"],
            threads=TAIL_THREADS,
            excerpt_cache=EXCERPT_CACHE,
        )
    except Exception as err:  # the manifest is what matters; say why the page is older
        logger.warning(
            f"kokoro-narrate: voice matrix not rewritten after the failure ({err})"
        )
    forget([path, *matrix_files, *kept])
    failed = sum(r["status"].startswith("failed") for r in rows)
    logger.warning(
        f"kokoro-narrate: {path} and the voice matrix rewritten around the failures: "
        f"{failed} narration(s) failed; their rows name the log"
    )


# -- Publishing: web encodes, captions and snippets (made by the narration jobs) and the podcast
# feed (rule feed). Kept in functions of their own, apart from the narration's above.

ENCODE_CODECS = [codec for codec in ("mp3", "opus") if config["encode"][codec]]
# the MIME type each encode is served as (a feed enclosure takes the bare type)
ENCLOSURE_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg", "wav": "audio/wav"}


def encode_file(post, voice, codec):
    return f"results/encodes/{post}/{voice}_{post}.{codec}"


def caption_files(post, voice):
    stem = f"results/captions/{post}/{voice}_{post}"
    return {
        "vtt": f"{stem}.vtt",
        "srt": f"{stem}.srt",
        "chapters": f"{stem}.chapters.vtt",
    }


def snippet_file(post, voice):
    return f"results/snippets/{post}/{voice}_{post}.html"


def feed_voices():
    """The voices with a feed: config feed.voices, default the first configured voice."""
    wanted = config["feed"]["voices"] or list(SETTINGS.voices)[:1]
    unknown = [v for v in wanted if v not in SETTINGS.voices]
    if unknown:
        raise WorkflowError(
            f"kokoro-narrate: config feed.voices names {', '.join(unknown)}, which are not "
            f"configured voices ({', '.join(SETTINGS.voices)}); fix feed.voices"
        )
    return wanted


def all_encodes(wildcards=None):
    """Every enabled web encode and its measurement beside it."""
    return [
        path
        for post, voice in PAIRS
        for codec in ENCODE_CODECS
        for path in (
            encode_file(post, voice, codec),
            encode_file(post, voice, codec) + ".json",
        )
    ]


def all_captions(wildcards=None):
    return [
        path for post, voice in PAIRS for path in caption_files(post, voice).values()
    ]


def all_snippets(wildcards=None):
    return [snippet_file(post, voice) for post, voice in PAIRS]


def all_feeds(wildcards=None):
    """results/feed/{voice}.xml for each feed voice, once feed.base_url is set."""
    if not config["feed"]["base_url"]:
        return []
    return [f"results/feed/{voice}.xml" for voice in feed_voices()]


# The narration job makes every file of one narration: the WAV master and its timing, then the web
# encodes, captions and snippet from them. Snakemake spends about 2 ms planning a job, and a job of
# the package's pipeline about 1 s starting; as jobs of their own, these four per narration were
# most of a big blog's planning (33,000 jobs for 1,000 posts in 5 voices, against 13,000 now) and
# of its light work. The encodes are update() outputs: one made from the same master, settings and
# software is kept (kokoro_narrate.encode.made_from), so a rerun for a snippet's link re-encodes
# nothing.
NARRATION_OUTPUTS = {
    "wav": update(narration_wav("{post}", "{voice}")),
    "timing": update(narration_wav("{post}", "{voice}").removesuffix(".wav") + ".json"),
    **{
        codec: update(encode_file("{post}", "{voice}", codec))
        for codec in ENCODE_CODECS
    },
    **{
        f"{codec}_measured": update(encode_file("{post}", "{voice}", codec) + ".json")
        for codec in ENCODE_CODECS
    },
    **caption_files("{post}", "{voice}"),
    "snippet": snippet_file("{post}", "{voice}"),
}
# each enabled codec's bitrate; what the encodes' tags say beyond the post itself; the stage
# versions a narration job carries
ENCODE_KBPS = {codec: config["encode"][f"{codec}_kbps"] for codec in ENCODE_CODECS}
ENCODE_TAGS = {"album": config["feed"]["title"], "author": config["author"] or ""}
NARRATION_VERSIONS = {
    stage: STAGE_VERSIONS[stage]
    for stage in ("narration", "encode", "captions", "snippet")
}


def narration_inputs(wildcards):
    """The post (its front matter tags the encodes), chunk list and phonemes of one narration."""
    return planned(NARRATION_TABLE, wildcards.post, wildcards.voice)[0]


def narration_params(wildcards):
    """The pair's parameters (pair_params), and the post's title ("": the script's title is used
    then) and language for the encodes' tags, the captions and the snippet."""
    return planned(NARRATION_TABLE, wildcards.post, wildcards.voice)[1]


def _narration_table():
    table = {}
    for (post_id, voice_id), (inputs, params) in PAIR_TABLE.items():
        post = SETTINGS.posts[post_id]
        table[post_id, voice_id] = (
            {
                **SCRIPT_TABLE[post_id][0],
                "synthesized": f"results/synthesis/{voice_id}/{post_id}.jsonl",
                "phonemes": inputs["phonemes"],
            },
            {**params, "title": post.title or "", "lang": post.lang},
        )
    return table


NARRATION_TABLE = _narration_table()


def feed_items(wildcards):
    """One item per post the voice narrates: its files, and the enclosure (MP3, else Opus,
    else the WAV master)."""
    items = []
    for post, voice in PAIRS:
        if voice != wildcards.voice:
            continue
        codec = next((c for c in ("mp3", "opus") if c in ENCODE_CODECS), "wav")
        wav = narration_wav(post, voice)
        items.append(
            {
                "post": post,
                "source": SETTINGS.posts[post].path,
                "enclosure": wav if codec == "wav" else encode_file(post, voice, codec),
                "type": ENCLOSURE_TYPES[codec],
                "timing": wav.removesuffix(".wav") + ".json",
            }
        )
    return items


def feed_inputs(wildcards):
    items = feed_items(wildcards)
    return {
        "enclosures": [item["enclosure"] for item in items],
        "timings": [item["timing"] for item in items],
        "sources": [item["source"] for item in items if Path(item["source"]).is_file()],
    }


def feed_channel(wildcards):
    feed = config["feed"]
    base = (feed["base_url"] or "").rstrip("/")
    return {
        "title": feed["title"],
        "link": feed["link"] or base,
        "description": feed["description"],
        "language": SETTINGS.voice(wildcards.voice).lang,
        "self_url": f"{base}/feed/{wildcards.voice}.xml",
        "author": config["author"],
        "image": feed["image"],
        "category": feed["category"],
        "explicit": feed["explicit"],
        "owner_email": feed["owner_email"],
    }


def manifest_encodes(wildcards=None):
    """(post, voice) -> {codec: encode path} of every narration, for the manifest's columns."""
    return [
        {
            "post": post,
            "voice": voice,
            "files": {
                codec: encode_file(post, voice, codec) for codec in ENCODE_CODECS
            },
        }
        for post, voice in PAIRS
    ]


def publish_declared_outputs():
    """(pattern, wildcard tuples) of the publishing outputs, for `clean`."""
    post_voice = sorted(PAIRS)
    voices = sorted((v,) for v in {v for _, v in PAIRS})
    return [
        ("results/encodes/{post}/{voice}_{post}.{ext}", post_voice),
        ("results/captions/{post}/{voice}_{post}.{ext}", post_voice),
        ("results/snippets/{post}/{voice}_{post}.html", post_voice),
        ("results/feed/{voice}.xml", voices),
        ("logs/feed/{voice}.log", voices),
    ]


def all_declared_outputs(wildcards=None):
    return declared_outputs() + publish_declared_outputs()
