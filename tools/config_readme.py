"""Write config/README.md from workflow/schemas/config.schema.yaml: every config key with its
default, what it allows and what it means, so the page can never disagree with the schema.

    python tools/config_readme.py           # rewrite config/README.md (make config-readme)
    python tools/config_readme.py --check   # exit 1 when config/README.md is not what it makes

A key without a description in the schema is an error: the page describes every key. Needs only
PyYAML. tests/test_config_readme.py checks the page against the schema.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
README = REPO / "config" / "README.md"

HEADER = """\
<!-- Generated from workflow/schemas/config.schema.yaml by `make config-readme`
(tools/config_readme.py): edit the schema, not this page. tests/test_config_readme.py fails
when they disagree. -->

# Configuration

Edit `config/config.yaml` (the example there narrates `corpus/` in four voices, one of them a
blend), or pass a file of your own with `--configfile`. Every key is optional: a key that is not
set takes its default. Before anything is planned, Snakemake validates the config against
`workflow/schemas/config.schema.yaml`, and the pipeline checks what a schema cannot (that a voice
exists, that a blend's weights sum to more than zero), stopping with a message that names the key.
The main [README](../README.md) says what the pipeline makes and when each stage reruns.
"""

TYPE_NAMES = {
    "string": "text",
    "number": "number",
    "integer": "integer",
    "boolean": "`true` or `false`",
    "array": "list",
    "object": "mapping",
    "null": "`null`",
}


class SchemaError(ValueError):
    """The schema lacks what the page needs (a key without a description)."""


def flow(value) -> str:
    """A value as it is written in config.yaml, on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.removesuffix("\n...\n").strip()


def code(value) -> str:
    text = flow(value)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def is_section(schema: dict) -> bool:
    """An object whose keys are named in the schema: it gets a table of its own."""
    return schema.get("type") == "object" and "properties" in schema


def allowed(schema: dict) -> str:
    """What a value may be, in words."""
    if "oneOf" in schema:
        return " or ".join(allowed(option) for option in schema["oneOf"])
    if "enum" in schema:
        return "one of " + ", ".join(code(value) for value in schema["enum"])
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    words = []
    for kind in types:
        if kind == "array":
            items = schema.get("items")
            word = f"list of {grouped(allowed(items))}" if items else "list"
            if schema.get("minItems"):
                word += f", at least {schema['minItems']}"
        elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            word = f"mapping of names to {grouped(allowed(schema['additionalProperties']))}"
            if schema.get("minProperties"):
                word += f", at least {schema['minProperties']}"
        elif kind == "object" and "properties" in schema:
            word = "mapping with " + ", ".join(code(k) for k in schema["properties"])
        else:
            word = TYPE_NAMES[kind]
        if kind in ("number", "integer"):
            word += bounds(schema)
        if kind == "string" and schema.get("minLength"):
            word = "non-empty text"
        words.append(word)
    return " or ".join(words) if words else "anything"


def grouped(words: str) -> str:
    """Parentheses around alternatives or a qualified phrase inside a longer phrase."""
    return f"({words})" if " or " in words or "," in words else words


def bounds(schema: dict) -> str:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        return f" above {flow(schema['exclusiveMinimum'])}"
    if low is not None and high is not None:
        return f", {flow(low)} to {flow(high)}"
    if low is not None:
        return f", at least {flow(low)}"
    if high is not None:
        return f", at most {flow(high)}"
    return ""


def text_cell(text: str) -> str:
    """Markdown for a table cell: code spans kept, markup outside them escaped."""
    pieces = re.split(r"(`[^`]*`)", " ".join(text.split()))
    for i in range(0, len(pieces), 2):
        piece = pieces[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        piece = re.sub(r"([*\[\]\\])", r"\\\1", piece)
        # an underscore inside a word is never emphasis; one at a word's edge may be
        pieces[i] = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", piece)
    return "".join(pieces).replace("|", "\\|")


def described(key: str, schema: dict) -> str:
    description = schema.get("description", "").strip()
    if not description:
        raise SchemaError(
            f"config key {key!r} has no description in {SCHEMA.relative_to(REPO)}: "
            "every key is described on config/README.md"
        )
    return description


def rows(
    properties: dict, prefix: str = "", required: frozenset = frozenset()
) -> Iterator[tuple[str, dict, bool]]:
    """(dotted key, schema, required) of every key of a table: nested sections are left for their
    own table; the named keys of a list's entries follow the list as `list[].key`."""
    for name, schema in properties.items():
        key = f"{prefix}{name}"
        if is_section(schema):
            continue
        yield key, schema, name in required
        items = schema.get("items", {})
        for option in items.get("oneOf", [items]):
            if option.get("type") == "object" and "properties" in option:
                needed = frozenset(option.get("required", ()))
                yield from rows(option["properties"], f"{key}[].", needed)


def sections(schema: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(dotted key, schema) of the top level ("") and of every nested section, in schema order."""
    yield prefix.rstrip("."), schema
    for name, sub in schema["properties"].items():
        if is_section(sub):
            yield from sections(sub, f"{prefix}{name}.")


def table(properties: dict, prefix: str) -> list[str]:
    lines = ["| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    for key, schema, required in rows(properties, prefix):
        default = code(schema["default"]) if "default" in schema else ""
        if required:
            default = "(required)"
        lines.append(
            f"| `{key}` | {text_cell(default)} | {text_cell(allowed(schema))} "
            f"| {text_cell(described(key, schema))} |"
        )
    return lines


def render(schema: dict) -> str:
    """The whole page for a config schema."""
    lines = HEADER.splitlines()
    for key, section in sections(schema):
        lines.append("")
        if key:
            lines += [f"## `{key}`", "", sentence(text_cell(described(key, section))), ""]
        else:
            lines += ["## Top-level keys", ""]
        lines += table(section["properties"], f"{key}." if key else "")
    return "\n".join(lines) + "\n"


def sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def load_schema(path: Path = SCHEMA) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    page = render(load_schema())
    if args.check:
        current = README.read_text(encoding="utf-8") if README.exists() else ""
        if current != page:
            print(f"{README.relative_to(REPO)} is out of date: run make config-readme")
            return 1
        return 0
    README.write_text(page, encoding="utf-8")
    print(f"wrote {README.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
