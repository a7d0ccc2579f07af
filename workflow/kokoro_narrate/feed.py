"""A podcast feed per voice: RSS 2.0 with the iTunes tags podcast apps read.

One item per post the voice narrates: title, date and description from the post's front matter
(`description`, else Jekyll's `excerpt`, else the post's first paragraph as written), and the
narration's web encode as the enclosure (MP3 where it is built, else Opus, else the WAV) with its
URL under `feed.base_url`, its length in bytes and its duration. The XML is built with
xml.etree.ElementTree, which escapes every value; it holds no build time, so the same inputs give
the same bytes. Items are newest first; a post without a date comes last and has no pubDate
(podcast apps then show it in feed order): the build never invents one.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from . import files

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("itunes", ITUNES)
ET.register_namespace("atom", ATOM)

# a voice's Kokoro language as the channel's language (RSS takes RFC 5646 / ISO 639 codes)
CHANNEL_LANGUAGES = {
    "a": "en-us",
    "b": "en-gb",
    "e": "es",
    "f": "fr",
    "h": "hi",
    "i": "it",
    "j": "ja",
    "p": "pt-br",
    "z": "zh",
}


@dataclass(frozen=True)
class Channel:
    title: str
    link: str  # the site (default: the base URL)
    description: str
    language: str
    self_url: str  # where this feed is served
    explicit: bool
    # None: the tag is left out (config feed.*; the defaults are in the schema)
    author: str | None = None
    image: str | None = None  # square artwork URL, 1400-3000 px, as Apple asks
    category: str | None = None
    owner_email: str | None = None


@dataclass(frozen=True)
class Episode:
    guid: str
    title: str
    description: str
    date: dt.date | None
    url: str
    length: int  # bytes of the enclosure
    mime: str
    duration_s: float


def media_url(base_url: str, path, results: str | os.PathLike = "results") -> str:
    """`path` (a file under results/) under the base URL results/ is served at."""
    rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(results))).as_posix()
    return base_url.rstrip("/") + "/" + urllib.parse.quote(rel, safe="/")


def _duration(seconds: float) -> str:
    """itunes:duration as H:MM:SS, whole seconds rounded up (never shorter than the audio)."""
    total = int(-(-round(seconds, 3) // 1))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def _pub_date(date: dt.date) -> str:
    """RFC 822, as RSS 2.0 asks: midnight UTC of the post's date."""
    moment = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
    return email.utils.format_datetime(moment)


def _sub(parent, tag: str, text: str | None = None, attrs: dict | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in (attrs or {}).items()})
    if text is not None:
        element.text = text
    return element


def build_feed(channel: Channel, episodes: list[Episode]) -> bytes:
    """The feed document, UTF-8, indented."""
    rss = ET.Element("rss", {"version": "2.0"})
    ch = _sub(rss, "channel")
    _sub(ch, "title", channel.title)
    _sub(ch, "link", channel.link)
    _sub(ch, "description", channel.description)
    _sub(ch, "language", channel.language)
    _sub(ch, "generator", "kokoro-narrate")
    self_link = {"href": channel.self_url, "rel": "self", "type": "application/rss+xml"}
    _sub(ch, f"{{{ATOM}}}link", attrs=self_link)
    if channel.author:
        _sub(ch, f"{{{ITUNES}}}author", channel.author)
    if channel.owner_email:
        owner = _sub(ch, f"{{{ITUNES}}}owner")
        _sub(owner, f"{{{ITUNES}}}name", channel.author or channel.title)
        _sub(owner, f"{{{ITUNES}}}email", channel.owner_email)
    if channel.image:
        _sub(ch, f"{{{ITUNES}}}image", attrs={"href": channel.image})
    if channel.category:
        _sub(ch, f"{{{ITUNES}}}category", attrs={"text": channel.category})
    _sub(ch, f"{{{ITUNES}}}explicit", "true" if channel.explicit else "false")
    _sub(ch, f"{{{ITUNES}}}type", "episodic")
    newest_first = sorted(
        episodes, key=lambda e: (e.date is None, -(e.date.toordinal() if e.date else 0), e.guid)
    )
    for episode in newest_first:
        item = _sub(ch, "item")
        _sub(item, "title", episode.title)
        _sub(item, "description", episode.description)
        if episode.date:
            _sub(item, "pubDate", _pub_date(episode.date))
        _sub(item, "guid", episode.guid, {"isPermaLink": "false"})
        enclosure = {"url": episode.url, "length": episode.length, "type": episode.mime}
        _sub(item, "enclosure", attrs=enclosure)
        _sub(item, f"{{{ITUNES}}}title", episode.title)
        _sub(item, f"{{{ITUNES}}}duration", _duration(episode.duration_s))
        _sub(item, f"{{{ITUNES}}}episodeType", "full")
        _sub(item, f"{{{ITUNES}}}explicit", "true" if channel.explicit else "false")
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def episode(
    post: str,
    voice: str,
    source,
    enclosure,
    mime: str,
    timing: dict,
    base_url: str,
    results: str | os.PathLike = "results",
    options=None,
) -> Episode:
    """The item of one narration: front matter of the post file `source`, the encode (or WAV)
    at `enclosure`, the narration's timing JSON (its duration)."""
    from .frontmatter import read
    from .script import ScriptOptions, first_paragraph

    data = Path(source).read_bytes()
    front, _ = read(data, str(source))
    title = front.title or next((p["text"] for p in timing["pieces"] if p["kind"] == "title"), post)
    description = front.description or first_paragraph(
        data, str(source), options or ScriptOptions.from_config()
    )
    return Episode(
        guid=f"kokoro-narrate:{voice}:{post}",
        title=title,
        description=description or title,
        date=front.date,
        url=media_url(base_url, enclosure, results),
        length=Path(enclosure).stat().st_size,
        mime=mime,
        duration_s=timing["samples"] / timing["sample_rate"],
    )


def write_feed(path, document: bytes) -> None:
    files.write_bytes(path, document)


def build_feed_file(path, channel: dict, items: list[dict], base_url: str, voice: str, options):
    """Stage entry point: the feed of one voice. `channel` holds the Channel fields (language as
    the voice's Kokoro code); each of `items` names a post, its file (`source`), its enclosure and
    the enclosure's `type`, and its timing JSON."""
    import json

    fields = dict(channel)
    fields["language"] = CHANNEL_LANGUAGES.get(fields["language"], fields["language"])
    episodes = []
    for item in items:
        timing = json.loads(Path(item["timing"]).read_text(encoding="utf-8"))
        episodes.append(
            episode(
                item["post"],
                voice,
                item["source"],
                item["enclosure"],
                item["type"],
                timing,
                base_url,
                options=options,
            )
        )
    write_feed(path, build_feed(Channel(**fields), episodes))
    return episodes
