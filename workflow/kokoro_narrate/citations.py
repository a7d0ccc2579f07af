"""A post's bibliography, so that a narrative citation is said as the page prints it.

Pandoc (and Quarto, R Markdown, Distill) prints `@smith2020 shows` as "Smith (2020) shows", from
the bibliography the front matter names (`bibliography: refs.bib`, or a list) or holds
(`references:`, CSL YAML). Read without it, the key was "at smith2020". This module reads BibTeX
and BibLaTeX (`.bib`), CSL JSON (`.json`) and CSL YAML (`.yaml`, `.yml`) into `Reference`s, and says
one as a narrative citation (`narrative`): the family names (one, "A and B", or "A et al." for three
or more) and the year. Bracketed citations (`[@smith2020]`) stay unread, as a footnote marker is.

Only the standard library and PyYAML: the workflow reads bibliography paths while it plans.
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reference:
    families: tuple[str, ...]  # authors' family names (else editors'), in order
    year: str | None
    title: str | None


def paths(value, post_path) -> tuple[list[str], list[str]]:
    """(files that exist, files that do not) of a front matter `bibliography` value (a path or a
    list of them, relative to the post's folder as Quarto and R Markdown take them)."""
    names = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    found, missing = [], []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            continue
        path = os.path.normpath(Path(post_path).parent / name.strip())
        (found if os.path.isfile(path) else missing).append(path)
    return found, missing


def load(files) -> dict[str, Reference]:
    """The references of bibliography files, by key (a later file's entry wins). A CSL file
    that does not parse is a warning naming it: its citations are read as written."""
    references: dict[str, Reference] = {}
    for file in files:
        text = Path(file).read_text(encoding="utf-8", errors="replace")
        suffix = Path(file).suffix.lower()
        if suffix in (".json", ".yaml", ".yml"):
            try:
                items = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
            except (ValueError, yaml.YAMLError) as e:
                log.warning(
                    "%s: not CSL %s (%s); its citations are read as written (fix the file)",
                    file,
                    suffix[1:].upper(),
                    " ".join(str(e).split()),
                )
                continue
            references.update(csl(items))
        else:
            references.update(bibtex(text))
    return references


# -- CSL JSON and YAML --------------------------------------------------------------------------


def csl(items) -> dict[str, Reference]:
    """CSL items (a list, or a mapping with `references`, as a front matter holds them)."""
    if isinstance(items, dict):
        items = items.get("references", [])
    found = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)):
            continue
        people = item.get("author") or item.get("editor") or []
        families = tuple(
            _clean(str(p.get("family") or p.get("literal") or ""))
            for p in people
            if isinstance(p, dict) and (p.get("family") or p.get("literal"))
        )
        title = item.get("title")
        found[str(item["id"])] = Reference(
            families,
            _csl_year(item.get("issued")),
            _clean(title) if isinstance(title, str) else None,
        )
    return found


def _csl_year(issued) -> str | None:
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return str(parts[0][0])
        issued = issued.get("raw") or issued.get("literal")
    m = re.search(r"\b(\d{4})\b", str(issued)) if issued is not None else None
    return m.group(1) if m else None


# -- BibTeX and BibLaTeX ------------------------------------------------------------------------

_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]+)\s*,")
_FIELD = re.compile(r"\s*([A-Za-z][\w:.-]*)\s*=\s*")
_SKIPPED_TYPES = ("comment", "preamble", "string")


def bibtex(text: str) -> dict[str, Reference]:
    """The entries of a .bib file: each one's family names (`author`, else `editor`), year
    (`year`, else BibLaTeX's `date`) and title. Anything that is not an entry is skipped, as
    BibTeX skips it."""
    found, at = {}, 0
    while m := _ENTRY.search(text, at):
        kind, key = m.group(1).lower(), m.group(2)
        fields, at = _fields(text, m.end())
        if kind in _SKIPPED_TYPES:
            continue
        people = fields.get("author") or fields.get("editor") or ""
        year = fields.get("year") or (re.search(r"\d{4}", fields.get("date", "")) or [None])[0]
        found[key] = Reference(
            tuple(_family(name) for name in _split_names(people) if _family(name)),
            _clean(year) if year else None,
            _clean(fields["title"]) if "title" in fields else None,
        )
    return found


def _fields(text: str, at: int) -> tuple[dict[str, str], int]:
    """The `name = value` fields from `at` to the entry's closing brace, and where it ends."""
    fields: dict[str, str] = {}
    while at < len(text):
        m = _FIELD.match(text, at)
        if not m:
            end = re.compile(r"\s*,?\s*[})]").match(text, at)
            return fields, end.end() if end else at + 1
        value, at = _value(text, m.end())
        fields[m.group(1).lower()] = value
        comma = re.compile(r"\s*,").match(text, at)
        if comma:
            at = comma.end()
    return fields, at


def _value(text: str, at: int) -> tuple[str, int]:
    """One field value: {braced}, "quoted" or a bare word, joined with # where concatenated."""
    parts = []
    while at < len(text):
        char = text[at]
        if char == "{":
            depth, start = 0, at
            for at in range(start, len(text)):
                depth += {"{": 1, "}": -1}.get(text[at], 0)
                if depth == 0:
                    break
            parts.append(text[start + 1 : at])
            at += 1
        elif char == '"':
            end = at + 1
            depth = 0
            while end < len(text) and not (text[end] == '"' and depth == 0):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            parts.append(text[at + 1 : end])
            at = end + 1
        else:
            m = re.compile(r"[^\s,#{}()]+").match(text, at)
            parts.append(m.group() if m else "")
            at = m.end() if m else at + 1
        joined = re.compile(r"\s*#\s*").match(text, at)
        if not joined:
            break
        at = joined.end()
    return "".join(parts), at


def _split_names(field: str) -> list[str]:
    """A name list split at " and " outside braces."""
    names, depth, start, i = [], 0, 0, 0
    while i < len(field):
        char = field[i]
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and re.match(r"\s+and\s+", field[i:]) and field[i].isspace():
            names.append(field[start:i])
            i += len(re.match(r"\s+and\s+", field[i:]).group())
            start = i
            continue
        i += 1
    names.append(field[start:])
    return [n.strip() for n in names if n.strip()]


def _family(name: str) -> str:
    """The family name of a BibTeX name: "Last, First", "First von Last", or a {Braced Body}."""
    name = name.strip()
    if name == "others":
        return "others"
    if name.startswith("{") and name.endswith("}") and _balanced(name[1:-1]):
        return _clean(name[1:-1])
    if "," in _outside_braces(name):
        return _clean(name[: _outside_braces(name).index(",")])
    words = _words(name)
    if len(words) <= 1:
        return _clean(name)
    # "Ludwig van Beethoven": the family name starts at the first lowercase word after the first
    for n, word in enumerate(words[1:-1], 1):
        if word[:1].islower():
            return _clean(" ".join(words[n:]))
    return _clean(words[-1])


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _outside_braces(text: str) -> str:
    """`text` with braced parts blanked, so that a comma or space inside them is not seen."""
    out, depth = [], 0
    for char in text:
        depth += {"{": 1}.get(char, 0)
        out.append(char if depth == 0 else " ")
        depth -= {"}": 1}.get(char, 0)
    return "".join(out)


def _words(name: str) -> list[str]:
    blanked = _outside_braces(name)
    return [name[m.start() : m.end()] for m in re.finditer(r"\S+", blanked)]


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
            "c": "\u0327", "v": "\u030c", "=": "\u0304", ".": "\u0307", "u": "\u0306"}  # fmt: skip


def _clean(text: str) -> str:
    """LaTeX's accents as letters ({\\"o} and \\"{o} as ö), commands and braces gone."""
    text = re.sub(
        r"\\([\"'`^~cv=.u])\s*\{?\s*([A-Za-z])\}?",
        lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)]),
        text,
    )
    text = re.sub(r"\\(?:ss)\b", "ß", text)
    text = re.sub(r"\\[A-Za-z]+\s*", "", text)
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "").replace("~", " ")).strip()


# -- saying one ---------------------------------------------------------------------------------


def narrative(reference: Reference, locator: str = "") -> str:
    """A narrative citation as an author-date style prints it: "Smith (2020)", "Smith and Jones
    (2020)", "Smith et al. (2020, p. 4)"; without authors the title, without a year no date."""
    families = [f for f in reference.families if f != "others"]
    if not families:
        who = reference.title or ""
    elif len(families) == 1 and "others" not in reference.families:
        who = families[0]
    elif len(families) == 2 and "others" not in reference.families:
        who = f"{families[0]} and {families[1]}"
    else:
        who = f"{families[0]} et al."
    when = ", ".join(part for part in (reference.year, locator.strip()) if part)
    return f"{who} ({when})" if who and when else who or when
