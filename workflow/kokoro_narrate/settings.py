"""Settings: the validated config turned into the plan the workflow builds.

Everything here runs while Snakemake parses the workflow, so it needs only the standard library and
PyYAML, and it sorts every problem into one of two kinds:

* a config mistake (an unknown voice, a number that is not a number, a cache folder that would
  swallow the project) stops the run before any job, with the key and the fix in a ConfigError;
* a problem of one post (unreadable front matter, a dangling symlink, a directory named like a
  post, two files that want the same id) becomes that post's `problem`: its script job fails with
  the message, and every other post builds.

Post ids. A post's id names its outputs (``results/narrations/{id}/...``), so it must be a safe,
stable file name whatever the file is called. It is the file name without its extension, with
apostrophes dropped, every run of characters other than letters, digits, ``_``, ``-`` and ``.``
turned into one ``-``, and ``-`` or ``.`` trimmed from both ends (Unicode letters are kept:
``Café crème.md`` is ``Café-crème``). A Hugo page bundle ``trip/index.md`` takes its folder's name
(``trip``). A name with nothing left gets ``post-`` and a digest of the name.
"""

from __future__ import annotations

import glob
import hashlib
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import citations, defaults
from .digests import file_digest
from .frontmatter import SPEED_RANGE, PostError, read
from .voices import LANGS, POST_LANGS, Voice, VoiceError, local_file, resolve_voices

# What bloggers keep posts in: Markdown (Jekyll's .markdown and .mkd, MDX, Quarto's .qmd, R
# Markdown's .Rmd and blogdown's .Rmarkdown), Jupyter notebooks, reStructuredText (Pelican,
# Nikola), AsciiDoc, Org and plain text; compared in lowercase.
POST_SUFFIXES = (
    ".md", ".markdown", ".mkd", ".mkdn", ".mkdown", ".mdx", ".qmd", ".rmd", ".rmarkdown",
    ".ipynb", ".rst", ".adoc", ".asciidoc", ".org", ".txt",
)  # fmt: skip
# Formats of posts that are not read (the README's "Writing posts" lists those that are): a file
# of these beside the posts is named while planning, so that it is not left out in silence
UNREAD_SUFFIXES = {
    ".html": "HTML", ".htm": "HTML", ".textile": "Textile", ".mdown": "Markdown",
    ".mdwn": "Markdown", ".markdn": "Markdown", ".tex": "LaTeX", ".docx": "Word",
    ".odt": "OpenDocument", ".rtf": "RTF", ".pod": "POD", ".wiki": "wiki markup",
    ".mediawiki": "MediaWiki", ".creole": "Creole",
}  # fmt: skip
BUNDLE_NAMES = ("index", "_index")  # Hugo page bundles: the folder names the post
DRAFT_FOLDERS = ("_drafts",)  # Jekyll keeps unpublished posts here

# the characters a post id keeps (see the module docstring); POST_ID matches any id, and is the
# post wildcard's constraint: a pattern of the build's own ids, a thousand of them, made Snakemake
# slower at every file it plans
_ID_CHARS = r"\w.-"
_UNSAFE = re.compile(f"[^{_ID_CHARS}]+")
POST_ID = f"[{_ID_CHARS}]+"
_APOSTROPHES = re.compile("['\u2019\u02bc`]")


class ConfigError(ValueError):
    """The config asks for something impossible; the message names the key and the fix."""


@dataclass(frozen=True)
class Post:
    id: str
    path: str  # as the glob found it (relative to the working directory when the glob is)
    lang: str  # ISO code of the post's language (front matter `lang:`, else config `lang`)
    title: str | None
    voices: tuple[str, ...]  # ids of the voices this post is narrated in
    speed: float
    skipped_voices: tuple[str, ...] = ()  # configured voices of another language
    problem: str | None = None  # the post's script job fails with this message
    warnings: tuple[str, ...] = ()  # front matter values that were ignored, with file and line
    bibliography: tuple[str, ...] = ()  # the bibliography files its front matter names
    metadata: tuple[str, ...] = ()  # the Quarto metadata files that give it front matter

    @property
    def readable(self) -> bool:
        """A regular file the script job can take as its input."""
        return os.path.isfile(self.path)


@dataclass
class Settings:
    posts: dict[str, Post]
    voices: dict[str, Voice]
    skipped_posts: dict[str, str] = field(default_factory=dict)  # post id -> why
    unread_files: list[str] = field(default_factory=list)  # beside the posts, in other formats
    model_files: dict[str, str] = field(default_factory=dict)  # local model file -> sha256

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

    def not_built(self, post_id: str, voice_id: str | None = None) -> str:
        """Why the build makes no outputs for a post (or a post in a voice) that a target names:
        the post wildcard takes any post id, not only this build's."""
        if post_id in self.skipped_posts:
            return f"post {post_id} is not narrated: {self.skipped_posts[post_id]}"
        if post_id not in self.posts:
            return (
                f"no post has the id {post_id!r} (a post's id is its file name without the "
                f"extension; config `posts` finds {len(self.posts)} posts)"
            )
        if voice_id is not None and voice_id not in self.posts[post_id].voices:
            why = next(w for p, v, w in self.skipped_pairs() if (p, v) == (post_id, voice_id))
            return f"post {post_id} is not narrated in voice {voice_id}: {why}"
        return ""

    def voice_files(self, voice_id: str, voices_dir: str | None) -> list[str]:
        """The local .pt files a voice is made of (none for presets from the model hub)."""
        files = (local_file(src, voices_dir) for src, _ in self.voice(voice_id).components)
        return [f for f in files if f is not None]


def post_id(path: str) -> str:
    """The id of the post at `path` (see the module docstring)."""
    p = Path(path)
    name = p.stem
    if p.suffix.lower() in POST_SUFFIXES and name in BUNDLE_NAMES and p.parent.name:
        name = p.parent.name
    slug = unicodedata.normalize("NFC", name)
    slug = _APOSTROPHES.sub("", slug)
    slug = _UNSAFE.sub("-", slug).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)
    if not slug:
        slug = "post-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return slug


def one_of(names) -> str:
    """A regex matching exactly these names, sharing prefixes (the voice wildcard's constraint:
    `{voice}_{post}` in a file name splits at a configured voice, whatever the post id holds)."""
    trie: dict = {}
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node) -> str:
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(trie) or "(?!)"


def synthesis_threads(config: dict) -> int:
    """Cores a synthesis job claims. On the CPU, config `threads` (torch's thread count). Where
    synthesis will run on a GPU (device cuda, or auto on a host with NVIDIA's driver), one: the
    GPU does the work, and a claim of two cores waits behind the one-core jobs (narrations,
    encodes) until two come free at once, which on a 16-core H100 box left 15-19 s between
    consecutive synthesis jobs. Decided while planning, so without torch: a host whose driver
    torch cannot use gets one thread for a CPU synthesis."""
    device = config["device"]
    gpu = device == "cuda" or (device == "auto" and os.path.exists("/dev/nvidiactl"))
    return 1 if gpu else config["threads"]


def find_posts(patterns) -> list[str]:
    """Every path the `posts` glob(s) match, sorted; hidden files and folders are left out."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    found = set()
    for pattern in patterns:
        for path in glob.glob(pattern, recursive=True):
            if any(part.startswith(".") and part not in (".", "..") for part in Path(path).parts):
                continue
            found.add(path)
    return sorted(found)


def unread_files(patterns, found: list[str]) -> list[str]:
    """Files in the folders the `posts` globs search (every depth for a `**` glob), in a format
    of post that is not read (UNREAD_SUFFIXES) and matched by no glob; hidden ones left out, as
    find_posts leaves them. A glob at the working directory's top searches nothing here: its
    folder holds the build's own files (results/, its HTML snippets)."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    taken = {os.path.normpath(p) for p in found}
    # each folder once (the default globs are 15, all of corpus/**), every depth if any glob asks it
    folders: dict[str, bool] = {}
    for pattern in patterns:
        root = os.path.normpath(
            re.split(r"[*?[]", pattern, maxsplit=1)[0].rpartition("/")[0] or "."
        )
        if root != ".":
            folders[root] = folders.get(root, False) or "**" in pattern
    unread = set()
    for root, deep in folders.items():
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")] if deep else []
            for name in names:
                path = os.path.join(folder, name)
                if (
                    Path(name).suffix.lower() in UNREAD_SUFFIXES
                    and not name.startswith(".")
                    and os.path.normpath(path) not in taken
                ):
                    unread.add(path)
    return sorted(unread)


def unread_summary(files: list[str]) -> str:
    """The planning warning for unread_files: which, in what formats, and what to do."""
    formats = sorted({UNREAD_SUFFIXES[Path(f).suffix.lower()] for f in files})
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return (
        f"{len(files)} file(s) beside the posts are not narrated ({', '.join(formats)}): {shown}. "
        "Posts are read in Markdown, notebooks, reStructuredText, AsciiDoc, Org and plain text "
        '(README "Writing posts"): convert them, or, for Markdown under another extension, '
        "add a glob for it to config posts"
    )


def _file_problem(path: str) -> str | None:
    """Why `path` cannot be read as a post, or None."""
    if os.path.islink(path) and not os.path.exists(path):
        return (
            f"{path}: a symbolic link to {os.readlink(path)}, which does not exist; "
            "fix or remove the link"
        )
    if os.path.isdir(path):
        return f"{path}: a folder, not a post file; rename it or narrow the config's posts glob"
    if not os.path.isfile(path):
        return f"{path}: not a regular file; remove it from the posts folder"
    if not os.access(path, os.R_OK):
        return f"{path}: cannot be read (permission denied); fix its permissions"
    return None


def _check_numbers(value, key: str = "config") -> None:
    """Every number in the config is finite: YAML's .nan and .inf pass a JSON schema's ranges."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key} is {value}; it must be a finite number.")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_numbers(v, f"{key}.{k}" if key != "config" else f"config {k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            _check_numbers(v, f"{key}[{n}]")


def _check_cache_dir(cache_dir: str) -> None:
    here = Path.cwd().resolve()
    where = Path(cache_dir).expanduser().resolve()
    forbidden = {Path("/"): "the file system root", Path.home().resolve(): "your home folder"}
    forbidden[here] = "the project folder"
    if where in forbidden:
        raise ConfigError(
            f"config cache_dir is {cache_dir!r}, which is {forbidden[where]}; cache_dir needs a "
            "folder of its own (default: results/cache/chunks), because pruning the cache "
            "deletes what is in it."
        )


def _plan_post(path: str, by_id: dict) -> tuple[dict, str]:
    """(what the post's front matter asks for, problem or "") of one post file."""
    problem = _file_problem(path)
    if problem:
        return {}, problem
    try:
        front, _ = read(Path(path).read_bytes(), path)
        lang = front.lang
        if lang and lang not in POST_LANGS:
            raise PostError(
                f"{front.where('lang')}: front matter lang {lang!r} is not one Kokoro speaks "
                f"({', '.join(POST_LANGS)}); fix it or remove it"
            )
        wanted = front.voices
        unknown = [w for w in wanted or () if w not in by_id]
        if unknown:
            raise PostError(
                f"{front.where('voices')}: front matter voices {unknown} are not configured; "
                f"configured voices: {', '.join(by_id)}"
            )
        bibliography, missing = citations.paths(front.values.get("bibliography"), path)
        meta = {
            "lang": lang,
            "voices": wanted,
            "speed": front.speed,
            "title": front.title,
            "skip": front.skip,
            "draft": front.draft,
            "draft_from": front.key_files.get("draft"),  # a Quarto folder's _metadata.yml
            "warnings": front.warnings
            + tuple(
                f"{front.where('bibliography')}: front matter 'bibliography' names {name}, "
                "which does not exist; its citations are read as written (fix the path)"
                for name in missing
            ),
            "bibliography": tuple(bibliography),
            "metadata": front.inherited_from,
        }
    except (PostError, OSError) as err:
        return {}, str(err)
    return meta, ""


def load(config: dict, memo_dir=None) -> Settings:
    """The build plan for a config (missing keys take the schema's defaults, as validate gives
    them). `memo_dir` keeps the digests of model files."""
    config = defaults.with_defaults(config)
    _check_numbers(config)
    low, high = SPEED_RANGE
    if not low <= config["speed"] <= high:
        raise ConfigError(f"config speed is {config['speed']}; it must be from {low} to {high}.")
    _check_cache_dir(config["cache_dir"])
    model = config["model"]
    try:
        voices = resolve_voices(config["voices"], config["blends"], model["voices_dir"])
    except VoiceError as err:
        raise ConfigError(str(err)) from None
    by_id = {v.id: v for v in voices}

    paths = find_posts(config["posts"])
    if not paths:
        raise ConfigError(
            f"config posts: {config['posts']!r} matches no file; put posts in corpus/."
        )
    claimed: dict[str, list[str]] = {}
    for path in paths:
        claimed.setdefault(post_id(path), []).append(path)

    default_lang = config["lang"]
    posts: dict[str, Post] = {}
    skipped: dict[str, str] = {}
    for pid, owners in claimed.items():
        path = owners[0]
        if len(owners) > 1:
            meta, problem = (
                {},
                (f"{' and '.join(owners)} all get the post id {pid!r}; rename all but one of them"),
            )
        else:
            meta, problem = _plan_post(path, by_id)
        # A post with a problem still gets a plan, with defaults, so that only its own script
        # job fails (with the message) and, with --keep-going, the rest build.
        if meta.get("skip"):
            skipped[pid] = "front matter says skip"
            continue
        if meta.get("draft") and meta.get("draft_from"):
            skipped[pid] = f"a draft (draft: true in {meta['draft_from']})"
            continue
        if meta.get("draft"):
            skipped[pid] = "a draft (front matter draft: true or published: false)"
            continue
        if any(part in DRAFT_FOLDERS for part in Path(path).parts[:-1]):
            skipped[pid] = "a draft (in a _drafts folder)"
            continue
        lang = meta.get("lang") or default_lang
        wanted = meta.get("voices")
        candidates = [v for v in voices if wanted is None or v.id in wanted]
        speaks = [v.id for v in candidates if v.lang in POST_LANGS[lang]]
        others = tuple(v.id for v in candidates if v.lang not in POST_LANGS[lang])
        if not speaks:
            skipped[pid] = (
                f"no configured voice speaks {lang}; add one whose language is "
                f"{' or '.join(LANGS[c] for c in POST_LANGS[lang])}"
            )
            continue
        speed = meta.get("speed") or float(config["speed"])
        posts[pid] = Post(
            id=pid,
            path=path,
            lang=lang,
            title=meta.get("title"),
            voices=tuple(speaks),
            speed=speed,
            skipped_voices=others,
            problem=problem or None,
            warnings=tuple(meta.get("warnings", ())),
            bibliography=meta.get("bibliography", ()),
            metadata=meta.get("metadata", ()),
        )
    if not posts:
        reasons = "; ".join(f"{p}: {why}" for p, why in skipped.items())
        raise ConfigError(f"no post can be narrated ({reasons}).")
    settings = Settings(posts=posts, voices=by_id, skipped_posts=skipped)
    settings.unread_files = unread_files(config["posts"], paths)
    settings.model_files = _model_files(config, settings, memo_dir)
    return settings


def _model_files(config: dict, settings: Settings, memo_dir) -> dict[str, str]:
    """sha256 of every local file that shapes the audio: weights, model config, voice tensors.

    They go into the synthesis jobs' params, so replacing one (even by a copy that keeps the old
    modification time) reruns exactly the jobs that read it.
    """
    model = config["model"]
    files = [model.get(key) for key in ("weights", "config") if model.get(key)]
    for voice_id in settings.voices:
        files += settings.voice_files(voice_id, model.get("voices_dir"))
    digests = {}
    for path in files:
        if not os.path.isfile(path):
            key = next((k for k in ("weights", "config") if model.get(k) == path), "voices_dir")
            raise ConfigError(f"config model.{key}: {path} does not exist; fix the path.")
        digests[path] = file_digest(path, memo_dir)
    return digests
