"""Rebuilds do exactly the work a change requires, and give the bytes a clean build gives."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import DATA, REPO, write_config
from conftest import run_snakemake as snakemake

pytestmark = pytest.mark.slow

SYNTH_LINE = re.compile(r"(\d+) chunks: (\d+) in the cache, (\d+) to synthesize")


def new_project(root: Path, tiny_model: Path, **config) -> Path:
    shutil.copytree(DATA / "corpus", root / "corpus")
    (root / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", root / "config" / "lexicon.yaml")
    write_config(root, tiny_model, **config)
    return root


MADE = re.compile(r"synthesized (\d+) chunks, ")


def build(workdir: Path) -> tuple[set[str], int]:
    """Run the workflow; return (the synthesis jobs that ran, chunks synthesized in all).

    The first synthesis job with a miss synthesizes what the whole build lacks, so the count of
    chunks made is summed over every job's log."""
    shutil.rmtree(workdir / "logs", ignore_errors=True)
    snakemake(workdir)
    jobs, made = set(), 0
    for log in sorted((workdir / "logs" / "synthesis").rglob("*.log")):
        text = log.read_text()
        assert SYNTH_LINE.search(text)
        jobs.add(str(log.relative_to(workdir / "logs" / "synthesis")))
        made += sum(int(n) for n in MADE.findall(text))
    return jobs, made


def chunks_in(workdir: Path) -> int:
    return sum(
        len(p.read_text().splitlines()) for p in (workdir / "results/synthesis").rglob("*.jsonl")
    )


def planned(workdir: Path) -> dict[str, int]:
    """Jobs per rule that a dry run plans."""
    out = snakemake(workdir, "--dry-run").stdout
    if "Nothing to be done" in out:
        return {}
    table = out.split("Job stats:", 1)[1]
    jobs = {}
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            if parts and parts[0] == "total":
                break
            continue
        jobs[parts[0]] = int(parts[1])
    return jobs


def outputs(workdir: Path) -> dict[str, bytes]:
    wanted = ["results/manifest.csv", "results/matrix.csv"]
    wanted += [str(p.relative_to(workdir)) for p in (workdir / "results/narrations").rglob("*.*")]
    return {name: (workdir / name).read_bytes() for name in sorted(wanted)}


@pytest.fixture(scope="module")
def project(tmp_path_factory, tiny_model):
    workdir = new_project(tmp_path_factory.mktemp("rebuild"), tiny_model)
    _, made = build(workdir)
    assert made == chunks_in(workdir)  # a clean build synthesizes every chunk once
    return workdir


def test_touch_or_fresh_checkout_runs_nothing(project):
    for path in [*project.glob("corpus/*.md"), *project.glob("config/*.yaml")]:
        os.utime(path)  # what a fresh git checkout does to every file
    assert planned(project) == {}


def test_config_changes_rerun_exactly_the_affected_jobs(project, tiny_model):
    base = ["af_heart", "bm_george"]
    tables = {"manifest": 1, "matrix": 1, "all": 1}

    cases = [
        ({"voices": [*base, "af_sky"]}, {"synthesis": 2, "narration": 2, **tables}),
        # bm_george was the only British voice: results/oov.csv loses the British phonemes
        ({"voices": ["af_heart"]}, {"oov": 1, **tables}),
        ({"speed": 1.1}, {"synthesis": 4, "narration": 4, **tables}),
        ({"loudness": {"target_lufs": -18}}, {"narration": 4, **tables}),
        ({"pauses": {"paragraph_ms": 900}}, {"narration": 4, **tables}),
        # a narration job makes its encodes, captions and snippet: it reruns for them (and keeps
        # the encodes that would come out the same; test_reliability)
        ({"encode": {"mp3_kbps": 96}}, {"narration": 4, **tables}),
        ({"encode": {"opus": False}}, {"narration": 4, **tables}),
        ({"feed": {"base_url": "https://example.com/a/"}}, {"feed": 1, "narration": 4, **tables}),
        # the prefill's waves order the work, never its outputs
        ({"synthesis": {"wave_chunks": 1}}, {}),
    ]
    try:
        for change, expected in cases:
            write_config(project, tiny_model, **change)
            assert planned(project) == expected, change
    finally:
        write_config(project, tiny_model)
    assert planned(project) == {}


def test_lexicon_change_resynthesizes_only_paragraphs_with_the_word(project):
    lexicon = project / "config" / "lexicon.yaml"
    original = lexicon.read_text(encoding="utf-8")
    try:
        lexicon.write_text(original + "goodbye: /ɡʊdbˈIˈI/\n", encoding="utf-8")
        jobs, made = build(project)
        # "goodbye" is in one paragraph of hello.md and nowhere in notes.md
        assert {"af_heart/hello.log", "bm_george/hello.log"} <= jobs and made == 2
    finally:
        lexicon.write_text(original, encoding="utf-8")
        build(project)


def test_one_paragraph_edit_synthesizes_one_chunk_per_voice_and_matches_a_clean_build(
    project, tmp_path, tiny_model
):
    post = project / "corpus" / "hello.md"
    post.write_text(
        post.read_text().replace("says goodbye", "says farewell and thanks you"), encoding="utf-8"
    )
    assert build(project) == ({"af_heart/hello.log", "bm_george/hello.log"}, 2)

    clean = new_project(tmp_path / "clean", tiny_model)
    shutil.copy(post, clean / "corpus" / "hello.md")
    _, made = build(clean)
    assert made == chunks_in(clean)
    assert outputs(clean) == outputs(project)


def test_cache_prune_keeps_what_the_build_references(project):
    import numpy as np

    from kokoro_narrate.cache import ChunkCache, Entry

    cache = ChunkCache(project / "results/cache/chunks")
    stale = "5a" * 32  # e.g. the chunk of a paragraph since edited
    cache.put(stale, Entry(np.zeros(2400, np.float32), [4]))
    for path in (project / "results/cache/chunks").glob("??/*"):
        os.utime(path, (0, 0))  # written long ago: prune spares what is younger than an hour
    before = cache.keys()
    snakemake(project, "cache_prune")
    referenced = {
        json.loads(line)["key"]
        for path in (project / "results/synthesis").rglob("*.jsonl")
        for line in path.read_text().splitlines()
    }
    assert cache.keys() == referenced and stale in before - referenced
    assert "pruned" in (project / "logs/cache/prune.log").read_text()
    assert planned(project) == {}  # nothing the build needs was removed


def test_an_upgrade_reruns_the_stages_whose_version_changed_and_no_other(project, tmp_path):
    """A new release of the package with a fixed narration stage: its jobs rerun (and what reads
    their outputs), not the stages before it. The release is a copy of this checkout (dates kept,
    as an upgrade keeps the rule scripts' dates when they did not change) with one version bumped.
    """
    release = tmp_path / "release"
    release.mkdir()
    for name in ("Snakefile", "workflow", "profiles"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, release / name, symlinks=True)
        else:
            shutil.copy2(REPO / name, release / name)
    versions = release / "workflow/kokoro_narrate/__init__.py"
    text = versions.read_text()
    bumped = re.sub(r'"narration": (\d+)', lambda m: f'"narration": {int(m.group(1)) + 1}', text)
    assert bumped != text
    versions.write_text(bumped)
    dry = snakemake(project, "--dry-run", snakefile=release / "Snakefile").stdout
    table = dry.split("Job stats:", 1)[1]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", table, re.M))
    assert {k: int(v) for k, v in counts.items() if k != "total"} == {
        "narration": 4,
        "manifest": 1,
        "matrix": 1,
        "all": 1,
    }
