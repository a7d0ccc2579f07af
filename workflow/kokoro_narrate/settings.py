"""Settings: the validated config turned into what the workflow plans with.

Everything here runs while Snakemake parses the workflow, so it must be quick (no torch, no
spaCy) and must fail early with a message that names the config key or the file and the fix.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from .voices import LANGS, POST_LANGS, Voice, VoiceError, resolve_voices

POST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ConfigError(ValueError):
    """The config or a post's front matter asks for something impossible."""


@dataclass(frozen=True)
class Post:
    id: str
    path: str
    lang: str  # ISO code of the post's language (front matter `lang:`, else config `lang`)
    title: str | None
    voices: tuple[str, ...]  # ids of the voices this post is narrated in
    speed: float
    skipped_voices: tuple[str, ...] = ()  # configured voices of another language
    problem: str | None = None  # bad front matter: the post's script job fails with this message


@dataclass
class Settings:
    posts: dict[str, Post]
    voices: dict[str, Voice]
    skipped_posts: dict[str, str] = field(default_factory=dict)  # post id -> why

    def voice(self, voice_id: str) -> Voice:
        return self.voices[voice_id]

    def pairs(self) -> list[tuple[str, str]]:
        """Every (post, voice) narration the build makes, in a stable order."""
        return [(p.id, v) for p in self.posts.values() for v in p.voices]

    def skipped_pairs(self) -> list[tuple[str, str, str]]:
        """(post, voice, why) for every combination the build does not narrate."""
        skipped = []
        for post in self.posts.values():
            for voice_id in self.voices:
                if voice_id in post.voices:
                    continue
                voice = self.voices[voice_id]
                if voice_id in post.skipped_voices:
                    why = f"post language {post.lang}, voice speaks {LANGS[voice.lang]}"
                else:
                    why = "the post's front matter lists other voices"
                skipped.append((post.id, voice_id, why))
        for post_id, why in self.skipped_posts.items():
            skipped.extend((post_id, voice_id, why) for voice_id in self.voices)
        return sorted(skipped)


def _front_matter(path: str) -> dict:
    from .script import read_front_matter

    return read_front_matter(Path(path).read_bytes(), path)


def _post_meta(path: str, by_id: dict) -> dict:
    """Front matter checked against the config; ConfigError or PostError names the post."""
    meta = _front_matter(path)
    lang = str(meta.get("lang", "")).lower().split("-")[0]
    if lang and lang not in POST_LANGS:
        raise ConfigError(
            f"{path}: front matter lang {lang!r} is not one Kokoro speaks "
            f"({', '.join(POST_LANGS)}); fix it or remove it."
        )
    wanted = meta.get("voices")
    if wanted is not None:
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        unknown = [w for w in wanted if w not in by_id]
        if unknown:
            raise ConfigError(
                f"{path}: front matter voices {unknown} are not configured; "
                f"configured voices: {', '.join(by_id)}."
            )
        meta["voices"] = wanted
    speed = meta.get("speed")
    if speed is not None and not (isinstance(speed, (int, float)) and 0 < speed <= 4):
        raise ConfigError(f"{path}: front matter speed {speed!r} must be a number in (0, 4].")
    return meta


def load(config: dict) -> Settings:
    model = config.get("model", {})
    try:
        voices = resolve_voices(config["voices"], config.get("blends", {}), model.get("voices_dir"))
    except VoiceError as err:
        raise ConfigError(str(err)) from None
    by_id = {v.id: v for v in voices}

    default_lang = config.get("lang", "en")
    paths = sorted(glob.glob(config["posts"]))
    if not paths:
        raise ConfigError(
            f"config posts: {config['posts']!r} matches no file; put posts in corpus/."
        )
    posts: dict[str, Post] = {}
    skipped: dict[str, str] = {}
    for path in paths:
        post_id = Path(path).stem
        if not POST_ID.match(post_id):
            raise ConfigError(
                f"{path}: the file name must be letters, digits, '-', '_' or '.'; rename it."
            )
        if post_id in posts:
            raise ConfigError(f"{path}: post id {post_id!r} is used by {posts[post_id].path} too.")
        # A post with broken front matter still gets a plan, with defaults, so that with
        # --keep-going only its own script job fails (with this message) and the rest build.
        problem = None
        try:
            meta = _post_meta(path, by_id)
        except ValueError as err:  # ConfigError, or the script module's PostError
            meta, problem = {}, str(err)
        if meta.get("skip"):
            skipped[post_id] = "front matter says skip"
            continue
        lang = str(meta.get("lang", default_lang)).lower().split("-")[0]
        wanted = meta.get("voices")
        candidates = [v for v in voices if wanted is None or v.id in wanted]
        speaks = [v.id for v in candidates if v.lang in POST_LANGS[lang]]
        others = tuple(v.id for v in candidates if v.lang not in POST_LANGS[lang])
        if not speaks:
            skipped[post_id] = (
                f"no configured voice speaks {lang}; add one whose language is "
                f"{' or '.join(LANGS[c] for c in POST_LANGS[lang])}"
            )
            continue
        speed = float(meta.get("speed", config.get("speed", 1.0)))
        title = meta.get("title")
        posts[post_id] = Post(
            id=post_id,
            path=path,
            lang=lang,
            title=str(title) if title is not None else None,
            voices=tuple(speaks),
            speed=speed,
            skipped_voices=others,
            problem=problem,
        )
    if not posts:
        reasons = "; ".join(f"{p}: {why}" for p, why in skipped.items())
        raise ConfigError(f"no post can be narrated ({reasons}).")
    return Settings(posts=posts, voices=by_id, skipped_posts=skipped)
