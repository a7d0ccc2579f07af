"""The Snakemake workflow catalog's conventions: its usage file, a global report caption, the
license. config/README.md has tests of its own (test_config_readme.py)."""

from __future__ import annotations

import re
import shlex
import tomllib
from types import SimpleNamespace

import yaml

from conftest import REPO

CATALOG = REPO / ".snakemake-workflow-catalog.yml"
# what the catalog reads from the file (snakemake-workflow-catalog's generate-catalog.py)
CATALOG_KEYS = {"mandatory-flags", "software-stack-deployment", "report"}


def catalog() -> dict:
    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


def parse_cli(args: list[str]):
    from snakemake.cli import get_argument_parser

    return get_argument_parser().parse_args(args)


def test_catalog_file_says_conda_and_report():
    usage = catalog()["usage"]
    assert set(usage) <= CATALOG_KEYS, set(usage) - CATALOG_KEYS
    assert usage["software-stack-deployment"] == {"conda": True}
    assert usage["report"] is True
    assert usage["mandatory-flags"]["desc"].strip()


def test_catalog_command_is_one_snakemake_accepts():
    """The catalog shows `snakemake --cores all --use-conda <flags>`; the flags name the
    Snakemake 8+ spelling, --sdm conda, and parse with the pinned Snakemake."""
    flags = shlex.split(catalog()["usage"]["mandatory-flags"]["flags"])
    assert flags == ["--sdm", "conda"]
    args = parse_cli(["--cores", "all", "--use-conda", *flags])
    assert [str(m) for m in args.software_deployment_method] == ["conda"]


def test_readme_and_environment_files_run_the_conda_route_with_sdm():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(snakemake --sdm conda [^#\n]*)", readme, flags=re.MULTILINE)
    assert commands, "the README shows no `snakemake --sdm conda` command"
    for command in commands:
        parse_cli(shlex.split(command)[1:])
    for path in ("environment.yml", "workflow/envs/kokoro-narrate.yaml"):
        text = (REPO / path).read_text(encoding="utf-8")
        assert "--sdm conda" in text, path


def test_the_snakefile_has_a_global_report_caption_that_renders():
    """What `snakemake --report` does with it: Jinja2 with the config, then reStructuredText,
    here with every docutils warning an error."""
    import jinja2
    from docutils.core import publish_parts
    from snakemake.utils import validate

    (path,) = re.findall(
        r'^report: "([^"]+)"$', (REPO / "Snakefile").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert path == "workflow/report/workflow.rst"
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    text = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (REPO / path).read_text(encoding="utf-8")
    )
    rst = text.render(snakemake=SimpleNamespace(config=config))
    assert "-16 LUFS" in rst
    html = publish_parts(
        rst, writer="html", settings_overrides={"halt_level": 2, "report_level": 2}
    )["html_body"]
    assert 'href="https://huggingface.co/hexgrad/Kokoro-82M"' in html


def test_every_report_caption_exists():
    captions = []
    for rules in (REPO / "workflow" / "rules").glob("*.smk"):
        for caption in re.findall(r'caption="([^"]+)"', rules.read_text(encoding="utf-8")):
            captions.append((rules.parent / caption).resolve())
    assert len(captions) >= 3
    for caption in captions:
        assert caption.is_file(), caption


def test_license_is_the_apache_2_text_pyproject_names():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "Apache-2.0"}


def test_readme_says_the_weights_are_apache_2_too():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## License", 1)[1]
    assert "Kokoro-82M weights" in section and "Apache-2.0" in section


def test_ci_runs_the_linters_and_the_readme_test_command():
    lines = [
        line.strip()
        for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert "set -euo pipefail" in lines
    assert "make test" in lines  # the README's test command, as written there
    (lint,) = [i for i, line in enumerate(lines) if line.startswith("make lint")]
    setup = min(i for i, line in enumerate(lines) if line in ("make setup", "make test"))
    assert setup < lint
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    for tool in ("ruff check .", "ruff format --check .", "snakefmt --check", "snakemake --lint"):
        assert tool in recipe, tool
