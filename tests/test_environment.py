"""The pip route and the conda route install the same versions."""

import re
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


def test_rule_environment_pins_equal_runtime_requirements():
    runtime = pins((REPO / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((REPO / "workflow/envs/kokoro-narrate.yaml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == runtime


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
