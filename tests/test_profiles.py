"""The cluster profiles load with their executor plugins and plan what the README says: the light
stages on CPU nodes, every synthesis job in one GPU group job (one model load per build)."""

from __future__ import annotations

import re
import shutil
import subprocess
from contextlib import chdir
from pathlib import Path

import pytest
import yaml

from conftest import DATA, REPO, SNAKEMAKE
from kokoro_narrate import defaults, settings

pytestmark = pytest.mark.slow


def project(root: Path) -> Path:
    """The test corpus with dummy model files: a dry run reads no weights."""
    shutil.copytree(DATA / "corpus", root / "corpus")
    (root / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", root / "config" / "lexicon.yaml")
    (root / "model" / "voices").mkdir(parents=True)
    for name in ("weights.pth", "config.json", "voices/af_heart.pt", "voices/ef_dora.pt"):
        (root / "model" / name).write_bytes(b"not read by a dry run")
    config = {
        "posts": "corpus/*.md",
        "voices": ["af_heart", "ef_dora"],
        "model": {
            "weights": "model/weights.pth",
            "config": "model/config.json",
            "voices_dir": "model/voices",
        },
    }
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def dry_run(root: Path, *args: str) -> str:
    command = [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--dry-run", *args]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def jobs(out: str) -> dict[str, dict[str, str]]:
    """rule -> the resources line of its first job, and how many jobs it has."""
    found: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", out):
        head = re.match(r"\s*(?:local)?rule (\w+):", block)
        if not head:
            continue
        resources = re.search(r"resources: (.*)", block)
        entry = found.setdefault(head.group(1), {"count": 0, "resources": ""})
        entry["count"] += 1
        entry["resources"] = resources.group(1) if resources else ""
    return found


def test_slurm_sends_synthesis_to_one_gpu_group_job(tmp_path):
    out = dry_run(project(tmp_path), "--workflow-profile", str(REPO / "profiles" / "slurm"))
    planned = jobs(out)
    assert {r: j["count"] for r, j in planned.items()} == {
        "script": 3,
        "phonemes": 3,
        "oov": 1,
        "synthesis": 3,
        "narration": 3,
        "manifest": 1,
        "matrix": 1,
        "all": 1,
    }
    assert "slurm_partition=gpu" in planned["synthesis"]["resources"]
    assert "gpu=1" in planned["synthesis"]["resources"]  # the plugin turns it into --gpus=1
    for light in ("script", "phonemes", "narration"):
        assert "slurm_partition=cpu" in planned[light]["resources"]
        assert "gpu=" not in planned[light]["resources"]
    (group,) = re.findall(r"Group job (\S+)", out)
    assert group == "gpu-synthesis"
    grouped = out.split("Group job gpu-synthesis", 1)[1]
    assert grouped.count("rule synthesis:") == 3


def test_kubernetes_asks_for_an_nvidia_gpu_and_stages_through_the_volume(tmp_path):
    root = project(tmp_path)
    profile = yaml.safe_load((REPO / "profiles/kubernetes/config.yaml").read_text())
    assert profile["default-storage-provider"] == "fs"
    assert profile["kubernetes-persistent-volumes"].endswith(":/data")
    # the volume is where the project lives; here the test folder stands in for it
    out = dry_run(
        root,
        "--workflow-profile",
        str(REPO / "profiles" / "kubernetes"),
        "--default-storage-prefix",
        str(root),
    )
    planned = jobs(out)
    assert planned["synthesis"]["count"] == 3
    assert "gpu=1" in planned["synthesis"]["resources"]
    assert "gpu_manufacturer=nvidia" in planned["synthesis"]["resources"]
    assert "gpu" not in planned["narration"]["resources"]
    assert "Group job gpu-synthesis" in out


def test_synthesis_claims_one_core_on_a_gpu_and_config_threads_on_the_cpu(tmp_path):
    root = project(tmp_path)
    for device, threads in (("cuda", None), ("cpu", "2")):
        out = dry_run(root, "--cores", "4", "--config", f"device={device}")
        # the first synthesis job's block, up to the next job's (other rules claim threads too)
        block = next(
            b
            for b in re.split(r"\n(?=\s*(?:local)?rule \w+:)", out)
            if re.match(r"\s*(?:local)?rule synthesis:", b)
        )
        found = re.search(r"threads: (\d+)", block)
        assert (found.group(1) if found else None) == threads, (device, block)


def test_on_one_machine_synthesis_jobs_claim_no_gpu_and_narrations_run_before_them(tmp_path):
    """The jobs that only read the cache the first one filled must not queue one at a time on
    the gpu resource (the engine lock keeps the model to one process; test_synthesis), and a free
    core goes to a narration whose chunks are made before a synthesis job that may only wait."""
    out = dry_run(project(tmp_path), "--cores", "4", "--resources", "gpu=1")
    planned = jobs(out)
    assert "gpu" not in planned["synthesis"]["resources"]
    priority = {}  # rule -> the priorities its jobs print (none: 0), in the plan's order
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", out):
        head = re.match(r"\s*(?:local)?rule (\w+):", block)
        if head:
            found = re.search(r"^\s*priority: ([\d.]+)$", block, re.M)
            priority.setdefault(head.group(1), []).append(float(found.group(1)) if found else 0)
    assert min(priority["script"]) > max(priority["phonemes"]) > max(priority["narration"])
    assert min(priority["narration"]) > max(priority["synthesis"])
    # above 0: Snakemake's MILP scheduler counts a priority under 0 against running a job
    assert min(priority["synthesis"]) > 0


def test_synthesis_jobs_start_in_the_order_the_prefill_makes_its_waves(tmp_path):
    """Once no job waits, the prefill makes its waves in the build's order (settings.pairs):
    synthesis jobs started in that order find their chunks made instead of waiting on a core."""
    root = project(tmp_path)
    out = dry_run(root, "--cores", "4", "--resources", "gpu=1")
    synthesis = {}
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", out):
        if re.match(r"\s*(?:local)?rule synthesis:", block):
            pair = re.search(r"wildcards: post=(\w+), voice=(\w+)", block).groups()
            synthesis[pair] = float(re.search(r"^\s*priority: ([\d.]+)$", block, re.M).group(1))
    config = defaults.with_defaults(yaml.safe_load((root / "config" / "config.yaml").read_text()))
    with chdir(root):
        order = settings.load(config).pairs()
    assert len(order) == 3 and sorted(synthesis, key=synthesis.get, reverse=True) == order
