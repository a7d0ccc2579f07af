"""The pip route and the conda route install the same versions."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+(?:\[[a-z,]+\])?)==([^\s;#]+)")


def pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_environment_yml_pins_equal_requirements():
    pip_pins = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        pip_pins.update(pins((REPO / name).read_text().splitlines()))
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == pip_pins
    assert len(pip_pins) >= 15


RULE_ENV = REPO / "workflow/envs/kokoro-narrate.yaml"


def rule_env_pip() -> list[str]:
    env = yaml.safe_load(RULE_ENV.read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def test_rule_environment_pins_equal_runtime_requirements_but_snakemake():
    runtime = pins((REPO / "requirements.txt").read_text().splitlines())
    assert "snakemake" in runtime  # the user's environment runs it
    del runtime["snakemake"]
    assert pins(rule_env_pip()) == runtime


def test_rule_environment_has_no_second_snakemake():
    env = yaml.safe_load(RULE_ENV.read_text())
    names = [d for d in env["dependencies"] if isinstance(d, str)] + rule_env_pip()
    assert not [n for n in names if n.lower().startswith("snakemake")]


def test_rule_environment_installs_this_checkout():
    """Snakemake hands conda a copy of the file, <workdir>/.snakemake/conda/<hash>.yaml, and conda
    runs pip in the copy's folder: the editable path must name the checkout from there (the
    README runs snakemake from the checkout) and from the file's own folder."""
    (path,) = [line.split(maxsplit=1)[1] for line in rule_env_pip() if line.startswith("-e ")]
    for pip_cwd in (REPO / ".snakemake" / "conda", RULE_ENV.parent):
        target = (pip_cwd / path).resolve()
        assert target == REPO, (pip_cwd, path)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == "kokoro-narrate"


def test_every_requirement_is_pinned_exactly():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (REPO / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                assert PIN.match(line), f"{name}: {line!r} is not pinned with =="


def test_installed_versions_match_pins():
    from importlib.metadata import PackageNotFoundError, version

    pip_pins = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        pip_pins.update(pins((REPO / name).read_text().splitlines()))
    for name, pinned in pip_pins.items():
        dist = name.split("[")[0]
        try:
            installed = version(dist)
        except PackageNotFoundError:
            raise AssertionError(f"{dist} is not installed") from None
        assert installed.split("+")[0] == pinned, f"{dist}: installed {installed}, pinned {pinned}"
