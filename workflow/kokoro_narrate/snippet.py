"""An HTML snippet per narration, for a blogger to paste into the post it reads.

An <audio> player with the web encodes as its sources (Opus first, then MP3, then the WAV master
where no encode is built: a browser plays the first it can), the captions as its default <track>
and the chapters as a second one, and a download link. Rendered from a Jinja2 template with
autoescape, so a title is text, never markup. Links start with `feed.base_url` when it is set (the
URL results/ is published at); else they are relative to the snippet's own folder, so the file
plays where it was built.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path

import jinja2

from . import files
from .encode import CODECS

TEMPLATE = Path(__file__).resolve().parents[1] / "report" / "snippet.html.j2"
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "pt": "Portuguese",
    "zh": "Chinese",
}


def link(target, page, base_url: str | None, results="results") -> str:
    """The URL of `target` from the snippet at `page`: under base_url, else relative."""
    if base_url:
        rel = os.path.relpath(os.path.abspath(target), os.path.abspath(results))
        return base_url.rstrip("/") + "/" + urllib.parse.quote(Path(rel).as_posix(), safe="/")
    rel = os.path.relpath(os.path.abspath(target), os.path.abspath(Path(page).parent))
    return urllib.parse.quote(Path(rel).as_posix(), safe="/")


def _clock(seconds: float) -> str:
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def render(context: dict) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=True,  # titles come from posts: text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(TEMPLATE.name).render(**context)


def build_snippet(built, path, base_url: str | None, title: str | None, lang: str) -> str:
    """Stage entry point. `built` maps "timing", "wav", "vtt", "chapters" and each built codec
    ("opus", "mp3") to its file."""
    timing = json.loads(Path(built["timing"]).read_text(encoding="utf-8"))
    spoken = next((p["text"] for p in timing["pieces"] if p["kind"] == "title"), None)
    title = title or spoken or Path(built["wav"]).stem
    sources = [
        {"url": link(built[codec], path, base_url), "type": CODECS[codec].mime}
        for codec in ("opus", "mp3")
        if codec in built
    ]
    if not sources:
        sources = [{"url": link(built["wav"], path, base_url), "type": "audio/wav"}]
    html = render(
        {
            "title": title,
            "duration": _clock(timing["samples"] / timing["sample_rate"]),
            "sources": sources,
            "download": sources[-1]["url"],
            "captions": link(built["vtt"], path, base_url),
            "chapters": link(built["chapters"], path, base_url),
            "lang": lang,
            "language": LANGUAGE_NAMES.get(lang, lang),
        }
    )
    files.write_text(path, html)
    return html
