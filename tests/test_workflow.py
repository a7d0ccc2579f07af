"""End to end: snakemake on a small corpus with the tiny random-weight Kokoro checkpoint."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyloudnorm
import pytest
import soundfile as sf

from conftest import DATA, REPO, write_config
from conftest import run_snakemake as snakemake
from kokoro_narrate import RESOURCES_PATTERN

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_model):
    """One full build, shared by the checks below."""
    workdir = tmp_path_factory.mktemp("build")
    shutil.copytree(DATA / "corpus", workdir / "corpus")
    (workdir / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", workdir / "config" / "lexicon.yaml")
    write_config(workdir, tiny_model, voices=["af_heart", "bm_george", "ef_dora"])
    snakemake(workdir)
    return workdir


def test_every_output_exists(built):
    assert (built / "results/phonemes/e/hola.jsonl").is_file()
    assert (built / "results/narrations/hola/ef_dora_hola.wav").is_file()
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
    for name in ("manifest.csv", "oov.csv", "matrix.csv", "matrix.html", "matrix/index.html"):
        assert (built / "results" / name).is_file()


def test_manifest_has_one_row_per_post_and_voice(built):
    table = pd.read_csv(built / "results/manifest.csv")
    assert len(table) == 3 * 3
    narrated = table[table.status == "narrated"]
    assert sorted(zip(narrated.post, narrated.voice, strict=True)) == [
        ("hello", "af_heart"),
        ("hello", "bm_george"),
        ("hola", "ef_dora"),
        ("notes", "af_heart"),
        ("notes", "bm_george"),
    ]
    assert set(narrated.lang) == {"a", "b", "e"}
    assert (narrated.words > 10).all() and (narrated.chunks >= narrated.paragraphs).all()
    # a post is narrated only in voices of its language, and the manifest says why not
    skipped = table[table.status != "narrated"].set_index(["post", "voice"]).status
    assert skipped[("hola", "af_heart")].startswith("skipped: post language es")
    assert skipped[("hello", "ef_dora")].startswith("skipped: post language en")
    titles = dict(zip(narrated.post, narrated.title, strict=False))
    assert titles == {
        "hello": "Hello, listener",
        "hola": "Una nota breve",
        "notes": "Notes on bread",
    }


def test_manifest_measures_the_written_files(built):
    table = pd.read_csv(built / "results/manifest.csv")
    table = table[table.status == "narrated"]
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


def test_the_model_loads_once_per_build_and_reports_progress(built):
    logs = {p: p.read_text() for p in (built / "logs/synthesis").rglob("*.log")}
    assert len(logs) == 5 and all("to synthesize" in text for text in logs.values())
    loaded = [p for p, text in logs.items() if "loaded Kokoro" in text]
    assert len(loaded) == 1  # the first job with a miss filled the cache for all five
    made = re.findall(r"synthesized (\d+) chunks, ", logs[loaded[0]])
    assert sum(map(int, made)) == 24 and "ETA" in logs[loaded[0]]


def test_every_job_log_ends_with_what_the_job_used(built):
    """Snakemake's benchmark files sample CPU and memory; each job's log closes with the kernel's
    count, which the benchmark scripts read."""
    logs = list((built / "logs").rglob("*.log"))
    rules = {log.relative_to(built / "logs").parts[0] for log in logs}
    assert rules >= {"script", "phonemes", "synthesis", "narration", "manifest", "matrix"}
    for log in logs:
        last = log.read_text().splitlines()[-1]
        cpu, peak = map(float, re.search(RESOURCES_PATTERN, last).groups())
        assert 0.05 < cpu < 600 and 20 < peak < 4000, (log, last)  # Python and numpy at least


def test_g2p_loads_at_most_once_per_language_and_core(built):
    for lang in ("a", "b", "e"):
        logs = [p.read_text() for p in (built / "logs/phonemes" / lang).glob("*.log")]
        loaded = [text for text in logs if "phonemizing" in text]
        assert 1 <= len(loaded) <= 2  # the tests run with --cores 2: at most two at once


def test_say_speaks_a_sentence_in_one_voice(built):
    snakemake(built, "results/say/bm_george.wav", "--config", "say=Kokoro-82M, on GitHub.")
    audio, sr = sf.read(built / "results/say/bm_george.wav")
    assert sr == 24000 and 1.0 < len(audio) / sr < 30
    assert abs(pyloudnorm.Meter(sr).integrated_loudness(audio) + 16) < 0.5
    log = (built / "logs/say/bm_george.log").read_text()
    assert "'Kokoro-82M, on GitHub.' is read as" in log and "82" in log


def test_noop_rebuild_runs_nothing(built):
    result = snakemake(built, "--dry-run")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_report_holds_manifest_plot_and_matrix(built):
    import zipfile

    snakemake(built, "--report", "report.zip")
    report = zipfile.ZipFile(built / "report.zip")
    names = report.namelist()
    for wanted in ("/manifest.csv", "/matrix.csv", "/index.html", "/plot.svg"):
        assert any(n.endswith(wanted) for n in names), (wanted, names)
    # the global caption (workflow/report/workflow.rst), rendered with the config
    (page,) = [n for n in names if n.endswith("/report.html")]
    text = report.read(page).decode("utf-8")
    assert "content-addressed cache" in text and "-16 LUFS" in text


def test_bad_post_fails_alone_and_says_where(tmp_path, tiny_model):
    shutil.copytree(DATA / "corpus", tmp_path / "corpus")
    (tmp_path / "corpus" / "notes.md").unlink()
    (tmp_path / "corpus" / "broken.md").write_bytes(b"# Title\n\nCaf\xe9 au lait.\n")
    (tmp_path / "corpus" / "empty.md").write_text("---\ntitle: Nothing yet\n---\n")
    (tmp_path / "config").mkdir()
    write_config(tmp_path, tiny_model, voices=["af_heart"])
    result = snakemake(tmp_path, "--keep-going", check=False)
    assert result.returncode != 0
    assert (tmp_path / "results/narrations/hello/af_heart_hello.wav").is_file()
    broken = (tmp_path / "logs/script/broken.log").read_text()
    assert "broken.md:3" in broken and "byte offset" in broken and "UTF-8" in broken
    assert "empty.md" in (tmp_path / "logs/script/empty.log").read_text()


def test_a_target_of_no_post_says_which_and_why(workdir):
    result = snakemake(
        workdir, "--dry-run", "results/narrations/nope/af_heart_nope.wav", check=False
    )
    assert result.returncode != 0
    assert "no post has the id 'nope'" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"speed": -1}, "speed"),
        ({"voices": ["af_heart", "af_nobody"]}, "af_nobody"),
        ({"voices": ["mix"], "blends": {"mix": {"af_heart": -1, "af_sky": 1}}}, "blends.mix"),
        ({"loudness": {"target_lufs": "loud"}}, "target_lufs"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_config_stops_before_any_job_and_names_the_key(workdir, tiny_model, change, expected):
    write_config(workdir, tiny_model, **change)
    result = snakemake(workdir, "--dry-run", check=False)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert not (workdir / "results").exists()


def test_a_post_s_bibliography_is_an_input_of_its_script(workdir, tiny_model):
    """Editing the bibliography a post names reruns that post's script job (a narrative
    citation's words come from it), and no other's."""
    (workdir / "corpus" / "refs.bib").write_text(
        "@book{ames99, author = {Ames, Jo}, year = 1999}\n"
    )
    cited = workdir / "corpus" / "cited.md"
    cited.write_text("---\nbibliography: refs.bib\n---\n\nAs @ames99 wrote, tides turn.\n")
    result = snakemake(workdir, "--dry-run", "results/scripts/cited.jsonl")
    assert "input: corpus/cited.md, corpus/refs.bib" in result.stdout
    snakemake(workdir, "results/scripts/cited.jsonl", "results/scripts/hello.jsonl")
    said = (workdir / "results" / "scripts" / "cited.jsonl").read_text(encoding="utf-8")
    assert "As Ames (1999) wrote" in said
    (workdir / "corpus" / "refs.bib").write_text(
        "@book{ames99, author = {Ames, Jo}, year = 2001}\n"
    )
    planned = snakemake(
        workdir, "--dry-run", "results/scripts/cited.jsonl", "results/scripts/hello.jsonl"
    ).stdout
    assert "output: results/scripts/cited.jsonl" in planned
    assert "output: results/scripts/hello.jsonl" not in planned


def test_a_quarto_project_s_metadata_files_are_inputs_of_the_scripts(workdir, tiny_model):
    """A bibliography named in _quarto.yml serves every post of the project, and _quarto.yml is
    an input of each post's script, so editing it reruns them; a folder's _metadata.yml only of
    the posts below it."""
    corpus = workdir / "corpus"
    (corpus / "_quarto.yml").write_text("project:\n  type: website\nbibliography: refs.bib\n")
    (corpus / "refs.bib").write_text("@book{ames99, author = {Ames, Jo}, year = 1999}\n")
    (corpus / "tides").mkdir()
    (corpus / "tides" / "_metadata.yml").write_text("author: Ana Lima\n")
    (corpus / "tides" / "cited.md").write_text("As @ames99 wrote, tides turn.\n")
    write_config(workdir, tiny_model, posts=["corpus/*.md", "corpus/tides/*.md"])
    result = snakemake(workdir, "--dry-run", "results/scripts/cited.jsonl")
    assert (
        "input: corpus/tides/cited.md, corpus/refs.bib, corpus/_quarto.yml, "
        "corpus/tides/_metadata.yml" in result.stdout
    )
    snakemake(workdir, "results/scripts/cited.jsonl", "results/scripts/hello.jsonl")
    said = (workdir / "results" / "scripts" / "cited.jsonl").read_text(encoding="utf-8")
    assert "As Ames (1999) wrote" in said
    (corpus / "tides" / "_metadata.yml").write_text("author: Ben Ruiz\n")
    planned = snakemake(
        workdir, "--dry-run", "results/scripts/cited.jsonl", "results/scripts/hello.jsonl"
    ).stdout
    assert "output: results/scripts/cited.jsonl" in planned
    assert "output: results/scripts/hello.jsonl" not in planned
    (corpus / "_quarto.yml").write_text("project:\n  type: website\nbibliography: [refs.bib]\n")
    planned = snakemake(
        workdir, "--dry-run", "results/scripts/cited.jsonl", "results/scripts/hello.jsonl"
    ).stdout
    assert "output: results/scripts/hello.jsonl" in planned
