"""Defaults live in the config schema alone: the package reads them from it, and what it reads is
what Snakemake's validate fills in."""

import dataclasses
from pathlib import Path

import pytest
from snakemake.utils import validate

from kokoro_narrate import defaults, settings
from kokoro_narrate.narration import Pauses
from kokoro_narrate.script import ScriptOptions

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"


def test_the_package_reads_the_defaults_snakemake_fills_in():
    config = {}
    validate(config, str(SCHEMA))
    assert defaults.config_defaults() == config


@pytest.mark.parametrize("options, section", [(Pauses, "pauses"), (ScriptOptions, "script")])
def test_option_classes_write_no_default_of_their_own(options, section):
    fields = dataclasses.fields(options)
    assert all(f.default is dataclasses.MISSING for f in fields)
    assert {f.name for f in fields} == set(defaults.section(section))
    assert vars(options.from_config()) == defaults.section(section)


def test_a_config_section_overrides_only_what_it_names():
    pauses = Pauses.from_config({"paragraph_ms": 900})
    assert pauses.paragraph_ms == 900
    assert pauses.edge_ms == defaults.section("pauses")["edge_ms"]
    merged = defaults.with_defaults({"loudness": {"target_lufs": -19}})
    assert merged["loudness"] == {**defaults.section("loudness"), "target_lufs": -19}


def test_defaults_are_copies():
    defaults.section("script")["cues"] = "changed"
    assert defaults.section("script")["cues"] is True


def test_settings_take_missing_keys_from_the_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.md").write_text("# A\n\nHello.\n")
    plan = settings.load({"posts": ["corpus/*.md"], "voices": ["af_heart"]})
    expected = defaults.config_defaults()
    assert (plan.posts["a"].speed, plan.posts["a"].lang) == (expected["speed"], expected["lang"])
