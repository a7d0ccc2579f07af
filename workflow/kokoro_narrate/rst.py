"""reStructuredText posts (Pelican, Nikola, Sphinx with ABlog): the script stage's front end.

docutils (which Snakemake itself depends on) parses the post into a document tree; the walk reads
it as the Markdown walk reads its tokens, into the same items: the title, section headings,
paragraphs, list items, block quotes, admonitions with their label, and the same cues where a
lead-in announces code, a table, math or a figure that is not read. Sphinx's directives and roles,
which docutils alone does not know, are registered as what they show: `code-block` is code,
`toctree` and `literalinclude` show nothing here, `:ref:` is the heading its label stands before
(or its explicit title), `:func:` and the like are code, `:cite:` is left out.

Parsing is made safe for untrusted posts: no file is included and no raw HTML passed through,
no docutils.conf is read, and no message of docutils' own reaches the log (a problem is found by
what the walk reads, as for Markdown).
"""

from __future__ import annotations

import functools
import io
import re

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles

from .script import (
    _EXPLICIT_TITLE,
    _SITE,
    _URL_LIKE,
    SPHINX_CODE_ROLES,
    SPHINX_HIDDEN_ROLES,
    Walk,
    _code_words,
    _join_sites,
    _label,
    _math_words,
    _mention,
    _sentence,
    role_words,
)

_SETTINGS = {
    "report_level": 5,  # no messages: the walk decides what is read
    "halt_level": 5,
    "warning_stream": io.StringIO(),
    "file_insertion_enabled": False,  # `.. include::` and `:file:` options read no file
    "raw_enabled": False,
    "_disable_config": True,  # no docutils.conf from the working directory
    "doctitle_xform": True,  # a lone top section's title is the document's
    "docinfo_xform": True,  # Pelican's fields after the title are metadata, not text
    "syntax_highlight": "none",
    "input_encoding": "unicode",
}

# Sphinx's directives, as what they show
_CODE_DIRECTIVES = ("code-block", "sourcecode", "ipython", "jupyter-execute", "doctest", "testcode")
_EMPTY_DIRECTIVES = (
    "toctree", "literalinclude", "highlight", "index", "autosummary", "post", "postlist",
    "automodule", "autoclass", "autofunction", "only", "tabularcolumns", "graphviz", "mermaid"
)  # fmt: skip
_PASSTHROUGH_DIRECTIVES = ("versionadded", "versionchanged", "deprecated", "seealso", "tab", "card")
# Sphinx's roles that docutils does not know: code-like ones are code (SPHINX_CODE_ROLES), the
# hidden ones nothing, the others their words (role_words)
_TEXT_ROLES = ("doc", "term", "guilabel", "menuselection", "download", "abbr", "any", "numref")
_DOMAINS = ("py", "js", "c", "cpp", "rst", "std", "rb", "go", "rust")


class _Lenient(Directive):
    """A directive that takes any arguments, options and content, as Sphinx's may."""

    has_content = True
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = None  # any option


class _Code(_Lenient):
    """A Sphinx code block: its content as a literal block (never read)."""

    def run(self):
        return [nodes.literal_block("\n".join(self.content), "\n".join(self.content))]


class _Empty(_Lenient):
    """A directive whose output is not text to read here (a table of contents, an include)."""

    def run(self):
        return []


class _Passthrough(_Lenient):
    """A box whose body is prose (versionadded, seealso, tab): the body, parsed."""

    def run(self):
        container = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, container)
        return [container]


def _role(kind: str):
    def role(name, rawtext, text, lineno, inliner, options=None, content=None):
        if kind == "hidden":
            return [], []
        if kind == "code":
            return [nodes.literal(rawtext, role_words("code", text))], []
        if kind == "ref" and not _EXPLICIT_TITLE.fullmatch(text):
            # its section's title, once the whole document is parsed (_section_titles)
            return [nodes.inline(rawtext, text.strip(), classes=["ref"])], []
        return [nodes.inline(rawtext, role_words(name, text))], []

    return role


@functools.cache
def _register() -> None:
    for name in _CODE_DIRECTIVES:
        directives.register_directive(name, _Code)
    for name in _EMPTY_DIRECTIVES:
        directives.register_directive(name, _Empty)
    for name in _PASSTHROUGH_DIRECTIVES:
        directives.register_directive(name, _Passthrough)
    for kind, names in (
        ("code", SPHINX_CODE_ROLES),
        ("text", _TEXT_ROLES),
        ("hidden", SPHINX_HIDDEN_ROLES),
    ):
        for name in names:
            roles.register_local_role(name, _role(kind))
            for domain in _DOMAINS:
                roles.register_local_role(f"{domain}:{name}", _role(kind))
    roles.register_local_role("ref", _role("ref"))
    roles.register_local_role("std:ref", _role("ref"))


def walk(body: str, options) -> tuple[Walk, str | None]:
    """The items of the post `body` (its lines those of the file), and its title."""
    _register()
    document = publish_doctree(body, settings_overrides=dict(_SETTINGS))
    state = Walk(options, [])
    titles = _section_titles(document)
    title = None
    for child in document.children:
        if isinstance(child, nodes.title):
            title = _inline(child, state, titles)
        else:
            _block(child, state, titles, 1)
    for item in state.items:  # the site mentions of a line in prose were joined already
        item.text = _SITE.sub(lambda m: m.group(1), item.text)
    return state, title


def _section_titles(document) -> dict[str, str]:
    """The words of each section's title, by every id and name the section has (for :ref:)."""
    out = {}
    for section in document.findall(nodes.section):
        if section.children and isinstance(section[0], nodes.title):
            words = section[0].astext()
            for key in (*section["ids"], *section["names"]):
                out[key] = words
    return out


def _line(node, state: Walk) -> int:
    for candidate in (node, *node.findall(include_self=False)):
        if getattr(candidate, "line", None):
            return candidate.line
    return state.items[-1].line if state.items else 1


_ADMONITION_KINDS = {
    nodes.note: "note",
    nodes.tip: "tip",
    nodes.hint: "hint",
    nodes.important: "important",
    nodes.warning: "warning",
    nodes.caution: "caution",
    nodes.danger: "danger",
    nodes.error: "error",
    nodes.attention: "attention",
}


def _block(node, state: Walk, titles: dict, depth: int) -> None:
    """Read one block node into `state`."""
    line = _line(node, state)
    if isinstance(node, nodes.section):
        for child in node.children:
            if isinstance(child, nodes.title):
                state.say("heading", _inline(child, state, titles), line, depth)
            else:
                _block(child, state, titles, depth + 1)
    elif isinstance(node, (nodes.paragraph, nodes.rubric)):
        _prose(node, state, titles, line)
    elif isinstance(node, (nodes.bullet_list, nodes.enumerated_list, nodes.definition_list)):
        for item in node.children:
            state.containers.append("list_item")
            for child in item.children:
                if isinstance(child, nodes.term):
                    state.say("list_item", _sentence(_inline(child, state, titles)), line)
                else:
                    _block(child, state, titles, depth)
            state.containers.pop()
    elif isinstance(node, nodes.definition):
        for child in node.children:
            _block(child, state, titles, depth)
    elif isinstance(node, nodes.block_quote):
        state.containers.append("blockquote")
        for child in node.children:
            if not isinstance(child, nodes.attribution):
                _block(child, state, titles, depth)
        state.containers.pop()
    elif isinstance(node, nodes.Admonition):
        kind = _ADMONITION_KINDS.get(type(node), "")
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        said = _label(kind, _inline(title, state, titles) if title else None)
        state.say(state.prose_kind, said, line)
        for child in node.children:
            if child is not title:
                _block(child, state, titles, depth)
    elif isinstance(node, (nodes.topic, nodes.sidebar)):
        if "contents" in node["classes"]:
            return  # a table of contents the site makes
        for child in node.children:
            if isinstance(child, nodes.title):
                state.say(state.prose_kind, _sentence(_inline(child, state, titles)), line)
            else:
                _block(child, state, titles, depth)
    elif isinstance(node, (nodes.literal_block, nodes.doctest_block)):
        state.skipped("code", line)
    elif isinstance(node, nodes.table):
        state.skipped("table", line)
    elif isinstance(node, nodes.math_block):
        state.skipped("math", line)
    elif isinstance(node, (nodes.figure, nodes.image)):
        caption = next((c for c in node.findall(nodes.caption)), None)
        state.figure(_inline(caption, state, titles) if caption else "", line)
    elif isinstance(node, nodes.line_block):
        for child in node.findall(nodes.line):
            state.say(state.prose_kind, _inline(child, state, titles), _line(child, state))
    elif isinstance(node, nodes.transition):
        state.pause = True
    elif isinstance(node, (nodes.footnote, nodes.citation)):
        state.footnotes.append(([], line))
        state.containers.append("footnote")
        for child in node.children:
            if not isinstance(child, nodes.label):
                _block(child, state, titles, depth)
        state.containers.pop()
    elif isinstance(node, (nodes.container, nodes.compound)):
        for child in node.children:
            _block(child, state, titles, depth)
    # comments, targets, substitution definitions, raw output, docinfo, field lists, system
    # messages: nothing to read


def _prose(node, state: Walk, titles: dict, line: int) -> None:
    raw = _inline(node, state, titles)
    text, sites = _join_sites(raw)
    if sites and not re.search(r"\w", _SITE.sub("", raw)):
        state.links(sites, line)  # nothing but links: one line for a run of them
        return
    kind = state.prose_kind
    state.say(kind, _sentence(text) if kind == "list_item" else text, line)


def _inline(node, state: Walk, titles: dict) -> str:
    """The words of an inline node's children, as the Markdown walk says them."""
    out = []
    for child in node.children:
        if isinstance(child, nodes.Text):
            out.append(str(child).replace("\n", " "))
        elif isinstance(child, nodes.literal):
            out.append(_code_words(child.astext(), lambda url: _mention(url, state.options)))
        elif isinstance(child, nodes.math):
            out.append(_math_words(child.astext()))
        elif isinstance(
            child,
            (nodes.footnote_reference, nodes.citation_reference, nodes.image, nodes.target),
        ):
            continue  # a marker, or a picture in the line
        elif isinstance(child, nodes.problematic):
            # a role docutils does not know (`:unknown:`text``): its text
            m = re.fullmatch(r":[\w:.+-]+:`(.*?)(?:\s*<[^<>]*>)?`", child.astext(), re.S)
            out.append(m.group(1) if m else "")
        elif isinstance(child, nodes.inline) and "ref" in child["classes"]:
            out.append(titles.get(nodes.fully_normalize_name(child.astext()), ""))
        elif isinstance(child, nodes.reference):
            words, uri = _inline(child, state, titles), child.get("refuri", "")
            if uri and (words.strip() == uri or _URL_LIKE.fullmatch(words.strip())):
                out.append(_mention(uri, state.options))  # a URL, said as its site
            else:
                out.append(words)
        else:
            out.append(_inline(child, state, titles))
    return "".join(out)
