"""The front end on small posts that carry the constructs found on real blogs (Jekyll, Hugo,
Pelican, WordPress HTML, MDX, Quarto, plain text; bench/blogs.toml lists the blogs). Written for
these tests, not copied from any blog.

Prose coverage uses bench/prose.py's extractor: line based and deliberately simple, it shares no
code with the Markdown walk, so a construct the walk mishandles shows up as lost words. The
allowance for normalization (numbers, units, abbreviations said as words) is to compare word
forms of the normalized text, words of 3+ letters only; the rules are in bench/prose.py.
"""

import dataclasses
import json
import logging
import sys
from pathlib import Path

import pytest
import yaml

from kokoro_narrate.script import PostError, ScriptOptions, parse_post

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import prose  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "frontend"
POSTS = sorted(FIXTURES.iterdir())


def _parse(name: str, **options):
    path = FIXTURES / name
    return parse_post(path.read_bytes(), str(path), options=ScriptOptions.from_config(options))


@pytest.mark.parametrize("post", POSTS, ids=[p.name for p in POSTS])
def test_every_prose_word_is_spoken(post):
    parsed = parse_post(post.read_bytes(), str(post))
    source = prose.prose_words(post.read_text(encoding="utf-8"), post.suffix)
    spoken = prose.word_forms(" ".join(p.text for p in parsed.paragraphs))
    assert len(source) >= 15, "a fixture should have prose to lose"
    assert not prose.lost_words(source, spoken)


@pytest.mark.parametrize("post", POSTS, ids=[p.name for p in POSTS])
def test_no_code_markup_or_domain_is_spoken(post):
    for p in parse_post(post.read_bytes(), str(post)).paragraphs:
        assert not prose.code_like(p.text), p.text
        assert not prose.spoken_domains(p.text), p.text
        assert not any(m in p.text for m in ("{%", "{{", "<", "```", "diff --git", "never read")), (
            p.text
        )


def _followed_by_cue(paragraphs) -> list[tuple[str, str]]:
    return [
        (a.text, b.text)
        for a, b in zip(paragraphs, paragraphs[1:], strict=False)
        if b.kind == "added"
    ]


def test_a_lead_in_is_never_followed_by_silence():
    options = ScriptOptions.from_config()
    got = _followed_by_cue(_parse("lead-ins.md").paragraphs)
    assert got == [
        ("The schedule is computed as follows.", options.code_cue),
        ("The totals are in the table below.", options.table_cue),
        ("The average comes from this formula:", options.math_cue),
        ("The harbour at night looks like this:", options.image_cue),
        ("Start the engine with:", options.code_cue),
    ]
    # a block after a sentence that does not lead into it gets no cue
    assert "no cue" not in " ".join(p.text for p in _parse("lead-ins.md").paragraphs)


def test_cues_are_configurable_and_can_be_off():
    said = _parse("lead-ins.md", code_cue="Code follows in the written post.", table_cue="")
    assert [b for _, b in _followed_by_cue(said.paragraphs)][:2] == [
        "Code follows in the written post.",
        ScriptOptions.from_config().math_cue,
    ]
    assert not _followed_by_cue(_parse("lead-ins.md", cues=False).paragraphs)


def test_notes_and_cues_are_one_kind_and_never_doubled():
    noted = _parse("lead-ins.md", code_blocks="note").paragraphs
    added = [p.text for p in noted if p.kind == "added"]
    assert (
        ScriptOptions.from_config().code_note in added
        and ScriptOptions.from_config().code_cue not in added
    )


def test_liquid_tags_beside_html_do_not_swallow_prose():
    texts = [p.text for p in _parse("jekyll-liquid.md").paragraphs]
    assert "The first tally was wrong because the clock drifted overnight." in texts
    assert "Here is the corrected loop:" in texts
    assert not any("ferries dot each" in t or "int ferries" in t for t in texts)


def test_captions_are_announced_or_left_out_never_read_as_prose():
    captions = ("Ferry counts per weekday", "The old crane by the pier", "quay during the storm")
    off = _parse("html-blocks.md").paragraphs + _parse("hugo-shortcodes.md").paragraphs
    assert not any(c in p.text for p in off for c in captions)
    on = _parse("html-blocks.md", image_alt=True).paragraphs
    on += _parse("hugo-shortcodes.md", image_alt=True).paragraphs
    figures = [p.text for p in on if p.kind == "figure"]
    assert "Figure: Ferry counts per weekday." in figures
    assert "Figure: The quay during the storm." in figures
    assert all(p.kind == "figure" for p in on if "Figure:" in p.text)


def test_links_said_as_sites_and_a_run_of_them_as_one_line():
    texts = [(p.kind, p.text) for p in _parse("links.md").paragraphs]
    assert ("paragraph", "The code lives on GitHub, with docs at the Python docs.") in texts
    assert ("paragraph", "See: GitHub") in texts
    assert ("added", "Links to GitHub, the Python docs and Stack Overflow.") in texts
    dropped = " ".join(p.text for p in _parse("links.md", urls="drop").paragraphs)
    assert "GitHub" not in dropped and "Links to" not in dropped


def test_deep_nesting_is_read_and_reported(caplog):
    with caplog.at_level(logging.WARNING):
        texts = [p.text for p in _parse("deep-nesting.md").paragraphs]
    assert "level 11 of the stairs." in texts and "The list ends on the landing." in texts
    assert "a voice from very deep inside the quote" in texts
    assert "deep-nesting.md:18" in caplog.text and "nested deeper" in caplog.text


def test_titles_from_pelican_mdx_and_plain_text():
    assert _parse("pelican.md").title == "Buoys of the northern channel"
    lowercase = _parse("pelican-lowercase.md")  # Pelican's keys in any case
    assert lowercase.title == "Mooring lines in winter"
    assert not any("category" in p.text for p in lowercase.paragraphs)
    assert _parse("post.mdx").title == "Ferries in MDX"
    plain = _parse("plain.txt")
    assert plain.title == "Lighthouse Keeping"
    assert [p.text for p in plain.paragraphs][-1] == (
        "Supplies come by boat. They come twice a month, weather permitting."
    )


def test_admonitions_keep_their_label():
    texts = [p.text for p in _parse("kramdown-admonitions.md").paragraphs]
    assert "Warning: Mind the tide." in texts and "Tip." in texts
    assert any(t.startswith("Note.") for t in texts)
    assert "TOC." not in texts
    # a fenced div's classes are markup; a Quarto callout is the admonition it names
    assert "The ferry office closes early on holidays." in texts
    assert not any("alert" in t.lower() for t in texts)
    assert "Important." in texts


def test_schema_and_options_agree():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    keys = schema["properties"]["script"]["properties"]
    defaults = {k: v["default"] for k, v in keys.items()}
    assert defaults == vars(ScriptOptions.from_config())
    assert set(keys) == {f.name for f in dataclasses.fields(ScriptOptions)}


def test_domain_detector_skips_point_as_a_word_and_counts_addresses_apart():
    assert not prose.spoken_domains("At this point in time we point it at the fixed point in.")
    assert prose.spoken_domains("read it on ejemplo punto com or notes dot io") == [
        "ejemplo punto com",
        "notes dot io",
    ]
    said = "Write to crew at harbour dot net or skipper AT mail dot harbour DOT org."
    assert prose.spoken_emails(said) == [
        "crew at harbour dot net",
        "skipper AT mail dot harbour DOT org",
    ]
    assert not prose.spoken_domains(said)


def test_quarto_cross_references_are_said_as_the_page_shows_them():
    texts = [p.text for p in _parse("quarto.qmd").paragraphs]
    said = " ".join(texts)
    # numbered by kind in the order the labels are defined (a cell's `#| label:`, a caption's
    # {#tbl-...}); a section by its heading; [-@x] is the number alone
    assert "As Figure 1 shows" in said
    assert "are described in Where we counted" in said
    assert "the monthly totals are in Table 1." in said
    assert "Table 1 and Figure 1 tell the same story" in said
    assert "@" not in said and "fig" not in said.lower().replace("figure", "")
    # the table's caption titles a table that is not read; \newpage and the LaTeX equation are
    # not words
    assert "Monthly totals" not in said and "newpage" not in said and "lambda" not in said
    assert "The equation is in the post." in texts


def test_inline_code_results_are_left_out_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="kokoro_narrate.script"):
        said = " ".join(p.text for p in _parse("quarto.qmd").paragraphs)
    assert "we logged visits, and the busiest morning had birds in view" in said
    assert "nrow" not in said and "herons" in said
    warned = [r.getMessage() for r in caplog.records if "computed" in r.getMessage()]
    assert len(warned) == 2
    assert warned[0].startswith(f"{FIXTURES / 'quarto.qmd'}:21: inline code `r nrow(counts)`")


def test_inline_code_is_code_where_nothing_runs_it(tmp_path):
    # Quarto does not run a .md file: `r x` there is code the author shows, and an @fig- label
    # the post never defines is left as written
    post = tmp_path / "shown.md"
    post.write_text("Inline R looks like `r nrow(x)` in a report.\n\nSee @fig-none here.\n")
    said = " ".join(p.text for p in parse_post(post.read_bytes(), str(post)).paragraphs)
    assert "r nrow x" in said and "at fig-none" in said
    executed = tmp_path / "shown.Rmd"
    executed.write_bytes(post.read_bytes())
    said = " ".join(p.text for p in parse_post(executed.read_bytes(), str(executed)).paragraphs)
    assert "Inline R looks like in a report." in said and "See the figure here." in said


def test_bookdown_references_are_numbers_and_its_labels_go(tmp_path):
    post = tmp_path / "tides.Rmd"
    post.write_text(
        "Intro to the tides.\n\n```{r levels, fig.cap='Water levels'}\nplot(x)\n```\n\n"
        "Table: (\\#tab:heights) Spring heights\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "Figure \\@ref(fig:levels) and Table \\@ref(tab:heights) agree.\n"
    )
    said = [p.text for p in parse_post(post.read_bytes(), str(post)).paragraphs]
    assert said[-1] == "Figure 1 and Table 1 agree."
    assert not any("heights" in s or "ref" in s for s in said)


def test_myst_directives_and_roles_read_as_the_page_shows_them():
    texts = [p.text for p in _parse("myst.md").paragraphs]
    said = " ".join(texts)
    # an admonition's body is prose, with its kind or its title said first; options are markup
    assert texts[2:6] == [
        "Note.",
        "Every page is plain Markdown, so the notebook still reads well in any text editor.",
        "Why not a wiki?",
        "A wiki wants a server and an account; a folder of text files wants nothing at all.",
    ]
    assert "class" not in said and "width" not in said and "label" not in said
    # a dropdown's title and body are read, its code is not
    assert "What a page looks like." in texts and "plate-7" not in said
    # roles: a reference is the heading it points to, a page its name, math its words; the
    # citation and the computed word count are left out
    assert "described in The daily page and linked from the daily page." in said
    assert "with reagent lot" in said and "growth rate mu comes from a fit." in said
    assert "monod" not in said and "wordcount" not in said
    # targets, comments and block breaks are markup
    assert "sec-daily" not in said and "freezer" not in said and "plus" not in said


def test_a_notebook_is_its_markdown_cells_with_code_as_code(caplog):
    post = _parse("notebook.ipynb")
    texts = [p.text for p in post.paragraphs]
    assert post.title == "Pressing apples in October"  # the raw cell's front matter
    assert texts[1] == "Setting up the press"
    assert "import" not in " ".join(texts) and "litres: 42" not in " ".join(texts)  # code, output
    assert "raw output" not in " ".join(texts)  # a raw cell for another format
    assert texts[-1].startswith("Next year we will ask for the press")


def test_a_notebook_keeps_the_lines_of_its_file(tmp_path, caplog):
    """Warnings and errors name the .ipynb line an editor shows, for the front matter and cells."""
    source = (FIXTURES / "notebook.ipynb").read_text(encoding="utf-8")
    bad = tmp_path / "bad-date.ipynb"
    bad.write_text(source.replace("date: 2025-10-12", "date: 2025-02-30"), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        parse_post(bad.read_bytes(), str(bad))
    line = next(n for n, s in enumerate(source.split("\n"), 1) if "date: 2025-10-12" in s)
    assert any(
        r.getMessage().startswith(f"{bad}:{line}: front matter 'date'") for r in caplog.records
    )
    # a notebook saved on one line (minified) is read the same, line after line
    minified = tmp_path / "minified.ipynb"
    minified.write_text(json.dumps(json.loads(source)), encoding="utf-8")
    assert [p.text for p in parse_post(minified.read_bytes(), str(minified)).paragraphs] == [
        p.text for p in _parse("notebook.ipynb").paragraphs
    ]
    broken = tmp_path / "broken.ipynb"
    broken.write_text(source[:200], encoding="utf-8")
    with pytest.raises(PostError, match=r"broken\.ipynb:\d+: not a Jupyter notebook"):
        parse_post(broken.read_bytes(), str(broken))


def test_fastpages_front_matter_cell_is_front_matter(tmp_path):
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": [
                '# "Tides: a primer"\n',
                "> How the moon moves the harbour\n",
                "\n",
                "- toc: true\n",
                "- author: Lena Moss\n",
                "- categories: [sea]",
            ],
        },
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["Twice a day the harbour fills and empties again."],
        },
    ]
    post = tmp_path / "2025-01-01-tides.ipynb"
    post.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}, indent=1))
    parsed = parse_post(post.read_bytes(), str(post))
    assert parsed.title == "Tides: a primer"
    assert [p.text for p in parsed.paragraphs] == [
        "Tides: a primer",
        "Twice a day the harbour fills and empties again.",
    ]


def test_restructuredtext_posts_are_read_as_their_page_shows_them():
    post = _parse("pelican.rst")
    texts = [p.text for p in post.paragraphs]
    said = " ".join(texts)
    assert post.title == "Mending a dry stone wall"
    # Pelican's fields are metadata; the contents directive is the site's table of contents
    assert "Moira" not in said and "Outdoors" not in said and "Contents" not in said
    # admonitions with their label, roles as the page shows them, the citation left out
    assert texts[3:5] == [
        "Note.",
        "Walls on common land may be protected, so ask before you move a single stone.",
    ]
    assert "tool list names them all. Keep a hammer close, and read Before you start again" in said
    assert "guild2019" not in said and "guild's handbook." in said
    # a table and a literal block after their lead-ins get their cues; a footnote is not read
    assert texts[
        texts.index("We sorted the fallen stones by size, as the following table shows:") + 1
    ] == ("The table is in the post.")
    assert "The code is in the post." in texts and "peg" not in said and "steeper" not in said
    notes = _parse("pelican.rst", footnotes="end").paragraphs
    assert notes[-1].text == "Footnote 1. Some wallers prefer a steeper batter on sloping ground."


def test_restructuredtext_metadata_and_safety(tmp_path, caplog):
    """Fields after the title are front matter, on the lines the file has them; a post includes
    no file and passes no raw HTML through, whatever it asks."""
    from kokoro_narrate import frontmatter

    source = (FIXTURES / "pelican.rst").read_bytes()
    front, _ = frontmatter.read(source, "pelican.rst")
    assert front.author == "Moira Fenwick" and str(front.date) == "2025-04-19"
    assert front.description.startswith("How a collapsed section") and front.line("author") == 5
    bad = tmp_path / "bad.rst"
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret words\n")
    bad.write_text(
        f"Title\n=====\n\n:date: 2025-02-30\n\nText.\n\n.. include:: {secret}\n\n"
        ".. raw:: html\n\n   <p>raw words</p>\n\nEnd.\n"
    )
    with caplog.at_level(logging.WARNING):
        said = " ".join(p.text for p in parse_post(bad.read_bytes(), str(bad)).paragraphs)
    assert said == "Title Text. End."
    assert any(r.getMessage().startswith(f"{bad}:4: front matter 'date'") for r in caplog.records)


def test_asciidoc_posts_are_read_as_their_page_shows_them():
    post = _parse("asciidoc.adoc")
    said = [p.text for p in post.paragraphs]
    assert post.title == "Tuning the Harbour Pump"  # the header's title, read once
    assert said[:2] == [
        "Tuning the Harbour Pump",
        # an attribute reference is its value; a hard line break (" +") is no word
        "Tidewell pumps the harbour basin twice a day. This post explains how we tuned it for "
        "spring tides. It took three weeks.",
    ]
    # cross references: a section's own title, or their text; links their text
    assert (
        "The pump stalled on the highest tides, see Sizing the intake and the fix below. "
        "Read the pump manual first, or mail the crew." in said
    )
    # an admonition paragraph and a block keep their label; a block title before a list is said
    # before it; a block attached to a nested item (`+`) is read there, the list goes on after it
    i = said.index("Note: The old pump is still in the shed.")
    assert said[i + 1 : i + 8] == [
        "Causes we found:",
        "The intake was too narrow.",
        "The float switch:",
        "stuck in cold weather.",
        "and rusted.",
        "Tip. Oil it every spring.",
        "The timer ran fast.",
    ]
    # code, its callouts' list and a table: a cue after a lead-in, the callout's explanation read
    i = said.index("Here is the intake setting:")
    assert said[i + 1 : i + 5] == [
        "The code is in the post.",
        "Forty centimetres is the new width.",
        "The flow table:",
        "The table is in the post.",
    ]
    # inline macros: keys, a menu, a footnote left out (footnotes: drop), literal code spans,
    # a site's own macro its text or target
    assert (
        "Press Control S to save the log, then choose File, Export. The manual covers this too. "
        "Keep literal braces and F equals C backslash D as code. See 4321 and the float fix."
    ) in said
    # conditionals by the attributes set; an include and comments are nothing
    assert "This paragraph is for everyone." in said
    text = " ".join(said)
    assert "crew only" not in text and "comment" not in text and "footer" not in text
    # description lists, a quote with its attribution, a sidebar; an indented literal is code
    assert said[-5:] == [
        "Float switch: replaced with a sealed one.",
        "Timer: recalibrated against the tide tables.",
        "The basin has not flooded since.",
        "Harbour Master, Log",
        "This sidebar tells how the tides are measured.",
    ]
    assert "pump status" not in text and "status" not in text


def test_asciidoc_header_and_front_matter(tmp_path, caplog):
    """The header is front matter, on the lines where it is written; Jekyll's YAML block above it
    says first; a HubPress post's Markdown-style title and its date attribute are read too."""
    from kokoro_narrate.frontmatter import read

    front, _ = read((FIXTURES / "asciidoc.adoc").read_bytes(), "asciidoc.adoc")
    assert (front.title, front.author, str(front.date)) == (
        "Tuning the Harbour Pump",
        "Ana Lima",
        "2024-05-06",
    )
    assert front.values["tags"] == ["pumps", "tides"] and front.description.startswith("How")
    assert (front.line("title"), front.line("date"), front.line("tags")) == (1, 3, 5)

    jekyll = tmp_path / "2024-01-02-jekyll.adoc"
    jekyll.write_text(
        "---\nlayout: post\ntitle: From YAML\n---\n= From the header\n:lang: fr\n"
        ":revdate: 2024-02-30\n\nLe bassin se vide deux fois par jour.\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        post = parse_post(jekyll.read_bytes(), str(jekyll))
    assert post.title == "From YAML" and post.lang == "fr"
    assert [p.text for p in post.paragraphs][1:] == ["Le bassin se vide deux fois par jour."]
    assert any(
        r.getMessage().startswith(f"{jekyll}:7: front matter 'date'") for r in caplog.records
    )

    hubpress = tmp_path / "hubpress.adoc"
    hubpress.write_text(
        "# A HubPress post\n:hp-tags: tides\n:published_at: 2019-03-04\n\nThe tide is out.\n",
        encoding="utf-8",
    )
    front, _ = read(hubpress.read_bytes(), str(hubpress))
    assert (front.title, str(front.date)) == ("A HubPress post", "2019-03-04")


def test_asciidoc_keeps_the_lines_of_its_file(tmp_path):
    """An error names the line an editor shows, after a quote's attribution (a line the
    Markdown adds) and a header too."""
    from kokoro_narrate import asciidoc

    source = (FIXTURES / "asciidoc.adoc").read_text(encoding="utf-8")
    markdown = asciidoc.markdown(source)
    assert markdown.replace(asciidoc.BREAK, "").count("\n") == source.count("\n")
    long_word = "x" * 1200
    post = tmp_path / "long.adoc"
    post.write_text(source + f"\nA {long_word} word.\n", encoding="utf-8")
    line = source.count("\n") + 2
    with pytest.raises(PostError, match=rf"long\.adoc:{line}: a 1200-character word"):
        parse_post(post.read_bytes(), str(post))


def test_org_posts_are_read_as_their_page_shows_them():
    post = _parse("org.org")
    said = [p.text for p in post.paragraphs]
    assert post.title == "Pruning the Old Pear Tree"
    # keywords are front matter, a comment is nothing, a line break (\\\\) no word
    assert said[1] == (
        "The pear tree by the wall had not been pruned for years. We took it back in three "
        "winters, a third each time. This is the first winter."
    )
    # a heading without its TODO keyword, cookie and tags; its drawer and planning line are
    # nothing; description items, nested items and a checkbox
    assert said[2:8] == [
        "Tools we used",
        "A pruning saw: for the thick branches.",
        "loppers: for the rest.",
        "Keep them sharp.",
        "Oil the pivot.",
        "Gloves, always.",
    ]
    # a source block and fixed-width lines right after a paragraph are code
    assert said[8:12] == [
        "Sharpen the saw like this:",
        "The code is in the post.",
        "The log said:",
        "The code is in the post.",
    ]
    # a table is not read; links are their text, verbatim and code are code, a timestamp its
    # date, struck-out text and footnotes (footnotes: drop) are not read
    assert said[12:14] == [
        "Which branches go",
        "Cut the water shoots first, see the tools and the pear guide. A bold cut, an angled "
        "cut, and loppers dot conf or prune dash dash dry-run to check. We did it on November "
        "second, twenty twenty-four. The book said cut a third. It heals over by spring.",
    ]
    # a quote block, an admonition with its label; an export block, an image link, a COMMENT
    # subtree, a :noexport: one and a macro are nothing
    assert said[14:] == [
        "Prune in winter, thin in summer.",
        "Note. Never cut in frost.",
        "Next steps",
        "In spring we will see how it answered.",
    ]


def test_org_keywords_are_front_matter_on_their_lines(tmp_path, caplog):
    from kokoro_narrate.frontmatter import read

    front, _ = read((FIXTURES / "org.org").read_bytes(), "org.org")
    assert (front.title, front.author, str(front.date), front.draft) == (
        "Pruning the Old Pear Tree",
        "Ines Duarte",
        "2024-11-02",
        False,
    )
    assert front.values["tags"] == ["garden", "trees"]
    assert (front.line("date"), front.line("tags")) == (3, 5)
    post = tmp_path / "drawer.org"
    post.write_text(
        ":PROPERTIES:\n:ID: 42\n:END:\n#+title: Notes\n#+date: 2024-02-30\n#+language: es\n"
        "#+hugo_tags: tides\n\nLa marea sube dos veces al día.\n\n: code\nText after code.\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        parsed = parse_post(post.read_bytes(), str(post))
    assert parsed.title == "Notes" and parsed.lang == "es"
    assert any(r.getMessage().startswith(f"{post}:5: front matter 'date'") for r in caplog.records)
    # the fixed-width line's fence closes on the next line, a line the file does not have:
    # the line numbers after it stay the file's
    long_word = "y" * 1100
    post.write_text(post.read_text(encoding="utf-8") + f"{long_word}\n", encoding="utf-8")
    with pytest.raises(PostError, match=r"drawer\.org:13: a 1100-character word"):
        parse_post(post.read_bytes(), str(post))


def test_pymdownx_inline_markup_is_read_as_the_page_shows_it():
    """Material for MkDocs' CriticMarkup, highlights, subscripts and keys: the edits as made,
    the words highlighted, H2O, and key names, never "plus plus" or "equals"."""
    texts = [p.text for p in _parse("mkdocs-inline.md").paragraphs]
    assert (
        "Our guide lives in a documentation site, and reviewers mark their changes inline. The "
        "timetable now lists eleven departures, the fare went down this spring, and the night "
        "ferry runs on Fridays." in texts
    )
    assert "Some words are worth seeing twice, like the warning about the ramp." in texts
    assert (
        "Water samples from the harbour showed little CO2 and the usual H2O, which is all a "
        "ferry needs." in texts
    )
    assert (
        "To reload the page press Control R, and to open the search press Command K or Page "
        "Down to scroll past the map." in texts
    )


def test_obsidian_comments_and_block_ids_are_not_read():
    texts = [p.text for p in _parse("obsidian.md").paragraphs]
    said = " ".join(texts)
    assert "The surprise was how small the neap tides stay even in a windy week." in texts
    assert "Evening reading at the pier." in texts  # the list's block id is no item
    assert not any(w in said for w in ("Check the", "Draft thought", "autumn", "neap-note"))
    assert not any(w in said for w in ("reading-list", "percent", "equals"))


def test_code_that_lost_its_fence_is_not_read_and_its_lines_are_named(caplog):
    """A listing written as paragraphs (an older blog engine's export) is code, not prose: it is
    left out like a code block and the script log names its lines; prose about code is read."""
    with caplog.at_level(logging.WARNING):
        texts = [p.text for p in _parse("unfenced-code.md").paragraphs]
    said = " ".join(texts)
    assert not any(w in said for w in ("const", "counts.set", "equals", "export", "sort"))
    assert "The counter keeps one number per weekday and starts at zero." in texts
    assert any(t.startswith("Prose that talks about code keeps it in code spans") for t in texts)
    assert "unfenced-code.md: lines 9, 11 read as code outside a code block" in caplog.text
