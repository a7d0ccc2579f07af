"""The spoken intro and outro (lines the narration adds), the front matter's author, and the first
paragraph a feed shows for a post without a description."""

from __future__ import annotations

import logging
from pathlib import Path

import jsonschema
import pytest
import yaml

from kokoro_narrate import frontmatter
from kokoro_narrate.script import ScriptOptions, first_paragraph, parse_post

REPO = Path(__file__).resolve().parent.parent
FRAMED = ScriptOptions(
    intro="This is an audio version of {title} by {author}.", outro="Thanks for listening."
)


def post(front: str, body: str = "First words here. Second sentence.\n\n## Part 2\n\nMore.\n"):
    return f"---\n{front}\n---\n\n{body}".encode()


def test_intro_first_and_outro_last_as_added_lines():
    data = post("title: Bread & salt\nauthor: Ana Ruiz")
    paragraphs = parse_post(data, "a.md", options=FRAMED).paragraphs
    kinds = [p.kind for p in paragraphs]
    assert kinds == ["added", "title", "paragraph", "heading", "paragraph", "added"]
    assert paragraphs[0].text == "This is an audio version of Bread and salt by Ana Ruiz."
    assert paragraphs[-1].text == "Thanks for listening."
    assert paragraphs[-1].pause_before and not paragraphs[0].pause_before
    assert [p.id for p in paragraphs] == [f"p{n:04d}" for n in range(1, 7)]


def test_the_configured_author_stands_in_for_the_front_matter():
    data = post("title: Bread")
    paragraphs = parse_post(data, "a.md", options=FRAMED, author="The Bakery Blog").paragraphs
    assert paragraphs[0].text == "This is an audio version of Bread by The Bakery Blog."
    named = parse_post(post("title: Bread\nauthor: Ana"), "a.md", options=FRAMED, author="X")
    assert named.paragraphs[0].text.endswith("by Ana.")


def test_a_line_without_its_field_is_left_out_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        paragraphs = parse_post(post("title: Bread"), "a.md", options=FRAMED).paragraphs
    assert paragraphs[0].kind == "title"  # no intro: no author anywhere
    assert paragraphs[-1].text == "Thanks for listening."
    assert "no author" in caplog.text and "a.md" in caplog.text


def test_no_intro_or_outro_by_default():
    kinds = [p.kind for p in parse_post(post("title: Bread\nauthor: Ana"), "a.md").paragraphs]
    assert "added" not in kinds


def test_plain_text_posts_get_them_too():
    data = b"A short title\n\nThe only paragraph of the post.\n"
    paragraphs = parse_post(data, "a.txt", options=FRAMED, author="Ana").paragraphs
    assert paragraphs[0].text == "This is an audio version of A short title by Ana."
    assert paragraphs[-1].text == "Thanks for listening."


@pytest.mark.parametrize(
    ("value", "author"),
    [
        ("Ana", "Ana"),
        ("{name: Ana Ruiz, email: a@example.com}", "Ana Ruiz"),
        ("[Ana, Ben, Cy]", "Ana, Ben and Cy"),
        ("[{name: Ana}, Ben]", "Ana and Ben"),
        ("42", "42"),
        ("{email: a@example.com}", None),
        ("''", None),
    ],
)
def test_front_matter_author(value, author):
    front = frontmatter.parse(f"---\nauthor: {value}\n---\nx\n", "a.md")
    assert front.author == author


def test_schema_refuses_fields_the_intro_cannot_fill():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    intro = schema["properties"]["script"]["properties"]["intro"]
    jsonschema.validate("By {author}: {title}.", intro)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("By {writer}.", intro)


def test_first_paragraph_is_the_prose_as_written():
    data = post(
        "title: Bread",
        "# Bread\n\n```\ncode\n```\n\nBake at **230 °C** for [20 min](https://x.org).\n\nMore.\n",
    )
    assert first_paragraph(data, "a.md") == "Bake at 230 °C for 20 min."
    assert first_paragraph(b"Title\n\nThe body, as written: v1.2.\n", "a.txt") == (
        "The body, as written: v1.2."
    )
    assert first_paragraph(post("title: T", "## Only a heading\n"), "a.md") is None
