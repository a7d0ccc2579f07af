"""AsciiDoc posts (Jekyll with jekyll-asciidoc, Hugo, JBake, HubPress) as their page's Markdown.

An AsciiDoc post is rewritten into Markdown line for line, so that the rest of the script stage
reads it as it reads a Markdown post (the same items, cues, link and code readings) and every
warning or error names the line an editor shows. What each construct becomes:

- the header (`= Title`, an author line, a revision line, `:name: value` entries) is front matter
  (`front_matter`): the title, the author, the date (`:revdate:`, the revision line's), `:lang:`,
  `:description:` and jekyll-asciidoc's page attributes (`:page-tags:` is `tags`); a YAML front
  matter block above it says first, as Jekyll reads it;
- sections (`== Title`) are headings; block titles (`.Title`) are a sentence before their block, an
  image's caption, and nothing before code or a table, which are not read;
- listing, literal and source blocks are code; tables are a table; `////` comments, `include::`,
  `toc::[]`, passthrough blocks and conditional text whose attribute is not set are nothing;
  `[stem]` blocks display math; `'''` a thematic break (a pause);
- admonitions (`NOTE: ...`, `[TIP]` over a `====` block) are a quote that starts with their label,
  as GitHub's alerts are; quote and verse blocks are quotes; example, sidebar and open blocks their
  content;
- lists nest by their markers (`*`, `**`, `.`, `..`), a `+` line attaches the next block to the
  item, and a description list's `term:: text` is an item "term: text";
- inline: links (`https://host[text]`, `link:`, `mailto:`), cross references (`<<id,text>>`, a
  section's own title for `<<id>>`), images, footnotes (Pandoc's inline footnotes), `kbd:`,
  `btn:` and `menu:`, `stem:` math, marked text, passthroughs and `{attribute}` references;
  another inline macro (a site's own, such as `pr:4646[]`) is its text, else its target as code.

Only the standard library: the workflow reads front matter while it plans, through
frontmatter.read, which calls this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUFFIXES = (".adoc", ".asciidoc")
BREAK = "\x01\n"  # a line the source does not have (script.BREAK: the line numbers stay)

# -- the header -----------------------------------------------------------------------------------

_TITLE = re.compile(r"^(?:=|#)[ \t]+(\S.*?)\s*$")
_ATTRIBUTE_ENTRY = re.compile(r"^:(!?)([\w][\w-]*)(!?):(?:[ \t]+(.*?))?\s*$")
_REVISION = re.compile(r"^v?\d[\w.]*(?:,[ \t]*([^:]+?))?(?::.*)?$|^(\d{4}-\d{2}-\d{2}[^:]*)$")
_COMMENT = re.compile(r"^//(?!/)")
# the attributes that are front matter, by the key the pipeline reads
_FRONT_KEYS = {
    "author": "author",
    "authors": "author",
    "revdate": "date",
    "published_at": "date",  # HubPress
    "description": "description",
    "lang": "lang",
}
_PAGE = "page-"  # jekyll-asciidoc: `:page-tags: [a, b]` is the page's `tags`
_BUILT_IN = {
    "nbsp": " ", "sp": " ", "empty": "", "zwsp": "", "wj": "", "blank": "", "amp": "&",
    "lt": "&lt;", "gt": ">", "apos": "'", "quot": '"', "plus": "+", "startsb": "[", "endsb": "]",
    "vbar": "|", "caret": "^", "asterisk": "*", "tilde": "~", "backslash": "\\", "backtick": "`",
    "two-colons": "::", "two-semicolons": ";;", "cpp": "C++", "pp": "++", "deg": "°",
    "ldquo": "“", "rdquo": "”", "lsquo": "‘", "rsquo": "’", "brvbar": "¦", "cxx": "C++",
    "idprefix": "_", "idseparator": "_",
}  # fmt: skip


@dataclass
class Header:
    """What an AsciiDoc header says: (value, line) of each front matter key, the document's
    attributes, and where the body starts (0-based)."""

    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    end: int = 0


def header(lines: list[str], start: int = 0) -> Header:
    """The header that begins at line `start` (after any YAML front matter): attribute entries
    and comments, the title, an author line and a revision line, up to the first blank line
    after the title."""
    found = Header(end=start)
    i, titled = start, False
    while i < len(lines):
        line = lines[i].rstrip()
        if not line:
            if titled or any(f[1] for f in found.fields.values()):
                break
            i += 1
            continue
        if _COMMENT.match(line):
            i += 1
            continue
        if m := _ATTRIBUTE_ENTRY.match(line):
            _set(found, m, i)
            i += 1
            continue
        if not titled and (m := _TITLE.match(line)):
            found.fields["title"] = (m.group(1), i + 1)
            titled = True
            i += 1
            if i < len(lines) and _author_line(lines[i]):
                names = [_name(n) for n in lines[i].split(";") if _name(n)]
                if names:
                    found.fields["author"] = (", ".join(names), i + 1)
                i += 1
                if i < len(lines) and (m := _REVISION.match(lines[i].strip())):
                    if date := (m.group(1) or m.group(2) or "").strip():
                        found.fields.setdefault("date", (date, i + 1))
                    i += 1
            continue
        break
    if not titled and not found.fields and not found.attributes:
        return Header(end=start)
    found.end = i
    return found


def _author_line(line: str) -> bool:
    line = line.strip()
    return bool(line) and not line.startswith((":", "//", "[", ".", "=", "*", "-", "|", "+"))


def _name(author: str) -> str:
    return re.sub(r"<[^>]*>", "", author).strip().lstrip("@").strip()


def _set(found: Header, m: re.Match, line: int) -> None:
    unset, name, value = m.group(1) or m.group(3), m.group(2).lower(), m.group(4) or ""
    if unset:
        found.attributes.pop(name, None)
        return
    found.attributes[name] = value
    key = name[len(_PAGE) :] if name.startswith(_PAGE) else _FRONT_KEYS.get(name)
    if key:
        found.fields[key] = (value, line + 1)


# -- the body -----------------------------------------------------------------------------------

_DELIMITER = re.compile(r"^(-{4,}|\.{4,}|={4,}|\*{4,}|_{4,}|\+{4,}|/{4,}|--|[|,:!]={3,})\s*$")
_KINDS = {"-": "listing", ".": "literal", "=": "example", "*": "sidebar", "_": "quote",
          "+": "pass", "/": "comment"}  # fmt: skip
_MARKDOWN_FENCE = re.compile(r"^(`{3,}|~{3,})")
_BLOCK_ATTRIBUTES = re.compile(r"^\[(?!\[)(.*)\]\s*$")
_ANCHOR_LINE = re.compile(r"^\[\[([\w:.-]+)(?:,[^\]]*)?\]\]\s*$")
_BLOCK_TITLE = re.compile(r"^\.([^\s.].*?)\s*$")
_SECTION = re.compile(r"^(={1,6}|#{1,6})[ \t]+(\S.*?)(?:[ \t]+\1)?\s*$")
_LIST_ITEM = re.compile(r"^[ \t]*(\*{1,5}|-|\.{1,5}|\d+\.|[a-zA-Z]\.|[ivxIVX]+\))[ \t]+(\S.*)$")
_CALLOUT_ITEM = re.compile(r"^<(\d+|\.)>[ \t]+(\S.*)$")
_DESCRIPTION = re.compile(r"^[ \t]*([^\s`].*?)(:{2,4}|;;)(?:[ \t]+(\S.*))?$")
_ADMONITION_PARAGRAPH = re.compile(r"^(NOTE|TIP|IMPORTANT|CAUTION|WARNING):[ \t]+(\S.*)$")
_ADMONITION_STYLES = ("NOTE", "TIP", "IMPORTANT", "CAUTION", "WARNING")
_CODE_STYLES = ("source", "listing", "literal", "plantuml", "graphviz", "mermaid", "ditaa", "a2s")
_MATH_STYLES = ("stem", "latexmath", "asciimath")
_CONDITIONAL = re.compile(r"^(ifdef|ifndef|ifeval|endif)::([^\[]*)\[(.*)\]\s*$")
_IGNORED_LINE = re.compile(r"^(?:include|toc|video|audio)::|^<<<\s*$")
_BREAK_LINE = re.compile(r"^'{3,}\s*$")
_VERBATIM_KINDS = ("listing", "literal", "pass", "comment", "table", "fenced", "math")
_BLOCK_IMAGE = re.compile(r"^image::([^\[\s]+)\[(.*)\]\s*$")


@dataclass
class _Open:
    """A delimited block being read: its delimiter, what it is, the prefix of its lines."""

    delimiter: str
    kind: str
    prefix: str
    closing: str = ""  # the Markdown that its closing delimiter becomes
    rows: int = 0  # a table's lines so far
    lists: list = field(default_factory=list)  # the lists open around it, back when it closes


@dataclass
class _State:
    attributes: dict[str, str]
    titles: dict[str, str]  # section id -> its title, for <<id>>
    out: list[str] = field(default_factory=list)
    blocks: list[_Open] = field(default_factory=list)
    lists: list[tuple[str, int]] = field(default_factory=list)  # (marker, content indent)
    style: str = ""  # the pending block attribute line's style
    args: list[str] = field(default_factory=list)
    title: str = ""  # the pending block title
    title_at: int = -1  # its line: a sentence, withdrawn when its block is not read
    paragraph: str = ""  # the paragraph being read: "text", "code" (a styled one), or none
    paragraph_close: str | None = None  # what the blank line after the paragraph becomes
    paragraph_prefix: str = ""
    attached: int | None = None  # a `+` line: the indent of the block attached to an item
    skipping: list[bool] = field(default_factory=list)  # conditionals: True where text is left out
    lines: list[str] = field(default_factory=list)  # the post's lines, and the one being read:
    at: int = 0  # a code block's fence is made longer than any fence in the lines after it


def markdown(text: str, start: int = 0) -> str:
    """The Markdown of an AsciiDoc post, line for line (see the module docstring). The lines
    before `start`, a YAML front matter block, stay as they are; the header becomes blank lines."""
    lines = text.split("\n")
    head = header(lines, start)
    state = _State(
        attributes={**_BUILT_IN, **head.attributes},
        titles=_section_titles(lines[head.end :], {**_BUILT_IN, **head.attributes}),
    )
    out = lines[:start] + [""] * (head.end - start)
    state.out = out
    state.lines = lines
    for state.at in range(head.end, len(lines)):
        _line(state, lines[state.at].rstrip())
    if state.paragraph and state.paragraph_close is not None:
        out.append(state.paragraph_close)
    for block in reversed(state.blocks):
        if block.closing:
            out.append(block.closing)
    return "\n".join(out)


def _section_titles(lines: list[str], attributes: dict[str, str]) -> dict[str, str]:
    """Each section's id (its `[[id]]` or `[#id]`, and the id Asciidoctor makes from its title)
    -> its title."""
    prefix = attributes.get("idprefix", "_")
    separator = attributes.get("idseparator", "_")
    titles, anchor = {}, None
    for line in lines:
        if m := _ANCHOR_LINE.match(line) or re.match(r"^\[#([\w:.-]+)[^\]]*\]\s*$", line):
            anchor = m.group(1)
            continue
        if m := _SECTION.match(line):
            title = _plain(m.group(2))
            made = re.sub(r"[^\w \t.-]", "", title.lower())
            made = re.sub(r"[ \t.-]+", separator or "", made).strip(separator or " ")
            titles[prefix + made] = title
            if anchor:
                titles[anchor] = title
        anchor = None
    return titles


def _plain(text: str) -> str:
    return re.sub(r"[`*_#]", "", text).strip()


def _prefix(state: _State) -> str:
    """What every line inside the open blocks starts with: quote marks and list indents."""
    return state.blocks[-1].prefix if state.blocks else ""


def _verbatim(state: _State) -> _Open | None:
    """The innermost open block whose lines are not AsciiDoc (code, a comment, a table)."""
    if state.blocks and state.blocks[-1].kind in _VERBATIM_KINDS:
        return state.blocks[-1]
    return None


def _line(state: _State, line: str) -> None:
    block = _verbatim(state)
    if block is not None:
        if line == block.delimiter or (block.kind == "fenced" and line.strip() == block.delimiter):
            state.blocks.pop()
            state.lists = block.lists
            if block.kind == "table" and not block.rows:
                state.out.append(block.prefix + "| --- |")
            else:
                state.out.append(block.closing)
            _end_attached(state)
            return
        if block.kind == "comment":
            state.out.append("")
        elif block.kind == "table":  # not read: a cue, as for a Markdown table
            state.out.append(block.prefix + ("| --- |" if not block.rows else "| |"))
            block.rows += 1
        else:
            state.out.append(block.prefix + line)
        return

    if m := _CONDITIONAL.match(line):
        _conditional(state, m)
        state.out.append("")
        return
    if any(state.skipping):
        state.out.append("")
        return

    if not line.strip():
        _blank(state)
        return

    if state.paragraph:
        _paragraph_line(state, line)
        return

    if _COMMENT.match(line) or _IGNORED_LINE.match(line):
        state.out.append("")
        return
    if _BREAK_LINE.match(line):
        state.out.append(_block_prefix(state) + "***")
        return
    if m := _ATTRIBUTE_ENTRY.match(line):
        unset, name = m.group(1) or m.group(3), m.group(2).lower()
        if unset:
            state.attributes.pop(name, None)
        else:
            state.attributes[name] = m.group(4) or ""
        state.out.append("")
        return
    if _ANCHOR_LINE.match(line):
        state.out.append("")
        return
    if line == "+" and state.lists:
        state.attached = state.lists[-1][1]
        state.out.append("")
        return
    if m := _BLOCK_ATTRIBUTES.match(line):
        _block_attributes(state, m.group(1))
        return
    if (m := _BLOCK_TITLE.match(line)) and not _LIST_ITEM.match(line):
        state.title, state.title_at = m.group(1), len(state.out)
        state.out.append(_block_prefix(state) + _sentence(_inline(state, m.group(1))))
        return
    if m := _DELIMITER.match(line):
        _delimiter(state, m.group(1))
        return
    if m := _MARKDOWN_FENCE.match(line.lstrip()):
        prefix = _block_prefix(state)
        _withdraw_title(state)
        _open(state, _Open(m.group(1), "fenced", prefix, prefix + m.group(1)))
        state.out.append(prefix + line.lstrip())
        _clear_pending(state)
        return
    if m := _SECTION.match(line):
        state.lists, level = [], len(m.group(1))
        state.out.append(_prefix(state) + "#" * level + " " + _inline(state, m.group(2)))
        _clear_pending(state)
        return
    if m := _BLOCK_IMAGE.match(line):
        alt = _withdraw_title(state) or _positional(m.group(2))
        state.out.append(_block_prefix(state) + f"![{_escape_alt(alt)}]({m.group(1)})")
        _clear_pending(state)
        _end_attached(state)
        return
    _start_paragraph(state, line)


def _conditional(state: _State, m: re.Match) -> None:
    kind, names, content = m.group(1), m.group(2), m.group(3)
    if kind == "endif":
        if state.skipping:
            state.skipping.pop()
        return
    if content and kind != "ifeval":
        return  # a one-line conditional: its text is left out (rarely prose)
    if kind == "ifeval":
        state.skipping.append(False)  # not evaluated: its text is read
        return
    wanted = [n.strip().lower() for n in re.split(r"[,+]", names) if n.strip()]
    test = all if "+" in names else any
    defined = test(n in state.attributes for n in wanted) if wanted else False
    state.skipping.append(not defined if kind == "ifdef" else defined)


def _blank(state: _State) -> None:
    if state.paragraph:
        state.paragraph = ""
        close, state.paragraph_close = state.paragraph_close, None
        state.out.append(close if close is not None else "")
        _end_attached(state)
        return
    state.out.append("")


def _end_attached(state: _State) -> None:
    state.attached = None


def _clear_pending(state: _State) -> None:
    state.style, state.args, state.title, state.title_at = "", [], "", -1


def _withdraw_title(state: _State) -> str:
    """The pending block title, taken back from its line: its block shows it otherwise (an
    image's caption, an admonition's label) or is not read (code, a table)."""
    title = state.title
    if state.title_at >= 0:
        state.out[state.title_at] = ""
    state.title_at = -1
    return title


def _block_prefix(state: _State) -> str:
    indent = " " * state.attached if state.attached is not None else ""
    return _prefix(state) + indent


def _positional(attributes: str) -> str:
    """The first positional attribute of `[...]` (an image's alt text, a link's text)."""
    text = attributes.strip()
    if text.startswith('"'):
        end = text.find('"', 1)
        return text[1:end] if end > 0 else text[1:]
    first = text.split(",", 1)[0].strip()
    return "" if "=" in first else first


def _escape_alt(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


def _block_attributes(state: _State, content: str) -> None:
    """A `[style,args...]` line: it shapes the next block (`[source,python]`, `[NOTE]`,
    `[quote, who, where]`); an id or role after the style (`[source#id.role]`) changes nothing."""
    parts = [p.strip() for p in content.split(",")]
    state.style = re.split(r"[#.%]", parts[0], maxsplit=1)[0] if parts else ""
    state.args = parts[1:]
    state.out.append("")


def _delimiter(state: _State, delimiter: str) -> None:
    """A delimiter line: it closes the open block it matches (and any opened inside it), else it
    opens a block."""
    for depth in range(len(state.blocks) - 1, -1, -1):
        if state.blocks[depth].delimiter == delimiter:
            closing, state.lists = state.blocks[depth].closing, state.blocks[depth].lists
            del state.blocks[depth:]
            state.out.append(closing)
            _clear_pending(state)
            _end_attached(state)
            return
    _open_block(state, delimiter)


def _open(state: _State, block: _Open) -> None:
    """A block's lines have its prefix (an attached block's indent among it) and lists of their
    own; the lists around it go on when it closes."""
    block.lists, state.lists, state.attached = state.lists, [], None
    state.blocks.append(block)


def _open_block(state: _State, delimiter: str) -> None:
    char, style = delimiter[0], state.style
    prefix = _block_prefix(state)
    if char in "|,:!" and delimiter.endswith("==="):
        _withdraw_title(state)
        _open(state, _Open(delimiter, "table", prefix))
        state.out.append(prefix + "| Table |")
        _clear_pending(state)
        return
    kind = "open" if delimiter == "--" else _KINDS[char]
    if style in _CODE_STYLES and kind in ("listing", "literal", "open", "pass"):
        kind = "listing"
    if style in _MATH_STYLES and kind in ("pass", "open"):
        kind = "math"
    if kind in ("listing", "literal", "math", "pass", "comment"):
        _withdraw_title(state)
    if kind in ("listing", "literal"):
        language = state.args[0] if style == "source" and state.args else ""
        fence = _fence(state.lines[state.at + 1 :], delimiter)
        _open(state, _Open(delimiter, kind, prefix, prefix + fence))
        state.out.append(prefix + fence + re.sub(r"[^\w+#.-]", "", language))
    elif kind == "math":
        _open(state, _Open(delimiter, "math", prefix, prefix + "$$"))
        state.out.append(prefix + "$$")
    elif kind in ("pass", "comment"):
        _open(state, _Open(delimiter, kind, prefix, ""))
        state.out.append("")
    elif style.upper() in _ADMONITION_STYLES or kind == "quote" or style in ("quote", "verse"):
        quoted = prefix + "> "
        label = ""
        if style.upper() in _ADMONITION_STYLES:
            title = _withdraw_title(state)
            label = f"[!{style.upper()}]" + (" " + _inline(state, title) if title else "")
        closing = ""
        attribution = [a for a in state.args if a and "=" not in a][:2]
        if attribution and style in ("quote", "verse", ""):
            # who said it, a paragraph of its own: a line the source does not have (BREAK)
            said = ", ".join(_inline(state, a.strip('"')) for a in attribution)
            closing = quoted.rstrip() + BREAK + quoted + "— " + said
        _open(state, _Open(delimiter, "quote", quoted, closing))
        state.out.append(quoted.rstrip() + (" " + label if label else ""))
    else:  # example, sidebar, open: their content, after their title's sentence
        _open(state, _Open(delimiter, kind, prefix, ""))
        state.out.append("")
    _clear_pending(state)


def _fence(ahead: list[str], delimiter: str) -> str:
    """A Markdown code fence that no line of the block (up to `delimiter`, or a blank line for
    a paragraph) closes: longer than any run of backticks its lines start with."""
    longest = 2
    for line in ahead:
        if line.rstrip() == delimiter or (not delimiter and not line.strip()):
            break
        if m := re.match(r"\s*(`+)", line):
            longest = max(longest, len(m.group(1)))
    return "`" * (longest + 1)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


def _item(state: _State, line: str, descriptions: bool = True) -> bool:
    """A list item, a callout's or a description list's (`term:: text`, an item "term: text"),
    if `line` starts one."""
    if m := _LIST_ITEM.match(line) or _CALLOUT_ITEM.match(line):
        marker = m.group(1) if m.re is _LIST_ITEM else "<1>"
        _list_item(state, marker, _inline(state, m.group(2)))
        return True
    m = _DESCRIPTION.match(line) if descriptions else None
    if m and "`" not in m.group(1) and "://" not in m.group(1):
        term, text = _inline(state, m.group(1)), _inline(state, m.group(3) or "")
        _list_item(state, m.group(2), f"{term}: {text}" if text else f"{term}:")
        return True
    return False


def _start_paragraph(state: _State, line: str) -> None:
    style, prefix = state.style, _block_prefix(state)
    if _item(state, line):
        return
    if state.lists and state.attached is None:
        state.lists = []  # a paragraph after a blank line ends the list
        prefix = _block_prefix(state)
    state.paragraph, state.paragraph_prefix = "text", prefix
    if style in _CODE_STYLES or style in _MATH_STYLES or style.upper() in _ADMONITION_STYLES:
        title = _withdraw_title(state)
    if style in _CODE_STYLES:
        fence = _fence(state.lines[state.at + 1 :], "")
        language = (
            re.sub(r"[^\w+#.-]", "", state.args[0]) if style == "source" and state.args else ""
        )
        state.out[-1] = (
            prefix + fence + language if state.out and not state.out[-1] else state.out[-1]
        )
        state.paragraph_prefix, state.paragraph_close = prefix, prefix + fence
        state.paragraph = "code"
        state.out.append(prefix + line)
        _clear_pending(state)
        return
    if style in _MATH_STYLES:
        state.out.append(prefix + "$$ " + line)
        state.paragraph_close = prefix + "$$"
        state.paragraph = "code"
        _clear_pending(state)
        return
    if line.startswith((" ", "\t")) and not state.lists:  # a literal paragraph: code
        state.paragraph = "code"
        state.out.append(prefix + "    " + line)
        state.paragraph_prefix = prefix + "    "
        _clear_pending(state)
        return
    if m := _ADMONITION_PARAGRAPH.match(line):
        label = m.group(1).capitalize() + ": "
        state.paragraph_prefix = prefix + "> "
        state.out.append(state.paragraph_prefix + label + _inline(state, m.group(2)))
        _clear_pending(state)
        return
    if style.upper() in _ADMONITION_STYLES:
        if state.out and not state.out[-1]:
            label = f"[!{style.upper()}]" + (" " + _inline(state, title) if title else "")
            state.out[-1] = prefix + "> " + label
        state.paragraph_prefix = prefix + "> "
    elif style in ("quote", "verse"):
        state.paragraph_prefix = prefix + "> "
    state.out.append(state.paragraph_prefix + _inline(state, line))
    _clear_pending(state)


def _paragraph_line(state: _State, line: str) -> None:
    if state.paragraph == "code":
        state.out.append(state.paragraph_prefix + line)
        return
    if line == "+" and state.lists:  # a list continuation right after an item's text
        state.paragraph = ""
        state.attached = state.lists[-1][1]
        state.out.append("")
        return
    if state.lists and _item(state, line):  # the next item, right after this one's text
        return
    if m := _DELIMITER.match(line):
        # a delimiter ends the paragraph: the block it closes, or one that follows it
        state.paragraph, state.paragraph_close = "", None
        _delimiter(state, m.group(1))
        return
    text = _inline(state, line.strip() if state.lists else line)
    if re.match(r"#|>|[=-]+\s*$", text):  # a heading, quote or underline to Markdown alone
        text = "\\" + text
    state.out.append(state.paragraph_prefix + text)


def _list_item(state: _State, marker: str, words: str) -> None:
    """One item (its text in Markdown already): nested below the items whose markers came
    before it, as AsciiDoc nests."""
    if state.attached is not None and state.lists:
        state.attached = None
    markers = [m for m, _ in state.lists]
    signature = _signature(marker)
    if signature in markers:
        del state.lists[markers.index(signature) :]
    indent = state.lists[-1][1] if state.lists else 0
    state.lists.append((signature, indent + _width(signature)))
    bullet = "1. " if signature in ("ordered", "<n>") else "- "
    state.paragraph, state.paragraph_prefix = "text", _prefix(state) + " " * (indent + len(bullet))
    state.out.append(_prefix(state) + " " * indent + bullet + words)
    _clear_pending(state)


def _signature(marker: str) -> str:
    """What tells one level of a list from another: the marker's character and length."""
    if marker.startswith("<"):
        return "<n>"
    if re.fullmatch(r"\d+\.|[a-zA-Z]\.|[ivxIVX]+\)", marker):
        return "ordered"
    return marker


def _width(signature: str) -> int:
    return 3 if signature in ("ordered", "<n>") else 2


# -- inline ------------------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"`\+(.+?)\+`|`([^`]+)`")
_INLINE = re.compile(
    r"(?P<url>(?<![\w/])(?:link:|mailto:)?(?:https?|ftp|irc)://[^\s\[<>]+|link:[^\s\[]+|mailto:[^\s\[]+)"
    r"\[(?P<url_text>[^\]]*)\]"
    r"|<<(?P<xref>[^,>]+)(?:,(?P<xref_text>[^>]*))?>>"
    r"|xref:(?P<xref2>[^\s\[]+)\[(?P<xref2_text>[^\]]*)\]"
    r"|image:(?!:)(?P<image>[^\s\[]+)\[(?P<image_alt>[^\]]*)\]"
    r"|footnote(?:ref)?:(?P<footnote_id>[\w-]*)\[(?P<footnote>(?:[^\]\\]|\\.)*)\]"
    r"|kbd:\[(?P<kbd>[^\]]*)\]"
    r"|btn:\[(?P<btn>[^\]]*)\]"
    r"|menu:(?P<menu>[^\s\[]+)\[(?P<menu_items>[^\]]*)\]"
    r"|(?:stem|latexmath|asciimath):\[(?P<math>[^\]]*)\]"
    r"|pass:[a-z,]*\[(?P<pass>[^\]]*)\]"
    r"|\+\+\+(?P<pass3>.+?)\+\+\+"
    r"|\(\(\((?P<hidden_index>.*?)\)\)\)"
    r"|\(\((?P<index>.+?)\)\)"
    r"|indexterm2?:\[(?P<indexterm>[^\]]*)\]"
    r"|\[\[(?P<anchor>[\w:.-]+)\]\]"
    r"|(?:\[[^\]\s]*\])?(?<![\w#])#(?P<mark>[^#\s](?:[^#]*?[^#\s])?)#(?![\w#])"
    r"|(?<![\w+])\+(?P<plus>[^\s+](?:[^+]*?[^\s+])?)\+(?![\w+])"
    r"|(?P<macro>(?<![\w:/])[a-z][\w-]*):(?P<target>(?!:)[^\s\[]*)\[(?P<macro_text>[^\]]*)\]"
    r"|(?P<lt><)(?!https?://)"
    r"|(?P<dash>(?<=\s)--(?=\s))"
    r"|(?P<hard_break>[ \t]\+$)"
)
_ATTRIBUTE_REFERENCE = re.compile(r"(?<!\\)\{([\w][\w-]*)\}")


def _inline(state: _State, text: str) -> str:
    """One line of AsciiDoc text as Markdown: attribute references first, as Asciidoctor
    substitutes them, then code spans kept, and the rest converted."""
    text = _ATTRIBUTE_REFERENCE.sub(
        lambda m: state.attributes.get(m.group(1).lower(), m.group()), text
    )
    out, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_INLINE.sub(lambda n: _inline_one(state, n), text[last : m.start()]))
        code = m.group(1) if m.group(1) is not None else m.group(2)
        out.append("`" + code + "`")
        last = m.end()
    out.append(_INLINE.sub(lambda n: _inline_one(state, n), text[last:]))
    return "".join(out)


def _inline_one(state: _State, m: re.Match) -> str:
    g = m.groupdict()
    if g["url"] is not None:
        url = re.sub(r"^link:|^(?=mailto:)", "", g["url"])
        words = _link_text(g["url_text"])
        return f"[{_inline(state, words)}]({url})" if words else f"<{url}>"
    if g["xref"] is not None:
        return _xref(state, g["xref"], g["xref_text"])
    if g["xref2"] is not None:
        return _xref(state, g["xref2"], g["xref2_text"])
    if g["image"] is not None:
        return f"![{_escape_alt(_positional(g['image_alt']))}]({g['image']})"
    if g["footnote"] is not None:
        return (
            f"^[{_inline(state, g['footnote'].replace(chr(92) + ']', ']'))}]"
            if g["footnote"].strip()
            else ""
        )
    if g["kbd"] is not None:
        keys = [k.strip() for k in re.split(r"(?<=\S)\s*\+\s*(?=\S)", g["kbd"]) if k.strip()]
        return "`" + "+".join(keys) + "`"
    if g["btn"] is not None:
        return g["btn"]
    if g["menu"] is not None:
        return ", ".join([g["menu"], *[i.strip() for i in g["menu_items"].split(">") if i.strip()]])
    if g["math"] is not None:
        return f"${g['math']}$" if g["math"].strip() else ""
    for name in ("pass", "pass3"):
        if g[name] is not None:
            return g[name]
    if g["hidden_index"] is not None or g["indexterm"] is not None or g["anchor"] is not None:
        return ""
    if g["index"] is not None:
        return g["index"]
    if g["mark"] is not None:
        return g["mark"]
    if g["plus"] is not None:
        return g["plus"]
    if g["macro"] is not None:
        words = _link_text(g["macro_text"])
        if words:
            return _inline(state, words)
        return f"`{g['target']}`" if g["target"] else ""
    if g["lt"] is not None:
        return "&lt;"
    if g["dash"] is not None:
        return "—"
    return ""  # hard_break


def _link_text(text: str) -> str:
    """A link macro's text: the first attribute, without `^` (open in a new window)."""
    text = text.strip()
    if text.startswith('"'):
        return _positional(text).strip()
    if "=" in text.split(",", 1)[0]:
        return ""
    return (
        text.split(",", 1)[0].strip().removesuffix("^")
        if "," in text and re.search(r",\s*\w+=", text)
        else text.removesuffix("^")
    )


def _xref(state: _State, target: str, text: str | None) -> str:
    """A cross reference: its text, else the title of the section it names, else its id."""
    if text and text.strip():
        return _inline(state, text.strip())
    page, _, anchor = target.partition("#")
    anchor = anchor or (page if not re.search(r"\.(adoc|asciidoc|html)$", page) else "")
    if anchor in state.titles:
        return state.titles[anchor]
    name = anchor or re.sub(r"\.(adoc|asciidoc|html)$", "", page.rsplit("/", 1)[-1])
    return re.sub(r"[_-]+", " ", name).strip()
