"""The config's defaults, read from the schema that holds them.

workflow/schemas/config.schema.yaml is the one place a default is written: Snakemake fills a
config from it (snakemake.utils.validate), and the package reads the same file for callers that
pass no config (tests, benchmarks, the option classes' `from_config`). The package reaches it as
package data: kokoro_narrate/config.schema.yaml is a link to it in the checkout, and a copy of it
in a built wheel.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources

SCHEMA_FILE = "config.schema.yaml"


def _filled(schema: dict):
    """What Snakemake's validate makes of a missing value: the default, and for an object its
    properties' defaults inside it."""
    value = copy.deepcopy(schema.get("default"))
    if "properties" in schema and (value is None or isinstance(value, dict)):
        value = value or {}
        for key, sub in schema["properties"].items():
            if key not in value and ("default" in sub or "properties" in sub):
                value[key] = _filled(sub)
    return value


@functools.cache
def _defaults() -> dict:
    import yaml

    schema = resources.files("kokoro_narrate").joinpath(SCHEMA_FILE)
    return _filled(yaml.safe_load(schema.read_text(encoding="utf-8")))


def config_defaults() -> dict:
    """Every default of the config, as a validated empty config holds them."""
    return copy.deepcopy(_defaults())


def section(name: str) -> dict:
    """The defaults of one config section, e.g. section("pauses")."""
    return copy.deepcopy(_defaults()[name])


def with_defaults(config: dict) -> dict:
    """`config` over the schema's defaults, section by section (what validate does)."""

    def merge(base, over):
        if isinstance(base, dict) and isinstance(over, dict):
            return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
        return copy.deepcopy(over)

    return merge(_defaults(), config)
