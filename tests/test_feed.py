"""The podcast feed: parsed back and checked field by field, hostile values and all."""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET

import pytest

from kokoro_narrate import feed
from kokoro_narrate.script import ScriptOptions

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = "Bread & <b>salt</b> ]]> \"quoted\" 'too' &amp;"

CHANNEL = feed.Channel(
    title="Narrated & read",
    link="https://blog.example.com/",
    description="Posts <read> aloud",
    language="en-us",
    self_url="https://example.com/audio/feed/af_heart.xml",
    author="Ana & Ben",
    image="https://example.com/cover.png",
    category="Technology",
    owner_email="ana@example.com",
)


def episodes():
    return [
        feed.Episode(
            "kokoro-narrate:af_heart:old",
            "Old",
            "d1",
            dt.date(2023, 5, 1),
            "https://e/1.mp3",
            10,
            "audio/mpeg",
            61.2,
        ),
        feed.Episode(
            "kokoro-narrate:af_heart:undated",
            "Undated",
            "d2",
            None,
            "https://e/2.mp3",
            20,
            "audio/mpeg",
            5,
        ),  # fmt: skip
        feed.Episode(
            "kokoro-narrate:af_heart:new",
            HOSTILE,
            HOSTILE,
            dt.date(2024, 1, 14),
            "https://e/3.mp3?a=1&b=2",
            30,
            "audio/mpeg",
            3725.0,
        ),
    ]


def test_feed_parses_and_says_everything():
    document = feed.build_feed(CHANNEL, episodes())
    root = ET.fromstring(document)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "Narrated & read"
    assert channel.findtext("description") == "Posts <read> aloud"
    assert channel.findtext("language") == "en-us"
    assert channel.find(f"{ATOM}link").get("href") == CHANNEL.self_url
    assert channel.findtext(f"{ITUNES}author") == "Ana & Ben"
    assert channel.find(f"{ITUNES}image").get("href") == CHANNEL.image
    assert channel.find(f"{ITUNES}category").get("text") == "Technology"
    assert channel.findtext(f"{ITUNES}explicit") == "false"
    assert channel.find(f"{ITUNES}owner").findtext(f"{ITUNES}email") == "ana@example.com"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == [HOSTILE, "Old", "Undated"]  # newest first
    new = items[0]
    assert new.findtext("description") == HOSTILE
    assert email.utils.parsedate_to_datetime(new.findtext("pubDate")).date() == dt.date(2024, 1, 14)
    assert new.find("guid").get("isPermaLink") == "false"
    enclosure = new.find("enclosure")
    assert enclosure.attrib == {
        "url": "https://e/3.mp3?a=1&b=2",
        "length": "30",
        "type": "audio/mpeg",
    }
    assert new.findtext(f"{ITUNES}duration") == "1:02:05"
    assert items[1].findtext(f"{ITUNES}duration") == "0:01:02"  # 61.2 s: never shorter
    assert items[2].find("pubDate") is None  # no date is invented
    assert b"<b>" not in document and b"]]>" not in document


def test_same_inputs_same_bytes():
    assert feed.build_feed(CHANNEL, episodes()) == feed.build_feed(CHANNEL, episodes()[::-1])


def test_media_url_quotes_the_path(tmp_path):
    results = tmp_path / "results"
    path = results / "encodes" / "Café crème" / "af_heart_Café crème.mp3"
    url = feed.media_url("https://example.com/audio/", path, results)
    assert (
        url
        == "https://example.com/audio/encodes/Caf%C3%A9%20cr%C3%A8me/af_heart_Caf%C3%A9%20cr%C3%A8me.mp3"
    )


@pytest.mark.parametrize(
    ("front", "description"),
    [
        ("description: From the front matter", "From the front matter"),
        ("excerpt: Jekyll's excerpt", "Jekyll's excerpt"),
        ("", "The first paragraph, as written: 3 loaves."),
    ],
)
def test_episode_description_falls_back_to_the_first_paragraph(tmp_path, front, description):
    post = tmp_path / "bread.md"
    post.write_text(
        f"---\ntitle: Bread\ndate: 2024-01-14\n{front}\n---\n\n"
        "The first paragraph, as written: **3** loaves.\n\nThe second.\n"
    )
    results = tmp_path / "results"
    enclosure = results / "encodes" / "bread" / "af_heart_bread.mp3"
    enclosure.parent.mkdir(parents=True)
    enclosure.write_bytes(b"x" * 1234)
    timing = {"sample_rate": 24000, "samples": 24000 * 90, "pieces": []}
    item = feed.episode(
        "bread",
        "af_heart",
        post,
        enclosure,
        "audio/mpeg",
        timing,
        "https://example.com/audio",
        results,
        ScriptOptions(),
    )
    assert item.description == description
    assert (item.title, item.date, item.length, item.duration_s) == (
        "Bread",
        dt.date(2024, 1, 14),
        1234,
        90.0,
    )
    assert item.url == "https://example.com/audio/encodes/bread/af_heart_bread.mp3"
