"""Markdown post -> ordered list of speakable paragraphs (the narration script).

The post is parsed with markdown-it-py (CommonMark, plus tables, strikethrough, footnotes, dollar
math and task lists), never with regular expressions; only Liquid/Jekyll tags, which are not
Markdown, are removed before parsing. Every paragraph's text is passed through
normalize.normalize, so what is written is exactly what is to be spoken.

Kinds:
    title      the post title (front matter `title:`, else a leading H1); read once, first.
    heading    a heading; `level` is 1-6. Longer pause, and a chapter mark.
    paragraph  prose. Read-at-the-end footnotes and image alt text are paragraphs too.
    list_item  one list item (any depth), ended with a period when it has no final punctuation.
    quote      prose inside a block quote.
    code_note  stands for a code block, table or display math (ScriptOptions.code_blocks="note").

A horizontal rule is not a paragraph (every paragraph has words): it sets `pause_before` on the
paragraph after it. The first footnote read at the end also gets `pause_before`.

Not read: front matter other than the title, HTML tags and comments, Liquid tags, link URLs,
images (unless image_alt), footnote markers, emoji, and code/tables/math unless noted.
"""

import html.parser
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from kokoro_narrate import frontmatter
from kokoro_narrate.frontmatter import PostError
from kokoro_narrate.normalize import normalize, url_domain

KINDS = ("title", "heading", "paragraph", "list_item", "quote", "code_note")
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
    code_blocks: str = "skip"  # "skip" | "note"
    code_note: str = "A code sample follows in the post."
    table_note: str = "A table follows in the post."
    math_note: str = "An equation follows in the post."
    urls: str = "domain"  # "domain" | "drop"
    footnotes: str = "drop"  # "drop" | "end"
    image_alt: bool = False


@dataclass
class Post:
    post_id: str
    title: str | None
    lang: str | None  # the front matter's language code, if it gives one
    skip: bool = False
    paragraphs: list[Paragraph] = field(default_factory=list)


# -- Markdown -----------------------------------------------------------------------------------


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin)
    # No math on "$5 and $3.50": a closing $ must not follow a space nor precede a digit.
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False)
    return md


_MD = _markdown()

# Liquid: {% comment %}...{% endcomment %} goes with its content; {% highlight x %} blocks are
# code fences; any other {% tag %} and {{ output }} goes. Newlines are kept so lines still count.
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_LIQUID_HIGHLIGHT = re.compile(r"\{%-?\s*(?:end)?highlight\b[^%]*%\}")
_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)


def _blank(m):
    return "\n" * m.group().count("\n")


def _strip_liquid(text: str) -> str:
    text = _LIQUID_COMMENT.sub(_blank, text)
    text = _LIQUID_HIGHLIGHT.sub("```", text)
    return _LIQUID.sub(_blank, text)


class _HtmlText(html.parser.HTMLParser):
    """Text of an HTML block, without tags, comments, scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg", "math"):
            self.hidden += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg", "math"):
            self.hidden = max(0, self.hidden - 1)
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _html_text(source: str) -> str:
    p = _HtmlText()
    p.feed(source)
    p.close()
    return " ".join("".join(p.parts).split())


_BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.I)
_SIMPLE_MATH = re.compile(r"[A-Za-z0-9 .,]+")


def _say_url(url: str, options: ScriptOptions) -> str:
    if options.urls == "drop":
        return ""
    return url_domain(url)


def _text_urls(text: str, options: ScriptOptions) -> str:
    def one(m):
        u, tail = m.group(), ""
        while u and u[-1] in ".,;:!?":
            u, tail = u[:-1], u[-1] + tail
        return _say_url(u, options) + tail

    return _BARE_URL.sub(one, text)


def _code_words(code: str) -> str:
    """Inline code read as words: `os.path.join()` -> 'os dot path dot join'."""
    words = []
    for w in code.split():
        w = re.sub(r"[()]", " ", w.replace("()", ""))  # f(x) -> "f x", f() -> "f"
        w = re.sub(r"^--(?=\w)", "dash dash ", w)
        w = re.sub(r"^-(?=[A-Za-z])", "dash ", w)
        w = re.sub(r"(?<=\w)\.(?=[A-Za-z_])", " dot ", w)
        w = re.sub(r"::|\.|/(?=\w)", " ", w) if not re.fullmatch(r"[\d.]+", w) else w
        words.append(w)
    return " ".join(words)


def _inline(tokens, options: ScriptOptions, images: list) -> str:
    """The words of an inline token's children; images' alt texts go to `images`."""
    out = []
    autolink = False
    for t in tokens:
        if autolink and t.type != "link_close":
            continue  # the URL's own text: already said as its domain
        if t.type == "text":
            out.append(_text_urls(t.content, options))
        elif t.type == "link_open":
            # <https://...> is read as its domain; <me@example.com> as its address (normalize
            # makes it "me at example dot com"); [text](url) as its text.
            href = str(t.attrs.get("href", ""))
            autolink = t.markup == "autolink" and not href.startswith("mailto:")
            if autolink:
                out.append(_say_url(href, options))
        elif t.type == "link_close":
            autolink = False
        elif t.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif t.type == "code_inline":
            out.append(_code_words(t.content))
        elif t.type == "math_inline":
            # "$n$" is a word; "$x^2 + 1$" is not something to read from source
            out.append(t.content if _SIMPLE_MATH.fullmatch(t.content) else "")
        elif t.type == "image":
            alt = _inline(t.children or [], options, []) or t.content
            if alt.strip():
                images.append(alt.strip())
        elif t.type == "html_inline":
            out.append(" " if re.match(r"</?(br|p|div|li)\b", t.content, re.I) else "")
        # em, strong, s open/close, footnote_ref: the markers go, nothing is said
    return "".join(out)


def _sentence(text: str) -> str:
    """End a list item with a period when it has no final punctuation."""
    if text and text[-1] not in ".!?:;…\"')":
        return text + "."
    if text and text[-1] in "\"')" and len(text) > 1 and text[-2] not in ".!?…":
        return text + "."
    return text


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


def parse_post(
    data: bytes, path: str, lang: str = "en", options: ScriptOptions = ScriptOptions()
) -> Post:
    """Parse one Markdown post into its narration script."""
    for name, value, allowed in (
        ("code_blocks", options.code_blocks, ("skip", "note")),
        ("urls", options.urls, ("domain", "drop")),
        ("footnotes", options.footnotes, ("drop", "end")),
    ):
        if value not in allowed:
            raise ValueError(f"ScriptOptions.{name} is {value!r}; use one of {allowed}")
    front, text = frontmatter.read(data, path)
    if not text.strip():
        raise PostError(f"{path}:1: the post is empty; write the post, or remove the file")
    fm_lines, skip = front.body_start, front.skip
    post_lang = front.lang
    say_lang = post_lang or lang
    lines = text.split("\n")
    body = "\n" * fm_lines + "\n".join(lines[fm_lines:])  # keep file line numbers in token maps
    if not body.strip():
        if skip:
            return Post(Path(path).stem, None, post_lang, skip, [])
        raise PostError(
            f"{path}:{fm_lines + 1}: the post has front matter but no text after line {fm_lines}; "
            "write the post, or set 'skip: true' in its front matter"
        )

    tokens = _MD.parse(_strip_liquid(body))
    items = []  # (kind, raw text, level, line, pause_before)
    footnotes = []
    containers = []  # "blockquote" / "list_item" / "footnote", innermost last
    pause = False

    def add(kind, raw, level, line):
        nonlocal pause
        raw = raw.strip()
        if not raw:
            return
        if "footnote" in containers:
            footnotes[-1][0].append(raw)
            return
        items.append((kind, raw, level, line, pause))
        pause = False

    def note(text, line):
        # One note per block; a run of blocks with nothing between them gets one note.
        repeat = items and items[-1][0] == "code_note" and items[-1][1] == text and not pause
        if options.code_blocks == "note" and "footnote" not in containers and not repeat:
            add("code_note", text, None, line)

    i = 0
    while i < len(tokens):
        t = tokens[i]
        line = t.map[0] + 1 if t.map else (items[-1][3] if items else 1)
        if t.type in ("blockquote_open", "list_item_open", "footnote_open"):
            containers.append(t.type.removesuffix("_open"))
            if t.type == "footnote_open":
                footnotes.append(([], line))
        elif t.type in ("blockquote_close", "list_item_close", "footnote_close"):
            containers.pop()
        elif t.type in ("heading_open", "paragraph_open"):
            images = []
            raw = _inline(tokens[i + 1].children or [], options, images)
            if t.type == "heading_open":
                add("heading", raw, int(t.tag[1]), line)
            elif "list_item" in containers:
                add("list_item", raw, None, line)
            elif "blockquote" in containers:
                add("quote", raw, None, line)
            else:
                add("paragraph", raw, None, line)
            if options.image_alt:
                for alt in images:
                    add("paragraph", "Image: " + _sentence(alt), None, line)
            i += 3
            continue
        elif t.type in ("fence", "code_block"):
            note(options.code_note, line)
        elif t.type in ("math_block", "math_block_label"):
            note(options.math_note, line)
        elif t.type == "table_open":
            note(options.table_note, line)
            while tokens[i].type != "table_close":
                i += 1
        elif t.type == "hr":
            pause = True
        elif t.type == "html_block":
            kind = "quote" if "blockquote" in containers else "paragraph"
            add(kind, _html_text(t.content), None, line)
        i += 1

    # Title: front matter first; else a leading H1 becomes the title. Never read twice.
    title = front.title
    if title is not None:
        t_words = _inline(_MD.parseInline(title)[0].children or [], options, [])
        first = items[0] if items else None
        if first and first[0] == "heading" and first[2] == 1 and _same(first[1], t_words):
            items.pop(0)
        items.insert(0, ("title", t_words, None, 1, False))
        title = t_words.strip()
    elif items and items[0][0] == "heading" and items[0][2] == 1:
        kind, raw, _, line, p = items.pop(0)
        items.insert(0, ("title", raw, None, line, p))
        title = raw

    if options.footnotes == "end":
        for n, (parts, line) in enumerate((f for f in footnotes if f[0]), 1):
            items.append(("paragraph", f"Footnote {n}. " + " ".join(parts), None, line, n == 1))

    source_lines = body.split("\n")
    paragraphs = []
    carry = False  # the pause of a paragraph that turned out to have no words
    for kind, raw, level, line, pause_before in items:
        _check_long_words(raw, line, source_lines, path)
        said = normalize(raw, say_lang)
        if kind == "list_item":
            said = _sentence(said)
        if not re.search(r"\w", said):
            carry = carry or pause_before
            continue
        pid = f"p{len(paragraphs) + 1:04d}"
        paragraphs.append(Paragraph(pid, kind, said, level, pause_before or carry))
        carry = False

    if not skip and all(p.kind in ("title", "code_note") for p in paragraphs):
        raise PostError(
            f"{path}:{fm_lines + 1}: nothing to read aloud in lines {fm_lines + 1}-"
            f"{len(lines)} (only code, tables, math, HTML, Liquid or a title); "
            "add some prose, or set 'skip: true' in the front matter"
        )
    return Post(Path(path).stem, title, post_lang, skip, paragraphs)


def _same(a: str, b: str) -> bool:
    def key(s):
        return re.sub(r"\W+", " ", s).strip().casefold()

    return key(a) == key(b)


# -- JSON Lines ---------------------------------------------------------------------------------

FIELDS = ("id", "kind", "text", "level", "pause_before")


def write_script(paragraphs: list[Paragraph], path) -> None:
    """One JSON object per line, keys in FIELDS order, in reading order; same input, same bytes."""
    path = Path(path)
    lines = []
    for p in paragraphs:
        obj = {k: getattr(p, k) for k in FIELDS}
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8", newline="\n")
    os.replace(tmp, path)  # a half-written script never looks finished to Snakemake


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
