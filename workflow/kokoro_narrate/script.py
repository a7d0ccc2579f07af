"""A blog post -> ordered list of speakable paragraphs (the narration script).

Markdown (`.md`, `.markdown`, `.mdx`, Quarto's `.qmd`, R Markdown's `.Rmd` and `.Rmarkdown`, and a
Jupyter notebook's Markdown, line for line with its file: notebook.py) is parsed with markdown-it-py
(CommonMark, plus tables, strikethrough, footnotes, dollar math and task lists), never with regular
expressions. What is not Markdown is rewritten into Markdown first, line numbers kept (`_prepare`,
one pass per construct): Quarto's and bookdown's cross-references and knitr's inline results, MyST's
directives and roles, LaTeX environments and command lines, Pandoc table captions, Liquid tags
(Jekyll), Hugo shortcodes, MDX import/export statements, Pelican metadata headers, admonitions,
kramdown attribute lists, HTML blocks that span blank lines, and nesting deeper than a reader can
follow. Plain text (`.txt`) is paragraphs separated by blank lines, no markup. reStructuredText
(`.rst`) is parsed by docutils and walked into the same items (rst.py). AsciiDoc (`.adoc`) and Org
(`.org`) are rewritten into Markdown line for line before all this (asciidoc.py, org.py, through
frontmatter.read).

The token stream is then walked, one small handler per block kind (`_HANDLERS`), into `Item`s;
every item's text goes through normalize.normalize, so what is written is what is spoken.

Kinds:
    title      the post title (front matter `title:`, else a leading H1); read once, first.
    heading    a heading; `level` is 1-6. Longer pause, and a chapter mark.
    paragraph  prose. Footnotes read at the end are paragraphs too.
    list_item  one list item (any depth), ended with a period when it has no final punctuation.
    quote      prose inside a block quote.
    figure     an image's caption or alt text, announced as "Figure: ..." (image_alt).
    added      a line the narration adds to what the author wrote: the note said in place of a
               code block, table or equation (code_blocks="note"), the cue after a sentence that
               leads into a skipped block ("Here is the code:" -> "The code is in the post."),
               "Links to GitHub and the Python docs." for a run of bare links, and the spoken
               intro and outro (`intro`, `outro`: "This is an audio version of {title} by
               {author}."). Captions and transcripts can tell these lines from the author's words
               by their kind.

A horizontal rule is not a paragraph (every paragraph has words): it sets `pause_before` on the
paragraph after it. The first footnote read at the end also gets `pause_before`.

Not read: front matter other than the title, HTML tags and comments, Liquid tags, Hugo shortcodes,
kramdown comments and abbreviation definitions, generated tables of contents and their headings,
link URLs (a link whose text is its URL, and a bare URL, is said as its site's name), images and
captions (unless image_alt), footnote markers, emoji, text struck out (~~old~~, <del>, <s>: what
the post says now is what is left), and code/tables/math/embeds.
"""

import functools
import html.parser
import itertools
import json
import logging
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from kokoro_narrate import defaults, files, frontmatter
from kokoro_narrate import normalize as normalizer
from kokoro_narrate.citations import csl
from kokoro_narrate.frontmatter import PostError
from kokoro_narrate.normalize import (
    FILE_EXTENSIONS,
    URL,
    leading_domain,
    normalize,
    replace_urls,
    say_paths,
    site_name,
    url_domain,
)

log = logging.getLogger(__name__)

KINDS = ("title", "heading", "paragraph", "list_item", "quote", "figure", "added")
AUTHOR_KINDS = ("paragraph", "list_item", "quote")  # the author's running prose
SKIPPED_BLOCKS = ("code", "table", "math", "image", "media")  # never read; a cue may stand in
LONGEST_WORD = 1000  # characters without a space: a blob, not a word


@dataclass(frozen=True)
class Paragraph:
    id: str  # "p0001", ... in reading order
    kind: str  # one of KINDS
    text: str  # the exact words to speak, already normalized
    level: int | None = None  # heading level 1-6; None for other kinds
    pause_before: bool = False  # a horizontal rule (or the footnotes) comes before this paragraph


@dataclass(frozen=True)
class ScriptOptions:
    # the defaults, and what each option means, are in the config schema (config `script`)
    code_blocks: str  # "skip" | "note"
    code_note: str
    table_note: str
    math_note: str
    cues: bool  # a short line after a sentence that leads into a skipped block
    code_cue: str
    table_cue: str
    math_cue: str
    image_cue: str
    media_cue: str
    urls: str  # "site" (said as the site's name; "domain" is its older name) | "drop"
    footnotes: str  # "drop" | "end"
    image_alt: bool  # announce captions and alt text as "Figure: ..."
    intro: str  # said first, before the title; {title} and {author} are the post's
    outro: str  # said last, after a longer pause

    @classmethod
    def from_config(cls, options: dict | None = None, **overrides) -> "ScriptOptions":
        """Config `script` (default: the schema's defaults, the only place they are written)."""
        return cls(**{**defaults.section("script"), **(options or {}), **overrides})

    def check(self) -> None:
        for name, allowed in (
            ("code_blocks", ("skip", "note")),
            ("urls", ("site", "domain", "drop")),
            ("footnotes", ("drop", "end")),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"ScriptOptions.{name} is {getattr(self, name)!r}; use one of {allowed}"
                )

    def note(self, block: str) -> str | None:
        """The line said in place of every such block when code_blocks is "note"."""
        if self.code_blocks != "note":
            return None
        return {"code": self.code_note, "table": self.table_note, "math": self.math_note}.get(block)

    def cue(self, block: str) -> str | None:
        """The line said after a lead-in sentence when the block it announces is skipped."""
        return getattr(self, f"{block}_cue") or None if self.cues else None


@dataclass
class Post:
    post_id: str
    title: str | None
    lang: str | None  # the front matter's language code, if it gives one
    skip: bool = False
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Item:
    """One paragraph to be, before normalization: what the walk found, where."""

    kind: str  # one of KINDS
    text: str  # the raw words (markup gone, not yet normalized)
    line: int  # 1-based line in the post file
    level: int | None = None
    pause_before: bool = False
    sites: tuple[str, ...] = ()  # for a line made of links only: the sites they lead to


# -- Markdown -----------------------------------------------------------------------------------

# markdown-it stops parsing (and drops the rest) past maxNesting levels; commonmark's 20 is a
# list nested ten deep. 200 parses 150 nested quotes without hitting Python's recursion limit;
# _flatten_nesting keeps every post well inside it.
MAX_NESTING = 200


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin)
    # No math on "$5 and $3.50": a closing $ must not follow a space nor precede a digit.
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False)
    # markdown-it refuses links to data: URLs other than raster images, for a browser's safety;
    # nothing here is rendered, and an SVG logo's data URI refused was read out as text
    md.validateLink = lambda url: True
    return md


_MD = _markdown()


# -- preparing the text: everything that is not Markdown, rewritten into Markdown ---------------
#
# Every pass takes and returns the whole body. A pass may only (a) replace text that holds N line
# breaks with text that holds N line breaks, or (b) insert BREAK, a line break that the source
# did not have; `_line_numbers` then maps each parsed line back to the post's own line.

BREAK = "\x01\n"
BLANK = BREAK + BREAK  # an inserted blank line: ends the paragraph or HTML block before it


def _keep_lines(m: re.Match) -> str:
    return "\n" * m.group().count("\n")


def _code_fence(lang: str, code: str) -> str:
    """A fenced block for code that came from a Liquid tag or a shortcode."""
    ticks = "`" * max(3, max((len(r) for r in re.findall(r"`+", code)), default=0) + 1)
    head = BLANK + ticks + lang.strip().split(" ")[0]
    body = code if code.startswith("\n") else BREAK + code
    tail = "" if body.endswith("\n") else BREAK
    return head + body + tail + ticks + BLANK


def _html_block(tag: str, inner: str = "") -> str:
    """A one-line HTML block the walk reads like any other (<pre>, <iframe>, <figure>)."""
    return f"{BLANK}<{tag}>{inner}</{tag.split()[0]}>{BLANK}"


def _param(rest: str, key: str) -> str | None:
    """A Liquid tag's or Hugo shortcode's quoted parameter `key`."""
    m = re.search(rf"\b{key}\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", rest)
    return None if m is None else (m.group(1) if m.group(1) is not None else m.group(2))


def _figure(attrs: str) -> str:
    """A figure block from a tag's attributes: caption, else title, else alt."""
    for key in ("caption", "title", "alt"):
        if (value := _param(attrs, key)) and value.strip():
            caption = html.escape(value.strip())
            return _html_block("figure", f"<figcaption>{caption}</figcaption>")
    return _html_block("figure")


# Liquid (Jekyll): {% comment %} goes with its content; highlight and codeblock blocks are code;
# embeds are code, media or figures; raw/endraw and every other tag or {{ output }} go.
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_LIQUID_CODE = re.compile(
    r"\{%-?\s*(highlight|codeblock)\b([^%]*?)-?%\}(.*?)\{%-?\s*end\1\s*-?%\}", re.S
)
# (a parameter may hold a %: content="Save 50% now"). A tag never spans a blank line: TeX's
# braces ($$ \frac{D}{{K}_d + D} $$ in a Quarto post) are no Liquid output, and an unclosed "{{"
# took every paragraph up to the next "}}" with it.
_NO_BLANK_LINE = r"(?!\n[ \t]*\n)"
_LIQUID_TAG = re.compile(
    rf"\{{%-?\s*(\w+)((?:{_NO_BLANK_LINE}[^%]|%(?!\}}))*?)-?%\}}|\{{\{{(?:{_NO_BLANK_LINE}.)*?\}}\}}",
    re.S,
)
_MEDIA_EMBEDS = ("youtube", "vimeo", "video", "audio", "tweet", "twitter", "instagram", "x")


def _callout_label(kinds: list[str | None], title: str | None) -> str:
    """The admonition label of a theme's callout: the first of `kinds` (its name, its type or
    color parameter) that names an admonition, and its title; '' when neither says anything."""
    kind = next((k for k in kinds if k and k.lower() in _ADMONITIONS), "")
    return _label(kind, title, fenced_div=True)


# a tag's name that says it is a theme's callout (Nunjucks `{% callout %}`, Zola's
# `{% admonition_body(...) %}`), not its end (`{% endcallout %}`)
_CALLOUT_NAME = re.compile(r"^(?!end).*(?:callout|admonition|alert|notice)")
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'")
# Zola's shortcodes in an expression: {{ figure(src="a.png", caption="...") }}
_ZOLA_CALL = re.compile(r"\{\{-?\s*(\w+)\s*\((.*)\)\s*-?\}\}", re.S)


# where a shortcode's link goes: an address, a path or a page
_LINK_TARGET = re.compile(r"(?:https?://|mailto:|/|#|\.\.?/)|.*\.(?:html?|md)\b")


def _quoted(rest: str) -> list[str]:
    return [a or b for a, b in _QUOTED.findall(rest)]


def _link_text(quoted: list[str]) -> str | None:
    """The words of a link shortcode, {% personlink "Ada Byron", "https://..." %}: its first
    argument, when it is words and a later one is where the link goes."""
    if len(quoted) < 2 or not re.search(r"[^\W\d_]", quoted[0]):
        return None
    words = quoted[0].strip()
    if "/" in words or _URL_LIKE.search(words) or re.search(r"\.\w{1,5}$", words):
        return None  # a file or an address: {% include "card.html", "/a" %}
    return words if any(_LINK_TARGET.match(q.strip()) for q in quoted[1:]) else None


def _liquid_tag(m: re.Match) -> str:
    if m.group(1) is None:  # {{ output }}, or a Zola shortcode's call
        call = _ZOLA_CALL.fullmatch(m.group())
        name = call.group(1).lower() if call else ""
        if name in ("figure", "image", "img", "fig", "picture"):
            return _figure(call.group(2))
        if name in _MEDIA_EMBEDS:
            return _html_block("iframe")
        return _keep_lines(m)
    name, rest = m.group(1).lower(), m.group(2) or ""
    if _CALLOUT_NAME.search(name) or name in _ADMONITIONS:
        # {% callout "info", "md", "New Survey Alert" %}, {% admonition_body(type="info",
        # title="Short version:") %}: labelled as an admonition is, then what they wrap
        quoted = _quoted(rest)
        kinds = [name, *name.split("_"), *(_param(rest, k) for k in _CALLOUT_KIND), *quoted]
        title = _param(rest, "title") or next((q for q in quoted if " " in q.strip()), None)
        label = _callout_label(kinds, title)
        return (label + " " if label else "") + _keep_lines(m)
    if (words := _link_text(_quoted(rest))) is not None:
        return words
    content = _param(rest, "content") if name == "include" else None
    if content is not None:
        # a documentation theme's callout, {% include note.html content="Back up first." %}:
        # the page shows its content, under its kind
        file = re.match(r"\s*([\w-]+)", rest)
        kinds = [file and file.group(1), _param(rest, "type")]
        label = _callout_label(kinds, _param(rest, "title"))
        return f"{label} {content}".strip() + _keep_lines(m)
    if name == "gist":
        return _html_block("pre")
    if name in _MEDIA_EMBEDS or (name == "include" and re.search(r"video|youtube", rest)):
        return _html_block("iframe")
    if name == "img" or (name == "include" and re.search(r"image|figure|img", rest)):
        if name == "img" and "alt=" not in rest:  # {% img [class] url [w h] ["title" ["alt"]] %}
            quoted = [q for q in _quoted(rest) if q]
            rest = f'alt="{quoted[0]}"' if quoted else ""
        return _figure(rest)
    return _keep_lines(m)


# Pelican's jtable plugin: CSV rows between [jtable] and [/jtable] are a table.
_JTABLE = re.compile(r"^\[jtable[^\]\n]*\]\n.*?^\[/jtable\]$", re.M | re.S)


def _jtable(text: str) -> str:
    return _JTABLE.sub(lambda m: "<table></table>" + "\n" * m.group().count("\n"), text)


# Pandoc's grid tables (Quarto, R Markdown): +----+ borders, a +====+ under the header, | cells
# that wrap onto more lines. CommonMark has no such table, and read the borders as "plus, plus".
_GRID_TABLE = re.compile(
    r"^[ \t]{0,3}\+(?:[-=:]+\+)+[ \t]*$(?:\n[ \t]{0,3}(?:\|.*|\+[-=:+]*[ \t]*)$)*", re.M
)


def _grid_tables(text: str) -> str:
    return _GRID_TABLE.sub(lambda m: "<table></table>" + "\n" * m.group().count("\n"), text)


# Pandoc's table caption, a paragraph of its own just before or after a table: `: Monthly
# totals {#tbl-months}` or `Table: ...`. It titles the table, which is not read, as an image's
# caption is not.
_TABLE_CAPTION = re.compile(r"^ {0,3}(?:Table)?:[ \t]+\S")
_TABLE_ROW = re.compile(r"^ {0,3}(?:\||<table>)")


def _table_captions(text: str) -> str:
    if ":" not in text:
        return text

    def one(lines, i, line):
        if not _TABLE_CAPTION.match(line):
            return line
        near = [j for j in (i - 1, i - 2, i + 1, i + 2) if 0 <= j < len(lines)]
        beside = [j for j in near if abs(j - i) == 1 or not lines[(i + j) // 2].strip()]
        return "" if any(_TABLE_ROW.match(lines[j]) for j in beside) else line

    return _line_pass(text, one)


# Liquid the page shows as written: what {% raw %} wraps, and a tag or an output in a code span
# (`{{ page.title }}` in a post about templates). Its braces wait as _LITERAL_BRACE while the
# tags around it are read, then come back.
_LIQUID_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LITERAL_BRACE = "\ue000"


def _literal_braces(text: str) -> str:
    return text.replace("{", _LITERAL_BRACE)


def _liquid(text: str) -> str:
    if "{" not in text:
        return text
    text = _LIQUID_RAW.sub(lambda m: _literal_braces(m.group(1)), text)
    text = _line_pass(
        text,
        lambda lines, i, line: (
            _CODE_SPAN.sub(lambda m: _literal_braces(m.group()), line) if "`" in line else line
        ),
    )
    text = _LIQUID_COMMENT.sub(_keep_lines, text)
    text = _LIQUID_CODE.sub(lambda m: _code_fence(m.group(2), m.group(3)), text)
    return _LIQUID_TAG.sub(_liquid_tag, text).replace(_LITERAL_BRACE, "{")


# Hugo shortcodes, {{< name ... >}} and {{% name ... %}}: highlight blocks are code, figure is a
# figure, embeds are media or code, ref/relref (inside a link's target) is a placeholder; the
# markers of every other shortcode go and what they wrap is read.
_HUGO_CODE = re.compile(
    r"\{\{([<%])\s*highlight\b([^}]*?)[>%]\}\}(.*?)\{\{[<%]\s*/\s*highlight\s*[>%]\}\}", re.S
)
_HUGO = re.compile(r"\{\{[<%]\s*(/?)\s*([\w.-]+)(.*?)[>%]\}\}", re.S)


def _hugo_tag(m: re.Match) -> str:
    closing, name, rest = m.group(1), m.group(2).lower(), m.group(3)
    if closing:
        return _keep_lines(m)
    if name in ("ref", "relref"):
        return "#"
    if name in ("tab", "tabitem", "tab-item"):
        # {{< tab label="Command line" >}}: a listener cannot see the tabs, so each says its
        # label first, as MkDocs' content tabs do
        label = next(
            (v for k in ("label", "title", "name", "header") if (v := _param(rest, k))), ""
        )
        words = label.strip() or (_quoted(rest) or [""])[0].strip()
        return (BLANK + _sentence(words) + BLANK if words else "") + _keep_lines(m)
    if name == "figure":
        return _figure(rest)
    if name == "gist":
        return _html_block("pre")
    if name in _MEDIA_EMBEDS:
        return _html_block("iframe")
    if name in _ADMONITIONS or name in _HUGO_CALLOUTS:
        # {{% notice warning %}}, {{% alert title="Heads up" color="warning" %}}, {{< note >}}:
        # the label an admonition gets, then the words it wraps
        first = re.match(r"\s*([A-Za-z]+)\b(?!\s*=)", rest)
        kinds = [name, first and first.group(1)] + [_param(rest, k) for k in _CALLOUT_KIND]
        label = _callout_label(kinds, _param(rest, "title"))
        return label + _keep_lines(m)
    return _keep_lines(m)


_HUGO_CALLOUTS = ("notice", "alert", "callout", "admonition", "hint")
# the parameters and props that say a callout's kind
_CALLOUT_KIND = ("type", "color", "variant", "status", "kind", "intent")


def _hugo(text: str) -> str:
    text = _HUGO_CODE.sub(lambda m: _code_fence(m.group(2), m.group(3)), text)
    return _HUGO.sub(_hugo_tag, text)


# a code fence's opening or closing line: (indentation, fence). A backtick fence's info string
# holds no backtick (CommonMark): "```npm ci```" is a code span in a paragraph, not a fence that
# would hide the lines after it
_CODE_FENCE = re.compile(r"^([ \t]*)(`{3,}(?=[^`]*$)|~{3,})")


def _lines_outside_fences(text: str):
    """(index, line) of the lines that are not inside fenced code, for the line-based passes."""
    lines = text.split("\n")
    fence = None
    for i, line in enumerate(lines):
        m = _CODE_FENCE.match(line)
        if fence is None and m:
            fence = m.group(2)
        elif (
            fence
            and m
            and m.group(2)[0] == fence[0]
            and len(m.group(2)) >= len(fence)
            and (not line.strip(" `~\x01"))  # a fence a front end closed with a BREAK
        ):
            fence = None
        elif fence is None:
            yield lines, i, line


def _outside_code_spans(line: str, rewrite) -> str:
    """`line` with `rewrite` applied to its text outside code spans (between pairs of backticks,
    as a line pass sees them), so that a post about a construct can show it in code."""
    parts = line.split("`")
    parts[::2] = [rewrite(part) for part in parts[::2]]
    return "`".join(parts)


def _line_pass(text: str, one_line) -> str:
    """Apply one_line(lines, i, line) -> new line to every line outside fenced code."""
    lines = text.split("\n")
    for _, i, line in _lines_outside_fences(text):
        lines[i] = one_line(lines, i, line)
    return "\n".join(lines)


# MDX: import/export statements (an export may span lines until its braces close) and {/* */}.
_MDX_STATEMENT = re.compile(r"(?:import|export)\s")


# A JSX element named by a member expression (<Tab.Group ...> up to </Tab.Group>, both at the
# start of a line) is no HTML to CommonMark, which would read its tags and props as prose. It
# becomes one empty component (<tab-group />): an interactive part of the page, not read.
_MDX_MEMBER = re.compile(r"<([A-Z]\w*(?:\.\w+)+)[\s>/]")


def _mdx(text: str) -> str:
    lines = text.split("\n")
    depth, inside = 0, False
    closing = None
    for _, i, line in list(_lines_outside_fences(text)):
        if closing is not None:
            lines[i] = ""
            closing = None if line.startswith(closing) else closing
        elif m := _MDX_MEMBER.match(line):
            name = m.group(1)
            closing = None if re.search(rf"</{re.escape(name)}>|/>\s*$", line) else f"</{name}>"
            lines[i] = "<" + name.replace(".", "-").lower() + " />"
        elif inside or _MDX_STATEMENT.match(line):
            depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
            inside = depth > 0
            lines[i] = ""
    text = _component_lines(_join_tags(_jsx_props("\n".join(lines))))
    text = re.sub(r"\{/\*.*?\*/\}", _keep_lines, text, flags=re.S)
    return _line_pass(text, _mdx_expressions)


# A component's tag on a line of its own (<Tabs>, <TabItem value="npm">, </Tabs>, <Chart />)
_COMPONENT_LINE = re.compile(r"\s*<(/?)([A-Z][\w.]*)\b[^<>]*?(/?)>\s*")


def _component_lines(text: str) -> str:
    """MDX reads Markdown between a component's tags on lines of their own, and has no indented
    code: the lines a component holds are dedented by their common indentation (innermost
    components first), and each tag line becomes a block of its own. CommonMark would otherwise
    take <Tabs> and everything up to a blank line as one HTML block, and read the fenced code in
    its <TabItem>s as words."""
    lines = text.split("\n")
    outside = {i for _, i, _ in _lines_outside_fences(text)}
    opened: list[tuple[str, int]] = []
    tag_lines = []
    for i, line in enumerate(lines):
        m = _COMPONENT_LINE.fullmatch(line) if i in outside else None
        if m is None:
            continue
        tag_lines.append(i)
        closing, name, empty = m.groups()
        if empty:
            continue
        if not closing:
            opened.append((name, i))
            continue
        while opened and opened[-1][0] != name:
            opened.pop()  # a tag left open: its lines stay as they are
        if opened:
            _, start = opened.pop()
            held = range(start + 1, i)
            indent = min(
                (len(lines[j]) - len(lines[j].lstrip()) for j in held if lines[j].strip()),
                default=0,
            )
            for j in held:
                shift = lines[j][:indent]
                lines[j] = lines[j][indent:] if not shift.strip() else lines[j].lstrip()
    for i in tag_lines:
        lines[i] = BREAK + lines[i].strip() + BREAK
    return "\n".join(lines)


# An expression in MDX text: {props.version}, {new Date().getFullYear()}. The page shows its value,
# which only the site's build computes; read as code ("props dot version") it is noise, so it
# is left out, unless it is a string ({"{"}, {'Hello'}), which is what the page shows.
_JS_TOKEN = r"\"[^\"\n]*\"|'[^'\n]*'|[^{}\n\"']"  # a string (which may hold braces), or a character
_MDX_EXPRESSION = re.compile(
    r"(?<!\\)\{((?:" + _JS_TOKEN + r"|\{(?:" + _JS_TOKEN + r")*\})*)\}"  # \{ is a brace
)
_JS_STRING = re.compile(r"\s*(?:\"([^\"\\]*)\"|'([^'\\]*)'|`([^`$\\]*)`)\s*")


def _mdx_value(text: str, m: re.Match) -> str:
    """What the listener gets of the expression `m` in `text`: a string's words, else nothing."""
    before = text[: m.start()]
    if before.count("<") > before.count(">"):  # a prop inside a tag: _jsx_props' business
        return m.group()
    string = _JS_STRING.fullmatch(m.group(1))
    return next((g for g in string.groups() if g is not None), "") if string else ""


def _mdx_expressions(lines, i, line) -> str:
    return _outside_code_spans(
        line, lambda part: _MDX_EXPRESSION.sub(functools.partial(_mdx_value, part), part)
    )


_JSX_TAG = re.compile(r"<[A-Za-z][\w.-]*(?=[\s/>]|$)")


def _jsx_props(text: str) -> str:
    """JSX expression props (`src={img}`, srcSet={`${a} 2x`}) emptied to `""`, their lines
    kept: HTML has no braced values, so CommonMark would read the whole tag as text. Only in tags
    that begin a line outside fenced code, where an MDX element stands."""
    lines = text.split("\n")
    starts = {i for _, i, line in _lines_outside_fences(text) if _JSX_TAG.match(line.lstrip())}
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    out, at = [], 0
    for i in sorted(starts):
        start = offsets[i] + len(lines[i]) - len(lines[i].lstrip())
        if start < at:
            continue
        j, quote, depth, value = start, None, 0, None
        while j < len(text):
            c = text[j]
            if depth:
                depth += (c == "{") - (c == "}")
                if not depth:
                    # the prop's line breaks stay, each before a bare attribute: a blank line
                    # would end the HTML block the tag stands in, and its rest be read as text
                    out += [text[at:value], '""', "\n_" * text.count("\n", value, j)]
                    at = j + 1
            elif quote:
                quote = None if c == quote else quote
            elif c in "\"'":
                quote = c
            elif c == "{" and text[j - 1] == "=":
                depth, value = 1, j
            elif c == ">":
                break
            j += 1
    out.append(text[at:])
    return "".join(out)


def _join_tags(text: str) -> str:
    """A tag that begins a block and spans several lines (`<Tabs` over its props, `/>` lines
    below) put on its first line, the line breaks it held moved after it: CommonMark takes a tag
    for HTML only when it is whole on one line, and read the props as words ("Tabs defaultValue
    equals npm"). Its braced props are emptied first (_jsx_props), so a quote is all that can
    hide a >."""
    lines = text.split("\n")
    for _, i, line in list(_lines_outside_fences(text)):
        if not _JSX_TAG.match(line.lstrip()) or _tag_end(line) is not None:
            continue
        if i and lines[i - 1].strip():
            continue  # inside a block (an HTML <div>'s lines), where blank lines would end it
        end = next(
            (
                j
                for j in range(i + 1, min(i + 50, len(lines)))
                if _tag_end(" ".join(lines[i : j + 1])) is not None
            ),
            None,
        )
        if end is None:
            continue
        joined = " ".join(part.strip() for part in lines[i : end + 1])
        cut = _tag_end(joined) + 1
        lines[i] = line[: len(line) - len(line.lstrip())] + joined[:cut]
        lines[i + 1 : end + 1] = [""] * (end - i - 1) + [joined[cut:].strip()]
    return "\n".join(lines)


def _tag_end(text: str) -> int | None:
    """The index of the > that closes the tag at the start of `text` (not one in quotes)."""
    quote = None
    for j, c in enumerate(text):
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == ">":
            return j
    return None


def _mdx_title(text: str) -> str | None:
    """`title` of an MDX post's `export const meta = {...}`, when it has one."""
    m = re.search(
        r"^export\s+const\s+meta\s*=\s*\{.*?\btitle\s*:\s*(['\"`])(.+?)\1", text, re.M | re.S
    )
    return m.group(2) if m else None


# Pelican: `Title: ...` then `Key: value` lines at the top, up to the first blank line. Pelican
# reads its keys in any case (`title: ...`).
_PELICAN_KEY = re.compile(r"[A-Za-z][\w-]*:\s")


def _pelican_header(text: str) -> tuple[str, str | None]:
    lines = text.split("\n")
    if not re.match(r"Title:\s*\S", lines[0], re.I):
        return text, None
    title, end = lines[0].split(":", 1)[1].strip(), 0
    while end < len(lines) and _PELICAN_KEY.match(lines[end]):
        end += 1
    return "\n" * end + "\n".join(lines[end:]), title


# Admonitions: MkDocs `!!! note "Title"` with an indented body, Docusaurus/VuePress `:::note` up
# to `:::`, GitHub `> [!NOTE]`. The label is read as a short sentence ("Note."), then the body.
# Pandoc/markdown-it fenced divs share the `:::` fence: `::: {.alert .alert-info}` and `::: name`
# with a name that is no admonition kind (`::: columns`) are markup, and only their content is
# read; a Quarto callout (`::: {.callout-tip}`) is the admonition it names.
_BANG = re.compile(r"^(\s*)[!?]{3}\+?\s*(\w+)(?:\s+\"([^\"]*)\")?\s*$")
# MkDocs Material's content tabs, `=== "Title"` over an indented body: the title is said as a
# sentence before the body, as a listener cannot see the tabs
_TAB = re.compile(r"^(\s*)===[+!]?\s+\"([^\"]*)\"\s*$")
# (a name may hold hyphens: markdown-it-container's `:::table-wrapper` is markup, not a "Table")
_COLONS = re.compile(r"^ {0,3}:{3,}\s*([\w-]*)\s*(?:\[(.*)\]|(.*))$")  # not `    :::lang` in code
# GitHub's alerts (> [!TIP]) and Obsidian's callouts, which may carry a title and a fold mark
# (> [!warning]- Mind the gap)
_GITHUB_ALERT = re.compile(r"^(\s*(?:>\s*)+)\[!(\w+)\][-+]?[ \t]*(.*?)\s*$")
# The kinds of Docusaurus, VuePress, MkDocs Material, GitHub and Quarto admonitions.
_ADMONITIONS = frozenset(
    [
        "note",
        "tip",
        "info",
        "warning",
        "danger",
        "caution",
        "important",
        "hint",
        "attention",
        "error",
        "success",
        "question",
        "example",
        "quote",
        "abstract",
        "summary",
        "bug",
        "failure",
        "todo",
        "seealso",
        "details",
    ]
)


_KIND_WORDS = {"seealso": "See also", "todo": "To do"}  # kinds said otherwise than written


def _label(kind: str, title: str | None, fenced_div: bool = False) -> str:
    """The sentence said for an admonition's first line: "Note.", "Warning: Mind the tide.";
    '' for a fenced div that names no admonition (`fenced_div`: a `:::` line)."""
    title = (title or "").strip().rstrip(":").rstrip()  # "Short version:" leads into the body
    if title.startswith("{"):  # an attribute list (`::: {.callout-note}`), not a title
        callout = re.search(r"\.callout-(\w+)", title)
        kind, title = kind or (callout.group(1) if callout else ""), ""
    if fenced_div and kind.lower() not in _ADMONITIONS and not title:
        return ""
    said = _KIND_WORDS.get(kind.lower(), kind.capitalize())
    if not title:
        return said + "."
    return _sentence(f"{said}: {title}" if kind else title)


def _admonitions(text: str) -> str:
    """Each admonition's label and its dedented body; a body's own admonitions and tabs (MkDocs
    nests them, `??? example` over `=== "page.md"`) are found once their parent's is dedented."""
    for _ in range(MAX_NESTING):
        done, text = text, _admonitions_once(text)
        if text == done:
            break
    return text


def _admonitions_once(text: str) -> str:
    lines = text.split("\n")
    body_indent = None
    for _, i, line in list(_lines_outside_fences(text)):
        if body_indent is not None:
            if line.startswith(body_indent) or not line.strip():
                lines[i] = line[len(body_indent) :]
                continue
            body_indent = None
        if m := _BANG.match(line):
            lines[i] = m.group(1) + _label(m.group(2), m.group(3)) + BREAK
            body_indent = m.group(1) + "    "
        elif m := _TAB.match(line):
            title = m.group(2).strip()
            lines[i] = m.group(1) + (_sentence(title) + BREAK if title else "")
            body_indent = m.group(1) + "    "
        elif m := _COLONS.match(line):
            kind, title = m.group(1), m.group(2) or m.group(3)
            label = _label(kind, title, fenced_div=True) if kind or title else ""
            lines[i] = BREAK + label + BREAK if label else ""
        elif m := _GITHUB_ALERT.match(line):
            lines[i] = m.group(1) + _label(m.group(2), m.group(3)) + (BREAK if m.group(3) else "")
    return "\n".join(lines)


# MathJax's and KaTeX's other delimiters, \(...\) inline and \[...\] on lines of their own: to
# CommonMark they are escaped brackets, and the formula was read as words ("a 2 plus b 2"). They
# become dollar math, which the walk handles (display math is never read).
_TEX_INLINE = re.compile(r"\\\((.+?)\\\)")
_TEX_DISPLAY_LINE = re.compile(r"^(\s*)\\\[(.*)\\\]\s*$")
_TEX_OPEN, _TEX_CLOSE = re.compile(r"^(\s*)\\\[\s*$"), re.compile(r"^(\s*)\\\]\s*$")


# -- MyST (Jupyter Book, Sphinx with MyST-Parser and ABlog, mystmd) ----------------------------

# A directive: ```{name} argument, or :::{name} argument, up to a fence of the same character at
# least as long. Its body may open with options (`:class: tip`) or a YAML block between `---`.
_DIRECTIVE = re.compile(r"^([ \t]*)(`{3,}|~{3,}|:{3,})\{([A-Za-z][\w:.-]*)\}[ \t]*(.*?)[ \t]*$")
_DIRECTIVE_OPTION = re.compile(r"^[ \t]*:[\w-]+:(?:[ \t].*)?$")
# what each directive is on the page: a titled box whose body is prose (admonitions are the other
# prose kind, by _ADMONITIONS), a box without a title, code, a table, display math, a figure;
# directives that pull in other pages or lists (toctree, postlist) show nothing to read
_MYST_TITLED = frozenset(
    ("admonition", "dropdown", "topic", "sidebar", "card", "grid-item-card", "tab-item", "rubric")
)
_MYST_BOX = frozenset(
    ("margin", "epigraph", "pull-quote", "highlights", "tab-set", "grid", "grid-item", "div")
    + ("container", "aside", "blockquote")
)
_MYST_CODE = frozenset(
    ("code", "code-block", "code-cell", "sourcecode", "literalinclude", "ipython", "doctest")
    + ("jupyter-execute", "testcode", "raw", "eval-rst", "mermaid", "graphviz", "glue:figure")
)
_MYST_TABLE = frozenset(("table", "list-table", "csv-table"))
_MYST_IMAGE = frozenset(("figure", "image", "figure-md"))
_MYST_HIDDEN = frozenset(
    ("toctree", "tableofcontents", "contents", "include", "bibliography", "postlist", "glossary")
)
# a role, {name}`content`, and what the page shows for each kind
# (a name in lowercase, after no word or `$`: `${CLUSTER_NAME}` in shell code is no role)
_MYST_ROLE = re.compile(r"(?<![\w$])\{([a-z][\w:.+-]*)\}`([^`\n]+)`|(`+)[^`\n]*?\3")
# Sphinx's roles, in MyST ({func}`x`) and reStructuredText (:func:`x`) alike: the ones the page
# shows as code, and the ones it shows nothing of (a citation; a value the build computes)
SPHINX_CODE_ROLES = (
    "func", "class", "meth", "mod", "attr", "data", "obj", "exc", "const", "var", "kbd", "file",
    "samp", "command", "program", "option", "envvar", "makevar", "regexp", "mailheader", "code",
    "literal",
)  # fmt: skip
SPHINX_HIDDEN_ROLES = ("cite", "cite:p", "cite:t", "footcite", "sub-ref", "eq", "del")
_MYST_ROLE_HIDDEN = re.compile(r"(?:foot)?cite(?::\w+)?|sub-ref|eq|del")
_MYST_ROLE_CODE = re.compile(rf"(?:\w+:)?(?:{'|'.join(SPHINX_CODE_ROLES)})")
_MYST_TARGET = re.compile(r"^ {0,3}\(([^()\s]+)\)=[ \t]*$")
_MYST_MARK = re.compile(
    r"^[ \t]*(?:`{3,}|:{3,})\{[A-Za-z]|(?<![\w$])\{[a-z][\w:.+-]*\}`|^\([^()\s]+\)=$", re.M
)


def _myst(text: str) -> str:
    """MyST's directives as the admonitions, code, math, tables and figures they show (a prose
    box is its label, as an admonition's, and its body), its roles as their words, and its
    targets `(label)=`, comments `% ...` and block breaks `+++` gone."""
    if not _MYST_MARK.search(text):
        return text
    lines = text.split("\n")
    titles = _myst_targets(lines)
    boxes: list[_Fence] = []  # the prose boxes open at this line, innermost last
    code: _Fence | None = None  # an open code block: its lines are not Markdown
    i = 0
    while i < len(lines):
        line = lines[i]
        if code is not None and not code.left_by(line):
            if code.closed_by(line):
                if code.char == ":":  # a code directive between colons, made a backtick fence
                    lines[i] = " " * code.indent + "```"
                code = None
            i += 1
            continue
        code = None
        while boxes and boxes[-1].left_by(line):
            boxes.pop()  # its list item ended, and the box with it, as CommonMark ends a fence
        if boxes and boxes[-1].closed_by(line):
            lines[i] = ""
            boxes.pop()
            i += 1
            continue
        m = _DIRECTIVE.match(line)
        if not m:
            if fence := _CODE_FENCE.match(line):
                code = _Fence(fence.group(2)[0], len(fence.group(2)), len(fence.group(1)))
            elif _MYST_TARGET.match(line) or line.startswith("% ") or line.strip() in ("%", "+++"):
                lines[i] = ""
            else:
                lines[i] = _myst_roles(line, titles)
            i += 1
            continue
        indent, fence, name, argument = m.groups()
        here = _Fence(fence[0], len(fence), len(indent))
        kind = name.lower().removeprefix("prf:")
        margin = " " * min(len(indent), 3)  # deeper, a line would be indented code
        if kind in _ADMONITIONS or kind in _MYST_TITLED or kind in _MYST_BOX:
            title = _unbracket(_myst_roles(argument, titles)) if kind not in _MYST_BOX else ""
            label = kind if kind in _ADMONITIONS else ""
            said = _label(label, title, fenced_div=True) if label or title else ""
            lines[i] = BREAK + said + BREAK if said else ""
            i = _skip_options(lines, i + 1)
            boxes.append(here)
            continue
        if kind not in _MYST_HIDDEN | _MYST_TABLE | _MYST_IMAGE | {"math"} and (
            kind in _MYST_CODE or fence[0] != ":"
        ):
            lines[i] = f"{indent}```{{{name}}}" if fence[0] == ":" else line
            code = here
            i += 1
            continue
        end = next(
            (
                j
                for j in range(i + 1, len(lines))
                if here.closed_by(lines[j]) or here.left_by(lines[j])
            ),
            len(lines),
        )
        body = lines[_skip_options(lines, i + 1) : end]
        for j in range(i, min(end + 1, len(lines))):
            if j == end and here.left_by(lines[j]):
                break  # the line that ended its list item is the next block's
            lines[j] = ""
        if kind == "math":
            lines[i] = margin + "$$" + " ".join(b.strip() for b in body) + "$$"
        elif kind in _MYST_TABLE:
            lines[i] = margin + "<table></table>"
        elif kind in _MYST_IMAGE:
            caption = _unbracket(" ".join(b.strip() for b in body if b.strip()))
            lines[i] = f"{margin}![{caption}]({argument.split()[0] if argument else 'figure'})"
        i = end + 1 if end < len(lines) and here.closed_by(lines[end]) else end
    return "\n".join(lines)


@dataclass(frozen=True)
class _Fence:
    """A fenced block's opening: its character, length and indentation."""

    char: str
    length: int
    indent: int

    def closed_by(self, line: str) -> bool:
        stripped = line.strip()
        return len(stripped) >= self.length and stripped == self.char * len(stripped)

    def left_by(self, line: str) -> bool:
        """A line less indented than an indented fence's opening ends the list item it was in."""
        return bool(line.strip()) and len(line) - len(line.lstrip()) < self.indent


def _unbracket(text: str) -> str:
    """Text to put between [ and ]: its links as their words, other brackets as parentheses."""
    text = re.sub(r"\[([^\[\]]*)\]\([^()\s]*\)", r"\1", text)
    return text.replace("[", "(").replace("]", ")")


def _skip_options(lines: list[str], i: int) -> int:
    """Blank a directive's options (`:key: value` lines, or a YAML block between `---` lines)
    from line i; returns the index of the body's first line."""
    if i < len(lines) and lines[i].strip() == "---":
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "---"), None)
        if end is not None:
            lines[i : end + 1] = [""] * (end + 1 - i)
            return end + 1
    while i < len(lines) and _DIRECTIVE_OPTION.match(lines[i]):
        lines[i] = ""
        i += 1
    return i


def _myst_targets(lines: list[str]) -> dict[str, str]:
    """The heading words of each target `(label)=` that stands before a heading, for {ref}."""
    titles = {}
    for i, line in enumerate(lines):
        if m := _MYST_TARGET.match(line):
            heading = next((s for s in lines[i + 1 : i + 4] if s.strip()), "")
            if h := re.match(r" {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", heading):
                titles[m.group(1)] = h.group(1)
    return titles


def _myst_roles(line: str, titles: dict[str, str]) -> str:
    """Roles as the page shows them: {ref}`text <label>` and {doc}`page` as their words, a
    {ref} to a heading as the heading, {math} as inline math, code-like roles as code, an
    {abbr} as the abbreviation; citations and substitutions (computed) are left out."""

    def one(m: re.Match) -> str:
        if m.group(3):
            return m.group()  # a code span, which may show a role as written
        name, content = m.group(1).lower(), m.group(2)
        if _MYST_ROLE_HIDDEN.fullmatch(name):
            return ""
        if name == "math":
            return f"${content}$"
        if _MYST_ROLE_CODE.fullmatch(name):
            return f"`{content}`"
        if name in ("ref", "numref", "any") and not _EXPLICIT_TITLE.fullmatch(content):
            return titles.get(content.strip(), "")
        return role_words(name, content)

    return _MYST_ROLE.sub(one, line) if "}`" in line else line


_EXPLICIT_TITLE = re.compile(r"(.*?)\s*<([^<>]+)>", re.S)  # `the words <target>`


def role_words(name: str, content: str) -> str:
    """What the page shows of a text role (MyST's or reStructuredText's): an explicit title
    (`words <target>`), an abbreviation without its expansion, a page by its name, a menu path
    with its arrows as a menu's steps; else the content."""
    if explicit := _EXPLICIT_TITLE.fullmatch(content):
        return explicit.group(1)
    name = name.rsplit(":", 1)[-1]
    if name == "abbr":
        return re.sub(r"\s*\([^()]*\)\s*$", "", content)
    if name == "doc":
        return re.sub(r"[-_]+", " ", content.rstrip("/").rsplit("/", 1)[-1])
    if name == "menuselection":
        return content.replace("-->", ">")
    return content


# A LaTeX math environment on lines of its own (MathJax and KaTeX typeset it where it stands, as
# Pandoc does): the same display math, "begin equation E equals mc 2 end equation" otherwise.
_TEX_ENVIRONMENT = re.compile(
    r"^ {0,3}\\(begin|end)\{((?:equation|align|alignat|gather|multline|flalign|eqnarray|"
    r"displaymath)\*?)\}"
)
# A line of LaTeX commands alone (\newpage, \vspace{1em}, \tolerance=1 \emergencystretch=\maxdimen):
# Pandoc passes it to a PDF and leaves it out of a web page; CommonMark would read it as words.
_TEX_COMMAND_LINE = re.compile(
    r"^\s*(?:\\[A-Za-z]+\*?(?:\[[^\]\n]*\])?(?:\{[^{}\n]*\})*(?:=[^\s\\]*)?\s*)+$"
)


def _tex_delimiters(text: str) -> str:
    environment = None  # the math environment open at this line, if any

    def inline(m: re.Match) -> str:
        return f"${m.group(1).strip()}$"

    def one(lines, i, line):
        nonlocal environment
        if m := _TEX_ENVIRONMENT.match(line):
            if m.group(1) == "begin" and environment is None:
                environment = m.group(2)
                return "$$" + line.lstrip()
            if m.group(1) == "end" and m.group(2) == environment:
                environment = None
                return line.rstrip() + "$$"
        if environment:
            return line
        if m := _TEX_DISPLAY_LINE.match(line):
            return f"{m.group(1)}$${m.group(2)}$$"
        if m := _TEX_OPEN.match(line) or _TEX_CLOSE.match(line):
            return m.group(1) + "$$"
        if _TEX_COMMAND_LINE.match(line):
            return ""
        return _outside_code_spans(line, lambda part: _TEX_INLINE.sub(inline, part))

    return _line_pass(text, one) if "\\" in text else text


# -- Quarto and R Markdown ----------------------------------------------------------------------

# Posts whose code knitr or Quarto runs when the site is rendered (a Quarto project's .md is not
# run). Their inline code, `r nrow(cars)` or `{python} len(df)`, is a value the page shows and
# the narration cannot know: it is left out, with a warning, never read as code.
EXECUTED_SUFFIXES = (".qmd", ".rmd", ".rmarkdown")
_INLINE_RESULT = re.compile(r"(?<!`)`(?:r|\{(?:r|python|julia|ojs)\})[ \t][^`\n]*`(?!`)")

# Quarto's cross-references, @fig-elephant, and what the page shows for each kind ("Figure 2"); a
# section's is its heading. Numbers count each kind's labels in the order they are defined: a
# cell's `#| label: fig-x`, or an id in braces ({#fig-x}, on an image, a div, a table caption,
# display math or a code block).
_QUARTO_KINDS = {
    "fig": "Figure",
    "tbl": "Table",
    "lst": "Listing",
    "eq": "Equation",
    "tip": "Tip",
    "nte": "Note",
    "wrn": "Warning",
    "imp": "Important",
    "cau": "Caution",
    "thm": "Theorem",
    "lem": "Lemma",
    "cor": "Corollary",
    "prp": "Proposition",
    "cnj": "Conjecture",
    "def": "Definition",
    "exm": "Example",
    "exr": "Exercise",
    "sol": "Solution",
    "rem": "Remark",
    "sec": "Section",
}
_KIND = "|".join(_QUARTO_KINDS)
_LABEL = r"[\w-]*[A-Za-z0-9]"
_CROSSREF_LABEL = re.compile(
    rf"#\|[ \t]*label:[ \t]*[\"']?(?P<cell>(?:{_KIND})-{_LABEL})"
    rf"|\{{[^{{}}\n]*?#(?P<id>(?:{_KIND})-{_LABEL})(?![\w-])"
    # bookdown's: a figure chunk's name (```{{r cars, fig.cap="..."}}), (\#tab:x) in a caption
    rf"|^```+[ \t]*\{{r[ \t,]+(?P<chunk>[\w-]+)[^}}\n]*\bfig\.cap\b"
    r"|\(\\#(?P<book>(?:fig|tab|eq):[\w-]+)\)",
    re.M,
)
_HEADING_ID = re.compile(
    r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*\{[^{}\n]*#([\w:-]+)[^{}\n]*\}[ \t]*$", re.M
)
_CROSSREF = re.compile(rf"(?<![\w.@\\])(-?)@((?i:{_KIND}))-({_LABEL})")
_CROSSREFS_BRACKETED = re.compile(rf"\[([^\[\]]*?@(?i:{_KIND})-[^\[\]]*)\]")
_BOOKDOWN_REF = re.compile(r"\\@ref\(([^()\s]+)\)")
_BOOKDOWN_LABEL = re.compile(r"\(\\#(?:fig|tab|eq):[\w-]+\)[ \t]*")


def _crossref_names(text: str) -> dict[str, str]:
    """What each cross-reference label of the post shows: "fig-cars" "Figure 1", "fig:cars" "1"
    (bookdown's, which the author puts after "Figure"), "sec-intro" its heading's words."""
    names, counts = {}, {}
    for m in _CROSSREF_LABEL.finditer(text):
        label = m.group("cell") or m.group("id") or m.group("book") or f"fig:{m.group('chunk')}"
        kind = re.split("[-:]", label, maxsplit=1)[0]
        if label in names or kind == "sec":
            continue
        counts[kind] = counts.get(kind, 0) + 1
        number = str(counts[kind])
        names[label] = number if ":" in label else f"{_QUARTO_KINDS[kind]} {number}"
    for title, label in _HEADING_ID.findall(text):
        names.setdefault(label, re.sub(r"[*_`]", "", title).strip())
    return names


# A narrative citation, "@smith2020 shows" or "@smith2020 [p. 4] shows" (Pandoc's key: a letter,
# digit or _, then those and inner punctuation), not inside a bracketed citation nor an address
_NARRATIVE_CITATION = re.compile(
    r"(?<![\w@.+-])@([\w](?:[\w:.#$%&+?<>~/-]*[\w])?)(?:[ \t]*\[([^\[\]@\n]*)\](?![(\[:]))?"
)
_BRACKETED = re.compile(r"\[[^\[\]\n]*@[^\[\]\n]*\]")


def _citations(text: str, references: dict) -> str:
    """Narrative citations of the post's bibliography said as the page prints them: "@smith2020
    shows" is "Smith (2020) shows" (citations.narrative). A key the bibliography does not hold
    stays as written (a handle, `@rustlang`, is no citation), and so do bracketed citations,
    which _CITATION leaves out."""
    from .citations import narrative

    def one_part(part: str) -> str:
        kept = [(m.start(), m.end()) for m in _BRACKETED.finditer(part)]

        def said(m: re.Match) -> str:
            if m.group(1) not in references or any(a <= m.start() < b for a, b in kept):
                return m.group()
            return narrative(references[m.group(1)], m.group(2) or "")

        return _NARRATIVE_CITATION.sub(said, part)

    def one(lines, i, line):
        return _outside_code_spans(line, one_part) if "@" in line else line

    return _line_pass(text, one) if references and "@" in text else text


def _quarto(text: str, path, suffix: str) -> str:
    """Quarto's and R Markdown's own constructs, as the rendered page shows them: cross-references
    by what they name, bookdown's caption labels gone, and in executed posts (EXECUTED_SUFFIXES)
    inline code results left out."""
    executed = suffix in EXECUTED_SUFFIXES
    if not executed and "@" not in text and "\\#" not in text:
        return text
    names = _crossref_names(text)

    def name(m: re.Match) -> str:
        dash, kind, label = m.groups()
        key = f"{kind.lower()}-{label}"
        if key not in names:  # a label of another file, or none: Quarto shows "?@fig-x"
            return f"the {_QUARTO_KINDS[kind.lower()].lower()}" if executed else m.group()
        return names[key].rsplit(" ", 1)[-1] if dash and kind.lower() != "sec" else names[key]

    def bracketed(m: re.Match) -> str:
        keys = re.findall(r"@([\w:.#$%&+?<>~/-]+)", m.group(1))
        if not all(_CROSSREF.fullmatch("@" + key) for key in keys):
            return m.group()  # a citation among them: _CITATION leaves the group out
        return " and ".join(_CROSSREF.sub(name, part).strip() for part in m.group(1).split(";"))

    def prose(part: str) -> str:
        part = _BOOKDOWN_LABEL.sub("", part)
        part = _BOOKDOWN_REF.sub(lambda m: names.get(m.group(1), ""), part)
        return _CROSSREF.sub(name, _CROSSREFS_BRACKETED.sub(bracketed, part))

    def one(lines, i, line):
        if executed and "`" in line:
            for m in _INLINE_RESULT.finditer(line):
                log.warning(
                    "%s:%d: inline code %s is computed when the site is rendered and is not "
                    "read; write its value in the post to have it said",
                    path,
                    i + 1,
                    m.group(),
                )
            line = _INLINE_RESULT.sub("", line)
        return _outside_code_spans(line, prose) if "@" in line or "\\#" in line else line

    return _line_pass(text, one)


# A footnote reference written in HTML, as exports from WordPress, Ghost or a static site's
# output leave it: <sup><a href="#fn1">1</a></sup>, <sup>[2]</sup>. A marker, not words (as
# [^1] is); an exponent (mc<sup>2</sup>) has no link and no brackets, and stays.
_HTML_FOOTNOTE_REF = re.compile(
    r"<sup\b[^>]*>\s*(?:<a\b[^>]*\bhref\s*=\s*[\"']#[^\"']*[\"'][^>]*>\s*\[?[\w*†‡]{1,4}\]?\s*"
    r"</a>|\[\d{1,3}\])\s*</sup>",
    re.I,
)


# A number's exponent (2<sup>31</sup>, whose digits would join the base's: "231") is written as
# the power it is (2^31, read "2 to the power of 31"). A base of four digits is a year's, and its
# <sup> a footnote's.
_HTML_EXPONENT = re.compile(r"(?<![\d.,])(\d{1,3})<sup>\s*(\d{1,3})\s*</sup>", re.I)


def _html_footnote_refs(text: str) -> str:
    def one(lines, i, line):
        return _outside_code_spans(
            line, lambda part: _HTML_EXPONENT.sub(r"\1^\2", _HTML_FOOTNOTE_REF.sub("", part))
        )

    return _line_pass(text, one) if "<sup" in text.lower() else text


# kramdown attribute lists: `{: .class}` lines and trailers go; `{:toc}` takes its "* TOC" item.
_IAL_LINE = re.compile(r"^\s*\{:[^}]*\}\s*$")
_IAL_INLINE = re.compile(r"\s*\{:[^}\n]*\}")
# The same without the colon (markdown-it-attrs, Python-Markdown's attr_list, Pandoc, Hugo's
# heading ids): `## Setup {#setup}`, `[Start](a.md){ .md-button }`, `_x_{ style="..." }`. Braces
# count as one only when every word in them is an attribute and one is an id, a class or a
# key=value, so "replace {name} with yours" is read.
_ATTR_WORD = r"""(?:[#.][\w:-]+|[\w-]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s"'{}]+)|[\w-]+)"""
_ATTR_LIST = re.compile(rf"[ \t]*\{{[ \t]*({_ATTR_WORD}(?:[ \t]+{_ATTR_WORD})*)[ \t]*\}}")


def _attribute_lists(part: str) -> str:
    def one(m: re.Match) -> str:
        words = re.findall(_ATTR_WORD, m.group(1))
        return "" if any(w[0] in "#." or "=" in w for w in words) else m.group()

    return _ATTR_LIST.sub(one, part)


# kramdown's extensions: a {::comment} is the author's note to self, never read; the markers of
# the others ({::nomarkdown}, {::options .../}) go, and what they hold is read as it is.
_KRAMDOWN_COMMENT = re.compile(r"\{::comment\}")
_KRAMDOWN_COMMENT_END = re.compile(r"\{:/(?:comment)?\}")
_KRAMDOWN_MARKER = re.compile(r"\{::\w+[^}\n]*\}|\{:/\w*\}")
# Abbreviation definitions (kramdown, PHP Markdown Extra, Python-Markdown): `*[HTML]: Hyper...`
# says what an abbreviation stands for on hover; the text keeps the abbreviation.
_ABBREVIATION = re.compile(r"\s{0,3}\*\[[^\]\n]+\]:")
# A table of contents the site makes from the headings: kramdown's "* TOC" item with {:toc} under
# it, [TOC] (Python-Markdown, GitLab), [[_TOC_]] (GitLab), [[toc]] (markdown-it). Neither it nor
# the heading right before it ("## Contents") is read: the heading labels a list nobody hears.
_TOC_MARKER = re.compile(r"\s*(?:\[TOC\]|\[\[_?TOC_?\]\])\s*$", re.I)
_TOC_WORDS = (
    r"(?:table of contents|contents|toc|on this page|in this (?:post|article)|inhalt|"
    r"inhaltsverzeichnis|índice|indice|contenido|contenidos|sommaire|table des matières)"
)
_TOC_HEADING = re.compile(r"\s{0,3}#{1,6}\s+" + _TOC_WORDS + r"[\s:#]*$", re.I)
_TOC_SUMMARY = re.compile(
    r"\s*(?:<summary[^>]*>)?\s*" + _TOC_WORDS + r"[\s:]*(?:</summary>)?\s*$", re.I
)


def _drop_toc_heading(lines: list[str], before: int) -> None:
    """Blank what labels a table of contents starting at line `before`: the first line above it
    that is not blank nor an attribute list, if it is a heading that names one ("## Contents"; a
    post's title or "## Setup" is read), or the <summary> of the <details> it folds into."""
    i = before - 1
    while i >= 0 and (not lines[i].strip() or _IAL_LINE.match(lines[i])):
        i -= 1
    if i >= 0 and _TOC_HEADING.match(lines[i]):
        lines[i] = ""
    elif i >= 0 and lines[i].rstrip().endswith("</summary>"):
        first = i
        while first > 0 and "<summary" not in lines[first] and i - first < 4:
            first -= 1
        if _TOC_SUMMARY.fullmatch(" ".join(lines[first : i + 1])):
            lines[first : i + 1] = [""] * (i + 1 - first)


def _outside_code(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """(start, end) in `text` of each match of `pattern` (no backtick in it) outside fenced code
    and code spans, in one pass over the text however many there are."""
    offsets = list(itertools.accumulate((len(n) + 1 for n in text.split("\n")), initial=0))
    found = []
    for _, i, line in _lines_outside_fences(text):
        ticks, at = 0, 0
        for m in pattern.finditer(line):
            ticks, at = ticks + line.count("`", at, m.start()), m.start()
            if ticks % 2 == 0:
                found.append((offsets[i] + m.start(), offsets[i] + m.end()))
    return found


def _kramdown_comments(text: str) -> str:
    """The text without its kramdown comments (their lines kept blank); a {::comment} in code
    (a fence, a code span) or without its end is not one."""
    out, done = [], 0
    for start, end_of_start in _outside_code(text, _KRAMDOWN_COMMENT):
        if start < done:
            continue
        end = _KRAMDOWN_COMMENT_END.search(text, end_of_start)
        if end is None:
            break
        out += [text[done:start], "\n" * text.count("\n", start, end.end())]
        done = end.end()
    return "".join(out) + text[done:]


def _kramdown(text: str) -> str:
    def one(lines, i, line):
        # `{::nomarkdown}` in a post about kramdown is code, read as such
        line = _outside_code_spans(
            line, lambda part: _attribute_lists(_KRAMDOWN_MARKER.sub(" ", part))
        )
        if _TOC_MARKER.match(line):
            _drop_toc_heading(lines, i)
            return ""
        if _ABBREVIATION.match(line) or line.strip() == "^":
            # "^" alone is kramdown's end of a block: a fence after it is no HTML block's text
            return ""
        if _IAL_LINE.match(line):
            if "toc" in line and i and re.match(r"\s*(?:[-*+]|\d+\.)\s", lines[i - 1]):
                lines[i - 1] = ""
                _drop_toc_heading(lines, i - 1)
            return ""
        return _IAL_INLINE.sub("", line)

    return _line_pass(_kramdown_comments(text), one)


# Inline markup that Python-Markdown's pymdownx extensions (Material for MkDocs) and Obsidian
# render and CommonMark leaves as punctuation, which was read out ("equals marked", "plus plus
# ctrl", "H about 2 O"). The page shows: CriticMarkup's edits as made ({++added++},
# {--deleted--}, {~~old~>new~~}) and its highlights, not its {>>comments<<}; a ==highlight=='s
# words; a subscript's (H~2~O); a key combination's key names (++ctrl+alt+del++); nothing of an
# Obsidian %%comment%% or of a block's ^id at the end of its line.
_CRITIC = re.compile(
    r"\{\+\+(.*?)\+\+\}|\{--(.*?)--\}|\{==(.*?)==\}|\{>>(.*?)<<\}|\{~~(.*?)~>(.*?)~~\}"
)
_HIGHLIGHT = re.compile(r"(?<![=\w])==(?![\s=])(.+?)(?<![\s=])==(?![=\w])")
# attached to the word before it, as a subscript is; "~~" is strikethrough
_SUBSCRIPT = re.compile(r"(?<=[^\s~])~(?!~)([^\s~]+)~(?!~)")
_KEYS = re.compile(r"(?<![\w+])\+\+([A-Za-z0-9][\w-]*(?:\+[\w-]+)*)\+\+(?![\w+])")
_BLOCK_ID = re.compile(r"(?:(?<=\S)[ \t]+|^[ \t]*)\^[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*[ \t]*$")
_OBSIDIAN_COMMENT = "%%"


def _critic(m: re.Match) -> str:
    added, _, marked, _, _, new = m.groups()
    return next((part for part in (added, marked, new) if part is not None), "")


def _keys(m: re.Match) -> str:
    """pymdownx.keys' names said as keys: ++ctrl+alt+del++ is "Control Alt Delete"."""
    return " ".join(
        normalizer.key_name(key)
        if len(key) == 1 or key.lower() in normalizer.KEY_WORDS
        # its other names are words joined by hyphens: page-up, caps-lock, arrow-up
        else " ".join(word.capitalize() for word in key.split("-"))
        for key in m.group(1).split("+")
    )


def _marks_in(part: str) -> str:
    part = _KEYS.sub(_keys, _HIGHLIGHT.sub(r"\1", _CRITIC.sub(_critic, part)))
    if "$" not in part:
        return _SUBSCRIPT.sub(r"\1", part)
    # not in $math$, where TeX's ~ is a space; with a lone $ (a price) nowhere
    pieces = part.split("$")
    if len(pieces) % 2:
        pieces[::2] = [_SUBSCRIPT.sub(r"\1", piece) for piece in pieces[::2]]
    return "$".join(pieces)


def _obsidian_comments(text: str) -> str:
    """The text without Obsidian's %%comments%% (their lines kept blank): on one line, or from a
    line that opens with %% to one that ends with it; not in code."""
    marks = _outside_code(text, re.compile(re.escape(_OBSIDIAN_COMMENT)))
    out, done = [], 0
    for (opening, _), (_, closing) in zip(marks[::2], marks[1::2], strict=False):
        line_start = text.rfind("\n", 0, opening) + 1
        line_end = text.find("\n", closing)
        line_end = len(text) if line_end < 0 else line_end
        one_line = "\n" not in text[opening:closing]
        whole_lines = not text[line_start:opening].strip() and not text[closing:line_end].strip()
        if not (one_line or whole_lines):
            continue
        out += [text[done:opening], "\n" * text.count("\n", opening, closing)]
        done = closing
    return "".join(out) + text[done:]


def _inline_marks(text: str) -> str:
    def one(lines, i, line):
        return _BLOCK_ID.sub("", _outside_code_spans(line, _marks_in))

    return _line_pass(_obsidian_comments(text) if _OBSIDIAN_COMMENT in text else text, one)


# HTML blocks that span lines (a <table>, a <pre> after a sentence or inside a list item, a
# <figure>): CommonMark ends most HTML blocks at a blank line, and starts one only at the start
# of a line, so a table's cells or a diff's lines would be read as prose. Such an element becomes
# one line, where its opening tag was (text before it split off, indented to stay in its list
# item); the lines it took are left blank.
_CONTAINER = re.compile(
    r"<(pre|table|figure|svg|script|style|math|iframe|video|audio|object)\b", re.I
)
_LIST_MARKER = re.compile(r"\s*(?:[-*+]|\d+[.)])\s+")


def _html_containers(text: str) -> str:
    lines = text.split("\n")
    outside = {i for _, i, _ in _lines_outside_fences(text)}
    i = 0
    while i < len(lines):
        m = _CONTAINER.search(lines[i]) if i in outside else None
        if not m or lines[i][: m.start()].count("`") % 2:  # inside a code span
            i += 1
            continue
        close = re.compile(rf"</{m.group(1)}\s*>", re.I)
        end, c = i, close.search(lines[i], m.end())
        while c is None and end + 1 < len(lines):
            end += 1
            c = close.search(lines[end])
        if c is None:  # never closed: leave it to CommonMark
            i += 1
            continue
        before, after = lines[i][: m.start()], lines[end][c.end() :]
        if end == i:
            parts = [lines[i][m.start() : c.end()]]
        else:
            parts = [lines[i][m.start() :], *lines[i + 1 : end], lines[end][: c.end()]]
        element = " ".join(parts)
        if before.strip():
            marker = _LIST_MARKER.match(before)
            indent = " " * (marker.end() if marker else len(before) - len(before.lstrip()))
            lines[i] = before.rstrip() + BLANK + indent + element
        else:
            lines[i] = before + element
        for j in range(i + 1, end + 1):
            lines[j] = ""
        if after.strip():
            if end == i:
                lines[i] += BLANK + after.lstrip()
            else:
                lines[end] = after.lstrip()
        i = end + 1
    return "\n".join(lines)


# Lines that are only layout (<br>, &nbsp;, <hr>) would start an HTML block that swallows the
# Markdown after them (a fence, a list): they become blank lines.
_LAYOUT_LINE = re.compile(r"^\s*(?:<br\s*/?>|<hr\s*/?>|&nbsp;|<p>\s*</p>|\s)+\s*$", re.I)


# A <details> toggle's <summary> that only names the toggle ("Details", "Show code", "Click to
# expand") is the page's control, not the post's words: said alone before code it was a sentence
# of one word, 34 times in one post
_CONTROL_SUMMARY = re.compile(
    r"(<summary\b[^>]*>)\s*(?:details|more details|show (?:details|code|more|output)|code|output"
    r"|source(?: code)?|expand|click (?:here )?to (?:expand|show|see)(?: \w+){0,3})\s*[.:]?\s*"
    r"(</summary>)",
    re.I,
)


def _layout_lines(text: str) -> str:
    def one(lines, i, line):
        if _LAYOUT_LINE.match(line):
            return ""
        return _outside_code_spans(line, lambda part: _CONTROL_SUMMARY.sub(r"\1\2", part))

    return _line_pass(text, one)


# Nesting: quotes deeper than MAX_QUOTE and indentation past MAX_INDENT columns are flattened to
# those depths (the text is read, as if less nested) with a warning naming the line.
MAX_QUOTE = 32
MAX_INDENT = 64
_QUOTE_PREFIX = re.compile(r"^(?:\s{0,3}>)+")


def _flatten_nesting(text: str, path, line_of) -> str:
    warned = set()

    def one(lines, i, line):
        original = line
        m = _QUOTE_PREFIX.match(line)
        if m and m.group().count(">") > MAX_QUOTE:
            line = ">" * MAX_QUOTE + line[m.end() :]
        expanded = line.expandtabs(4)
        indent = len(expanded) - len(expanded.lstrip(" "))
        if indent > MAX_INDENT:
            line = " " * MAX_INDENT + expanded.lstrip(" ")
        if line != original and not (warned & {i - 1, i}):
            log.warning(
                "%s:%d: Markdown nested deeper than %d quotes or %d columns of indentation is "
                "read as if it were that deep",
                path,
                line_of(i),
                MAX_QUOTE,
                MAX_INDENT,
            )
        if line != original:
            warned.add(i)
        return line

    return _line_pass(text, one)


def _line_numbers(text: str, first: int = 1) -> tuple[str, list[int]]:
    """The text without BREAK marks, and the post's line number of each of its lines."""
    numbers, number = [], first
    for line in text.split("\n"):
        numbers.append(number)
        if not line.endswith("\x01"):
            number += 1
    return text.replace("\x01", ""), numbers


def _prepare(
    body: str, path, suffix: str, references: dict | None = None
) -> tuple[str, list[int], str | None]:
    """(Markdown, line numbers, a title found outside the front matter) of a post body;
    `references` is its bibliography (citations.load), by key."""
    body, title = _pelican_header(body)
    if suffix == ".mdx":
        title = title or _mdx_title(body)
        body = _mdx(body)
    body = _myst(_citations(_quarto(body, path, suffix), references or {}))
    for one_pass in (
        _tex_delimiters,
        _html_footnote_refs,
        _jtable,
        _grid_tables,
        _table_captions,
        _hugo,
        _liquid,
        _admonitions,
        _kramdown,
        _inline_marks,
        _html_containers,
        _layout_lines,
    ):
        body = one_pass(body)
    _, numbers = _line_numbers(body)
    body = _flatten_nesting(body, path, lambda i: numbers[min(i, len(numbers) - 1)])
    text, numbers = _line_numbers(body)
    return text, numbers, title


# -- HTML ---------------------------------------------------------------------------------------

# HTML's own tag names: any other tag is a component (JSX in MDX, a custom element).
_KNOWN_TAGS = frozenset(
    (
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "picture",
        "pre",
        "q",
        "s",
        "samp",
        "section",
        "small",
        "source",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "var",
        "video",
        "iframe",
        "audio",
        "embed",
        "object",
        "script",
        "style",
        "svg",
        "math",
    )
)
# tags whose content is not read; <del>, <s> and <strike> hold text the author struck out
# a button is a control of the page (a tab, "Copy"), no words of the post
_HIDDEN = {"script", "style", "svg", "math", "template", "noscript", "del", "s", "strike", "button"}
_BLOCK_OF_TAG = {
    "pre": "code",
    "table": "table",
    "math": "math",
    "iframe": "media",
    "video": "media",
    "audio": "media",
    "object": "media",
    "embed": "media",
}
# MDX/JSX components by what their name says they show (<Image />, <YouTube />, <CodeBlock />).
_COMPONENT = re.compile(
    r"(image|img|figure|picture|screenshot)|(video|youtube|vimeo|tweet|embed)|(code|snippet|gist)"
)


def _component_block(tag: str, empty: bool) -> str | None:
    """What a component shows; one with no content of its own (<Chart />) is an embed."""
    m = _COMPONENT.search(tag)
    return ("image", "media", "code")[m.lastindex - 1] if m else ("media" if empty else None)


# components that box a remark (their kind: _CALLOUT_KIND)
_CALLOUT_TAG = re.compile(r"(?:callout|admonition|alert|notice)$")

_VOID = {"img", "br", "hr", "input", "source", "meta", "link", "wbr", "col", "embed", "track"}


# HTML's block elements: each one's words are a paragraph, heading or item of their own (they
# ran together, "Here is how. The columns Each row is a day", heading and all)
_HTML_BLOCKS = frozenset(
    ("p", "div", "section", "article", "header", "footer", "aside", "main", "nav", "address")
    + ("center", "details", "summary", "dl", "dt", "dd", "ul", "ol", "li", "blockquote", "hr")
    + ("h1", "h2", "h3", "h4", "h5", "h6")
)


class _HtmlEvents(html.parser.HTMLParser):
    """An HTML block as events in order: ("text", words, kind, level) and ("block", kind,
    caption). A text's kind is "heading" (with its level), "list_item", "quote" or None (prose),
    by the block elements it stands in."""

    def __init__(self, read_footnotes: bool = False):
        super().__init__(convert_charrefs=True)
        self.read_footnotes = read_footnotes
        self.events: list[tuple] = []
        self.skipping: list[str] = []  # open tags whose content is not read
        self.caption: list[str] | None = None
        self.figure_alt = ""
        self.joined = False  # the next words go on the last text (no block element between)
        self.heading: int | None = None
        self.items = self.quotes = 0  # open <li> and <blockquote> elements

    def _text(self, words: str) -> None:
        if self.joined and self.events and self.events[-1][0] == "text":
            kind, level = self.events[-1][2:]
            self.events[-1] = ("text", self.events[-1][1] + words, kind, level)
            return
        if not words.strip():
            return
        kind = (
            "heading"
            if self.heading
            else "list_item"
            if self.items
            else "quote"
            if self.quotes
            else None
        )
        self.events.append(("text", words, kind, self.heading))
        self.joined = True

    def _block(self, tag: str, opened: bool) -> None:
        """A block element's start or end: the words after it are another text."""
        self.joined = False
        step = 1 if opened else -1
        if tag == "li":
            self.items = max(0, self.items + step)
        elif tag == "blockquote":
            self.quotes = max(0, self.quotes + step)
        elif re.fullmatch(r"h[1-6]", tag):
            self.heading = int(tag[1]) if opened else None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.skipping:
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if re.search(r"\b(?:wp-caption-text|caption)\b", attrs.get("class") or ""):
            self.skipping.append(tag)  # a WordPress caption: the image's, not running prose
            return
        if not self.read_footnotes and re.search(r"\bfootnotes?\b", attrs.get("class") or ""):
            self.skipping.append(tag)  # an exported post's footnotes, as script.footnotes says
            return
        if tag == "figure":
            self.caption, self.figure_alt = [], ""
        elif tag == "img":
            alt = (attrs.get("alt") or attrs.get("title") or "").strip()
            if self.caption is not None:
                self.figure_alt = self.figure_alt or alt
            else:
                self.events.append(("block", "image", alt))
        elif tag not in _KNOWN_TAGS and (tag in _ADMONITIONS or _CALLOUT_TAG.search(tag)):
            # an MDX callout (<Callout type="warning" title="Heads up">, <Note>): its label,
            # as an admonition's, then its words
            label = _callout_label(
                [attrs.get(k) for k in _CALLOUT_KIND] + [tag], attrs.get("title")
            )
            self._text(f" {label} " if label else " ")
            return
        elif tag not in _KNOWN_TAGS and (kind := _component_block(tag, self.self_closing)):
            alt = (attrs.get("alt") or attrs.get("caption") or attrs.get("title") or "").strip()
            self.events.append(("block", kind, alt if kind == "image" else ""))
            self.skipping.append(tag)
            return
        elif tag in _BLOCK_OF_TAG or tag in _HIDDEN:
            gist = tag == "script" and "gist" in (attrs.get("src") or "")
            kind = "code" if gist else _BLOCK_OF_TAG.get(tag)
            if kind:
                self.events.append(("block", kind, ""))
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if tag in _HTML_BLOCKS:
            self._block(tag, opened=tag != "hr")
            return
        self._text(" ")

    self_closing = False

    def handle_startendtag(self, tag, attrs):
        self.self_closing = True
        self.handle_starttag(tag, attrs)
        self.self_closing = False
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_endtag(self, tag):
        if self.skipping:
            if tag in self.skipping:
                while self.skipping.pop() != tag:
                    pass
            return
        if tag == "figure" and self.caption is not None:
            caption = " ".join("".join(self.caption).split()) or self.figure_alt
            self.events.append(("block", "image", caption))
            self.caption = None
        if tag in _HTML_BLOCKS:
            self._block(tag, opened=False)
            return
        self._text(" ")

    def handle_data(self, data):
        if self.skipping:
            return
        if self.caption is not None:
            self.caption.append(data)
        else:
            self._text(data)


def _html_events(source: str, read_footnotes: bool = False) -> list[tuple]:
    if re.match(r"\s*<code\b", source) and "\n" in source.strip():
        return [("block", "code", "")]  # a block-level <code>: a listing, not a phrase
    parser = _HtmlEvents(read_footnotes)
    parser.feed(source)
    parser.close()
    return [
        e if e[0] == "block" else ("text", " ".join(e[1].split()), *e[2:]) for e in parser.events
    ]


# -- inline -------------------------------------------------------------------------------------

_URL_LIKE = re.compile(r"(?:https?://|ftp://|www\.)\S+|[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S*", re.I)
# A mention of a site, kept out of the text until runs of them are joined: \x02name\x03.
_SITE = re.compile("\x02([^\x03]*)\x03")
_SITE_RUN = re.compile(
    "\x02[^\x03]*\x03(?:[\\s,;/&|]*(?:\\b(?:and|or)\\b)?[\\s,;]*\x02[^\x03]*\x03)*"
)
# Inline math a listener can hear: symbols and their indices ($\theta$, $E_{max}$, $k_1$,
# $p(x)$, $x^2$), said as a person reading the page would ("theta", "E max", "k 1", "p of x",
# "x squared"); anything more ($\frac{a}{b}$) is not read from source
_SIMPLE_MATH = re.compile(r"[A-Za-z0-9 .,=+<>-]+")
_GREEK = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "varpi",
    "rho",
    "varrho",
    "sigma",
    "varsigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
)
_TEX_GREEK = re.compile(r"\\(" + "|".join(_GREEK) + r")(?![A-Za-z])")
_TEX_SUBSCRIPT = re.compile(r"_\{([^{}]*)\}|_([A-Za-z0-9])")
_TEX_POWER = re.compile(r"\^\{([^{}]*)\}|\^([A-Za-z0-9])")
_TEX_PRODUCT = re.compile(r"(?<![\\_{A-Za-z])([A-Za-z])([A-Za-z])(?![A-Za-z}])")
_TEX_CALL = re.compile(r"(?<![A-Za-z])([A-Za-z])\(([^()]*)\)")


def _math_words(tex: str) -> str:
    """The words of simple inline math (see _SIMPLE_MATH); '' for any other."""

    def power(m: re.Match) -> str:
        exponent = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        exponent = re.sub(r"^-\s*", "minus ", exponent)
        return {"2": " squared ", "3": " cubed "}.get(exponent, f" to the power of {exponent} ")

    # two letters side by side are two symbols, a product ($mc^2$ is "m c squared"); a longer
    # run, or one in an index ($E_{max}$), is a word
    said = _TEX_PRODUCT.sub(r"\1 \2", tex)
    said = _TEX_GREEK.sub(lambda m: " " + m.group(1).removeprefix("var") + " ", said)
    said = _TEX_SUBSCRIPT.sub(lambda m: " " + (m.group(1) or m.group(2) or ""), said)
    said = _TEX_POWER.sub(power, said)
    said = _TEX_CALL.sub(r"\1 of \2", said)
    return " ".join(said.split()) if _SIMPLE_MATH.fullmatch(said) else ""


# Inline HTML whose content is not read: code, scripts, pictures, captions, and text struck out
# (<del>, <s>, <strike>, as ~~text~~): what the post says now is what is left beside it
_HIDDEN_INLINE = re.compile(r"<(/?)(pre|script|style|svg|figcaption|del|s|strike)\b", re.I)


def _mention(url: str, options: ScriptOptions) -> str:
    if options.urls == "drop" or not url_domain(url):
        return ""
    return f"\x02{site_name(url)}\x03"


# Wiki links, as Obsidian, Foam and the gardens built from them write them: [[Note]],
# [[folder/Note#Part|the words shown]]. The page shows the words, or the note's name; an embed,
# ![[photo.png]], shows the picture or the other note itself, never its name. "[[ -f x ]]" (a
# space after the brackets) is shell, not a link.
_WIKILINK = re.compile(r"(!?)\[\[(?!\s)([^\[\]|\n]+?)(?:\|([^\[\]\n]*))?\]\]")
_PICTURE = re.compile(r"\.(?:png|jpe?g|gif|webp|avif|svg|bmp)$", re.I)


def _wikilinks(text: str, images: list[str]) -> str:
    """Text with its wiki links as the page shows them; embedded pictures go to `images`."""

    def shown(m: re.Match) -> str:
        embed, target, words = m.groups()
        if embed:
            if _PICTURE.search(target.split("#")[0].strip()):
                # ![[photo.png|300]] and |640x480 give its size, anything else its alt text
                alt = (words or "").strip()
                images.append("" if re.fullmatch(r"\d+(?:x\d+)?", alt) else alt)
            return ""
        if words is not None:
            return words
        page, _, part = target.partition("#")
        return page.rsplit("/", 1)[-1].removesuffix(".md").strip() or part.lstrip("^").strip()

    return _WIKILINK.sub(shown, text) if "[[" in text else text


# Pandoc's (and Quarto's, R Markdown's) citations: [@smith2020], [see @lee; -@kim, p. 4]. The
# page shows "(Smith 2020)"; a key read out ("at smith2020") is noise, and the parenthesis an
# aside, so a bracketed citation is left out as a footnote marker is. A narrative citation is
# part of the sentence, "@smith2020 shows": see _citations.
_CITATION = re.compile(r"[ \t]*\[(?:[^\[\]@]*[\s;])?-?@[\w][\w:.#$%&+?<>~/-]*[^\[\]]*\]")


def _text_urls(text: str, options: ScriptOptions) -> str:
    """Bare URLs in text, each a site mention (normalize owns the URL pattern)."""
    return replace_urls(text, say=lambda url: _mention(url, options))


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _join_sites(text: str) -> tuple[str, list[str]]:
    """Runs of site mentions said once each ("GitHub and the Python docs"); and the sites."""
    sites = _SITE.findall(text)

    def run(m):
        names = list(dict.fromkeys(_SITE.findall(m.group())))
        return _and(names)

    return _SITE_RUN.sub(run, text), sites


# Attribute names that are also TLDs: `logger.info`, `req.app` in code are no sites.
_ATTRIBUTE_TLDS = ("info", "app", "page", "site", "me", "blog")


def _code_domain(word: str) -> str | None:
    """A code word that begins with a domain, the domain said as the site's bare name (its
    subdomains kept: `site_name(in_name=True)`) and the rest read as code: `jwt.io` -> 'jwt',
    `api.example.io/v1` -> 'api example slash v1'; None for any other word."""
    if "(" in word:  # a call: `console.info()`
        return None
    found = leading_domain(word)
    if not found:
        return None
    host, rest = found
    if host.count(".") == 1 and host.rpartition(".")[2].lower() in _ATTRIBUTE_TLDS and not rest:
        return None
    return site_name(host, in_name=True) + (" " + _code_words(rest) if rest.strip("/") else "")


# Formatting tags that HTML-to-Markdown exports leave inside a code span (`<tt>verify</tt>`): the
# tags are markup, the words between them are the code.
_FORMAT_IN_CODE = re.compile(r"<(tt|b|i|u|em|strong|code|kbd|samp|var|span|font)\b[^>]*>(.*?)</\1>")


# Code that is only symbols (`?.`, `||`, `[[`) is said by their names: dropped, or read as
# punctuation, it left "the?? operator" and "unlike, where a b gives b". A run of one symbol is
# "double" or "triple" it; a few pairs have names of their own.
_SYMBOL_NAMES = {
    "?": "question mark",
    ".": "dot",
    "|": "pipe",
    "&": "ampersand",
    "!": "exclamation mark",
    "=": "equals",
    "<": "less than",
    ">": "greater than",
    "+": "plus",
    "-": "dash",
    "*": "star",
    "/": "slash",
    "\\": "backslash",
    "~": "tilde",
    "^": "caret",
    "%": "percent",
    "#": "hash",
    "@": "at",
    "$": "dollar",
    ":": "colon",
    ";": "semicolon",
    ",": "comma",
    "_": "underscore",
    "'": "quote",
    '"': "double quote",
    "(": "open parenthesis",
    ")": "close parenthesis",
    "[": "open bracket",
    "]": "close bracket",
    "{": "open brace",
    "}": "close brace",
}
_SYMBOL_PAIRS = {
    "->": "arrow",
    "=>": "arrow",
    "!=": "not equal to",
    "<=": "less than or equal to",
    ">=": "greater than or equal to",
    '""': "empty string",
    "''": "empty string",
    "()": "parentheses",
    "[]": "square brackets",
    "{}": "braces",
    "<>": "angle brackets",
    "--": "dash dash",
    "..": "dot dot",
    "...": "dot dot dot",
}
_SYMBOL_RUN = re.compile(r"(.)\1*")
# single symbols between code's words that the normalizer reads as it does in prose
_READ_BETWEEN_WORDS = frozenset("<>-+=*&/%#@~")


def _symbol_words(word: str, alone: bool) -> str | None:
    """The names of a code word made only of symbols ('?.' -> 'question mark dot'); None for a
    word with a letter or digit, or a symbol without a name. Brackets are named only when the
    code is nothing but symbols (`alone`): in `[[ -f $f ]]` they only group the words."""
    if re.search(r"[^\W_]", word) or not all(c in _SYMBOL_NAMES for c in word):
        return None
    if not alone and re.search(r"[][(){}$]", word):
        return None  # grouping, or a shell's prompt (`$ make`) or variable's sign
    if not alone and word in _READ_BETWEEN_WORDS:
        return None  # the prose rules read these: `Code > Convert` is "Code, then Convert"
    if word in _SYMBOL_PAIRS:
        return _SYMBOL_PAIRS[word]
    said = []
    for run in _SYMBOL_RUN.finditer(word):
        name, count = _SYMBOL_NAMES[run.group(1)], len(run.group())
        said.append({1: name, 2: f"double {name}", 3: f"triple {name}"}.get(count, name))
    return " ".join(said)


_TEMPLATE_TAG = re.compile(r"\{\{-?(.*?\w.*?)-?\}\}|\{%-?(.*?\w.*?)-?%\}")


# A place in a file as compilers, linters and stack traces print it: `src/main.rs:80:20` is
# "src slash main dot RS, line 80, column 20" (it was "main dot RS:80:20")
_FILE_LOCATION = re.compile(r"(.*\w\.(\w+)):(\d+)(?::(\d+))?:?")
# a URL of another scheme than the web's, `chrome://tracing`, `s3://bucket/`, `grpc+tcp://`: the
# scheme's name, then the rest as code ("chrome tracing"; it was "chrome:/ tracing")
_SCHEME = re.compile(r"[\"']?([a-z][a-z0-9+.-]*)://", re.I)
# a host and its port, `localhost:8080` or `db.example.com:5432`, said as in prose ("localhost
# port 8080"; it was "localhost:8080", and "example :443")
_HOST_PORT = re.compile(
    r"((?:localhost|\d{1,3}(?:\.\d{1,3}){3}|[\w-]+(?:\.[\w-]+)+):\d{1,5})(/\S*)?"
)


def _code_words(code: str, say_url=None) -> str:
    """Inline code read as words: `os.path.join()` -> 'os dot path dot join'. A URL in it is
    `say_url(url)` (default: the site's name; the walk passes its mention, as in prose), a path
    is read as in prose (`say_paths`: `~/.cache` is 'tilde slash dot cache'), and a word that
    begins with a domain is said with the site's bare name (`_code_domain`)."""
    while (unwrapped := _FORMAT_IN_CODE.sub(r"\2", code)) != code:
        code = unwrapped
    # a template's delimiters, `{{ page.title }}` or `{% include note.html %}`: the words inside
    # are the code; "double left brace" and "percent" around them are noise
    code = _TEMPLATE_TAG.sub(lambda m: f" {m.group(1) or m.group(2)} ", code)
    words = []
    alone = not re.search(r"[^\W_]", code)  # only symbols: `?.`, `[[ ]]`
    if not alone:
        code = re.sub(r"^\s*[$%>#](?=\s)", "", code)  # a shell's prompt: `$ make`, `# reboot`
    for w in code.split():
        if URL.match(w):
            words.append(replace_urls(w, say=say_url))
            continue
        if scheme := _SCHEME.match(w):
            rest = w[scheme.end() :].rstrip("/\"',")
            said = scheme.group(1).replace("+", " plus ")
            words.append(said + (" " + _code_words(rest, say_url) if rest else ""))
            continue
        if (at := _FILE_LOCATION.fullmatch(w)) and at.group(2).lower() in FILE_EXTENSIONS:
            column = f", column {at.group(4)}" if at.group(4) else ""
            words.append(f"{_code_words(at.group(1), say_url)}, line {at.group(3)}{column}")
            continue
        host = _HOST_PORT.fullmatch(w)
        if host and (said := normalize(host.group(1))) != host.group(1):
            path = (host.group(2) or "").rstrip("/")
            words.append(said + (" " + _code_words(path, say_url) if path else ""))
            continue
        if (path := say_paths(w)) != w:
            words.append(path)  # as in prose: `~/.cache` is "tilde slash dot cache"
            continue
        if (site := _code_domain(w)) is not None:
            words.append(site)
            continue
        if w == "/>" and not alone:
            continue  # the end of a tag: `<input type="text" />`
        if (symbols := _symbol_words(w, alone)) is not None:
            words.append(symbols)
            continue
        w = re.sub(r"(?<=\w)@(?=v?\d)", " at ", w)  # a package's version: `npm@11.7.0`
        w = re.sub(r"[()]", " ", w.replace("()", ""))  # f(x) -> "f x", f() -> "f"
        w = re.sub(r"^--(?=\w)", "dash dash ", w)
        w = re.sub(r"^-(?=[A-Za-z])", "dash ", w)
        w = re.sub(r"(?<=\w)\.(?=[A-Za-z_])", " dot ", w)
        # a dot between digits is a version's or a number's: `v3.1.2` is read as in prose
        w = re.sub(r"::|(?<!\d)\.|\.(?!\d)|/#?(?=\w)", " ", w)
        words.append(w)
    return " ".join(words)


@dataclass
class Inline:
    """The words of an inline token's children; its images' captions kept apart."""

    text: str = ""
    images: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)

    @property
    def only_links(self) -> bool:
        """Nothing but links said as their sites (a bare URL, a list of them)."""
        return bool(self.sites) and not re.search(r"\w", _SITE.sub("", self._raw))

    _raw: str = ""


def _inline(tokens, options: ScriptOptions) -> Inline:
    out, images = [], []
    link_text: list[str] | None = None  # the words of the link being read
    link_raw: list[str] = []  # ...and its text as written (code spans unconverted)
    href = ""
    hidden = 0
    for t in tokens:
        if t.type == "html_inline" and (m := _HIDDEN_INLINE.match(t.content)):
            hidden = max(0, hidden + (-1 if m.group(1) else 1))
            continue
        if t.type in ("s_open", "s_close"):  # struck out: the author took it back
            hidden = max(0, hidden + (1 if t.type == "s_open" else -1))
            continue
        if hidden:
            continue
        target = out if link_text is None else link_text
        if link_text is not None and t.type in ("text", "code_inline"):
            link_raw.append(t.content)
        if t.type == "text":
            text = _CITATION.sub("", _wikilinks(t.content, images))
            target.append(text if link_text is not None else _text_urls(text, options))
        elif t.type == "link_open":
            href, link_text, link_raw = str(t.attrs.get("href", "")), [], []
        elif t.type == "link_close" and link_text is not None:
            out.append(_link_words("".join(link_text), "".join(link_raw), href, t, options))
            link_text = None
        elif t.type in ("softbreak", "hardbreak"):
            target.append(" ")
        elif t.type == "code_inline":
            target.append(_code_words(t.content, lambda url: _mention(url, options)))
        elif t.type == "math_inline":
            target.append(_math_words(t.content))
        elif t.type == "image":
            alt = _inline(t.children or [], options).text or t.content
            images.append(alt.strip())
        elif t.type == "html_inline":
            m = re.match(r"<img\b[^>]*\balt\s*=\s*(\"[^\"]*\"|'[^']*')", t.content, re.I)
            if m:
                images.append(m.group(1)[1:-1].strip())
            elif re.match(r"</?(br|p|div|li)\b", t.content, re.I):
                target.append(" ")
        # em, strong, footnote_ref: the markers go, nothing is said
    raw = "".join(out)
    text, sites = _join_sites(raw)
    return Inline(text, images, sites, raw)


def _link_words(text: str, raw: str, href: str, token, options: ScriptOptions) -> str:
    """A link's words (`text`); a link whose text as written (`raw`, code spans as written:
    [`example.org`](https://example.org)) is its URL or host, as the site's name."""
    if href.startswith("mailto:"):
        return text  # normalize reads an address as "me at example dot org"
    shown = raw.strip()
    host = url_domain(href) if "://" in href else ""
    said_host = shown.lower().removeprefix("www.")  # [example.org](https://www.example.org)
    if (
        token.markup == "autolink"
        or not shown
        or _URL_LIKE.fullmatch(shown)
        or shown == href
        or (host and (said_host == host or said_host.startswith(host + "/")))
    ):
        return _mention(href if "://" in href or href.startswith("www.") else shown, options)
    return text


def _sentence(text: str) -> str:
    """End a list item with a period when it has no final punctuation; an item that ends with
    a comma ("stuck in cold weather,", in a list that reads as one sentence) ends there."""
    if text.endswith(","):
        return text[:-1] + "."
    if text and text[-1] not in ".!?:;…\"')":
        return text + "."
    if text and text[-1] in "\"')" and len(text) > 1 and text[-2] not in ".!?…":
        return text + "."
    return text


# A sentence that announces what follows it: "Here is the list of cameras:", "...as follows.",
# "It looks like this.", "See the table below."
_LEAD_IN = re.compile(
    r"(?::|\b(?:as follows|the following|like this|like so|below|shown here|here it is|"
    r"looks like|this way))[\s.!)\"']*$",
    re.I,
)


# -- the walk -----------------------------------------------------------------------------------


class Walk:
    """One pass over the token stream: the items found so far and where the walk stands."""

    def __init__(self, options: ScriptOptions, numbers: list[int]):
        self.options = options
        self.numbers = numbers
        self.items: list[Item] = []
        self.footnotes: list[tuple[list[str], int]] = []
        self.containers: list[str] = []  # "blockquote" / "list_item" / "footnote", innermost last
        self.pause = False
        self.skipped_blocks: list[str] = []  # kinds of the blocks not read, in order
        self.unfenced_code: list[int] = []  # lines of paragraphs that are code (_unfenced_code)

    def line(self, token) -> int:
        if token.map:
            return self.numbers[min(token.map[0], len(self.numbers) - 1)]
        return self.items[-1].line if self.items else 1

    @property
    def prose_kind(self) -> str:
        if "list_item" in self.containers:
            return "list_item"
        return "quote" if "blockquote" in self.containers else "paragraph"

    def say(self, kind: str, text: str, line: int, level=None, sites=()) -> None:
        """The author's words (or an added line), in reading order."""
        text = text.strip()
        if not text:
            return
        if "footnote" in self.containers:
            self.footnotes[-1][0].append(text)
            return
        self.items.append(Item(kind, text, line, level, self.pause, tuple(sites)))
        self.pause = False

    def added(self, text: str, line: int) -> None:
        """The one way the narration adds a line to what the author wrote."""
        if "footnote" not in self.containers:
            self.say("added", text, line)

    def skipped(self, block: str, line: int) -> None:
        """A block that is not read: its note (code_blocks="note"), else the cue it needs."""
        self.skipped_blocks.append(block)
        last = self.items[-1] if self.items else None
        note = self.options.note(block)
        if note:
            # One note per block; a run of blocks with nothing between them gets one note.
            if not (last and last.kind == "added" and last.text == note and not self.pause):
                self.added(note, line)
            return
        cue = self.options.cue(block)
        lead_in = last and last.kind in AUTHOR_KINDS and _LEAD_IN.search(last.text)
        if cue and lead_in and not self.pause:
            self.added(cue, line)

    def figure(self, caption: str, line: int) -> None:
        if self.options.image_alt and caption.strip():
            self.say("figure", "Figure: " + _sentence(caption.strip()), line)
        else:
            self.skipped("image", line)

    def links(self, sites: list[str], line: int) -> None:
        """A paragraph or list item that is only links: one line for a whole run of them."""
        last = self.items[-1] if self.items else None
        if last and last.sites and not self.pause and "footnote" not in self.containers:
            sites = list(last.sites) + sites
            self.items.pop()
        names = list(dict.fromkeys(sites))
        what = "Links to " if len(sites) > 1 else "A link to "
        if "footnote" in self.containers:
            self.say(self.prose_kind, _and(names), line)
        else:
            self.say("added", what + _and(names) + ".", line, sites=sites)


def _open_container(walk: Walk, tokens, i: int) -> int:
    t = tokens[i]
    walk.containers.append(t.type.removesuffix("_open"))
    if t.type == "footnote_open":
        walk.footnotes.append(([], walk.line(t)))
    return i + 1


def _close_container(walk: Walk, tokens, i: int) -> int:
    walk.containers.pop()
    return i + 1


# A paragraph that is code: a post whose code lost its fence (a WordPress export writes a
# listing as paragraphs: "const addItem = (key, value = '') => {};") had it read as prose. Code
# shows several of these outside its code spans, and many symbols a word; prose that talks about
# code keeps it in code spans. On the 1,214 posts of bench/blogs.toml they took 12 paragraphs,
# all of the one post whose listings had lost their fences; on 694 pages of six projects'
# documentation, 278 listings that Eleventy's docs capture with {% set %}, and no prose.
_CODE_SIGNS = (
    re.compile(r"=>"),
    re.compile(r"\)\s*\{|\{\s*\}|\}\s*;|\)\s*;"),
    re.compile(r"(?:^|[;{}]\s*)(?:const|let|var)\s+[\\\w{}\[\], ]{1,80}?\s*="),  # \[a, b\] too
    re.compile(r"\bfunction\s*\w*\s*\("),
    re.compile(r"\bimport\s+[\w{}, *]+\s+from\s+['\"]"),
    re.compile(r"\breturn\s*[(\w]"),
    re.compile(r"[;{]\s*$", re.M),
    re.compile(r"\b\w+\.\w+\([^()]*\)"),
    re.compile(r"\b(?:if|for|while)\s*\([^\n]{0,200}?\)\s*\{"),
)
CODE_SIGNS_NEEDED = 3
CODE_SYMBOLS_A_WORD = 0.3  # of {}();=<>


def _unfenced_code(source: str) -> bool:
    """Whether a paragraph's Markdown source is code written without a fence."""
    outside = " ".join(source.split("`")[::2])  # not its code spans
    if sum(1 for sign in _CODE_SIGNS if sign.search(outside)) < CODE_SIGNS_NEEDED:
        return False
    words = len(re.findall(r"[A-Za-z]{2,}", outside)) or 1
    return len(re.findall(r"[{}();=<>]", outside)) / words >= CODE_SYMBOLS_A_WORD


def _text_block(walk: Walk, tokens, i: int) -> int:
    """A heading or paragraph: its words, then its images; a paragraph that is code is a code
    block that lost its fence."""
    t, line = tokens[i], walk.line(tokens[i])
    if t.type == "paragraph_open" and _unfenced_code(tokens[i + 1].content):
        walk.unfenced_code.append(line)
        walk.skipped("code", line)
        return i + 3
    words = _inline(tokens[i + 1].children or [], walk.options)
    if t.type == "heading_open":
        walk.say("heading", words.text, line, level=int(t.tag[1]))
    elif words.only_links:
        walk.links(words.sites, line)
    else:
        walk.say(walk.prose_kind, words.text, line)
    for caption in words.images:
        walk.figure(caption, line)
    return i + 3


# An indented "code block" that opens with an HTML block tag or a heading and holds a line of
# plain sentences is prose whose indentation went wrong (WordPress imports indent whole sections
# under a list): it is read as Markdown. Real code listings have no 8-word line without ;{}=.
# Right after a list, one that opens with a list item or a code fence is too: Python-Markdown
# (MkDocs' parser) nests an item's blocks 4 spaces in, where CommonMark wants the item's text
# column, and a post's nested list was read as code (a YAML listing after a list would have to
# hold a sentence of 8 words without a colon to be taken for prose).
_MISINDENTED = re.compile(r"(?:<(?:div|p|pre|table|figure|img|a)\b|#{1,6}\s+\w)", re.I)
_MISINDENTED_UNDER_LIST = re.compile(r"(?:[-*+]|\d+[.)])\s+\S|`{3,}|~{3,}")


def _has_sentence_line(code: str, symbols: str = ";{}=<>") -> bool:
    """A line of 8+ words that start with a letter, and none of the characters of code
    (`symbols`). An HTML entity is its character (`&#8220;sees&#8221;` is a quoted word, not
    code's semicolons)."""
    return any(
        not any(c in line for c in symbols)
        and sum(1 for w in line.split() if re.match(r"[*(\"'`\u201c\u2018]?[A-Za-z]", w)) >= 8
        for line in html.unescape(code).split("\n")
    )


def _code(walk: Walk, tokens, i: int) -> int:
    t = tokens[i]
    after_list = i and tokens[i - 1].type in ("bullet_list_close", "ordered_list_close")
    if t.type == "code_block" and (
        (_MISINDENTED.match(t.content) and _has_sentence_line(t.content))
        or (
            after_list
            and _MISINDENTED_UNDER_LIST.match(t.content)
            and _has_sentence_line(t.content, ";{}=<>:")
        )
    ):
        first = t.map[0] if t.map else 0
        inner = _MD.parse("\n" * first + t.content)
        j = 0
        while j < len(inner):
            handler = _HANDLERS.get(inner[j].type)
            j = handler(walk, inner, j) if handler else j + 1
        return i + 1
    walk.skipped("code", walk.line(t))
    return i + 1


def _math(walk: Walk, tokens, i: int) -> int:
    walk.skipped("math", walk.line(tokens[i]))
    return i + 1


def _table(walk: Walk, tokens, i: int) -> int:
    walk.skipped("table", walk.line(tokens[i]))
    while tokens[i].type != "table_close":
        i += 1
    return i + 1


def _rule(walk: Walk, tokens, i: int) -> int:
    walk.pause = True
    return i + 1


def _html(walk: Walk, tokens, i: int) -> int:
    line = walk.line(tokens[i])
    for event in _html_events(tokens[i].content, walk.options.footnotes == "end"):
        if event[0] == "text":  # Pandoc reads Markdown in HTML blocks: citations too
            text = _CITATION.sub("", event[1])
            text = _join_sites(_text_urls(text, walk.options))[0]
            kind = event[2] if event[2] != "quote" or walk.prose_kind == "paragraph" else None
            walk.say(kind or walk.prose_kind, text, line, level=event[3])
        elif event[1] == "image":
            walk.figure(event[2], line)
        else:
            walk.skipped(event[1], line)
    return i + 1


_HANDLERS = {
    "blockquote_open": _open_container,
    "list_item_open": _open_container,
    "footnote_open": _open_container,
    "blockquote_close": _close_container,
    "list_item_close": _close_container,
    "footnote_close": _close_container,
    "heading_open": _text_block,
    "paragraph_open": _text_block,
    "fence": _code,
    "code_block": _code,
    "math_block": _math,
    "math_block_label": _math,
    "table_open": _table,
    "hr": _rule,
    "html_block": _html,
}


def _walk(markdown: str, numbers: list[int], options: ScriptOptions) -> Walk:
    walk = Walk(options, numbers)
    tokens = _MD.parse(markdown)
    i = 0
    while i < len(tokens):
        handler = _HANDLERS.get(tokens[i].type)
        i = handler(walk, tokens, i) if handler else i + 1
    for item in walk.items:  # the site mentions of a line in prose were joined already
        item.text = _SITE.sub(lambda m: m.group(1), item.text)
    return walk


# -- plain text ---------------------------------------------------------------------------------

# A line longer than this is a whole paragraph (the text is not hard-wrapped); shorter lines of a
# block are one paragraph wrapped over several lines.
UNWRAPPED_LINE = 100


def _plain_text(body: str, options: ScriptOptions) -> list[Item]:
    items, start = [], 1
    for block in re.split(r"\n[ \t]*\n", body):
        lines = block.split("\n")
        first = start + next((n for n, s in enumerate(lines) if s.strip()), 0)
        start += block.count("\n") + 2
        if not block.strip():
            continue
        if any(len(s) > UNWRAPPED_LINE for s in lines):
            for n, s in enumerate(lines):
                items.append(Item("paragraph", _text_urls(s, options), first + n))
        else:
            items.append(Item("paragraph", _text_urls(" ".join(lines), options), first))
    for item in items:
        item.text = _join_sites(item.text)[0]
    return [i for i in items if i.text.strip()]


def _plain_title(items: list[Item]) -> str | None:
    """A first line that stands alone, short and without final punctuation, is the title."""
    first = items[0].text.strip() if items else ""
    if first and len(first) <= 80 and first[-1] not in ".!?:;," and "\n" not in first:
        return first
    return None


# -- the post -----------------------------------------------------------------------------------


# Directives that put another file's text into the page (AsciiDoc's and Org's include, Sphinx's,
# Jekyll's include_relative, Hugo's readfile): that text is not in the post and is not heard, so
# the author is told where (an include of a theme's snippet, {% include note.html %}, is no text)
_INCLUDE = {
    ".adoc": re.compile(r"^include::([^\[\s]+)\["),
    ".asciidoc": re.compile(r"^include::([^\[\s]+)\["),
    ".org": re.compile(r"^\s*#\+include:\s*(\S+)", re.I),
    ".rst": re.compile(r"^\s*\.\.\s+include::\s*(\S+)"),
}
_MARKDOWN_INCLUDE = re.compile(
    r"\{%-?\s*include_relative\s+([^\s%]+)|\{\{[<%]\s*readfile\s+(?:file=)?\"?([^\"\s>%]+)"
)


def _warn_includes(data: bytes, text: str, path, suffix: str) -> None:
    """A warning naming each line that includes another file's text."""
    if suffix in _INCLUDE:
        lines = enumerate(frontmatter.decode(data, path).split("\n"))
        found = [(i, m.group(1)) for i, line in lines if (m := _INCLUDE[suffix].match(line))]
    elif "include_relative" in text or "readfile" in text:
        found = [
            (i, m.group(1) or m.group(2))
            for _, i, line in _lines_outside_fences(text)
            for m in _MARKDOWN_INCLUDE.finditer(line)
        ]
    else:
        return
    for i, name in found:
        name = name.strip("\"'")
        log.warning(
            "%s:%d: the text of %s is included here when the site is built, and is not read; "
            "write it into the post to have it said",
            path,
            i + 1,
            name,
        )


def parse_post(
    data: bytes,
    path: str,
    lang: str = "en",
    options: ScriptOptions | None = None,
    keep: frozenset = frozenset(),
    author: str | None = None,
    references: dict | None = None,
) -> Post:
    """Parse one post (Markdown, MDX or plain text, by its suffix) into its narration script.

    `keep` holds the user lexicon's words: the normalizer leaves them as written ("500px") so the
    phonemes stage finds them. `author` names the writer in the intro when the front matter has
    no `author`. `references` is the bibliography its front matter names (citations.load); the
    references its front matter holds (`references:`) are read here."""
    options = options or ScriptOptions.from_config()
    options.check()
    front, text = frontmatter.read(data, path)
    for warning in front.warnings:
        log.warning("%s", warning)
    if not text.strip():
        raise PostError(f"{path}:1: the post is empty; write the post, or remove the file")
    fm_lines, skip, post_lang = front.body_start, front.skip, front.lang
    _warn_includes(data, text, path, Path(path).suffix.lower())
    lines = text.split("\n")
    body = "\n" * fm_lines + "\n".join(lines[fm_lines:])  # keep file line numbers
    if not body.strip():
        if skip:
            return Post(Path(path).stem, None, post_lang, skip, [])
        raise PostError(
            f"{path}:{fm_lines + 1}: the post has front matter but no text after line {fm_lines}; "
            "write the post, or set 'skip: true' in its front matter"
        )

    suffix = Path(path).suffix.lower()
    title = front.title
    if suffix == ".txt":
        items = _plain_text(body, options)
        title = title or _plain_title(items)
        if title and items and _same(items[0].text, title):
            items.pop(0)
        footnotes, skipped_blocks = [], []
    elif suffix == ".rst":
        from .rst import walk as rst_walk

        walk, found_title = rst_walk(body, options)
        items, footnotes, skipped_blocks = walk.items, walk.footnotes, walk.skipped_blocks
        title = title or found_title
    else:
        references = {**(references or {}), **csl(front.values.get("references"))}
        markdown, numbers, found_title = _prepare(body, path, suffix, references)
        walk = _walk(markdown, numbers, options)
        items, footnotes, skipped_blocks = walk.items, walk.footnotes, walk.skipped_blocks
        title = title or found_title
        if walk.unfenced_code:
            log.warning(
                "%s: line%s %s read as code outside a code block and %s not read; put the code "
                "in a fenced block (```) to have the page show it as code too",
                path,
                "s" if len(walk.unfenced_code) > 1 else "",
                ", ".join(map(str, walk.unfenced_code)),
                "are" if len(walk.unfenced_code) > 1 else "is",
            )
    title = _title(items, title, options)
    only_blocks = title and skipped_blocks and all(i.kind in ("title", "added") for i in items)
    if only_blocks:
        only_blocks = _only_blocks(items, front, skipped_blocks[0], options, path)

    if options.footnotes == "end":
        for n, (parts, line) in enumerate((f for f in footnotes if f[0]), 1):
            items.append(Item("paragraph", f"Footnote {n}. " + " ".join(parts), line, None, n == 1))
    if items:
        _frame(items, options, {"title": title, "author": front.author or author}, path)

    if not post_lang:
        _check_language(items, lang, path)
    # the file's own lines: a front end's inserted line breaks (BREAK) joined back
    source_lines = body.replace(BREAK, " ").split("\n")
    paragraphs = _speak(items, source_lines, path, post_lang or lang, keep)
    if not skip and not only_blocks and all(p.kind in ("title", "added") for p in paragraphs):
        raise PostError(
            f"{path}:{fm_lines + 1}: nothing to read aloud in lines {fm_lines + 1}-"
            f"{len(lines)} (only code, tables, math, HTML, Liquid or a title); "
            "add some prose, or set 'skip: true' in the front matter"
        )
    return Post(Path(path).stem, title, post_lang, skip, paragraphs)


def _frame(items: list[Item], options: ScriptOptions, fields: dict, path) -> None:
    """The intro first and the outro last, as lines the narration adds (kind "added"), the outro
    after a longer pause. A line that names a field the post lacks (no title, no author) is left
    out, with a warning that says where to give it."""
    for template, first in ((options.intro, True), (options.outro, False)):
        if not template:
            continue
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        missing = [name for name in names if not fields.get(name)]
        if missing:
            log.warning(
                "%s: the line %r is not said: the post has no %s (set it in the front matter%s)",
                path,
                template,
                " and no ".join(missing),
                ", or the config's author" if "author" in missing else "",
            )
            continue
        text = template.format_map({name: fields[name] for name in names})
        if first:
            items.insert(0, Item("added", text, items[0].line))
        else:
            items.append(Item("added", text, items[-1].line, None, pause_before=True))


def _only_blocks(items: list[Item], front, block: str, options: ScriptOptions, path) -> bool:
    """A post that is only a video, a table or code (and a title): its description, if the front
    matter has one, and the line that says where the rest is."""
    line = options.cue(block) or options.note(block)
    if not line:
        return False
    log.warning("%s: the post has no prose, only a title and %s; said: %r", path, block, line)
    if front.description:
        items.append(Item("paragraph", front.description, front.line("description")))
    if not any(i.kind == "added" for i in items):
        items.append(Item("added", line, items[-1].line))
    return True


def _title(items: list[Item], title: str | None, options: ScriptOptions) -> str | None:
    """Front matter (or Pelican/MDX) title first; else a leading H1. Never read twice."""
    if title is not None:
        words = _inline(_MD.parseInline(title)[0].children or [], options).text
        first = items[0] if items else None
        if first and first.kind == "heading" and first.level == 1 and _same(first.text, words):
            items.pop(0)
        items.insert(0, Item("title", words, 1))
        return words.strip()
    if items and items[0].kind == "heading" and items[0].level == 1:
        items[0].kind, items[0].level = "title", None
        return items[0].text
    return None


def _speak(
    items: list[Item], source_lines: list[str], path, lang: str, keep: frozenset = frozenset()
) -> list[Paragraph]:
    """Normalize each item into the words to speak; number the paragraphs that have words."""
    paragraphs = []
    carry = False  # the pause of a paragraph that turned out to have no words
    for item in items:
        _check_long_words(item.text, item.line, source_lines, path)
        said = normalize(item.text, lang, keep=keep)
        if item.kind == "list_item":
            said = _sentence(said)
        if not re.search(r"\w", said):
            carry = carry or item.pause_before
            continue
        pid = f"p{len(paragraphs) + 1:04d}"
        paragraphs.append(Paragraph(pid, item.kind, said, item.level, item.pause_before or carry))
        carry = False
    return paragraphs


# Words common in one language's running text and rare in the others': a post that names no
# language and is written in another than the build's is read with the wrong G2P, every word a
# guess. Enough of these words, most from one language, say which it is written in.
_COMMON_WORDS = {
    "en": "the and of to is that it for with this are was you have but not be they which",
    "fr": "le les des et est une qui pour dans pas sur avec je du ne sont mais cette ces nous",
    "es": "el los las y una es por con para del al pero más como este esta está son muy",
    "it": "il gli di che è per non della nel sono ma anche questo questa delle alla",
    "pt": "os um uma é não com do da em na mas também isso pelo pela são ao",
}
_COMMON_WORD_LANGS = {w: lang for lang, words in _COMMON_WORDS.items() for w in words.split()}
LANGUAGE_EVIDENCE = 40  # common words seen before a post's language is judged
LANGUAGE_SHARE = 0.6  # the share of them one language must have


def _check_language(items: list[Item], lang: str, path) -> None:
    """Warn when a post that names no language reads as another one than it will be spoken in."""
    counts: dict[str, int] = {}
    for item in items:
        if item.kind in AUTHOR_KINDS:
            for word in re.findall(r"\w+", item.text.lower()):
                if word in _COMMON_WORD_LANGS:
                    counts[_COMMON_WORD_LANGS[word]] = counts.get(_COMMON_WORD_LANGS[word], 0) + 1
    total = sum(counts.values())
    if total < LANGUAGE_EVIDENCE:
        return
    found, hits = max(counts.items(), key=lambda kv: kv[1])
    spoken = lang.replace("_", "-").split("-")[0].lower()
    if found != spoken and hits >= LANGUAGE_SHARE * total:
        log.warning(
            "%s: the post reads as %s (%d of %d common words), but names no language and will be "
            "spoken as %s; set 'lang: %s' in its front matter (and voices that speak it), or "
            "'lang: %s' to keep it",
            path,
            _LANGUAGE_NAMES[found],
            hits,
            total,
            _LANGUAGE_NAMES.get(spoken, spoken),
            found,
            spoken,
        )


_LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
}


def _check_long_words(raw: str, line: int, source_lines: list[str], path):
    for word in raw.split():
        if len(word) > LONGEST_WORD:
            head = word[:40]
            found = next(
                (i + 1 for i in range(line - 1, len(source_lines)) if head in source_lines[i]),
                line,
            )
            raise PostError(
                f"{path}:{found}: a {len(word)}-character word with no spaces "
                f"({head[:20]}...) cannot be read aloud; remove it, break it up, "
                "or put it in a code block"
            )


# an emoji or icon shortcode (:rocket:, :octicons-heart-16:), which is not read
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])")


def _same(a: str, b: str) -> bool:
    """The same words, as heard: "# Adding a :simple-mkdocs: badge" repeats its title."""

    def key(s):
        return re.sub(r"\W+", " ", _SHORTCODE.sub(" ", s)).strip().casefold()

    return key(a) == key(b)


def first_paragraph(data: bytes, path: str, options: ScriptOptions | None = None) -> str | None:
    """The post's first paragraph of prose as written (markup gone, numbers not spelled out), for
    a feed or a player to show when the front matter has no description; None if it has none."""
    options = options or ScriptOptions.from_config()
    front, text = frontmatter.read(data, path)
    body = "\n" * front.body_start + "\n".join(text.split("\n")[front.body_start :])
    if Path(path).suffix.lower() == ".txt":
        items = _plain_text(body, options)
        title = front.title or _plain_title(items)
        if title and items and _same(items[0].text, title):
            items = items[1:]  # the title line, as parse_post reads it
    elif Path(path).suffix.lower() == ".rst":
        from .rst import walk as rst_walk

        items = rst_walk(body, options)[0].items
    else:
        markdown, numbers, _ = _prepare(body, path, Path(path).suffix.lower())
        items = _walk(markdown, numbers, options).items
    found = next((i for i in items if i.kind == "paragraph"), None)
    found = found or next((i for i in items if i.kind in AUTHOR_KINDS), None)
    return " ".join(found.text.split()) if found else None


# -- JSON Lines ---------------------------------------------------------------------------------

FIELDS = ("id", "kind", "text", "level", "pause_before")


def write_script(paragraphs: list[Paragraph], path) -> None:
    """One JSON object per line, keys in FIELDS order, in reading order; same input, same bytes."""
    lines = []
    for p in paragraphs:
        obj = {k: getattr(p, k) for k in FIELDS}
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    files.write_text(path, "".join(lines))  # a half-written script never looks finished


def read_script(path) -> list[Paragraph]:
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                p = Paragraph(**{k: obj[k] for k in FIELDS})
            except (ValueError, KeyError, TypeError) as e:
                raise PostError(
                    f"{path}:{n}: not a script line ({e}); rebuild it from the post"
                ) from None
            if p.kind not in KINDS:
                raise PostError(f"{path}:{n}: unknown kind {p.kind!r}; rebuild it from the post")
            out.append(p)
    return out
