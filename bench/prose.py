r"""Measures of the front end that do not trust its parser: prose words, code-like paragraphs,
domains and paths spoken. Used by bench/frontend.py and by tests/test_prose_coverage.py.

Prose extractor: deliberately simple and line based, so that a bug of the Markdown walk cannot
hide itself (it shares no code with kokoro_narrate.script). Its rules:

1. Front matter goes: a first line `---` or `+++` up to its closing line, and a Pelican header
   (`Title: ...`, `Date: ...` lines at the top, up to the first blank line).
2. A `.txt` post is all prose. Of a notebook (`.ipynb`), the markdown cells are the post. A
   reStructuredText post (`.rst`) has rules of its own (`_rst_blocks`).
3. These lines are not prose: fenced code (``` or ~~~ up to the same fence); Liquid
   `highlight`/`codeblock`/`comment` blocks; Hugo `highlight` shortcode blocks; HTML `<pre>`,
   `<script>`, `<style>`, `<svg>`, `<table>`, `<figure>` blocks and comments (to the closing tag),
   and WordPress captions (an element whose class says "caption"), and a button's label (a
   control of the page);
   `$$` math blocks; Markdown table rows (a line starting with `|`, or with ` | ` in a run that
   has a `---|---` row); lines indented by a tab or 4 spaces after a blank line outside a list
   (indented code); footnote definitions (`[^1]: ...` and the indented lines after it) and link
   definitions (`[id]: url`); Pandoc table
   captions (`: Monthly totals` or `Table: ...` beside a table); MDX `import` and
   `export` statements (to the line that closes their braces); Pelican `[jtable]` tables;
   a grid table's borders (`+---+`); horizontal rules and setext underlines; a line of LaTeX
   commands alone (`\newpage`) and a LaTeX math environment (`\begin{equation}` to its `\end`).
   Of an admonition or fenced div line (`:::note`, `::: {.alert}`, `!!! warning "Title"`) only
   the title is prose: the marker, the kind or class name and the attribute block are markup.
   MyST: a prose directive (`{note}`, `{admonition} Title`, `{dropdown}`, ...) is no code block:
   its title and body are prose, its fences and `:option:` lines are not; nor are targets
   `(label)=`, comments `% ...` and block breaks `+++`. A role is its content (`text <target>` the
   text); a citation or substitution role none.
4. In the other lines these go: HTML tags, Liquid tags and outputs, Hugo shortcodes, kramdown
   attribute lists (`{: ...}`), images (alt text is not running prose: the front end announces
   or drops it), link targets (the link text stays), bare URLs and autolinks (they are said as a
   site name, not as their words, and so is link text that is a URL or host name), blockquote
   markers, MDX `{/* comments */}`, footnote markers and Pandoc's inline footnotes (`^[...]`:
   footnotes are not read by default), Pandoc attribute blocks (`{#sec-sites}`, `{.smallcaps}`),
   inline math, emoji shortcodes; Quarto's
   cross-references (`@fig-speed`: the page shows "Figure 1", not the label), bookdown's
   (`\@ref(fig:speed)`) and its caption labels (`(\#fig:speed)`); and in the posts knitr or
   Quarto runs (`.qmd`, `.Rmd`, `.Rmarkdown`) inline code results, `` `r nrow(x)` ``, which
   the page shows as their value, and citations (`[@smith2020]`, `@smith2020`), which it
   prints from the bibliography.
5. Word form: the surviving text of a block goes through kokoro_narrate.normalize (the allowance
   for normalization: numbers, units and abbreviations are compared in the words they are spoken
   as), is folded to ASCII and lowercased and split on anything that is not a letter; words of
   fewer than 3 letters are not compared (normalize rewrites letters and symbols into short words
   such as "x", "a", "to"), nor the words of `allowance` below.

Lost prose of a post = the prose words (as a multiset) that its spoken paragraphs do not contain.
"""

from __future__ import annotations

import collections
import html
import json
import re
import unicodedata

from kokoro_narrate.normalize import normalize

# Words the front end adds or rewrites on purpose: admonition labels said as words, "and" between
# site names. Never a reason to call a post's prose lost.
ALLOWANCE = frozenset({"toc"})  # kramdown's "* TOC" placeholder list item, replaced by a TOC

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_BLOCK_OPEN = re.compile(
    r"\{%-?\s*(highlight|codeblock|comment|math)\b|\{\{[<%]\s*highlight\b|"
    r"<(pre|script|style|svg|table|figure|math)\b|<!--|^\[(jtable)\b",
    re.I,
)
_BLOCK_CLOSE = {
    "highlight": re.compile(r"\{%-?\s*endhighlight|\{\{[<%]\s*/highlight", re.I),
    "codeblock": re.compile(r"\{%-?\s*endcodeblock", re.I),
    "comment": re.compile(r"\{%-?\s*endcomment", re.I),
    "math": re.compile(r"\{%-?\s*endmath", re.I),
    "<!--": re.compile(r"-->"),
    "jtable": re.compile(r"\[/jtable\]"),
}
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MDX_STATEMENT = re.compile(r"^(import|export)\s")
_PELICAN_KEY = re.compile(r"^[A-Za-z][\w-]*:\s")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$|^\s*=+\s*$")  # rules, setext underlines
_TEX_COMMANDS = re.compile(r"^\s*(?:\\[A-Za-z]+\*?(?:\[[^\]]*\])?(?:\{[^{}]*\})*(?:=\S*)?\s*)+$")
_TEX_ENVIRONMENT = re.compile(r"^\s*\\begin\{(equation|align|gather|multline|eqnarray)(\*?)\}")
_CROSSREF = re.compile(
    r"-?@(?:fig|tbl|lst|eq|tip|nte|wrn|imp|cau|thm|lem|cor|prp|cnj|def|exm|exr|sol|rem|sec)-"
    r"[\w-]*\w|\\@ref\([^()\s]*\)|\(\\#(?:fig|tab|eq):[\w-]+\)",
    re.I,
)
# MyST: a directive whose body is prose (the admonition kinds and the titled boxes), its
# options, targets `(label)=`, comments `% ...`, breaks `+++`
_PROSE_DIRECTIVE = re.compile(
    r"^\s*(?:`{3,}|:{3,})\{(note|tip|warning|danger|caution|important|hint|attention|error|"
    r"seealso|admonition|dropdown|topic|sidebar|card|grid-item-card|tab-item|margin|epigraph|"
    r"pull-quote|tab-set|grid|grid-item|div|container|aside)\}[ \t]*(.*)$"
)
_DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:(?:[ \t].*)?$")
_MYST_LINE = re.compile(r"^\s*(?:\([^()\s]+\)=|%(?:\s.*)?|\+\+\+)\s*$")
_MYST_ROLE = re.compile(r"(?<![\w$])\{([a-z][\w:.+-]*)\}`([^`\n]*)`")
_CAPTION = re.compile(r"^ {0,3}(?:Table)?:\s+\S")
_ATTRIBUTE = r"""(?:[#.][\w:-]+|[\w-]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s"'{}]+))"""
_ATTRIBUTES = re.compile(rf"\{{[ \t]*{_ATTRIBUTE}(?:[ \t]+(?:{_ATTRIBUTE}|[\w-]+))*[ \t]*\}}")
_INLINE_RESULT = re.compile(r"`(?:r|\{(?:r|python|julia|ojs)\})\s[^`\n]*`")
EXECUTED_SUFFIXES = (".qmd", ".rmd", ".rmarkdown")
# Pandoc's citations, bracketed or narrative: the page prints them from the bibliography
_PANDOC_CITATION = re.compile(
    r"\[[^\[\]\n]*@[^\[\]\n]*\]|(?<![\w@.+-])-?@\w(?:[\w:.#$%&+?<>~/-]*\w)?"
)

_INLINE_DROP = [
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S),  # Liquid tags and outputs, Hugo shortcodes
    re.compile(r"\{:[^}]*\}"),  # kramdown attribute lists
    # images, whose alt text may hold a link: ![[Poster](https://...) by someone](poster.jpg)
    re.compile(r"!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]"),
    re.compile(r"<(pre|script|style|svg|figcaption|button)\b.*?</\1>", re.I | re.S),
    re.compile(r"<(\w+)[^>]*\bclass=\"[^\"]*caption[^\"]*\"[^>]*>.*?</\1>", re.I | re.S),
    re.compile(r"<[A-Za-z/!][^>]*>"),  # tags (a JSX tag may span lines), autolinks
    re.compile(r"\[\^[^\]]*\]"),  # footnote markers
    re.compile(r"(?:https?://|ftp://|www\.)\S+", re.I),  # bare URLs
    re.compile(r"(?<![\w$])\$[^$\n]+\$(?![\w$])"),  # inline math
    re.compile(r"(?<![\w:]):[a-z0-9_+-]+:(?![\w:])"),  # emoji shortcodes
]
# Obsidian's and Python-Markdown's pymdownx inline markup: what the page shows of each
_SHOWN = [
    (re.compile(r"%%.*?%%", re.S), " "),  # Obsidian comments
    (re.compile(r"\{--.*?--\}|\{>>.*?<<\}", re.S), " "),  # CriticMarkup deletions, comments
    (re.compile(r"\{~~.*?~>(.*?)~~\}", re.S), r"\1"),  # a substitution's new text
    (re.compile(r"\{\+\+(.*?)\+\+\}|\{==(.*?)==\}", re.S), r"\1\2"),  # additions, highlights
    (re.compile(r"==([^=\s](?:[^=]*[^=\s])?)=="), r"\1"),  # highlights
    (re.compile(r"(?<=\w)~([^~\s]+)~"), r"\1"),  # subscripts
    (  # keys: ++ctrl+k++ shows Ctrl+K
        re.compile(r"\+\+([\w-]+(?:\+[\w-]+)*)\+\+"),
        lambda m: "+".join(k.capitalize() for k in m.group(1).split("+")),
    ),
    (re.compile(r"(?:^|[ \t])\^[\w-]+[ \t]*$", re.M), ""),  # Obsidian block ids
    (re.compile(r"!\[\[[^\]]*\]\]"), " "),  # embeds
    (re.compile(r"\[\[(?:[^\]|]*\|)?([^\]|#]*)[^\]]*\]\]"), r"\1"),  # wiki links: alias or name
]
# link text may hold escaped brackets: [\[Carpenter\]](#ref-carpenter)
_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\([^)]*\)|\[((?:[^\]\\]|\\.)*)\]\[[^\]]*\]")
# Link text that is itself a URL or a host name is said as the site's name, not as its words.
_URL_TEXT = re.compile(
    r"\s*(?:https?://|www\.)\S*\s*|\s*[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?\s*"
)


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first body line."""
    if lines and lines[0].rstrip() in ("---", "+++"):
        ends = ("---", "...") if lines[0].rstrip() == "---" else ("+++",)
        for i in range(1, len(lines)):
            if lines[i].rstrip() in ends:
                return i + 1
        return 0
    if lines and lines[0].lower().startswith("title:"):  # Pelican's keys are not case-sensitive
        i = 0
        while i < len(lines) and _PELICAN_KEY.match(lines[i]):
            i += 1
        return i
    return 0


def _indent(line: str) -> int:
    """The column of a line's first character."""
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


def prose_blocks(text: str, suffix: str = ".md") -> list[str]:
    """The prose of a post, one string per block of lines (rules 1-4 in the module docstring)."""
    if suffix.lower() == ".ipynb":
        text = _notebook_markdown(text)
    if suffix.lower() == ".rst":
        return [b for b in (_rst_inline(b) for b in _rst_blocks(text)) if b.strip()]
    if suffix.lower() in (".adoc", ".asciidoc"):
        return [b for b in (_adoc_inline(b) for b in _adoc_blocks(text)) if b.strip()]
    if suffix.lower() == ".org":
        return [b for b in (_org_inline(b) for b in _org_blocks(text)) if b.strip()]
    lines = text.replace("\r\n", "\n").split("\n")
    lines = lines[_front_matter_end(lines) :]
    if suffix == ".txt":
        return ["\n".join(lines)]
    blocks, current = [], []
    captions = _table_captions(lines)
    closing = None  # what ends the block we are inside
    in_table = in_list = False
    list_indent = 0  # the column of the last list item's text
    previous_blank = True
    in_footnote = False  # a footnote's definition: its indented lines (and blank ones) are its
    for n, line in enumerate(lines):
        if closing is not None:
            if closing.search(line):
                closing = None
            continue
        if n in captions:
            continue
        if re.match(r"^\s{0,3}\[\^[^\]]+\]:", line):
            in_footnote = True
            continue
        if in_footnote and (not line.strip() or line.startswith(("    ", "\t"))):
            continue
        in_footnote = False
        if directive := _PROSE_DIRECTIVE.match(line):
            # a MyST admonition, dropdown or card: its title is prose, its fences and options
            # are markup, and its body is read as Markdown
            current.append(directive.group(2))
            continue
        if _DIRECTIVE_OPTION.match(line) or _MYST_LINE.match(line):
            continue
        fence = _FENCE.match(line)
        if fence:
            # CommonMark's closing fence: the same character, at least as long, nothing after it,
            # indented at most 3 columns more than the opening. (Fix: "    ```python" inside a
            # fence, an example of Markdown, ended the block and its code was counted as prose.)
            indent = _indent(line)
            mark = re.escape(fence.group(1)[0])
            closing = re.compile(f"^[ \\t]{{0,{indent + 3}}}{mark}{{{len(fence.group(1))},}}\\s*$")
            continue
        opened = _BLOCK_OPEN.search(line)
        if opened:
            name = (opened.group(1) or opened.group(2) or opened.group(3) or "<!--").lower()
            if name in ("highlight", "codeblock", "comment", "math", "<!--", "jtable"):
                close = _BLOCK_CLOSE["highlight" if opened.group(0).startswith("{{") else name]
            else:
                close = re.compile(rf"</{name}\s*>", re.I)
            before, after = line[: opened.start()], line[opened.end() :]
            current.append(before)
            if not close.search(after):
                closing = close
            else:
                current.append(close.split(after, maxsplit=1)[-1])
            continue
        stripped = line.strip()
        blank = not stripped
        if blank:
            blocks.append("\n".join(current))
            current, in_table = [], False
        elif _TABLE_RULE.match(line) or stripped.startswith(("|", "+-", "+=")) or in_table:
            in_table = True
        elif m := _TEX_ENVIRONMENT.match(line):
            closing = re.compile(re.escape(f"\\end{{{m.group(1)}{m.group(2)}}}"))
        elif _TEX_COMMANDS.match(line):
            pass
        elif stripped in ("$$", "\\[", "\\]") or stripped.startswith("$$"):
            closing = None if stripped.endswith("$$") and len(stripped) > 2 else re.compile(r"\$\$")
        elif (line.startswith(("\t", "    ")) and previous_blank and not in_list) or (
            line.startswith(("\t", "    ")) and current == [] and not in_list
        ):
            pass  # indented code
        elif in_list and current == [] and _indent(line) >= list_indent + 4:
            # Indented code inside a list item: 4 columns past the item's text after a blank
            # line, as CommonMark reads it. (Fix: such code was counted as prose.)
            pass
        elif _MDX_STATEMENT.match(line) and suffix == ".mdx":
            depth = line.count("{") - line.count("}")
            closing = re.compile(r"^\}") if depth > 0 else None
        elif _DEFINITION.match(line) or _RULE.match(line):
            pass
        elif stripped.startswith(":::") or stripped.startswith("!!!"):
            # An admonition or fenced div marker: the kind or class name and an attribute block
            # are markup (the front end may say a kind as a label: words it adds); a title after
            # them is prose. (Fix: `:::{.alert .alert-info}` counted "alert alert info" as prose.)
            current.append(re.sub(r"^[:!]{3,}\+?\s*(?:\{[^}]*\}|\w+)?", "", stripped))
        else:
            if item := _LIST.match(line):
                in_list, list_indent = True, len(item.group().expandtabs(4))
            elif not line.startswith((" ", "\t")) and previous_blank:
                in_list = False
            current.append(line)
        previous_blank = blank
    blocks.append("\n".join(current))
    executed = suffix.lower() in EXECUTED_SUFFIXES
    blocks = [b for b in blocks if not _code_without_fence(b)]
    return [b for b in (_inline_prose(b, executed) for b in blocks) if b.strip()]


def _code_without_fence(block: str) -> bool:
    """A listing that lost its fence (a WordPress export's): code by its words and symbols
    outside code spans (code_like), with a statement ended by ";", an arrow function or a braced
    body; not HTML, an image or a heading, which other rules read."""
    outside = " ".join(block.split("`")[::2])
    if outside.lstrip().startswith(("<", "!", "#", "{/*", "&")):
        return False
    return bool(re.search(r";\s*$|=>|\)\s*\{", outside, re.M)) and code_like(outside)


_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:-]+)::\s*(.*)$")
_RST_PROSE_DIRECTIVES = (
    "note|tip|hint|important|warning|caution|danger|error|attention|admonition|seealso|topic|"
    "sidebar|versionadded|versionchanged|deprecated"
)


def _rst_blocks(text: str) -> list[str]:
    """The prose of a reStructuredText post: paragraphs, titles and list items; not its fields
    (metadata), comments and targets (`.. ...`), literal blocks (after `::`) and the bodies of
    directives other than admonitions (code, images, tables, toctrees). An admonition's argument
    is a title, and prose."""
    blocks, current = [], []
    skip_indent = None  # the indentation a skipped block's lines exceed
    literal_next, paragraph_indent = False, 0
    for line in text.replace("\r\n", "\n").split("\n"):
        indent = len(line) - len(line.lstrip())
        if skip_indent == -1:  # a table
            skip_indent = None if not line.strip() else -1
            continue
        if skip_indent is not None:
            if not line.strip() or indent > skip_indent:
                continue
            skip_indent = None
        if not line.strip():
            blocks.append("\n".join(current))
            current = []
            if literal_next:
                skip_indent, literal_next = paragraph_indent, False
            continue
        if m := _RST_DIRECTIVE.match(line):
            if not re.fullmatch(_RST_PROSE_DIRECTIVES, m.group(2)):
                skip_indent = len(m.group(1))
            else:
                current.append(m.group(3))  # a title, or the first line of the body
            continue
        if line.lstrip().startswith(".. ") or line.strip() == "..":
            skip_indent = indent  # a comment, a target or a footnote, with its lines
            continue
        if re.match(r"^\s*:[\w-]+:(\s|$)", line):
            skip_indent = indent  # a field (metadata, options), with its continuation lines
            continue
        if re.match(r"^\s*(?:=+(?:\s+=+)+|\+[-=+]+\+)\s*$", line):
            skip_indent = -1  # a simple or grid table: up to the blank line after it
            continue
        if _RST_ADORNMENT.match(line):
            continue  # a title's adornment
        current.append(line)
        paragraph_indent = indent
        if line.rstrip().endswith("::"):
            literal_next = True
    blocks.append("\n".join(current))
    return blocks


_ADOC_VERBATIM = re.compile(r"^(-{4,}|\.{4,}|\+{4,}|/{4,}|[|,:!]={3,}|`{3,}\w*)\s*$")
_ADOC_MARKUP_LINE = re.compile(
    r"^(?:\[.*\]|:!?[\w-]+!?:.*|//.*|\.[^\s.].*|(?:include|image|toc|video|audio|if\w*|endif)::.*"
    r"|={4,}|\*{4,}|_{4,}|--|\+|'{3,}|<<<|<\d+>.*)\s*$"
)


def _adoc_blocks(text: str) -> list[str]:
    """The prose of an AsciiDoc post: paragraphs, section titles, list items and the text of
    admonitions, quotes, sidebars and examples; not the header (up to its first blank line
    when the post starts with a title or attributes), YAML front matter, attribute entries,
    comments, block attribute lines and titles (captions), listing, literal, passthrough and
    comment blocks, tables, paragraphs styled as code (`[source]` above them) or indented
    (literal), callout lists under code, and conditional text (`ifdef::name[]` to `endif::[]`)
    whose attribute the post never sets (`ifndef::`: sets)."""
    lines = text.replace("\r\n", "\n").split("\n")
    set_names = set(re.findall(r"^:([\w-]+):", text, flags=re.M))
    hidden = []  # one per open conditional: whether its text is left out
    start = _front_matter_end(lines)
    if start < len(lines) and re.match(r"^(?:= |:[\w-]+:)", lines[start]):
        while start < len(lines) and lines[start].strip():
            start += 1
    blocks, current, closing, code_paragraph = [], [], None, False
    for line in lines[start:]:
        stripped = line.strip()
        if closing is not None:
            if stripped == closing:
                closing = None
            continue
        if m := re.match(r"^(ifn?def)::([\w-]+)\[\]$|^endif::", stripped):
            if m.group(1):
                hidden.append((m.group(2) in set_names) == (m.group(1) == "ifndef"))
            elif hidden:
                hidden.pop()
            continue
        if any(hidden):
            continue
        if m := _ADOC_VERBATIM.match(stripped):
            closing = re.match(r"`+", m.group(1)).group() if m.group(1)[0] == "`" else m.group(1)
            continue
        if not stripped:
            blocks.append("\n".join(current))
            current, code_paragraph = [], False
            continue
        if re.match(r"^\[(?:source|listing|literal|stem|latexmath)\b", stripped) and not current:
            code_paragraph = True
            continue
        if code_paragraph or (not current and line[:1] in (" ", "\t")):
            code_paragraph = True
            continue
        if _ADOC_MARKUP_LINE.match(stripped):
            continue
        current.append(stripped)
    blocks.append("\n".join(current))
    return blocks


def _adoc_inline(block: str) -> str:
    # a macro's or link's text stays, its target goes; images, footnotes, anchors, index terms
    # and comments go; a cross reference's text stays (a bare one shows its section's title)
    block = re.sub(
        r"\bimage:[^\s\[]*\[[^\]]*\]|footnote:[\w-]*\[[^\]]*\]|\[\[[^\]]*\]\]", " ", block
    )
    block = re.sub(r"\({3}.*?\){3}", " ", block)
    block = re.sub(r"<<[^,>]*,([^>]*)>>|<<[^>]*>>", lambda m: m.group(1) or " ", block)
    block = re.sub(r"`\+(.*?)\+`", r"\1", block)  # a literal code span
    block = re.sub(
        r"(?:https?|ftp|mailto|link|xref):[^\s\[]*\[([^\]]*)\]",
        lambda m: " " + _link_text(m.group(1)) + " ",
        block,
    )
    block = re.sub(r"\b[a-z][\w-]*:[^\s\[]*\[([^\]]*)\]", r" \1 ", block)
    block = re.sub(r"(?:https?://|www\.)\S+", " ", block)
    block = re.sub(r"^(?:[*.]{1,5}|-|\d+\.)\s+|^(NOTE|TIP|IMPORTANT|CAUTION|WARNING):", " ", block,
                   flags=re.M)  # fmt: skip
    block = re.sub(r"^=+\s+|:{2,4}(?=\s|$)|;;(?=\s|$)|\s\+$", " ", block, flags=re.M)
    block = re.sub(r"\{[\w-]+\}", " ", block)  # attribute references: their value is heard
    return html.unescape(block)


_ORG_HIDDEN_BLOCKS = r"src|example|export|comment|html|latex"


def _org_blocks(text: str) -> list[str]:
    """The prose of an Org post: paragraphs, headings (without TODO keywords and tags) and list
    items; not keyword lines (`#+TITLE:`, `#+CAPTION:`), comments (`# ...`), drawers
    (`:PROPERTIES:` to `:END:`), planning lines, fixed-width lines (`: ...`), tables, rules,
    footnote definitions, source, example, export and comment blocks, nor a subtree under a
    `COMMENT` heading or one tagged `:noexport:`."""
    lines = text.replace("\r\n", "\n").split("\n")
    blocks, current, closing, drawer, hidden_level = [], [], None, False, 0
    for line in lines[_front_matter_end(lines) :]:
        stripped = line.strip()
        if closing is not None:
            if re.match(closing, stripped, re.I):
                closing = None
            continue
        if heading := re.match(r"^(\*+)\s+(.*)$", line):
            level = len(heading.group(1))
            if hidden_level and level > hidden_level:
                continue
            hidden_level = 0
            title = heading.group(2)
            if title.startswith("COMMENT") or re.search(r":noexport:\s*$", title):
                hidden_level = level
                continue
            title = re.sub(r"\s+:[\w@#%:]+:\s*$", "", title)
            title = re.sub(r"^(?:TODO|DONE)\s+|\[#\w\]\s*|\[\d*(?:/\d*|%)\]", "", title)
            blocks.append("\n".join(current))
            current = [title]
            continue
        if hidden_level:
            continue
        if drawer:
            drawer = not re.match(r"^:END:$", stripped, re.I)
            continue
        if m := re.match(r"^#\+begin_(\w+)", stripped, re.I):
            if re.fullmatch(_ORG_HIDDEN_BLOCKS, m.group(1).lower()):
                closing = rf"^#\+end_{m.group(1)}\b"
            continue
        if re.match(r"^:[\w-]+:$", stripped):
            drawer = True
            continue
        if not stripped:
            blocks.append("\n".join(current))
            current = []
            continue
        if re.match(r"^(?:#\+[\w-]+:|#\s|#$|#\+end_|:\s|:$|\||-{5,}$|\[fn:)", stripped, re.I):
            continue
        if re.match(r"^(?:SCHEDULED|DEADLINE|CLOSED):", stripped):
            continue
        current.append(stripped)
    blocks.append("\n".join(current))
    return blocks


def _org_inline(block: str) -> str:
    # a link's text stays (a URL as text is said as a site), a bare link's target goes; struck
    # out text, footnote references, macros and export snippets go; emphasis marks go
    def link(m: re.Match) -> str:
        if m.group(2) is not None:
            return " " + _link_text(m.group(2)) + " "
        return (
            " "
            if re.match(r"https?:|mailto:|file:|.*\.(png|jpe?g|gif|svg)$", m.group(1))
            else (" " + m.group(1).lstrip("*#") + " ")
        )

    block = re.sub(r"\[\[([^\]]+)\](?:\[([^\]]*)\])?\]", link, block)
    block = re.sub(r"\[fn:[^\]]*\]|\{\{\{.*?\}\}\}|@@\w+:.*?@@", " ", block)
    block = re.sub(r"(?<![\w+])\+[^\s+][^+]*?\+(?![\w+])", " ", block)  # struck out
    block = re.sub(r"(?:https?://|www\.)\S+", " ", block)
    block = re.sub(r"^(?:[-+]|\d+[.)])\s+|\s::(?=\s|$)", " ", block, flags=re.M)
    block = re.sub(r"[<\[](\d{4}-\d{2}-\d{2})[^>\]]*[>\]]", r"\1", block)
    block = re.sub(r"(?<![\w*/=~])[*/=~_](?=\S)|(?<=\S)[*/=~_](?![\w*/=~])", " ", block)
    return html.unescape(block)


def _rst_inline(block: str) -> str:
    # citations are not read, and a reference shows its target's title, not the label
    block = re.sub(r":(?:(?:foot)?cite(?::\w+)?|ref|doc|numref):`[^`]*`", " ", block)
    block = re.sub(r":[\w:.+-]+:`([^`<]*?)\s*(?:<[^`]*>)?`", r"\1", block)  # roles: their text
    block = re.sub(r"`([^`<]*?)\s*<[^`]*>`__?", r"\1", block)  # links: their text
    block = re.sub(r"\[#?\w*\]_", " ", block)  # footnote and citation references
    block = re.sub(r"``([^`]*)``", r"\1", block)
    block = re.sub(r"(?:https?://|www\.)\S+", " ", block)  # bare URLs: said as a site
    return block.replace("::", ":")


def _notebook_markdown(text: str) -> str:
    """A notebook's markdown cells, one after another (code, outputs and raw cells are no
    prose; fastpages' front matter cell, a title over `- key: value` lines, is none either)."""
    cells = json.loads(text).get("cells", [])
    sources = [
        "".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", "")
        for c in cells
        if c.get("cell_type") == "markdown"
    ]
    if sources and re.search(r"^-\s+[\w-]+\s*:", sources[0], re.M):
        sources = sources[1:]
    return "\n\n".join(sources)


def _table_captions(lines: list[str]) -> set[int]:
    """The indexes of Pandoc table captions: a `: ...` or `Table: ...` line next to a table row,
    or one blank line away from it."""
    found = set()
    for n, line in enumerate(lines):
        if not _CAPTION.match(line):
            continue
        for step in (-1, 1):
            near = n + step
            if 0 <= near < len(lines) and not lines[near].strip():
                near += step
            if 0 <= near < len(lines) and lines[near].lstrip().startswith(("|", "+-")):
                found.add(n)
    return found


def _roles(block: str) -> str:
    """MyST roles as their words: a citation or substitution none, `text <target>` the text."""

    def one(m: re.Match) -> str:
        if re.fullmatch(r"(?:foot)?cite(?::\w+)?|sub-ref|eq|del", m.group(1)):
            return " "
        return re.sub(r"\s*<[^<>]*>$", "", m.group(2))

    return _MYST_ROLE.sub(one, block)


def _inline_footnotes(block: str) -> str:
    """Pandoc's inline footnotes, `^[...]` with any brackets balanced inside, gone."""
    out, at = [], 0
    while (start := block.find("^[", at)) != -1:
        depth, end = 0, len(block)
        for i in range(start + 1, len(block)):
            depth += {"[": 1, "]": -1}.get(block[i], 0)
            if depth == 0:
                end = i + 1
                break
        out.append(block[at:start] + " ")
        at = end
    return "".join(out) + block[at:]


def _inline_prose(block: str, executed: bool = False) -> str:
    if executed:
        block = _INLINE_RESULT.sub(" ", block)
        block = _PANDOC_CITATION.sub(" ", block)
    for pattern, shown in _SHOWN:
        block = pattern.sub(shown, block)
    block = _ATTRIBUTES.sub(" ", _CROSSREF.sub(" ", _inline_footnotes(_roles(block))))
    for pattern in _INLINE_DROP[:4]:
        block = pattern.sub(" ", block)
    block = _LINK.sub(lambda m: _link_text(m.group(1) or m.group(2) or ""), block)
    block = re.sub(r"^\s*(?:>\s*)+", "", block, flags=re.M)  # quote markers
    block = re.sub(r"\{/\*.*?\*/\}", " ", block, flags=re.S)  # MDX comments
    block = _jsx_expressions(block)
    for pattern in _INLINE_DROP[4:]:
        block = pattern.sub(" ", block)
    block = re.sub(r"^\s{0,3}#{1,6}\s", "", block, flags=re.M)
    return html.unescape(block)


def _jsx_expressions(block: str) -> str:
    """JSX attribute values in braces (`className={({ selected }) => `...`}`), balanced and over
    any number of lines, are code: without this the tag pattern stops at the `>` of `=>` and the
    class names after it count as prose."""
    out, at = [], 0
    for m in re.finditer(r"=\{", block):
        if m.start() < at:
            continue
        depth, end = 0, m.end() - 1
        for end in range(m.end() - 1, len(block)):
            depth += {"{": 1, "}": -1}.get(block[end], 0)
            if depth == 0:
                break
        out.append(block[at : m.start()] + '=""')
        at = end + 1
    return "".join(out) + block[at:]


def _link_text(text: str) -> str:
    return "" if _URL_TEXT.fullmatch(text) else text


def word_forms(text: str, lang: str = "en") -> list[str]:
    """Rule 5: the comparable words of spoken (already normalized) text."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z]+", folded) if len(w) >= 3 and w not in ALLOWANCE]


def prose_words(text: str, suffix: str = ".md", lang: str = "en") -> list[str]:
    """The comparable prose words of a post's source text."""
    words = []
    for block in prose_blocks(text, suffix):
        words.extend(word_forms(normalize(block, lang), lang))
    return words


def lost_words(prose: list[str], spoken: list[str]) -> collections.Counter:
    """Prose words (with their counts) that the spoken words do not cover."""
    return collections.Counter(prose) - collections.Counter(spoken)


# -- what should never be heard -----------------------------------------------------------------

# Not "sh": "install dot SH" is a shell script's name (a path below), as normalize's own list of
# TLDs leaves .sh out. (Fix: a script was counted twice, as a path and as a domain.)
_TLDS = (
    "com|org|net|io|dev|edu|gov|co|uk|de|fr|es|it|nl|me|info|app|ai|ly|xyz|ca|au|us|in|jp|"
    "ru|ch|se|no|tv|cc|biz|eu|page|site|blog|tech|cloud"
)
# French "point" and Spanish/Italian "punto", Portuguese "ponto" are also ordinary words ("at this
# point in time", "and point it to", "punto de partida"): after them, a "TLD" that is a common
# word in these languages is no domain. (Fix: "point in"/"point it" were counted as domains.)
_WORD_TLDS = "in|it|me|no|us|se|es|de|co|au|ca"
_DOTS = r"dot|punto|point|ponto"
_SPOKEN_DOMAIN = re.compile(
    rf"\b[\w-]+ (?:dot (?:{_TLDS})|(?:punto|point|ponto) (?!(?:{_WORD_TLDS})\b)(?:{_TLDS}))\b",
    re.I,
)
# An e-mail address is read in full on purpose (a listener needs it): a user part, "at" (or
# "arroba", "arobase", "chiocciola"; "AT" as authors write to hide it), then a spoken domain.
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+ (?:at|arroba|arobase|chiocciola) (?:[\w-]+ (?:{_DOTS}) )*"
    rf"{_SPOKEN_DOMAIN.pattern}",
    re.I,
)
_FILE_EXT = "md|py|html|json|ya?ml|txt|sh|rb|java|go|css|xml|toml|cfg|conf|ini|rs|cpp|h"
_SPOKEN_PATH = re.compile(rf"(?:[\w.~-]*/[\w.~-]+/?)+|\w+\\\w+|\b\w+ dot (?:{_FILE_EXT})\b", re.I)


def spoken_domains(text: str) -> list[str]:
    """Domains read out as words ("github dot com"), e-mail addresses (`spoken_emails`) not
    counted: a domain here is a site read out where its name should have been said."""
    return _SPOKEN_DOMAIN.findall(_SPOKEN_EMAIL.sub(" ", text))


def spoken_emails(text: str) -> list[str]:
    """E-mail addresses read out ("jobs at example dot net", "ama AT example dot org")."""
    return _SPOKEN_EMAIL.findall(text)


def spoken_paths(text: str) -> list[str]:
    """File paths read out: a word with a slash inside ("/usr/local/bin", "a/b"), a backslash
    path, or a file name with its extension spoken ("settings dot py"). "and/or" is no path."""
    return [p for p in _SPOKEN_PATH.findall(text) if p.lower() not in ("and/or", "/", "w/")]


# Code-like paragraph classifier. A paragraph of 6+ tokens reads like code when at least 30% of
# its tokens are code signals: a programming keyword or shell command (below), camelCase or
# snake_case, a token with code punctuation (= ; { } < > $ \\, a slash inside, a call `f(`), or the
# spoken "dot"/"equals" joining two identifiers. Prose about code ("the map function returns")
# stays below the line: its keywords are diluted by ordinary words.
_CODE_WORDS = frozenset(
    [
        "def",
        "var",
        "const",
        "void",
        "int",
        "bool",
        "null",
        "nil",
        "elif",
        "endif",
        "fi",
        "esac",
        "println",
        "printf",
        "echo",
        "sudo",
        "npm",
        "pip",
        "cd",
        "mkdir",
        "chmod",
        "apt",
        "yum",
        "brew",
        "curl",
        "wget",
        "self",
        "async",
        "await",
        "lambda",
        "struct",
        "enum",
        "impl",
        "fn",
        "func",
        "namespace",
    ]
)
_CODE_TOKEN = re.compile(r"[=;{}<>$\\]|\w/\w|\w\(|\)\.\w|^[a-z]+[A-Z]\w*$|^\w+_\w+$|^--?\w")


def code_like(text: str) -> bool:
    tokens = text.split()
    if len(tokens) < 6:
        return False
    signals = 0
    for i, token in enumerate(tokens):
        bare = token.strip(".,:;!?\"'")
        joined = bare.lower() in ("dot", "equals") and 0 < i < len(tokens) - 1
        if bare.lower() in _CODE_WORDS or _CODE_TOKEN.search(bare) or joined:
            signals += 1
    return signals / len(tokens) >= 0.3
