"""Tests of the Markdown front end: golden posts, bad input, and a no-markup-leaks property."""

import base64
import json
import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokoro_narrate.script import (
    KINDS,
    Paragraph,
    PostError,
    ScriptOptions,
    parse_post,
    read_script,
    write_script,
)

GOLDEN = Path(__file__).parent / "golden"
POSTS = sorted(GOLDEN.glob("*.md"))


def _options(post: Path) -> ScriptOptions:
    extra = post.with_suffix(".options.json")
    return (
        ScriptOptions.from_config(json.loads(extra.read_text()))
        if extra.exists()
        else ScriptOptions.from_config()
    )


# -- golden posts -------------------------------------------------------------------------------


def test_enough_golden_posts():
    assert len(POSTS) >= 8


@pytest.mark.parametrize("post", POSTS, ids=[p.stem for p in POSTS])
def test_golden(post, tmp_path):
    """Markdown in, expected spoken JSON Lines out. UPDATE_GOLDEN=1 rewrites the expected files."""
    parsed = parse_post(post.read_bytes(), str(post), options=_options(post))
    out = tmp_path / "script.jsonl"
    write_script(parsed.paragraphs, out)
    expected = post.with_suffix(".expected.jsonl")
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_bytes(out.read_bytes())
    assert out.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")


def test_front_matter_fields():
    post = GOLDEN / "01-front-matter-yaml.md"
    parsed = parse_post(post.read_bytes(), str(post))
    assert parsed.post_id == "01-front-matter-yaml"
    assert parsed.title == "Loudness, Explained"
    assert parsed.lang is None
    texts = [p.text for p in parsed.paragraphs]
    assert texts.count("Loudness, Explained") == 1  # the equal H1 is not read twice
    assert not any(w in t for t in texts for w in ("2024", "March", "audio, loudness", "post"))

    toml = GOLDEN / "02-front-matter-toml.md"
    parsed = parse_post(toml.read_bytes(), str(toml))
    assert parsed.title == "Notes from the lab"
    assert parsed.lang == "en"
    assert parsed.skip is False


def test_inline_code_reads_urls_hosts_and_paths_as_prose_does():
    md = (
        "Decode it at [`tokenlab.io`][t] or [`http://checker.example.net/`]"
        "(http://checker.example.net/).\n\n"
        "Run `curl https://get.example.org/setup.sh | sh`,"
        " pull `registry.example.io/harbour/ferry`, set `harbour.example.io/berth.name`,"
        " keep `logger.info` and `console.info()`,"
        " edit `~/.config/ferry.toml`.\n\n"
        "[t]: https://tokenlab.io\n"
    )
    assert [p.text for p in parse_post(md.encode(), "code.md").paragraphs] == [
        "Decode it at tokenlab and example.",
        "Run curl example pipe sh, pull registry example slash harbour slash ferry,"
        " set harbour example slash berth dot name, keep logger dot info and console dot info,"
        " edit tilde slash dot config slash ferry dot TOML.",
    ]


def test_inline_code_says_file_places_ports_and_other_schemes_as_words():
    """Found on real blogs: `src/main.rs:80:20` was "main dot RS:80:20", `chrome://tracing`
    "chrome:/ tracing", `example.com:443` "example :443"."""
    md = (
        "An error at `src/main.rs:80:20`, and one at `app.py:12`.\n\n"
        "Open `chrome://flags/#enable-gc` or `chrome://tracing`, read `s3://tide-data/` over"
        " `grpc+tcp://`, and call `example.com:443` or `curl localhost:3000/api`.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "places.md").paragraphs] == [
        "An error at src slash main dot RS, line 80, column 20, and one at app dot py, line 12.",
        "Open chrome flags enable-gc or chrome tracing, read s3 tide-data over grpc plus tcp,"
        " and call example port 443 or curl localhost port 3000 slash api.",
    ]


def test_list_items_end_as_sentences_a_trailing_comma_too():
    """A list that reads as one sentence ends its items with commas: each item is said as a
    sentence of its own, with a period for the comma (it was "autoprefix them,.")."""
    md = "It will:\n\n- lint the files,\n- autoprefix them,\n- and ship (fast)\n"
    assert [p.text for p in parse_post(md.encode(), "items.md").paragraphs][1:] == [
        "lint the files.",
        "autoprefix them.",
        "and ship (fast).",
    ]


def test_html_block_elements_are_headings_items_and_paragraphs_of_their_own():
    """A post in HTML (a WordPress import) ran its heading, paragraphs and items into one
    paragraph: "Here is how. The columns Each row is a day"."""
    md = (
        "<p>We read the <strong>tide tables</strong>. Here is how.</p>\n<h2>The columns</h2>\n"
        "<p>Each row is a day.</p>\n<ul>\n    <li>the time of high water,</li>\n"
        "    <li>its height.</li>\n</ul>\n<blockquote><p>Trust no other port.</p></blockquote>\n"
    )
    post = parse_post(md.encode(), "tides.md")
    assert [(p.kind, p.text) for p in post.paragraphs] == [
        ("paragraph", "We read the tide tables. Here is how."),
        ("heading", "The columns"),
        ("paragraph", "Each row is a day."),
        ("list_item", "the time of high water."),
        ("list_item", "its height."),
        ("quote", "Trust no other port."),
    ]


def test_kramdown_block_end_and_buttons_are_no_words():
    """A tab widget in a kramdown post: its buttons are controls, and "^" ends the HTML block, so
    the fence after it is code (its lines were read as prose, "cutoff equals five point oh")."""
    md = (
        'Train the small model:\n\n<div class="pair" markdown="1">\n<div class="tabs">\n'
        "  <button>JAX</button>\n  <button>PyTorch</button>\n</div>\n^\n```python\n"
        "cutoff = 5.0\n```\n</div>\n\nIt trains in a minute.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "tabs.md").paragraphs] == [
        "Train the small model:",
        "The code is in the post.",
        "It trains in a minute.",
    ]


@pytest.mark.parametrize(
    ("name", "text", "line", "included"),
    [
        ("a.adoc", "= T\n\nIntro.\n\ninclude::parts/more.adoc[]\n", 5, "parts/more.adoc"),
        ("a.org", '#+TITLE: T\n\nIntro.\n#+INCLUDE: "./more.org"\n', 4, "./more.org"),
        ("a.rst", "T\n=\n\nIntro.\n\n.. include:: more.rst\n", 6, "more.rst"),
        ("a.md", "Intro.\n\n{% include_relative more.md %}\n", 3, "more.md"),
        ("a.md", 'Intro.\n\n{{< readfile file="more.md" >}}\n', 3, "more.md"),
    ],
)
def test_another_file_s_text_included_is_named_with_its_line(caplog, name, text, line, included):
    with caplog.at_level(logging.WARNING):
        parse_post(text.encode(), name)
    assert any(
        r.getMessage().startswith(f"{name}:{line}: the text of {included} is included")
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]


def test_an_include_shown_as_code_or_of_a_theme_s_snippet_is_no_warning(caplog):
    md = "Intro.\n\n```liquid\n{% include_relative more.md %}\n```\n\n{% include note.html %}\n"
    with caplog.at_level(logging.WARNING):
        parse_post(md.encode(), "a.md")
    assert not any("included" in r.getMessage() for r in caplog.records)


def test_a_list_nested_four_spaces_in_as_python_markdown_nests_it_is_read():
    """MkDocs' parser nests an item's blocks 4 spaces in; CommonMark wanted the item's text column
    and read the nested list as code. A YAML listing after a list stays code."""
    md = (
        "Two problems:\n\n"
        "  1.  __Size__: the index grows with every page of the site.\n\n"
        "    - __Context__: a reader cannot tell\n"
        "      which words were code and which were the text around them.\n"
        "    - __Order__: the items come in the order the parser met them.\n\n"
        "The workflow:\n\n  1.  one step\n\n"
        "    - name: build\n      run: make all of the things happen right now please\n\n"
        "That is all.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "nested.md").paragraphs] == [
        "Two problems:",
        "Size: the index grows with every page of the site.",
        "Context: a reader cannot tell which words were code and which were the text around them.",
        "Order: the items come in the order the parser met them.",
        "The workflow:",
        "one step.",
        "That is all.",
    ]


def test_struck_out_text_is_not_read():
    """A correction reads as the post says it now: "three dollars", not "five dollars three
    dollars"; a paragraph, heading or item struck out whole is not read at all."""
    md = (
        "# Prices\n\n"
        "The plan costs ~~$5~~ $3 a month, and ~~nobody~~ everybody noticed.\n\n"
        "~~This paragraph is outdated.~~\n\n"
        "## ~~Old heading~~\n\n"
        "- ~~done~~\n"
        "- kept, with <del>old</del> new, <s>gone</s> here and <strike>x</strike> y\n\n"
        "<p>An <del>old</del> HTML paragraph, <s>really</s>.</p>\n\n"
        "Two lone ~~ tildes say nothing, and <sub>2</sub> and <span>this</span> are read.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "struck.md").paragraphs] == [
        "Prices",
        "The plan costs three dollars a month, and everybody noticed.",
        "kept, with new, here and y.",
        "An HTML paragraph.",
        "Two lone tildes say nothing, and 2 and this are read.",
    ]


def test_wiki_links_read_as_the_page_shows_them():
    """Obsidian's and Foam's [[links]]: the words shown or the note's name, never the brackets,
    the folder or the part; an embedded picture is a picture; shell's [[ ]] is not a link."""
    md = (
        "See [[Build Notes|my build notes]] and [[Runner]], or [[garden/Deep Dive.md#Costs]],"
        " [[#Summary]] and [[Note#^a1b2c3]].\n\n"
        "Here is the board:\n\n![[board photo.png]]\n\n"
        "![[wiring.jpg|640x480]] ![[desk.png|My desk, tidy]]\n\n"
        "A note embed ![[Other note]] is not read; `[[ -f $f ]]` is code.\n"
    )
    assert [(p.kind, p.text) for p in parse_post(md.encode(), "garden.md").paragraphs] == [
        ("paragraph", "See my build notes and Runner, or Deep Dive, Summary and Note."),
        ("paragraph", "Here is the board:"),
        ("added", ScriptOptions.from_config().image_cue),
        ("paragraph", "A note embed is not read; dash f f is code."),
    ]
    with_alt = ScriptOptions.from_config({"image_alt": True})
    figures = [p.text for p in parse_post(md.encode(), "garden.md", options=with_alt).paragraphs]
    assert [t for t in figures if t.startswith("Figure")] == ["Figure: My desk, tidy."]


def test_kramdown_comments_abbreviations_and_tables_of_contents_are_not_read():
    """What kramdown, Python-Markdown and GitLab keep off the page or make themselves: a comment,
    an abbreviation's definition, a table of contents and the heading that labels it."""
    md = (
        "# Contents\n{:.no_toc}\n\n* TOC\n{:toc}\n\n"
        "The HTML is hand written.\n\n*[HTML]: Hyper Text Markup Language\n\n"
        "{::comment}\nA note to self.\n\nStill the note.\n{:/comment}\n\n"
        '{::options parse_block_html="true" /}\n\n'
        "Some text with {::nomarkdown}<b>raw</b>{:/nomarkdown} inside, {::comment}hidden{:/}.\n\n"
        "## Table of contents\n\n[TOC]\n\n## Setup\n\n[[_TOC_]]\n\n"
        "Write `{::comment}` to start one; an open one is text.\n\n"
        "* [Docs]: a list item that starts with a link.\n\n"
        # Just the Docs' forms: a numbered TOC item, and one folded into <details>
        "## Table of Contents\n{: .no_toc .text-delta }\n\n1. TOC\n{:toc}\n\n"
        '<details open markdown="block">\n  <summary>\n    Table of contents\n  </summary>\n'
        "  {: .text-delta }\n- TOC\n{:toc}\n</details>\n\nThe end.\n"
    )
    post = parse_post(md.encode(), "kramdown.md")
    assert [p.text for p in post.paragraphs] == [
        "The HTML is hand written.",
        "Some text with raw inside.",
        "Setup",
        "Write to start one; an open one is text.",
        "Docs: a list item that starts with a link.",
        "The end.",
    ]


def test_callouts_citations_and_tex_math_as_their_sites_show_them():
    """Obsidian's titled and folded callouts read as admonitions; Pandoc's citations are left
    out (the page shows them from a bibliography); MathJax's \\( \\) and \\[ \\] are math,
    not words, and a lead-in to display math gets its cue."""
    md = (
        "> [!warning] Mind the gap\n> The edge is close.\n\n"
        "> [!tip]- Folded\n> Hidden until opened.\n\n"
        "> [!NOTE]\n> Plain alert.\n\n"
        "As shown [@smith2020, p. 4] and [see @lee; -@kim], not [me@example.org].\n\n"
        "Inline \\(\\frac{a}{b}\\) is not read, \\(x_1^2\\) is; the formula:\n\n"
        "\\[\nE = mc^2\n\\]\n\n"
        "  \\[ x = 1 \\]\n\nA \\[citation needed\\] stays.\n"
    )
    post = parse_post(md.encode(), "callouts.md")
    assert [(p.kind, p.text) for p in post.paragraphs] == [
        ("quote", "Warning: Mind the gap."),
        ("quote", "The edge is close."),
        ("quote", "Tip: Folded."),
        ("quote", "Hidden until opened."),
        ("quote", "Note. Plain alert."),
        ("paragraph", "As shown and, not me at example dot org."),
        ("paragraph", "Inline is not read, x 1 squared is; the formula:"),
        ("added", ScriptOptions.from_config().math_cue),
        ("paragraph", "A citation needed stays."),
    ]


def test_latex_environments_are_math_and_command_lines_are_not_words():
    """MathJax, KaTeX and Pandoc typeset \\begin{equation} where it stands: display math, with
    its cue, not "begin equation E equals mc 2 end equation". A line of LaTeX commands alone
    (\\newpage) is for a PDF; a command inside a sentence is the author's word."""
    md = (
        "The relation:\n\n\\begin{align*}\nE &= mc^2 \\\\\np &= mv\n\\end{align*}\n\n"
        "\\newpage\n\\vspace{2em} \\noindent\n\n"
        "Typeset with \\LaTeX in the end.\n\n\\begin{itemize}\n"
    )
    post = parse_post(md.encode(), "tex.md")
    assert [(p.kind, p.text) for p in post.paragraphs] == [
        ("paragraph", "The relation:"),
        ("added", ScriptOptions.from_config().math_cue),
        ("paragraph", "Typeset with LaTeX in the end."),
    ]


def test_liquid_the_page_shows_as_written_is_read_as_code():
    """What {% raw %} wraps and a tag in a code span are shown on the page, not run: a post about
    templates said "write in the layout" with the tag it was about left out. A tag in prose is
    still the site's, and an image whose data URI markdown-it refuses is still an image."""
    md = (
        "Write {% raw %}`{{ page.title }}`{% endraw %} in the layout, or `{% include nav.html %}`"
        " in the header.\n\nHello {{ site.name }} readers.\n\n"
        "![logo](data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=)"
        " Our logo.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "liquid.md").paragraphs] == [
        "Write page dot title in the layout, or include nav dot html in the header.",
        "Hello readers.",
        "Our logo.",
    ]


def test_jsx_tags_over_several_lines_are_tags():
    """MDX tags whose props span lines: CommonMark takes a tag for HTML only when it is whole on
    one line, so `<Tabs` over its props was read as words, and a braced prop over several lines
    inside a <div> left blank lines that ended the block and read the rest of the tag."""
    mdx = (
        'Intro.\n\n<Tabs\n  defaultValue="npm"\n  values={[\n    { label: "npm" },\n  ]}>\n'
        '<TabItem value="npm">\n\nInstall with npm.\n\n</TabItem>\n</Tabs>\n\n'
        '<div>\n  <strong>Watch the talk.</strong>\n  <img\n    src="/talk.jpg"\n'
        "    style={{\n      maxWidth: '200px',\n    }}\n    alt=\"The talk\"\n  />\n</div>\n"
    )
    post = parse_post(mdx.encode(), "tabs.mdx")
    assert [p.text for p in post.paragraphs] == ["Intro.", "Install with npm.", "Watch the talk."]


def test_a_post_in_another_language_than_it_will_be_spoken_in_is_named(caplog):
    """A post that names no language and reads as another is said with the wrong G2P, every word a
    guess: the script log names the post, its language and the fix. A post that names its
    language, or one in the build's, gets no warning."""
    french = (
        "Le vent souffle sur la plage et les bateaux sont dans le port. Nous avons marché pour "
        "voir les phares, mais la pluie est venue avec le soir. Les pêcheurs qui rentrent ne "
        "parlent pas beaucoup, et je les comprends: la mer est dure cette saison. Dans le village "
        "les maisons sont fermées et les rues sont vides, mais il reste une lumière au café du "
        "port, avec des gens qui attendent le bateau du matin et qui ne dorment pas.\n"
    )
    with caplog.at_level(logging.WARNING, logger="kokoro_narrate.script"):
        parse_post(french.encode(), "posts/vent.md")
        parse_post(("---\nlang: fr\n---\n" + french).encode(), "posts/vent-fr.md")
        parse_post(
            ("The wind is on the beach and the boats are in the port. " * 8).encode(), "en.md"
        )
    warned = [r.getMessage() for r in caplog.records if "reads as" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("posts/vent.md: the post reads as French")
    assert "set 'lang: fr' in its front matter" in warned[0]


def test_footnotes_written_in_html_follow_the_footnotes_setting():
    """An exported post's footnotes: <sup><a href="#fn1">1</a></sup> is a marker, its
    <div class="footnotes"> is read only with script.footnotes: end, and never its ↩ link."""
    md = (
        'A claim.<sup><a href="#fn1" id="ref1">1</a></sup> Another<sup>[2]</sup>,'
        " and mc<sup>2</sup> stays.\n\n"
        '<div class="footnotes"><ol><li id="fn1">The source is a book.'
        ' <a href="#ref1">↩</a></li></ol></div>\n'
    )
    dropped = parse_post(md.encode(), "fn.md").paragraphs
    assert [p.text for p in dropped] == ["A claim. Another, and mc2 stays."]
    at_end = ScriptOptions.from_config({"footnotes": "end"})
    read = parse_post(md.encode(), "fn.md", options=at_end).paragraphs
    assert [p.text for p in read] == [
        "A claim. Another, and mc2 stays.",
        "The source is a book.",
    ]


def test_mdx_expressions_and_callouts():
    """An MDX expression's value is the site's to compute: left out, not read as code, unless it
    is a string ({' '}, {"{"}); a callout component is labelled as an admonition."""
    md = (
        "Today we ship {props.version}, built in {new Date().getFullYear()}.\n\n"
        "We released{' '}`@acme/clamp`, {items.map(i => { return i })} and \\{literal\\}"
        ' {"{"}braces{"}"}.\n\n'
        '<Callout type="warning" title="Heads up">\n  Back up your drafts.\n</Callout>\n\n'
        "<Note>\nA plain note.\n</Note>\n\n<Callout>\nNo kind.\n</Callout>\n"
    )
    assert [p.text for p in parse_post(md.encode(), "post.mdx").paragraphs] == [
        "Today we ship, built in.",
        "We released at acme clamp, and literal braces.",
        "Warning: Heads up.",
        "Back up your drafts.",
        "Note.",
        "A plain note.",
        "No kind.",
    ]


def test_mdx_components_hold_markdown_not_html():
    """Between a component's tags on lines of their own MDX reads Markdown, and has no indented
    code: a <TabItem>'s indented fence is code, not words, and its prose is read."""
    md = (
        'Pin the version:\n\n<Tabs>\n  <TabItem value="yarn" default>\n'
        '    ```json\n    "resolutions": {\n        "compiler": "2024.3.1"\n    }\n    ```\n'
        '  </TabItem>\n  <TabItem value="npm">\n    Run it once, then commit the lock file.\n'
        "  </TabItem>\n</Tabs>\n\nThat is all.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "tabs.mdx").paragraphs] == [
        "Pin the version:",
        ScriptOptions.from_config().cue("code"),
        "Run it once, then commit the lock file.",
        "That is all.",
    ]


def test_theme_callouts_are_read_with_their_label():
    """Documentation themes' callouts: a Liquid include's content (the page shows it), Hugo's
    notice, alert, callout and note shortcodes, labelled as admonitions are; a parameter that
    holds a % (style="width:100%") no longer turns the whole tag into words."""
    md = (
        '{% include note.html content="Back up the database first." %}\n\n'
        '{% include callout.html content="The **beta** channel updates daily."'
        ' type="warning" %}\n\n'
        '{% include tip.html content="Save 50% on the first run." %}\n\n'
        "Here it is:\n\n"
        '{% include epic_img.html url="/img/a.png" title="Editors" style="width:100%;" %}\n\n'
        "{{% notice warning %}}\nDo not run this on production.\n{{% /notice %}}\n\n"
        '{{% alert title="Heads up" color="warning" %}}\nThe API changes.\n{{% /alert %}}\n\n'
        "{{< note >}}\nA Kubernetes-style note.\n{{< /note >}}\n\n"
        "{{< alert >}}A plain alert.{{< /alert >}}\n"
    )
    assert [p.text for p in parse_post(md.encode(), "themes.md").paragraphs] == [
        "Note. Back up the database first.",
        "Warning. The beta channel updates daily.",
        "Tip. Save fifty percent on the first run.",
        "Here it is:",
        ScriptOptions.from_config().image_cue,
        "Warning. Do not run this on production.",
        "Warning: Heads up. The API changes.",
        "Note. A Kubernetes-style note.",
        "A plain alert.",
    ]


def test_attribute_lists_tabs_and_container_names_are_markup():
    """markdown-it-attrs, attr_list and Pandoc attributes ({#id}, {.class}, {key="v"}) are not
    read, braces with words in them are; MkDocs content tabs say their title before the tab's
    indented body; a `:::name` container that is no admonition is markup; a line of code between
    triple backticks does not open a fence that would hide what follows."""
    md = (
        "## Measure first { #measure-first }\n\n"
        '_Written in a second language._{ style="display: inline" }\n\n'
        "[Get started](start.md){ .md-button .md-button--primary } and replace {name} here.\n\n"
        'Pick one:\n\n=== "Small sites"\n\n    Keep everything in one folder.\n\n'
        '=== "Config"\n\n    ``` yaml\n    site_name: Demo\n    ```\n\n'
        "```npm ci```\n\n"
        ":::tip\nUse the cache.\n:::\n\n"
        ":::table-wrapper\n| a | b |\n|---|---|\n| 1 | 2 |\n:::\n"
    )
    assert [p.text for p in parse_post(md.encode(), "attrs.md").paragraphs] == [
        "Measure first",
        "Written in a second language.",
        "Get started and replace name here.",
        "Pick one:",
        "Small sites.",
        "Keep everything in one folder.",
        "Config.",
        "npm ci",
        "Tip.",
        "Use the cache.",
    ]


def test_admonitions_and_tabs_nested_in_an_admonition():
    md = (
        '??? example "Expand it"\n\n    === "First"\n\n        Words in the first tab.\n\n'
        "    !!! note\n        A nested note.\n\nAfter.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "nested.md").paragraphs] == [
        "Example: Expand it.",
        "First.",
        "Words in the first tab.",
        "Note.",
        "A nested note.",
        "After.",
    ]


def test_nunjucks_and_zola_shortcodes_keep_their_words():
    """A link shortcode says its text ({% personlink "Ada Byron", "https://..." %}), a theme's
    callout its label (Nunjucks positional, Zola named arguments), a Zola figure is a picture."""
    md = (
        'Thanks to {% personlink "Ada Byron", "https://example.com/ada" %} and'
        ' {% personlink "Tim Lee", "/people/tim/" %}; not {% include "card.html", "/a" %}.\n\n'
        '{% callout "info", "md", "New Survey Alert" %}The survey opens.{% endcallout %}\n\n'
        '{% admonition_body(type="warning", title="Short version:") %}\n\n'
        "It never worked.\n\n{% end %}\n\n"
        'Here it is:\n\n{{ figure(src="ups.png", caption="The UPS on a shelf") }}\n'
    )
    assert [p.text for p in parse_post(md.encode(), "njk.md").paragraphs] == [
        "Thanks to Ada Byron and Tim Lee; not.",
        "Info: New Survey Alert. The survey opens.",
        "Warning: Short version.",
        "It never worked.",
        "Here it is:",
        ScriptOptions.from_config().image_cue,
    ]


def test_quarto_math_grid_tables_and_hugo_tabs():
    """TeX's "{{" in display math is no Liquid output (it took every paragraph up to the next
    "}}"); simple inline math is read as the page shows it; a Pandoc grid table is a table; a Hugo
    theme's tab says its label."""
    md = (
        "The curve saturates:\n\n$$\nR = \\frac{D}{{K}_{d} + D}\n$$\n\n"
        "This paragraph explains why.\n\n## Next\n\n"
        "We tune $\\alpha$ until $E_{max}$ and $p(x)$ settle,"
        " as $E = mc^2$ and $x^2e^{-x}$ say.\n\n"
        "+------+------+\n| Dose | Unit |\n+======+======+\n| Cmax | mg/L |\n+------+------+\n\n"
        '{{< tabs >}}\n{{< tab label="Command line" >}}\nRun the tool.\n{{< /tab >}}\n'
        "{{< /tabs >}}\n"
    )
    assert [p.text for p in parse_post(md.encode(), "quarto.md").paragraphs] == [
        "The curve saturates:",
        ScriptOptions.from_config().math_cue,
        "This paragraph explains why.",
        "Next",
        "We tune alpha until E max and p of x settle, as E equals m c squared and x squared e to"
        " the power of minus x say.",
        "Command line.",
        "Run the tool.",
    ]


def test_a_toggle_named_only_by_its_control_is_not_announced():
    md = (
        "Set the pin.\n\n<details>\n<summary>Details</summary>\n\n```c\nint pin = 4;\n```\n\n"
        "</details>\n\n<details><summary>Why it works</summary>\n\nBecause.\n\n</details>\n"
    )
    assert [p.text for p in parse_post(md.encode(), "toggle.md").paragraphs] == [
        "Set the pin.",
        "Why it works",
        "Because.",
    ]


def test_a_title_with_an_icon_in_its_heading_is_read_once():
    md = "---\ntitle: Adding a badge\n---\n\n# Adding a :simple-mkdocs: badge\n\nIt shows.\n"
    assert [p.text for p in parse_post(md.encode(), "badge.md").paragraphs] == [
        "Adding a badge",
        "It shows.",
    ]


def test_code_of_symbols_says_their_names():
    """Code that is only symbols is said by their names, and so are operators between code's
    words that prose has no reading for; grouping brackets, a shell prompt and the operators the
    normalizer reads are left to it. A version in code keeps its dots."""
    md = (
        "Optional chaining (`?.`) and `??`, unlike `||`, where `a || b` gives `b`; the `?`"
        ' operator; `[[ ]]` for text, `[[ -f $f ]]` in shell, `$ make`, `x = ""`,'
        " `a <= b` and `Code > Convert`.\n\n"
        "Compare `v3.1.2` with `npm@11.7.0`.\n"
    )
    assert [p.text for p in parse_post(md.encode(), "ops.md").paragraphs] == [
        "Optional chaining (question mark dot) and double question mark, unlike double pipe,"
        " where a double pipe b gives b; the question mark operator; double open bracket double"
        " close bracket for text, dash f f in shell, make, x equals empty string, a less than or"
        " equal to b and Code, then Convert.",
        "Compare version three point one point two with npm at eleven point seven point oh.",
    ]


def test_an_exponent_in_html_is_a_power():
    md = "Below 2<sup>31</sup>, and 2<sup>128</sup> - 1 is the largest; a note<sup>1</sup>.\n"
    assert [p.text for p in parse_post(md.encode(), "sup.md").paragraphs] == [
        "Below 2 to the power of 31, and 2 to the power of 128 minus 1 is the largest; a note1."
    ]


def test_inline_code_drops_formatting_tags_an_html_export_left_in_it():
    md = "Run the `<tt>check</tt>` goal on `<em><tt>Build.java</tt></em>`, not `<tt>`.\n"
    assert [p.text for p in parse_post(md.encode(), "tt.md").paragraphs] == [
        "Run the check goal on Build dot java, not tt."
    ]


def test_mdx_component_named_by_a_member_expression_is_not_read():
    md = (
        'Pick a pier:\n\n<Pier.Tabs className="my-4">\n  <Pier.Tab\n'
        "    className={({ active }) => `px-2 ${active ? 'on' : 'off'}`}\n  >\n    North\n"
        "  </Pier.Tab>\n</Pier.Tabs>\n\nBoats leave at noon.\n"
    )
    texts = [p.text for p in parse_post(md.encode(), "tabs.mdx").paragraphs]
    assert texts == ["Pick a pier:", "The embedded media is in the post.", "Boats leave at noon."]


def test_mdx_expression_props_do_not_turn_a_tag_into_text():
    md = (
        'See the pier:\n\n<img\n  alt="The north pier"\n  src={pier}\n'
        '  srcSet={`${pier} 1x, ${pier2x} 2x`}\n  sizes="calc(100vw - 2rem)"\n/>\n\n'
        "Boats leave at noon, `x={1}` stays code.\n"
    )
    texts = [p.text for p in parse_post(md.encode(), "pier.mdx").paragraphs]
    assert texts[0] == "See the pier:" and texts[-1] == "Boats leave at noon, x= 1 stays code."
    assert not any("srcSet" in t or "calc" in t for t in texts)


def test_headings_and_rules():
    post = parse_post(b"# T\n\nOne.\n\n---\n\n## Two\n\nText.\n\n***\n\nEnd.\n", "r.md")
    got = [(p.kind, p.text, p.level, p.pause_before) for p in post.paragraphs]
    assert got == [
        ("title", "T", None, False),
        ("paragraph", "One.", None, False),
        ("heading", "Two", 2, True),
        ("paragraph", "Text.", None, False),
        ("paragraph", "End.", None, True),
    ]
    assert post.title == "T"


def test_pause_survives_a_paragraph_without_words():
    post = parse_post("Before.\n\n---\n\n\U0001f389\n\nAfter.\n".encode(), "r.md")
    assert [(p.text, p.pause_before) for p in post.paragraphs] == [
        ("Before.", False),
        ("After.", True),
    ]


def test_footnotes_dropped_by_default():
    data = b"Text[^1] here.\n\n[^1]: The note.\n"
    assert [p.text for p in parse_post(data, "f.md").paragraphs] == ["Text here."]
    end = parse_post(data, "f.md", options=ScriptOptions.from_config(footnotes="end")).paragraphs
    assert [p.text for p in end] == ["Text here.", "Footnote 1. The note."]
    assert end[1].pause_before


def test_image_alt_off_by_default():
    data = b"Look: ![a red door](door.png)\n"
    off = parse_post(data, "i.md", options=ScriptOptions.from_config(cues=False)).paragraphs
    assert [p.text for p in off] == ["Look:"]
    on = parse_post(data, "i.md", options=ScriptOptions.from_config(image_alt=True)).paragraphs
    assert [(p.kind, p.text) for p in on] == [
        ("paragraph", "Look:"),
        ("figure", "Figure: a red door."),
    ]


def test_lang_argument_and_front_matter():
    data = b"Hace -5 grados.\n"
    assert parse_post(data, "a.md", lang="es").paragraphs[0].text == "Hace menos cinco grados."
    assert parse_post(data, "a.md").paragraphs[0].text == "Hace minus five grados."


def test_bad_options():
    with pytest.raises(ValueError, match="code_blocks"):
        parse_post(b"Hi.\n", "a.md", options=ScriptOptions.from_config(code_blocks="read"))


# -- JSON Lines ---------------------------------------------------------------------------------


def test_write_read_roundtrip_and_bytes(tmp_path):
    post = GOLDEN / "11-numbers-units.md"
    paragraphs = parse_post(post.read_bytes(), str(post)).paragraphs
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_script(paragraphs, a)
    write_script(parse_post(post.read_bytes(), str(post)).paragraphs, b)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes().endswith(b"\n")
    assert read_script(a) == paragraphs
    first = json.loads(a.read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == ["id", "kind", "text", "level", "pause_before"]


def test_non_ascii_written_as_is(tmp_path):
    out = tmp_path / "s.jsonl"
    write_script([Paragraph("p0001", "paragraph", "Café à la carte.")], out)
    assert "Café à la carte." in out.read_text(encoding="utf-8")


def test_ids_in_order():
    paragraphs = parse_post((GOLDEN / "08-lists-quotes.md").read_bytes(), "x.md").paragraphs
    assert [p.id for p in paragraphs] == [f"p{i:04d}" for i in range(1, len(paragraphs) + 1)]
    assert all(p.kind in KINDS and p.text for p in paragraphs)


def test_read_script_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "p0001"}\n', encoding="utf-8")
    with pytest.raises(PostError, match=r"bad\.jsonl:1"):
        read_script(bad)


# -- bad input ----------------------------------------------------------------------------------


def _error(data: bytes, name: str = "posts/bad.md", options=None) -> str:
    with pytest.raises(PostError) as e:
        parse_post(data, name, options=options or ScriptOptions.from_config())
    assert name in str(e.value)
    return str(e.value)


def test_invalid_utf8_names_byte_offset():
    msg = _error(b"# T\n\nHello\n\xff\xfe bad\n")
    assert "byte offset 11" in msg and "bad.md:4" in msg and "UTF-8" in msg


def test_empty_post():
    assert "empty" in _error(b"")
    assert "bad.md:1" in _error(b"  \n\n")


def test_front_matter_only():
    msg = _error(b"---\ntitle: x\n---\n\n")
    assert "bad.md:4" in msg and "skip: true" in msg


def test_nothing_speakable():
    msg = _error(b"```\ncode\n```\n\n| a |\n|---|\n| 1 |\n")
    assert "nothing to read aloud" in msg and "bad.md:1" in msg
    msg = _error(
        b"---\ntitle: Only code\n---\n```\ncode\n```\n",
        options=ScriptOptions.from_config(cues=False),
    )
    assert "nothing to read aloud" in msg and "bad.md:4" in msg
    assert "nothing to read aloud" in _error(
        b"<!-- c -->\n\n{% include x.html %}\n\n\xf0\x9f\x8e\x89 :tada:\n"
    )


def test_a_post_of_only_a_video_says_so(caplog):
    """A title, a description and an embed (a talk's recording): no failure, no silence."""
    data = b"---\ntitle: The talk\ndescription: Watch the talk.\n---\n\n{{< youtube x1 >}}\n"
    post = parse_post(data, "v.md")
    assert [(p.kind, p.text) for p in post.paragraphs] == [
        ("title", "The talk"),
        ("paragraph", "Watch the talk."),
        ("added", ScriptOptions.from_config().media_cue),
    ]
    assert "v.md" in caplog.text and "no prose" in caplog.text


def test_rule_at_the_top_is_not_front_matter():
    post = parse_post(b"---\n\nText after a rule.\n", "r.md")
    assert [(p.text, p.pause_before) for p in post.paragraphs] == [("Text after a rule.", True)]


def test_skip_allows_nothing_speakable():
    post = parse_post(b"---\nskip: true\n---\n```\ncode\n```\n", "s.md")
    assert post.skip and post.paragraphs == []


def test_long_token_names_line():
    blob = base64.b64encode(bytes(range(256)) * 6).decode()  # 2,048 characters
    msg = _error(f"# T\n\nSome text.\n\nSee {blob} here.\n".encode())
    assert "bad.md:5" in msg and "2048-character" in msg and "code block" in msg


def test_long_token_in_code_block_is_fine():
    blob = "A" * 2000
    post = parse_post(f"Text.\n\n```\n{blob}\n```\n".encode(), "ok.md")
    assert [p.text for p in post.paragraphs] == ["Text."]


# -- property: no markup leaks into spoken text -------------------------------------------------

WORDS = st.sampled_from(
    ["alpha", "beta", "x", "42", "-7", "3.5", "C#", "a<b", "snake_case", "2*3", "|", "#", "]["]
)
TEXT = st.lists(WORDS, min_size=1, max_size=5).map(" ".join)
URL = st.sampled_from(
    ["https://example.com/a_b", "http://x.io/?q=[1]", "www.test.org/path", "https://a.b/c#d"]
)
INLINE = st.one_of(
    TEXT,
    TEXT.map(lambda t: f"*{t}*"),
    TEXT.map(lambda t: f"**{t}**"),
    TEXT.map(lambda t: f"_{t}_"),
    TEXT.map(lambda t: f"~~{t}~~"),
    TEXT.map(lambda t: f"[[{t}]] [[a/{t}#b|{t}]] ![[{t}.png]]"),
    TEXT.map(lambda t: f"`{t}`"),
    TEXT.map(lambda t: f"``a ` {t}``"),
    st.tuples(TEXT, URL).map(lambda p: f"[{p[0]}]({p[1]})"),
    URL.map(lambda u: f"<{u}>"),
    URL,
    TEXT.map(lambda t: f"![{t}](img.png)"),
    TEXT.map(lambda t: f"<span class='x'>{t}</span>"),
    st.just("<!-- hidden -->"),
    st.just("{% include x.html %}"),
    st.just("{{ page.title }}"),
    st.just("{% raw %}"),
    st.just("&lt;tag&gt; &amp; &#35;"),
    st.just("[^1]"),
    st.just("$x^2$"),
    st.just("\\*escaped\\* \\_ \\# \\[ \\]"),
    st.just("* stray ** _ __ ` # | > <"),
    # MyST roles, Quarto's and bookdown's cross-references, knitr's inline code
    TEXT.map(lambda t: f"{{ref}}`{t} <sec-a>` {{cite}}`k1` {{math}}`x^2` {{py:func}}`{t}`"),
    st.just("@fig-a [@fig-a; @tbl-b] [-@fig-a] \\@ref(fig:a) (\\#tab:b)"),
    TEXT.map(lambda t: f"`r {t}` `{{python}} {t}`"),
)
LINE = st.lists(INLINE, min_size=1, max_size=6).map(" ".join)
BLOCK = st.one_of(
    LINE,
    LINE.map(lambda t: f"# {t}"),
    LINE.map(lambda t: f"### {t} ###"),
    LINE.map(lambda t: f"> {t}"),
    LINE.map(lambda t: f"- {t}\n- {t}"),
    LINE.map(lambda t: f"1. {t}\n   > {t}"),
    LINE.map(lambda t: f"| {t} | b |\n|---|---|\n| 1 | {t} |"),
    LINE.map(lambda t: f"```\n{t}\n```"),
    LINE.map(lambda t: f"    {t}"),
    LINE.map(lambda t: f"<div>\n{t}\n</div>"),
    LINE.map(lambda t: f"[^1]: {t}"),
    LINE.map(lambda t: f"{t}\n{'=' * 3}"),
    st.just("---"),
    st.just("$$\nx\n$$"),
    # MyST directives and targets, LaTeX lines, a Pandoc table caption
    LINE.map(lambda t: f"```{{note}}\n{t}\n```"),
    LINE.map(lambda t: f":::{{admonition}} {t}\n:class: tip\n\n{t}\n:::"),
    LINE.map(lambda t: f"````{{dropdown}} {t}\n```{{code-cell}} python\n{t}\n```\n````"),
    st.just("(sec-a)=\n## Section a {#sec-b}"),
    st.just("\\begin{align}\nx &= 1\n\\end{align}\n\n\\newpage"),
    LINE.map(lambda t: f"| a | b |\n|---|---|\n| 1 | 2 |\n\n: {t} {{#tbl-b}}"),
)
# "Intro." first: a post that starts with '---' is front matter, tested elsewhere.
POST = st.lists(BLOCK, min_size=1, max_size=6).map(lambda b: "Intro.\n\n" + "\n\n".join(b))
OPTIONS = st.builds(
    ScriptOptions.from_config,
    code_blocks=st.sampled_from(["skip", "note"]),
    urls=st.sampled_from(["domain", "drop"]),
    footnotes=st.sampled_from(["drop", "end"]),
    image_alt=st.booleans(),
)
MARKUP = re.compile(r"[*_`#|\[\]<>]|\{%|https?://|www\.", re.I)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(POST, OPTIONS, st.sampled_from(["prop.md", "prop.qmd"]))
def test_no_markup_in_spoken_text(markdown, options, name):
    try:
        post = parse_post(markdown.encode(), name, options=options)
    except PostError as e:
        assert "nothing to read aloud" in str(e)
        return
    for p in post.paragraphs:
        assert p.text and p.kind in KINDS
        assert not MARKUP.search(p.text), (markdown, p.text)


# reStructuredText blocks and inline markup, well formed and not: docutils parses anything, and
# what the walk reads of it must hold no markup either
RST_BLOCK = st.sampled_from(
    [
        "Section\n=======",
        "-----\nOver\n-----",
        "Text with *emphasis*, **strong**, ``code`` and `a link <https://example.org/x>`_.",
        "A :ref:`label`, a :func:`os.path.join`, an :unknown:`role` and a :cite:`key`.",
        "A footnote [#n]_ and a substitution |name|.",
        ".. |name| replace:: words",
        ".. [#n] The note.",
        ".. note::\n\n   A note's body.",
        ".. admonition:: A title\n\n   Its body.",
        ".. code-block:: python\n\n   x = [1]",
        "The listing::\n\n   $ run --fast",
        "* one\n* two\n\n  1. nested",
        "term\n   its definition",
        ".. image:: a.png",
        ".. figure:: b.png\n\n   A caption.",
        ".. math::\n\n   x^2",
        ".. raw:: html\n\n   <b>raw</b>",
        ".. include:: /etc/hostname",
        ".. toctree::\n   :maxdepth: 2\n\n   other",
        "=====  =====\na      b\n=====  =====",
        "| a line\n| another",
        ">>> 1 + 1\n2",
        "----",
        ".. _label:",
        "`unclosed and **unclosed",
        ".. a comment",
        "https://example.org/bare",
    ]
)


def _assert_no_markup_spoken(text: str, name: str, leftovers: str) -> None:
    """The post `text`, named `name`, is refused only for having nothing to read, and no spoken
    paragraph holds Markdown's markup or its own format's (`leftovers`, a pattern)."""
    try:
        post = parse_post(text.encode(), name)
    except PostError as e:
        assert "nothing to read aloud" in str(e)
        return
    for p in post.paragraphs:
        assert p.text and p.kind in KINDS
        assert not MARKUP.search(p.text), (text, p.text)
        assert not re.search(leftovers, p.text), (text, p.text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RST_BLOCK, min_size=1, max_size=8))
def test_no_markup_in_spoken_restructuredtext(blocks):
    _assert_no_markup_spoken("Intro.\n\n" + "\n\n".join(blocks) + "\n", "prop.rst", r"\.\. ")


NOTEBOOK_CELL = st.fixed_dictionaries(
    {
        "cell_type": st.sampled_from(["markdown", "code", "raw", "heading", None, 5]),
        "metadata": st.just({}),
        "source": st.sampled_from(
            [["Some *prose*.\n", "More."], "one string", [], ["---\n", "title: T\n", "---"], [1, 2]]
        ),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NOTEBOOK_CELL, max_size=6), st.sampled_from([None, 1]))
def test_any_notebook_is_read_or_refused_with_its_file_named(cells, indent):
    """Whatever a notebook's cells hold, the post is read, or refused with a PostError naming it."""
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}, indent=indent)
    try:
        post = parse_post(text.encode(), "prop.ipynb")
    except PostError as e:
        assert str(e).startswith("prop.ipynb:"), str(e)
        return
    for p in post.paragraphs:
        assert not MARKUP.search(p.text), (text, p.text)


# AsciiDoc blocks and inline markup, well formed and not (an unclosed block, a stray delimiter):
# the Markdown they become must hold no markup that is read out
ADOC_BLOCK = st.sampled_from(
    [
        "== Section",
        "=== Section *bold* `code`",
        "Text with *strong*, _emphasis_, `code`, `+{braces}+`, #marked#, a https://example.org/x[link].",
        "A <<sec-a>>, a <<sec-b,named one>>, an xref:other.adoc#c[other page], an anchor [[a1]].",
        "Keys kbd:[Ctrl+C], btn:[OK], menu:File[Save], stem:[x^2] and a footnote:[The note.].",
        "A site macro pr:123[] and issue:45[the issue], a pass:[<b>raw</b>] and +++<i>raw</i>+++.",
        "NOTE: A note paragraph.",
        "[TIP]\n====\nA tip's body.\n====",
        "[WARNING]\nA styled warning paragraph.",
        ".A block title\n[source,python]\n----\nx = [1]\n----",
        "[source]\nprint(1)",
        "....\nliteral\n....",
        "  $ an indented literal",
        "* one\n** nested\n+\n[NOTE]\n====\nAttached.\n====\n* two",
        ". first\n.. nested\n. second",
        "term:: its definition\nother::\n  on the next line",
        "[quote, Someone, Somewhere]\n____\nQuoted words.\n____",
        "****\nA sidebar.\n****",
        "--\nAn open block.\n--",
        "|===\n| a | b\n\n| 1 | 2\n|===",
        "[cols=2]\n|===\n|===",
        "image::a.png[An image]",
        ".A caption\nimage::b.png[]",
        "////\nA comment block.\n////",
        "// a comment",
        ":attr: value\n{attr} and {missing}",
        "ifdef::attr[]\nConditional.\nendif::[]",
        "include::other.adoc[]",
        "[stem]\n++++\nx^2\n++++",
        "++++\n<div>raw html</div>\n++++",
        "'''",
        "----\nan unclosed listing",
        "====",
        "<1> A callout.",
        "```rust\nfn main() {}\n```",
        "Line one +\nline two",
        "A <tag> and a <https://example.org/autolink>.",
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ADOC_BLOCK, min_size=1, max_size=8), st.booleans())
def test_no_markup_in_spoken_asciidoc(blocks, titled):
    text = ("= A Title\n:page-layout: post\n\n" if titled else "") + "Intro.\n\n"
    text += "\n\n".join(blocks) + "\n"
    _assert_no_markup_spoken(text, "prop.adoc", r"::|\{\w+\}|\w:\S*\[|^[.=+]|\+\+|\(\(")


# Org blocks and inline markup, well formed and not (an unclosed block, a stray drawer)
ORG_BLOCK = st.sampled_from(
    [
        "* Heading",
        "** TODO [#A] Heading with a cookie [1/2] and tags :a:b:",
        "* COMMENT hidden\nHidden text.",
        "* Private :noexport:\nPrivate text.",
        "Text with *bold*, /italic/, _under_, =verbatim=, ~code~, +struck+ and a [[https://e.org][link]].",
        "A [[*Heading]] link, [[file:notes.org][notes]], [[https://e.org/x]] and [[./a.png]].",
        "A footnote[fn:1], an inline one[fn::inline], a {{{macro(1)}}} and @@html:<b>@@.",
        "[fn:1] The definition.",
        "On <2024-01-02 Tue> and [2024-01-03 Wed 10:00].",
        "#+BEGIN_SRC python\nx = [1]\n#+END_SRC",
        "#+begin_example\n* not a heading\n#+end_example",
        "#+BEGIN_QUOTE\nQuoted.\n#+END_QUOTE",
        "#+BEGIN_WARNING\nCareful.\n#+END_WARNING",
        "#+BEGIN_EXPORT html\n<div>raw</div>\n#+END_EXPORT",
        "#+BEGIN_SRC\nunclosed",
        "Text before\n: fixed width\n: more",
        "| a | b |\n|---+---|\n| 1 | 2 |",
        "- one\n  - two :: three\n- [ ] four\n1. five",
        ":PROPERTIES:\n:ID: 1\n:END:",
        ":LOGBOOK:\nunclosed drawer",
        "SCHEDULED: <2024-01-01 Mon>",
        "#+CAPTION: A caption\n#+NAME: fig\n[[./b.png]]",
        "# a comment",
        "-----",
        "Line \\\\\nbreak",
        "A <tag> and a <https://e.org/auto> link.",
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ORG_BLOCK, min_size=1, max_size=8), st.booleans())
def test_no_markup_in_spoken_org(blocks, titled):
    text = ("#+TITLE: A Title\n#+DATE: <2024-01-01 Mon>\n\n" if titled else "") + "Intro.\n\n"
    text += "\n\n".join(blocks) + "\n"
    _assert_no_markup_spoken(text, "prop.org", r"#\+|::|\{\{|@@|\[fn|^:|\bTODO\b|hidden|[Pp]rivate")
