"""End to end: snakemake on a small corpus with the tiny random-weight Kokoro checkpoint."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyloudnorm
import pytest
import soundfile as sf

from conftest import REPO, write_config

pytestmark = pytest.mark.slow

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [
        *SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config" / "config.yaml"),
        "--cores",
        "2",
        "--resources",
        "gpu=1",
        *args,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        logs = (
            "\n".join(
                f"--- {p}\n{p.read_text()[-3000:]}"
                for p in sorted((workdir / "logs").rglob("*.log"))
            )
            if (workdir / "logs").exists()
            else ""
        )
        raise AssertionError(
            f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}\n{logs}"
        )
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_model):
    """One full build, shared by the checks below."""
    import shutil

    from conftest import DATA

    workdir = tmp_path_factory.mktemp("build")
    shutil.copytree(DATA / "corpus", workdir / "corpus")
    (workdir / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", workdir / "config" / "lexicon.yaml")
    write_config(workdir, tiny_model)
    snakemake(workdir)
    return workdir


def test_every_output_exists(built):
    for post in ("hello", "notes"):
        assert (built / f"results/scripts/{post}.jsonl").is_file()
        assert (built / f"results/phonemes/a/{post}.jsonl").is_file()
        assert (built / f"results/phonemes/b/{post}.jsonl").is_file()
        for voice in ("af_heart", "bm_george"):
            assert (built / f"results/synthesis/{voice}/{post}.jsonl").is_file()
            assert (built / f"results/narrations/{post}/{voice}_{post}.wav").is_file()
            assert (built / f"results/narrations/{post}/{voice}_{post}.json").is_file()
            assert (built / f"logs/synthesis/{voice}/{post}.log").is_file()
            assert (built / f"benchmarks/synthesis/{voice}/{post}.tsv").is_file()
    for name in ("manifest.csv", "matrix.csv", "matrix.html", "matrix/index.html"):
        assert (built / "results" / name).is_file()


def test_manifest_has_one_row_per_post_and_voice(built):
    table = pd.read_csv(built / "results/manifest.csv")
    assert sorted(zip(table.post, table.voice, strict=True)) == [
        ("hello", "af_heart"),
        ("hello", "bm_george"),
        ("notes", "af_heart"),
        ("notes", "bm_george"),
    ]
    assert set(table.lang) == {"a", "b"}
    assert (table.words > 10).all() and (table.chunks >= table.paragraphs).all()


def test_manifest_measures_the_written_files(built):
    table = pd.read_csv(built / "results/manifest.csv")
    meter_cache = {}
    for row in table.itertuples():
        path = built / row.path
        assert not Path(row.path).is_absolute()
        audio, sr = sf.read(path, dtype="float64")
        info = sf.info(path)
        assert sr == 24000 and info.channels == 1
        assert row.duration_s == pytest.approx(len(audio) / sr, abs=1e-6)
        meter = meter_cache.setdefault(sr, pyloudnorm.Meter(sr))
        assert abs(meter.integrated_loudness(audio) + 16) < 0.5
        assert abs(row.lufs + 16) < 0.5
        pcm, _ = sf.read(path, dtype="int16")
        assert np.abs(pcm.astype(np.int32)).max() < 32767  # never reaches full scale
        assert row.true_peak_dbtp <= -1.0
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256


def test_script_is_readable_without_markup(built):
    lines = [
        json.loads(x) for x in (built / "results/scripts/hello.jsonl").read_text().splitlines()
    ]
    assert lines[0]["kind"] == "title" and lines[0]["text"].startswith("Hello")
    assert {"id", "kind", "text"} <= set(lines[0])
    spoken = " ".join(x["text"] for x in lines)
    for mark in ("*", "#", "](", "https://"):
        assert mark not in spoken


def test_synthesis_log_reports_progress(built):
    log = (built / "logs/synthesis/af_heart/hello.log").read_text()
    assert "to synthesize" in log and "ETA" in log and "/" in log


def test_noop_rebuild_runs_nothing(built):
    result = snakemake(built, "--dry-run")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_report_holds_manifest_plot_and_matrix(built):
    import zipfile

    snakemake(built, "--report", "report.zip")
    names = zipfile.ZipFile(built / "report.zip").namelist()
    for wanted in ("/manifest.csv", "/matrix.csv", "/index.html", "/plot.svg"):
        assert any(n.endswith(wanted) for n in names), (wanted, names)
