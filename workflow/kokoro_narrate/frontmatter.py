"""Front matter: the YAML (``---``) or TOML (``+++``) block at the top of a post, read safely.

One reader for the whole pipeline: the workflow reads it while it plans (which posts, in which
voices, at which speed), the script stage when it writes the narration script, so this module
needs nothing beyond the standard library and PyYAML.

Two rules keep one post from hurting the build:

* Reading is bounded. A post cannot make the reader spend unbounded time or memory: the block is
  at most ``MAX_BYTES``, nested at most ``MAX_DEPTH`` deep, and YAML aliases may not expand it past
  ``MAX_NODES`` nodes (the "billion laughs" document is refused, not expanded).
* Values are checked only where the pipeline uses them. A theme's keys (layout, tags, categories,
  permalink, ...) are never looked at. A key the pipeline uses but cannot read is an error of that
  post when the value decides what is built (``voices``, ``speed``, ``skip``, ``lang``), and a
  warning naming file, line and key when it only describes the post (``date``, ``title``,
  ``description``; ``author`` is read where it can be and left out where not): the post still
  builds. YAML timestamps are read as text, so ``date:
  2014-02-29`` is a warning, never a crash of the YAML loader.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_NODES = 20_000
# Kokoro's speed: below 0.5 or above 2.0 the model's pace is no longer speech (and 0.001 would run
# for hours). The config schema holds the same range for `speed`; a test keeps them equal.
SPEED_RANGE = (0.5, 2.0)

_LANG = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


class PostError(ValueError):
    """Bad input in one post: the message names the file, the place (line or byte) and the fix."""


class FrontMatterError(PostError):
    """A post's front matter that cannot be used."""


@dataclass(frozen=True)
class FrontMatter:
    path: str
    values: dict = field(default_factory=dict)  # everything, as parsed (dates as text)
    body_start: int = 0  # lines the block takes, fences included: the body starts after them
    key_lines: dict = field(default_factory=dict)  # 1-based line of each top-level key
    warnings: tuple[str, ...] = ()
    # keys a Quarto project's metadata files gave (quarto_metadata): the file of each; and the
    # files that gave any, which the post's jobs read as inputs
    key_files: dict = field(default_factory=dict)
    inherited_from: tuple[str, ...] = ()

    def line(self, key: str) -> int:
        return self.key_lines.get(key, 1)

    def where(self, key: str) -> str:
        return f"{self.key_files.get(key, self.path)}:{self.line(key)}"

    # What the pipeline reads, each checked here and nowhere else.

    @property
    def title(self) -> str | None:
        return _text(self.values.get("title"))

    @property
    def description(self) -> str | None:
        """`description`, else Jekyll's `excerpt`: what a feed or a player says about the post."""
        return _text(self.values.get("description")) or _text(self.values.get("excerpt"))

    @property
    def author(self) -> str | None:
        """`author` as a name: text, a Jekyll author mapping's `name`, or a list of either
        ("Ana and Ben"); None when it says none of these."""
        value = self.values.get("author", self.values.get("authors"))
        value = value if isinstance(value, list) else [value]
        names = [_text(v.get("name") if isinstance(v, dict) else v) for v in value]
        names = [n for n in names if n]
        if not names:
            return None
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def lang(self) -> str | None:
        """The post's language as a lowercase ISO 639-1 code ("en-GB" -> "en"), if it says."""
        value = self.values.get("lang", self.values.get("language"))
        if value is None or value == "":
            return None
        key = "lang" if "lang" in self.values else "language"
        if not isinstance(value, str) or not re.fullmatch(
            r"[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*", value
        ):
            raise FrontMatterError(
                f"{self.where(key)}: front matter '{key}' is {value!r}; write a language code "
                "such as en, es or en-GB"
            )
        return value.replace("_", "-").split("-")[0].lower()

    @property
    def voices(self) -> tuple[str, ...] | None:
        if "voices" not in self.values:
            return None
        value = self.values["voices"]
        value = [value] if isinstance(value, str) else value
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise FrontMatterError(
                f"{self.where('voices')}: front matter 'voices' is {self.values['voices']!r}; "
                "write a voice name or a list of voice names, e.g. [af_heart, bm_george]"
            )
        return tuple(value)

    @property
    def speed(self) -> float | None:
        if "speed" not in self.values:
            return None
        value = self.values["speed"]
        low, high = SPEED_RANGE
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not low <= value <= high:
            raise FrontMatterError(
                f"{self.where('speed')}: front matter 'speed' is {value!r}; it must be a number "
                f"from {low} to {high}, e.g. 1.1"
            )
        return float(value)

    @property
    def skip(self) -> bool:
        return self._flag("skip", False)

    @property
    def draft(self) -> bool:
        """Jekyll and Hugo drafts: `draft: true`, or `published: false`."""
        return self._flag("draft", False) or not self._flag("published", True)

    @property
    def date(self) -> dt.date | None:
        """The post's date, or None (with a warning in `warnings`) when it is not a real date."""
        return _date(self.values.get("date"))

    def _flag(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise FrontMatterError(
                f"{self.where(key)}: front matter '{key}' is {value!r}; write true or false"
            )
        return value


def _text(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = " ".join(str(value).split())
        return text or None
    return None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _DATE.match(str(value).strip()) if isinstance(value, str | int) else None
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def decode(data: bytes, path) -> str:
    """The post as text: UTF-8 (a BOM is dropped), newlines as "\\n"; a clear error otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FrontMatterError(
            f"{path}:{line}: invalid UTF-8 at byte offset {e.start} (byte 0x{data[e.start]:02x}); "
            "re-save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse(text: str, path) -> FrontMatter:
    """The front matter of a post's text (an empty FrontMatter when it has none)."""
    lines = text.split("\n")
    fence = lines[0].rstrip()
    if fence not in ("---", "+++"):
        return FrontMatter(str(path))
    ends = ("---", "...") if fence == "---" else ("+++",)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ends), None)
    if end is None:
        if fence == "---" and not re.match(r"\s*[\w-]+\s*:", lines[1] if len(lines) > 1 else ""):
            return FrontMatter(str(path))  # a thematic break at the top, not front matter
        raise FrontMatterError(
            f"{path}:1: front matter opened with '{fence}' is never closed; "
            f"add a '{fence}' line after it"
        )
    source = "\n".join(lines[1:end])
    if len(source.encode("utf-8")) > MAX_BYTES:
        raise FrontMatterError(
            f"{path}:2: front matter is {len(source.encode('utf-8')):,} bytes, more than the "
            f"{MAX_BYTES:,} a post's metadata needs; move the content into the post body"
        )
    if fence == "---":
        values, key_lines = _yaml(source, path)
    else:
        values, key_lines = _toml(source, path, end)
    front = FrontMatter(str(path), values, end + 1, key_lines)
    return FrontMatter(front.path, values, end + 1, key_lines, tuple(_warnings(front)))


def read(data: bytes, path) -> tuple[FrontMatter, str]:
    """(front matter, the whole decoded text) of a post file's bytes; of a Jupyter notebook's,
    its Markdown (notebook.markdown), line for line with the file."""
    text = decode(data, path)
    if str(path).lower().endswith(".ipynb"):
        from .notebook import NotebookError, markdown

        try:
            text = markdown(text, path)
        except NotebookError as e:
            raise FrontMatterError(str(e)) from None
    if str(path).lower().endswith(".rst"):
        return _rst_fields(text, path), text
    if str(path).lower().endswith((".adoc", ".asciidoc", ".org")):
        from . import asciidoc, org

        own = org if str(path).lower().endswith(".org") else asciidoc
        above = parse(text, path)  # a YAML or TOML block above the format's own header
        return _header_fields(text, path, own.header, above), own.markdown(text, above.body_start)
    front = parse(text, path)
    if str(path).lower().endswith(QUARTO_SUFFIXES):
        front = _inherit(front, quarto_metadata(path))
    return front, text


# -- Quarto's project and folder metadata ---------------------------------------------------------

# Quarto gives every document of a project the options of its _quarto.yml, then of each folder's
# _metadata.yml from the project's folder down to the document's own, the document's front
# matter last: a blog sets its author, language, bibliography or drafts there for all its posts.
QUARTO_PROJECT = ("_quarto.yml", "_quarto.yaml")
QUARTO_FOLDER = ("_metadata.yml", "_metadata.yaml")
QUARTO_SUFFIXES = (".qmd", ".md", ".markdown", ".ipynb", ".rmd", ".rmarkdown")
# What a post may take from them: what describes every post of a folder alike. Not a title or a
# description, which in _quarto.yml are the site's.
INHERITED_KEYS = (
    "author",
    "authors",
    "lang",
    "language",
    "draft",
    "bibliography",
    "voices",
    "speed",
    "skip",
)
MAX_METADATA_BYTES = 256 * 1024  # a website's _quarto.yml holds its whole navigation


def quarto_metadata(path) -> list[str]:
    """The metadata files Quarto applies to the document at `path`, outermost first: the nearest
    _quarto.yml above it and every _metadata.yml from that folder down to the document's. None
    outside a Quarto project. Paths relative to the working directory where they are below it."""
    folder = Path(os.path.abspath(path)).parent
    chain = [folder, *folder.parents]
    for depth, candidate in enumerate(chain):
        project = _first_file(candidate, QUARTO_PROJECT)
        if project is None:
            continue
        files = [project]
        for inner in reversed(chain[: depth + 1]):
            found = _first_file(inner, QUARTO_FOLDER)
            if found is not None:
                files.append(found)
        return [_shown(f) for f in files]
    return []


def _first_file(folder: Path, names) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _metadata_values(path: str) -> tuple[dict, dict]:
    """(values, key lines) of the keys a post may take from one metadata file; parsed once per
    version of the file (planning reads one for every post below it)."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        _PARSED[key] = _parse_metadata(path)
    values, key_lines = _PARSED[key]
    return dict(values), dict(key_lines)


_PARSED: dict[tuple, tuple[dict, dict]] = {}


def _parse_metadata(path: str) -> tuple[dict, dict]:
    data = Path(path).read_bytes()
    if len(data) > MAX_METADATA_BYTES:
        raise FrontMatterError(
            f"{path}:1: {len(data):,} bytes, more than the {MAX_METADATA_BYTES:,} a Quarto "
            "metadata file needs; move what is not metadata out of it"
        )
    fix = "fix the YAML of this file, which Quarto applies to the posts below it"
    values, key_lines = _yaml(decode(data, path), path, first_line=1, fix=fix)
    values = {k: v for k, v in values.items() if k in INHERITED_KEYS}
    return values, {k: key_lines.get(k, 1) for k in values}


def _inherit(front: FrontMatter, files: list[str]) -> FrontMatter:
    """The post's front matter over what `files` (quarto_metadata) give, each file over the ones
    before it. A bibliography is named relative to the file that names it, as Quarto reads it:
    rewritten relative to the post, where citations.paths looks."""
    values, key_lines, key_files, sources = {}, {}, {}, []
    for name in files:
        given, lines = _metadata_values(name)
        if "bibliography" in given:
            given["bibliography"] = _moved(given["bibliography"], name, front.path)
        values = _over(values, given)
        key_lines |= lines
        key_files |= dict.fromkeys(given, name)
        if given:
            sources.append(name)
    if not values:
        return front
    inherited = {k: v for k, v in _over(values, front.values).items() if k not in front.values}
    return replace(
        front,
        values={**inherited, **front.values},
        key_lines={**{k: key_lines[k] for k in inherited}, **front.key_lines},
        key_files={k: key_files[k] for k in inherited},
        inherited_from=tuple(sources),
    )


# Two spellings of one key to a reader (FrontMatter.author, .lang): a file that gives either
# replaces both of the files before it
_ONE_KEY = (("author", "authors"), ("lang", "language"))


def _over(values: dict, given: dict) -> dict:
    """`given` over `values`, each pair of _ONE_KEY counted as one key."""
    replaced = {k for pair in _ONE_KEY if given.keys() & set(pair) for k in pair}
    return {**{k: v for k, v in values.items() if k not in replaced}, **given}


def _moved(value, metadata_file: str, post_path: str):
    """Bibliography names relative to `metadata_file`'s folder, rewritten relative to the post's."""
    names = value if isinstance(value, list) else [value]
    base, post_folder = os.path.dirname(metadata_file), os.path.dirname(os.path.abspath(post_path))
    moved = [
        os.path.relpath(os.path.abspath(os.path.join(base, n.strip())), post_folder)
        if isinstance(n, str) and n.strip()
        else n
        for n in names
    ]
    return moved if isinstance(value, list) else moved[0]


def _header_fields(text: str, path, header, above: FrontMatter) -> FrontMatter:
    """The front matter of a post whose format keeps its own (an AsciiDoc header, Org's
    keywords): the block `above` it, then what `header` finds after it (asciidoc.header,
    org.header), each value on its line; where both say one thing, the block's."""
    lines = text.split("\n")
    head = header(lines, above.body_start)
    yaml_lines = [""] * head.end
    for key, (value, line) in head.fields.items():
        if key not in above.values:
            yaml_lines[line - 1] = f"{key}: {_yaml_scalar(value)}"
    values, key_lines = _yaml("\n".join(yaml_lines), path, first_line=1)
    front = FrontMatter(
        str(path),
        {**values, **above.values},
        max(head.end, above.body_start),
        {**key_lines, **above.key_lines},
    )
    return FrontMatter(
        front.path, front.values, front.body_start, front.key_lines, tuple(_warnings(front))
    )


# reStructuredText posts keep their metadata as fields after the title (Pelican: `:date:
# 2020-08-02`, `:tags: a, b`, `:summary: ...` with indented continuation lines) or as comments at
# the top (Nikola: `.. title: ...`). Each value is read as YAML reads it after `key:`, on its line.
_RST_FIELD = re.compile(r"^(?::([\w-]+):|\.\.\s+([\w-]+):)(?:[ \t]+(.*))?$")
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")
# Pelican's names for what the pipeline reads
_RST_KEYS = {"summary": "description", "authors": "author"}


def _rst_fields(text: str, path) -> FrontMatter:
    lines = text.split("\n")
    yaml_lines = [""] * len(lines)
    i, seen = 0, False
    while i < len(lines):
        line = lines[i].rstrip()
        m = _RST_FIELD.match(line)
        if m:
            key = (m.group(1) or m.group(2)).lower()
            value = (m.group(3) or "").strip()
            j = i + 1
            while j < len(lines) and lines[j][:1] in (" ", "\t") and lines[j].strip():
                value += " " + lines[j].strip()  # a value continued on indented lines
                j += 1
            if key == "status":  # Pelican: draft, hidden, published
                key, value = (
                    "published",
                    "false" if value.lower() in ("draft", "hidden") else "true",
                )
            yaml_lines[i] = f"{_RST_KEYS.get(key, key)}: {_yaml_scalar(value)}"
            seen, i = True, j
            continue
        if (
            not line
            or _RST_ADORNMENT.match(line)
            or (not seen and i + 1 < len(lines) and _RST_ADORNMENT.match(lines[i + 1].rstrip()))
        ):
            i += 1  # the title and its adornment, or a blank line, before the fields
            continue
        break
    source = "\n".join(yaml_lines[:i])
    if not source.strip():
        return FrontMatter(str(path))
    values, key_lines = _yaml(source, path, first_line=1)
    front = FrontMatter(str(path), values, 0, key_lines)
    return FrontMatter(front.path, values, 0, key_lines, tuple(_warnings(front)))


def _yaml_scalar(value: str) -> str:
    """A field's value as YAML reads it, except text that YAML would misread: a value holding
    ': ' or ' #', or starting with a character YAML reserves, is quoted."""
    if re.search(r": | #|^[&*!|>%@`'\"]", value) and not re.match(r"^\[.*\]$", value):
        return json.dumps(value, ensure_ascii=False)
    return value


def _warnings(front: FrontMatter) -> list[str]:
    out = []
    if front.values.get("date") not in (None, "") and front.date is None:
        out.append(
            f"{front.where('date')}: front matter 'date' is {front.values['date']!r}, which is "
            "not a real date; the post is built without one (write it as YYYY-MM-DD)"
        )
    for key in ("title", "description", "excerpt"):
        value = front.values.get(key)
        if value is not None and _text(value) is None:
            out.append(
                f"{front.where(key)}: front matter '{key}' is not text "
                f"({type(value).__name__}); it is ignored"
            )
    return out


# -- YAML -----------------------------------------------------------------------------------------


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with timestamps read as text and limits on depth and alias expansion."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.expanded = 0  # nodes, counting every alias as the size of what it stands for
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            self._grow(_size(node, self.sizes), mark)
            return node
        mark = self.peek_event().start_mark
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Limit(mark, f"is nested more than {MAX_DEPTH} levels deep")
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self._grow(1, mark)
        return node

    def _grow(self, n: int, mark) -> None:
        self.expanded += n
        if self.expanded > MAX_NODES:
            raise _Limit(mark, f"expands to more than {MAX_NODES:,} values through aliases")


# Timestamps stay text: the loader must never fail on a date that does not exist (2014-02-29).
_BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Limit(Exception):
    def __init__(self, mark, what):
        super().__init__(what)
        self.mark, self.what = mark, what


def _size(node, sizes: dict[int, int]) -> int:
    """Number of nodes under `node`, memoized: aliases share subtrees."""
    key = id(node)
    if key not in sizes:
        sizes[key] = 1  # a cycle counts once
        if isinstance(node, yaml.SequenceNode):
            sizes[key] = 1 + sum(_size(child, sizes) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            sizes[key] = 1 + sum(_size(k, sizes) + _size(v, sizes) for k, v in node.value)
    return sizes[key]


_FIX_FRONT_MATTER = "fix the YAML between the '---' lines"


def _yaml(
    source: str, path, first_line: int = 2, fix: str = _FIX_FRONT_MATTER
) -> tuple[dict, dict]:
    """Values and key lines of YAML `source`, whose first line is the file's `first_line`."""
    loader = _BoundedLoader(source)
    try:
        node = loader.get_single_node()
        values = loader.construct_document(node) if node is not None else None
    except _Limit as e:
        raise FrontMatterError(
            f"{path}:{e.mark.line + first_line}: front matter {e.what}; simplify it"
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + first_line if mark else first_line
        problem = getattr(e, "problem", None) or str(e).split("\n")[0]
        raise FrontMatterError(
            f"{path}:{line}: invalid YAML front matter: {problem}; {fix} (quote values that "
            "contain ':' or '#', indent with spaces, not tabs)"
        ) from None
    except RecursionError:
        raise _too_deep(path) from None
    finally:
        loader.dispose()
    if values is None:
        return {}, {}
    if not isinstance(values, dict):
        raise FrontMatterError(
            f"{path}:{first_line}: front matter is a {type(values).__name__}, not a mapping; "
            "write it as 'key: value' lines"
        )
    key_lines = {
        str(key.value): key.start_mark.line + first_line
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    return {str(k): v for k, v in values.items()}, key_lines


# -- TOML -----------------------------------------------------------------------------------------


def _toml(source: str, path, end: int) -> tuple[dict, dict]:
    try:
        values = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        line = int(m.group(1)) + 1 if m else end  # "at end of document": its last line
        raise FrontMatterError(
            f"{path}:{line}: invalid TOML front matter: {e}; fix the TOML between the '+++' lines"
        ) from None
    except RecursionError:
        raise _too_deep(path) from None
    if _depth(values) > MAX_DEPTH:
        raise FrontMatterError(
            f"{path}:2: front matter is nested more than {MAX_DEPTH} levels deep; simplify it"
        )
    key_lines = {}
    for n, line in enumerate(source.split("\n"), start=2):
        m = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if m and m.group(1) not in key_lines:
            key_lines[m.group(1)] = n
    return values, key_lines


def _too_deep(path) -> FrontMatterError:
    return FrontMatterError(f"{path}:2: front matter is nested too deeply; simplify it")


def _depth(value, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level
