"""The HTML snippet: sources best first, captions and chapters tracks, links, escaping."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from kokoro_narrate import snippet

HOSTILE = '<script>alert("x")</script> & "quotes"'


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def narration(root: Path, codecs=("opus", "mp3")) -> dict:
    """The files of one narration under root/results, as the rule hands them over."""
    results = root / "results"
    files = {
        "wav": results / "narrations/post/af_heart_post.wav",
        "timing": results / "narrations/post/af_heart_post.json",
        "vtt": results / "captions/post/af_heart_post.vtt",
        "srt": results / "captions/post/af_heart_post.srt",
        "chapters": results / "captions/post/af_heart_post.chapters.vtt",
    }
    files |= {codec: results / f"encodes/post/af_heart_post.{codec}" for codec in codecs}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    timing = {"sample_rate": 24000, "samples": 24000 * 125, "pieces": []}
    files["timing"].write_text(json.dumps(timing))
    return {k: str(v) for k, v in files.items()}


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def test_relative_links_play_where_it_was_built(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = narration(tmp_path)
    out = tmp_path / "results/snippets/post/af_heart_post.html"
    out.parent.mkdir(parents=True)
    html = snippet.build_snippet(files, out, base_url=None, title=HOSTILE, lang="en")
    assert out.read_text() == html
    tags = parse(html)
    sources = [a for t, a in tags.found if t == "source"]
    assert [s["src"] for s in sources] == [
        "../../encodes/post/af_heart_post.opus",
        "../../encodes/post/af_heart_post.mp3",
    ]
    assert sources[0]["type"] == 'audio/ogg; codecs="opus"' and sources[1]["type"] == "audio/mpeg"
    tracks = {a["kind"]: a for t, a in tags.found if t == "track"}
    assert tracks["captions"]["src"] == "../../captions/post/af_heart_post.vtt"
    assert "default" in tracks["captions"] and tracks["captions"]["srclang"] == "en"
    assert tracks["chapters"]["src"] == "../../captions/post/af_heart_post.chapters.vtt"
    assert ("audio", {"controls": None, "preload": "metadata"}) in tags.found
    assert HOSTILE in tags.text and "script" not in [t for t, _ in tags.found]  # text, not markup
    assert "(2:05)" in tags.text


def test_base_url_makes_absolute_links(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = narration(tmp_path, codecs=("mp3",))
    out = tmp_path / "results/snippets/post/af_heart_post.html"
    out.parent.mkdir(parents=True)
    html = snippet.build_snippet(files, out, "https://example.com/a/", title="T", lang="es")
    tags = parse(html)
    assert [a["src"] for t, a in tags.found if t == "source"] == [
        "https://example.com/a/encodes/post/af_heart_post.mp3"
    ]
    assert any(t == "track" and a["label"] == "Spanish" for t, a in tags.found)


def test_without_encodes_the_master_plays(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = narration(tmp_path, codecs=())
    out = tmp_path / "results/snippets/post/af_heart_post.html"
    out.parent.mkdir(parents=True)
    html = snippet.build_snippet(files, out, None, title=None, lang="en")
    sources = [a for t, a in parse(html).found if t == "source"]
    assert sources == [{"src": "../../narrations/post/af_heart_post.wav", "type": "audio/wav"}]
