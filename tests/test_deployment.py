"""Fits a Snakemake user's hands: planning the workflow needs only Snakemake (and the PyYAML it
brings), and every rule's jobs run in the rule environment that `--sdm conda` deploys."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import DATA, REPO, TEST_VOICES, write_config

SNAKEMAKE_PIN = "snakemake==9.27.1"
# What the jobs import and planning must not: the runtime stack outside Snakemake's own
# dependencies (Jinja2 and PyYAML come with Snakemake).
HEAVY = (
    "torch",
    "kokoro",
    "misaki",
    "spacy",
    "num2words",
    "huggingface_hub",
    "numpy",
    "scipy",
    "soundfile",
    "pyloudnorm",
    "pandas",
    "matplotlib",
    "markdown_it",
    "mdit_py_plugins",
    "mutagen",
)
# The test corpus in three voices: hello and notes in af_heart (a) and bm_george (b), hola in
# ef_dora (e); every stage of every pair is to be made.
PLAN_VOICES = ["af_heart", "bm_george", "ef_dora"]
EXPECTED_JOBS = {
    "script": 3,
    "phonemes": 5,
    "oov": 1,
    "synthesis": 5,
    "narration": 5,
    "manifest": 1,
    "matrix": 1,
    "all": 1,
}
RULE_ENV = REPO / "workflow" / "envs" / "kokoro-narrate.yaml"


@pytest.fixture
def planning_dir(tmp_path) -> Path:
    """The test corpus and a config naming local model files; stand-ins are enough to plan."""
    model = tmp_path / "model"
    (model / "voices").mkdir(parents=True)
    (model / "tiny-kokoro.pth").write_bytes(b"not a checkpoint")
    (model / "config.json").write_text("{}\n")
    for voice in TEST_VOICES:
        (model / "voices" / f"{voice}.pt").write_bytes(b"not a voice")
    work = tmp_path / "work"
    shutil.copytree(DATA / "corpus", work / "corpus")
    (work / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", work / "config" / "lexicon.yaml")
    write_config(work, model, voices=PLAN_VOICES)
    return work


def dry_run_args(workdir: Path) -> list[str]:
    return [
        "--dry-run",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config" / "config.yaml"),
        "--cores",
        "2",
    ]


def job_counts(output: str) -> dict[str, int]:
    """The dry run's "Job stats" table, without its total."""
    table = output.split("Job stats:", 1)[1]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.MULTILINE))
    assert counts.pop("total") == str(sum(map(int, counts.values())))
    return {rule: int(n) for rule, n in counts.items()}


def clean_env() -> dict[str, str]:
    """This process's environment without PYTHONPATH and friends: nothing on the path that the
    interpreter under test does not hold itself."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {
        "PYTHONNOUSERSITE": "1"
    }


# The workflow's own code, by path: the Snakefile and workflow/. Not the whole checkout, which may
# hold the virtual environment itself (and Snakemake's plugins, which import what they like).
WORKFLOW_CODE = (REPO / "Snakefile", REPO / "workflow")

# Runs snakemake with the runtime stack unimportable from the workflow's own code (the Snakefile,
# the rule files, the package): what the workflow imports while it is read fails as it would in an
# environment without the stack. Snakemake's own imports (its plugins, say) are let through.
BLOCKER = """
import sys

blocked = set(sys.argv[1].split(","))
workflow_code = tuple(sys.argv[2].split(","))


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in blocked:
            return None
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.startswith(workflow_code):
                raise ImportError(f"planning imported {name}, which only the jobs may import")
            frame = frame.f_back
        return None


sys.meta_path.insert(0, Blocker())
from snakemake.cli import main

main(sys.argv[3:])
"""


def test_planning_imports_nothing_of_the_runtime_stack(planning_dir):
    """Fast guard, in this environment: the whole DAG plans with the runtime stack unimportable."""
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(HEAVY), ",".join(map(str, WORKFLOW_CODE))]
        + dry_run_args(planning_dir),
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
        cwd=planning_dir,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert job_counts(output) == EXPECTED_JOBS


def pypi_unreachable() -> str | None:
    """Why PyPI cannot be reached from here, or None when it can."""
    try:
        with urllib.request.urlopen("https://pypi.org/simple/snakemake/", timeout=20) as answer:
            answer.read(1)
    except (urllib.error.URLError, OSError) as err:
        return str(err)
    return None


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_snakemake_alone_plans_the_whole_build(tmp_path, planning_dir):
    """A venv holding nothing but Snakemake (from PyPI) plans every job of the test corpus."""
    venv = tmp_path / "snakemake-only"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-input", SNAKEMAKE_PIN],
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
    )
    if installed.returncode != 0:
        why = pypi_unreachable()
        if why and os.environ.get("CI"):
            pytest.fail(
                f"CI is set but PyPI is unreachable ({why}); cannot install {SNAKEMAKE_PIN}"
            )
        if why:
            pytest.skip(f"PyPI is unreachable ({why}): no venv with only {SNAKEMAKE_PIN}")
        pytest.fail(f"pip install {SNAKEMAKE_PIN} failed:\n{installed.stdout}\n{installed.stderr}")
    probe = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util, sys; print([m for m in sys.argv[1:] "
            "if importlib.util.find_spec(m)])",
            *HEAVY,
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    assert probe.stdout.strip() == "[]", f"the venv holds more than Snakemake: {probe.stdout}"
    result = subprocess.run(
        [venv / "bin" / "snakemake", *dry_run_args(planning_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
        cwd=planning_dir,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert job_counts(output) == EXPECTED_JOBS
    assert "results/narrations/hola/ef_dora_hola.wav" in output


RULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings, OutputSettings, ResourceSettings, StorageSettings,
)

snakefile, workdir, configfile = map(Path, sys.argv[1:])
with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(),
        config_settings=ConfigSettings(configfiles=[configfile]),
        storage_settings=StorageSettings(),
        snakefile=snakefile,
        workdir=workdir,
    )._workflow
    print(json.dumps({
        rule.name: {
            "runs_code": not rule.norun,
            "conda": str(Path(rule.snakefile).parent / rule.conda_env) if rule.conda_env else None,
        }
        for rule in workflow.rules
    }))
"""


def test_every_rule_with_a_job_runs_in_the_rule_environment(planning_dir):
    result = subprocess.run(
        [sys.executable, "-c", RULES, str(REPO / "Snakefile"), str(planning_dir)]
        + [str(planning_dir / "config" / "config.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
        cwd=planning_dir,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    rules = json.loads(result.stdout.strip().splitlines()[-1])
    working = {name for name, rule in rules.items() if rule["runs_code"]}
    assert {"script", "phonemes", "synthesis", "narration", "manifest", "matrix"} <= working
    for name in working:
        conda = rules[name]["conda"]
        assert conda and Path(conda).resolve() == RULE_ENV, (name, conda)
