"""config/README.md is the config schema, written out: every key, default, bound and meaning."""

from __future__ import annotations

import copy
import importlib.util

import pytest
import yaml

from conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
README = REPO / "config" / "README.md"

_spec = importlib.util.spec_from_file_location("config_readme", REPO / "tools" / "config_readme.py")
config_readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config_readme)


def schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


def every_key(properties: dict, prefix: str = ""):
    """Dotted names of every key the schema defines, walked here independently of the tool."""
    for name, sub in properties.items():
        yield prefix + name
        yield from every_key(sub.get("properties", {}), f"{prefix}{name}.")
        for option in sub.get("items", {}).get("oneOf", [sub.get("items", {})]):
            yield from every_key(option.get("properties", {}), f"{prefix}{name}[].")


def test_config_readme_is_what_the_schema_makes():
    assert README.read_text(encoding="utf-8") == config_readme.render(schema()), (
        "config/README.md and workflow/schemas/config.schema.yaml disagree: run make config-readme"
    )


def test_every_key_has_a_row_or_a_section():
    page = README.read_text(encoding="utf-8")
    keys = list(every_key(schema()["properties"]))
    assert len(keys) > 40
    for key in keys:
        assert f"| `{key}` |" in page or f"## `{key}`" in page, key


def test_a_row_shows_default_bounds_and_meaning():
    page = README.read_text(encoding="utf-8")
    (row,) = [line for line in page.splitlines() if line.startswith("| `speed` |")]
    assert row == (
        "| `speed` | `1.0` | number, 0.5 to 2.0 | Kokoro's speaking rate; 1.0 is its natural pace |"
    )
    (row,) = [line for line in page.splitlines() if line.startswith("| `matrix.excerpt_s` |")]
    assert "`30`" in row and "above 0 or `null`" in row


def test_a_changed_default_changes_the_page():
    changed = schema()
    changed["properties"]["speed"]["default"] = 1.1
    assert config_readme.render(changed) != README.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [("threads",), ("pauses", "edge_ms"), ("model",)])
def test_a_key_without_a_description_is_refused(path):
    broken = copy.deepcopy(schema())
    node = broken
    for name in path:
        node = node["properties"][name]
    del node["description"]
    with pytest.raises(config_readme.SchemaError, match=".".join(path)):
        config_readme.render(broken)


def test_check_mode_says_what_to_run(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "README.md"
    stale.write_text("# Configuration\n", encoding="utf-8")
    monkeypatch.setattr(config_readme, "README", stale)
    monkeypatch.setattr(config_readme, "REPO", tmp_path)
    assert config_readme.main(["--check"]) == 1
    assert "make config-readme" in capsys.readouterr().out
    assert config_readme.main([]) == 0
    assert config_readme.main(["--check"]) == 0
