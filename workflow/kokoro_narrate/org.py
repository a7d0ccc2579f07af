"""Org posts (Hugo's own Org reader, ox-hugo's file export, org-static-blog, Nikola) as their page's
Markdown.

An Org post is rewritten into Markdown line for line, as asciidoc.py does for AsciiDoc, so that
the rest of the script stage reads it as a Markdown post and every warning names the .org line:

- `#+TITLE:`, `#+AUTHOR:`, `#+DATE:` (`<2024-05-06 Mon>` is the date), `#+DESCRIPTION:`,
  `#+LANGUAGE:`, `#+FILETAGS:` and the other keywords at the top are front matter
  (`front_matter`); ox-hugo's `#+HUGO_TAGS:`, `#+HUGO_DRAFT:` are `tags` and `draft`. A YAML or
  TOML block above them (Hugo's) says first;
- headings (`** Title`) are headings without their TODO keyword, priority, statistics cookie and
  tags; a `COMMENT` heading or one tagged `:noexport:` is left out with its subtree;
- source, example and fixed-width (`: text`) blocks are code; tables a table; quote and verse
  blocks quotes; `#+BEGIN_NOTE` and the other admonition kinds a quote that starts with the
  label; export, comment blocks, drawers (`:PROPERTIES:`), planning lines, comments (`# ...`)
  and other keyword lines (`#+CAPTION:`, `#+INCLUDE:`) are nothing;
- lists nest by indentation, `- term :: text` is an item "term: text";
- inline: `*bold*`, `/italic/`, `_underline_`, `=verbatim=` and `~code~` (code), `+strike+`
  (struck out, not read), links `[[target][text]]` (their text; a bare image link is an image),
  footnotes (`[fn:1]`, inline `[fn::text]`), timestamps as their date; macros (`{{{x}}}`) and
  export snippets (`@@html:...@@`) are nothing.

Only the standard library: the workflow reads front matter while it plans, through
frontmatter.read, which calls this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUFFIXES = (".org",)
BREAK = "\x01\n"  # a line the source does not have (script.BREAK: the line numbers stay)

_KEYWORD = re.compile(r"^[ \t]*#\+([\w-]+):[ \t]*(.*?)\s*$")
_FRONT_KEYS = {
    "title": "title",
    "author": "author",
    "date": "date",
    "description": "description",
    "summary": "description",
    "language": "lang",
    "filetags": "tags",
    "tags": "tags",
    "voices": "voices",
    "speed": "speed",
    "skip": "skip",
    "draft": "draft",
}
_HUGO = "hugo_"  # ox-hugo's keywords: #+HUGO_TAGS is `tags`
_TIMESTAMP = re.compile(r"[<\[](\d{4}-\d{2}-\d{2})(?:[^>\]]*)[>\]]")
_DRAWER = re.compile(r"^[ \t]*:([\w-]+):[ \t]*$")
_DRAWER_END = re.compile(r"^[ \t]*:END:[ \t]*$", re.I)


@dataclass
class Header:
    """The keywords at the top of a post: (value, line) of each front matter key, and where
    the body starts (0-based)."""

    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    end: int = 0


def header(lines: list[str], start: int = 0) -> Header:
    """The keyword lines (and blank lines, comments and drawers between them) from line `start`
    up to the first line of the post's text."""
    found, i = Header(end=start), start
    while i < len(lines):
        line = lines[i]
        if m := _KEYWORD.match(line):
            key = m.group(1).lower()
            key = _FRONT_KEYS.get(key.removeprefix(_HUGO) if key.startswith(_HUGO) else key)
            if key:
                value = m.group(2)
                if key == "date" and (stamp := _TIMESTAMP.search(value)):
                    value = stamp.group(1)
                if key == "tags":
                    value = "[" + ", ".join(t for t in re.split(r"[\s:,]+", value) if t) + "]"
                found.fields[key] = (value, i + 1)
            i += 1
            continue
        if _DRAWER.match(line):  # org-roam's :PROPERTIES: at the top
            end = next((j for j in range(i + 1, len(lines)) if _DRAWER_END.match(lines[j])), None)
            if end is None:
                break
            i = end + 1
            continue
        if not line.strip() or re.match(r"^[ \t]*#(?:\s|$)", line):
            i += 1
            continue
        break
    found.end = i
    return found


# -- the body -----------------------------------------------------------------------------------

_HEADING = re.compile(r"^(\*+)[ \t]+(.*?)\s*$")
_TODO = re.compile(r"^(?:TODO|DONE|NEXT|WAITING|HOLD|CANCELL?ED|STARTED)\b\s*")
_PRIORITY = re.compile(r"^\[#[A-Za-z0-9]\]\s*")
_HEADING_TAGS = re.compile(r"\s+(:[\w@#%:]+:)$")
_COOKIE = re.compile(r"\s*\[\d*(?:/\d*|%)\]")
_BLOCK_BEGIN = re.compile(r"^([ \t]*)#\+begin_(\w+)[ \t]*(.*?)\s*$", re.I)
_PLANNING = re.compile(r"^[ \t]*(?:SCHEDULED|DEADLINE|CLOSED):")
_COMMENT = re.compile(r"^[ \t]*#(?:\s|$)")
_FIXED_WIDTH = re.compile(r"^([ \t]*):(?:[ \t](.*)|)$")
_TABLE = re.compile(r"^[ \t]*\|")
_RULE = re.compile(r"^[ \t]*-{5,}\s*$")
_ITEM = re.compile(r"^([ \t]*)([-+]|(?<=[ \t])\*|\d+[.)])[ \t]+(.*)$")
_DESCRIPTION = re.compile(r"^(.*?)[ \t]+::(?:[ \t]+(.*)|)$")
_FOOTNOTE_DEFINITION = re.compile(r"^\[fn:([\w-]+)\][ \t]*(.*)$")
_ADMONITIONS = ("note", "tip", "important", "warning", "caution", "info", "danger")
_CODE_BLOCKS = ("src", "example")
_QUOTE_BLOCKS = ("quote", "verse")
_HIDDEN_BLOCKS = ("export", "comment", "html", "latex")  # #+BEGIN_HTML: Org 8's export block


@dataclass
class _State:
    out: list[str] = field(default_factory=list)
    block: str = ""  # the block being read: its kind ("src", "quote", ...), or none
    block_prefix: str = ""
    skip_level: int = 0  # inside a COMMENT or :noexport: subtree: its heading's level
    drawer: bool = False
    table: int = 0  # lines of the table being read
    lists: list[tuple[int, int]] = field(default_factory=list)  # (Org indent, Markdown indent)
    fixed: str | None = None  # in fixed-width lines (`: text`): the prefix of their code fence


def markdown(text: str, start: int = 0) -> str:
    """The Markdown of an Org post, line for line (see the module docstring). The lines before
    `start`, a YAML or TOML front matter block, stay as they are; the keyword lines become
    blank lines."""
    lines = text.split("\n")
    head = header(lines, start)
    state = _State(out=lines[:start] + [""] * (head.end - start))
    for line in lines[head.end :]:
        _line(state, line.rstrip())
    if state.block in _CODE_BLOCKS:
        state.out.append(state.block_prefix + "```")
    if state.fixed is not None:
        state.out.append(state.fixed + "```")
    return "\n".join(state.out)


def _line(state: _State, line: str) -> None:
    """One line. Fixed-width lines are fenced code: the fence closes on the line after them,
    a line break the source does not have (they may follow a paragraph without a blank line,
    which indented code could not)."""
    closing = None
    if state.fixed is not None and (state.block or not _FIXED_WIDTH.match(line)):
        closing, state.fixed = state.fixed + "```" + BREAK, None
    at = len(state.out)
    _read(state, line)
    if closing:
        state.out[at] = closing + state.out[at]


def _read(state: _State, line: str) -> None:
    out = state.out
    if state.block:
        _block_line(state, line)
        return
    if m := _HEADING.match(line):
        _heading(state, m)
        return
    if state.skip_level:
        out.append("")
        return
    if state.drawer:
        state.drawer = not _DRAWER_END.match(line)
        out.append("")
        return
    if state.table and not _TABLE.match(line):
        state.table = 0
    if m := _BLOCK_BEGIN.match(line):
        _begin(state, m)
        return
    if _DRAWER.match(line) and not _DRAWER_END.match(line):
        state.drawer = True
        out.append("")
        return
    if _KEYWORD.match(line) or _COMMENT.match(line) or _PLANNING.match(line):
        out.append("")
        return
    if _TABLE.match(line):  # not read: a cue, as for a Markdown table
        indent = _list_indent(state, line)
        row = "| Table |" if not state.table else "| --- |" if state.table == 1 else "| |"
        out.append(indent + row)
        state.table += 1
        return
    if _RULE.match(line):
        out.append("***")
        return
    if m := _FIXED_WIDTH.match(line):
        prefix = _list_indent(state, line)
        opening = "" if state.fixed is not None else prefix + "```" + BREAK
        state.fixed = prefix
        out.append(opening + prefix + (m.group(2) or ""))
        return
    if not line.strip():
        out.append("")
        return
    if m := _FOOTNOTE_DEFINITION.match(line):
        state.lists = []
        out.append(f"[^{m.group(1)}]: " + _inline(m.group(2)))
        return
    if m := _ITEM.match(line):
        _item(state, m)
        return
    out.append(_list_indent(state, line) + _escape_start(_inline(line.strip())))


def _heading(state: _State, m: re.Match) -> None:
    level, title = len(m.group(1)), m.group(2)
    state.lists, state.table, state.drawer = [], 0, False
    if state.skip_level and level > state.skip_level:
        state.out.append("")
        return
    state.skip_level = 0
    tags = _HEADING_TAGS.search(title)
    if tags:
        title = title[: tags.start()]
    title = _COOKIE.sub("", _PRIORITY.sub("", _TODO.sub("", title)))
    if title.startswith("COMMENT") or (tags and ":noexport:" in tags.group(1)):
        state.skip_level = level
        state.out.append("")
        return
    state.out.append("#" * min(level, 6) + " " + _inline(title.strip()))


def _list_indent(state: _State, line: str) -> str:
    """The Markdown indent of a line inside the list item it is indented under: a line at an
    item's own indent or left of it ends that item."""
    indent = len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())
    while state.lists and indent <= state.lists[-1][0]:
        state.lists.pop()
    return " " * state.lists[-1][1] if state.lists else ""


def _item(state: _State, m: re.Match) -> None:
    indent, bullet, text = len(m.group(1).expandtabs(8)), m.group(2), m.group(3)
    parent = len(_list_indent(state, m.group(0)))
    marker = "1. " if bullet[0].isalnum() else "- "
    state.lists.append((indent, parent + len(marker)))
    if d := _DESCRIPTION.match(text):
        term, words = _inline(d.group(1)), _inline(d.group(2) or "")
        text = f"{term}: {words}" if words else f"{term}:"
    else:
        text = _inline(text)
    state.out.append(" " * parent + marker + text)


def _begin(state: _State, m: re.Match) -> None:
    kind, args = m.group(2).lower(), m.group(3)
    prefix = _list_indent(state, m.group(0))
    state.block, state.block_prefix = kind, prefix
    if kind in _CODE_BLOCKS:
        language = args.split()[0] if kind == "src" and args.split() else ""
        state.out.append(prefix + "```" + re.sub(r"[^\w+#.-]", "", language))
    elif kind in _QUOTE_BLOCKS:
        state.block_prefix = prefix + "> "
        state.out.append(prefix + ">")
    elif kind in _ADMONITIONS:
        state.block_prefix = prefix + "> "
        state.out.append(prefix + f"> [!{kind.upper()}]")
    else:  # export, comment, html: nothing; center, details and other special blocks: the text
        state.out.append("")


def _block_line(state: _State, line: str) -> None:
    kind, out = state.block, state.out
    if re.match(rf"^[ \t]*#\+end_{re.escape(kind)}\b", line, re.I):
        state.block = ""
        out.append(state.block_prefix + "```" if kind in _CODE_BLOCKS else "")
        return
    if kind in _CODE_BLOCKS:
        # Org escapes a line starting with `*` or `#+` inside a block with a comma
        out.append(state.block_prefix + re.sub(r"^([ \t]*),(?=\*|#\+)", r"\1", line))
    elif kind in _HIDDEN_BLOCKS:
        out.append("")
    else:  # quotes, admonitions and other special blocks: their text
        out.append(state.block_prefix + _escape_start(_inline(line.strip())))


def _escape_start(text: str) -> str:
    """Text that Markdown would read as a heading, a quote or a list at the start of a line."""
    if re.match(r"#|>|\d+[.)]\s|[-+*]\s|[=-]+\s*$", text):
        return "\\" + text
    return text


# -- inline ------------------------------------------------------------------------------------

# Org's emphasis: a marker after a space, a line's start or one of -({'" and before a space, the
# end or punctuation, around text that neither starts nor ends with a space
_PRE, _POST = r"(?:(?<=[\s\-({'\"])|^)", r"(?=[\s\-.,;:!?'\")}\[]|$)"
_INLINE = re.compile(
    r"\[\[(?P<target>[^\]]+)\](?:\[(?P<text>[^\]]*)\])?\]"
    r"|\[fn::(?P<inline_note>[^\]]*)\]"
    r"|\[fn:(?P<note>[\w-]+)\]"
    r"|\{\{\{(?P<macro>.*?)\}\}\}"
    r"|@@[\w-]+:(?P<snippet>.*?)@@"
    rf"|{_PRE}(?P<mark>[=~])(?P<code>[^\s](?:.*?[^\s])?)(?P=mark){_POST}"
    rf"|{_PRE}\*(?P<bold>[^\s*](?:.*?[^\s])?)\*{_POST}"
    rf"|{_PRE}/(?P<italic>[^\s/](?:.*?[^\s])?)/{_POST}"
    rf"|{_PRE}_(?P<underline>[^\s_](?:.*?[^\s])?)_{_POST}"
    rf"|{_PRE}\+(?P<strike>[^\s+](?:.*?[^\s])?)\+{_POST}"
    r"|(?P<stamp>[<\[]\d{4}-\d{2}-\d{2}(?: [^>\]\n]*)?[>\]])"
    r"|<<<?(?P<radio>[^<>\n]+)>>>?"
    r"|(?P<lt><)(?!https?://)"
    r"|(?P<hard_break>\\\\$)"
)
_IMAGE = re.compile(r"\.(png|jpe?g|gif|svg|webp|avif)$", re.I)


def _inline(text: str) -> str:
    """One line of Org text as Markdown."""
    return _INLINE.sub(_inline_one, text)


def _inline_one(m: re.Match) -> str:
    g = m.groupdict()
    if g["target"] is not None:
        return _link(g["target"], g["text"])
    if g["inline_note"] is not None:
        return f"^[{_inline(g['inline_note'])}]"
    if g["note"] is not None:
        return f"[^{g['note']}]"
    if g["macro"] is not None or g["snippet"] is not None:
        return ""
    if g["code"] is not None:
        return "`" + g["code"].replace("`", "'") + "`"
    if g["bold"] is not None:
        return "**" + _inline(g["bold"]) + "**"
    if g["italic"] is not None:
        return "*" + _inline(g["italic"]) + "*"
    if g["underline"] is not None:
        return _inline(g["underline"])
    if g["strike"] is not None:
        return "~~" + _inline(g["strike"]) + "~~"  # struck out: the walk does not read it
    if g["stamp"] is not None:
        return _TIMESTAMP.match(g["stamp"]).group(1)
    if g["radio"] is not None:
        return g["radio"] if m.group().startswith("<<<") else ""
    if g["lt"] is not None:
        return "&lt;"
    return ""  # hard_break


def _link(target: str, text: str | None) -> str:
    """A link: its text (a URL's as Markdown link text, so it is said as the link's), a bare
    image link an image, a bare web link the URL, another bare link (a heading, a file) its
    name."""
    target = target.replace("\\]", "]")
    url = re.sub(r"^file:", "", target)
    if text:
        if re.fullmatch(r"(?:file:)?\S+", text) and _IMAGE.search(text):
            return f"![]({text.removeprefix('file:')})"  # a linked image: the image
        return f"[{_inline(text)}]({url})" if re.match(r"[a-z]+:|/|\.", target) else _inline(text)
    if _IMAGE.search(url):
        return f"![]({url})"
    if re.match(r"https?://|mailto:", target):
        return f"<{target}>"
    name = re.sub(r"^(?:\*|#|id:|file:|attachment:)", "", target).split("::")[0]
    return name.rsplit("/", 1)[-1] if "/" in name else name
