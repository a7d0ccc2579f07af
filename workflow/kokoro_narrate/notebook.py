"""Jupyter notebooks as posts: the Markdown a notebook's page shows, line for line with the file.

Notebook blogs (Quarto, fastpages, nbdev, Jupyter Book) keep a post as an .ipynb file: its
markdown cells are the prose, its code cells code (their outputs are what the page shows under
them, which a listener cannot use), and a raw cell at the top may hold the front matter
(Quarto). `markdown` turns the file into the Markdown the rest of the script stage reads:
markdown cells as they are, code cells as fenced code in the notebook's language, other raw
cells left out. fastpages writes its front matter as a first cell of its own, the title as a
heading, the description as a quote and the keys as a list (`- toc: true`): that cell becomes
YAML front matter.

Each source line stays on the line of the .ipynb file where it is written (nbformat writes one
JSON string per line, and the lines between cells become blank lines), so an error or a warning
names the line an editor shows. A notebook written otherwise (minified JSON) gets its Markdown
line after line instead. Only the standard library: the workflow reads front matter while it
plans, through frontmatter.read, which calls this.
"""

from __future__ import annotations

import json
import re

_SOURCE_OPEN = re.compile(r'^\s*"source"\s*:\s*(\[\s*$|\[\s*\],?\s*$|")')
_SOURCE_CLOSE = re.compile(r"^\s*\],?\s*$")
# fastpages' first cell: "# Title", "> description", then "- key: value" lines
_FASTPAGES_TITLE = re.compile(r"#\s+(.+?)\s*")
_FASTPAGES_SUMMARY = re.compile(r">\s*(.+?)\s*")
_FASTPAGES_KEY = re.compile(r"-\s+([\w-]+)\s*:\s*(.*?)\s*")


class NotebookError(ValueError):
    """A file named .ipynb that is no notebook."""


def markdown(text: str, path) -> str:
    """The Markdown of the notebook whose JSON is `text` (see the module docstring)."""
    try:
        notebook = json.loads(text)
    except ValueError as e:
        where = f"{path}:{e.lineno}" if hasattr(e, "lineno") else str(path)
        raise NotebookError(
            f"{where}: not a Jupyter notebook ({e}); save it from Jupyter again, or rename it"
        ) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotebookError(
            f"{path}:1: a notebook without a list of cells (nbformat 4 writes one); save it from "
            "Jupyter again, or rename it"
        )
    language = _language(notebook)
    sources = [_source(cell) for cell in cells]
    blocks = [
        _block(cell, n, lines, language)
        for n, (cell, lines) in enumerate(zip(cells, sources, strict=True))
    ]
    placed = _placed(text.split("\n"), sources, blocks)
    if placed is not None:
        return placed
    out = []  # line after line, a blank line between cells
    for block in blocks:
        out += [*block.head, *block.lines, *block.tail, ""] if block.lines else []
    return "\n".join(out)


class _Block:
    """A cell's Markdown: what goes before its source lines, the lines, and what goes after."""

    def __init__(self, lines: list[str], head: tuple = (), tail: tuple = ()):
        self.lines, self.head, self.tail = lines, list(head), list(tail)


def _language(notebook: dict) -> str:
    meta = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(key, {}).get(field) if isinstance(meta.get(key), dict) else None
        if isinstance(value, str) and re.fullmatch(r"[\w+#.-]+", value):
            return value
    return ""


def _source(cell: dict) -> list[str] | None:
    """A cell's source lines (nbformat keeps one line per string, each ending in its line break);
    None for a source that is not text."""
    source = cell.get("source", [])
    strings = source if isinstance(source, list) else [source]
    if not all(isinstance(s, str) for s in strings):
        return None
    return [line for s in strings for line in s.removesuffix("\n").split("\n")] if strings else []


def _block(cell: dict, n: int, lines: list[str] | None, language: str) -> _Block:
    kind = cell.get("cell_type")
    if not lines:
        return _Block([])
    if kind == "markdown":
        front = _fastpages(lines) if n == 0 else None
        return _Block(front, ["---"], ["---"]) if front else _Block(lines)
    if kind == "code" and any(s.strip() for s in lines):
        return _Block(lines, ["```" + language], ["```"])
    if kind == "raw" and n == 0 and lines[0].strip() == "---":
        return _Block(lines[1:], ["---"])  # Quarto's front matter
    return _Block([])


def _fastpages(lines: list[str]) -> list[str] | None:
    """fastpages' front matter cell as YAML, line for line; None for another cell."""
    out, keys = [], 0
    for line in lines:
        if m := _FASTPAGES_KEY.fullmatch(line):
            out.append(f"{m.group(1)}: {m.group(2)}")
            keys += 1
        elif (m := _FASTPAGES_TITLE.fullmatch(line)) and not out:
            title = m.group(1)
            if len(title) > 1 and title[0] == title[-1] and title[0] in "\"'":
                title = title[1:-1]  # quoted in the cell, as YAML would need a colon to be
            out.append("title: " + json.dumps(title, ensure_ascii=False))
        elif (m := _FASTPAGES_SUMMARY.fullmatch(line)) and not keys:
            out.append("description: " + json.dumps(m.group(1), ensure_ascii=False))
        elif not line.strip():
            out.append("")
        else:
            return None
    return out if keys else None


def _placed(json_lines: list[str], sources: list, blocks: list[_Block]) -> str | None:
    """The Markdown with each cell's source lines on the JSON lines of its strings, what goes
    before them on the line of `"source": [` and what goes after on its `]`; a front matter's
    opening fence moves to the first line (the blank lines between are nothing to YAML). None
    when the file does not keep one source string per line."""
    opens = [i for i, line in enumerate(json_lines) if _SOURCE_OPEN.match(line)]
    if len(opens) != len(sources) or any(lines is None for lines in sources):
        return None
    out = [""] * len(json_lines)
    for lines, block, start in zip(sources, blocks, opens, strict=True):
        opening = _SOURCE_OPEN.match(json_lines[start]).group(1)
        if opening.startswith('"') or opening.rstrip(", \t") == "[]":
            # "source": [] or "source": "one line": what goes around it takes the lines around
            if len(lines) > 1 or start == 0 or start + 1 == len(json_lines):
                return None
            start, end = start - 1, start + 1
            if block.lines:
                out[start + 1] = block.lines[0]
                out[start], out[end] = (block.head or [""])[0], (block.tail or [""])[0]
            continue
        end = next(
            (j for j in range(start + 1, len(json_lines)) if _SOURCE_CLOSE.match(json_lines[j])),
            None,
        )
        if end is None or end - start - 1 != len(lines):
            return None  # a string holding several lines, or another layout
        if not block.lines:
            continue
        first = start + 1 + len(lines) - len(block.lines)  # a raw cell's "---" left at the top
        out[first:end] = block.lines
        if block.head:
            out[0 if block.head == ["---"] else start] = block.head[0]
        if block.tail:
            out[end] = block.tail[0]
    return "\n".join(out)
