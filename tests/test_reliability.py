"""Nothing lost, nothing stale: faults, bad input and a shared cache, end to end.

Each test starts from a finished build of the test corpus and does to it what goes wrong in real
use (a file deleted by hand, a damaged cache entry, a replaced voice tensor, a killed run, a post
nobody here wrote), then checks what the next plain run does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from test_rebuild import outputs, planned

from conftest import DATA, REPO, SNAKEMAKE, write_config
from conftest import run_snakemake as snakemake

pytestmark = pytest.mark.slow


def project(root: Path, tiny_model: Path, **config) -> Path:
    """A project with its own copy of the model files, so a test may replace them, named by
    paths relative to the project: a copy of the folder is a project of its own."""
    shutil.copytree(DATA / "corpus", root / "corpus")
    (root / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "lexicon.yaml", root / "config" / "lexicon.yaml")
    shutil.copytree(tiny_model, root / "model")
    write_config(root, Path("model"), **config)
    return root


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tiny_model):
    """A clean build, never touched: what every repaired build must equal, byte for byte."""
    root = project(tmp_path_factory.mktemp("reference"), tiny_model)
    snakemake(root)
    return outputs(root)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, tiny_model, reference):
    """A second clean build in another folder, equal to the reference."""
    root = project(tmp_path_factory.mktemp("pristine") / "p", tiny_model)
    snakemake(root)
    assert outputs(root) == reference
    return root


@pytest.fixture
def built(tmp_path, pristine):
    """A copy of the pristine build (dates kept, so Snakemake sees it as built) for one test to
    damage: a build of its own for each test took a minute."""
    root = tmp_path / "p"
    shutil.copytree(pristine, root, symlinks=True, copy_function=link_large_read_only)
    assert planned(root) == {}
    return root


def link_large_read_only(source: str, target: str) -> None:
    """Copy a file of the pristine build, or hard-link it where nothing writes into it in place:
    the weights (a test that replaces them writes a new file) and the decoder's ONNX export
    (replaced atomically). Copies of those took 400 MB of disk per test."""
    if source.endswith((".pth", ".onnx")):
        os.link(source, target)
    else:
        shutil.copy2(source, target)


def manifest_rows(root: Path) -> dict[tuple[str, str], pd.Series]:
    table = pd.read_csv(root / "results/manifest.csv", keep_default_na=False)
    return {(r.post, r.voice): r for r in table.itertuples()}


WAV = "results/narrations/hello/af_heart_hello.wav"


def test_a_narration_deleted_by_hand_is_rebuilt_by_a_plain_run(built, reference):
    mp3 = built / "results/encodes/hello/af_heart_hello.mp3"
    opus = built / "results/encodes/hello/af_heart_hello.opus"
    encoded = {path: path.stat().st_ino for path in (mp3, opus)}
    (built / WAV).unlink()
    assert planned(built) == {"narration": 1, "manifest": 1, "matrix": 1, "all": 1}
    snakemake(built)
    assert outputs(built) == reference
    # the same master again: its encodes are kept (the same files), not made again
    assert {path: path.stat().st_ino for path in encoded} == encoded
    log = (built / "logs/narration/hello/af_heart.log").read_text()
    assert log.count("kept (made from the same master)") == 2


def test_an_encode_deleted_or_damaged_by_hand_is_made_again(built, reference):
    mp3 = built / "results/encodes/hello/af_heart_hello.mp3"
    opus = built / "results/encodes/hello/af_heart_hello.opus"
    mp3.unlink()
    assert planned(built) == {"narration": 1, "manifest": 1, "matrix": 1, "all": 1}
    snakemake(built)
    assert outputs(built) == reference
    opus.write_bytes(opus.read_bytes()[:-10])  # damaged, with its measurement unchanged
    snakemake(built, "--forcerun", str(opus.relative_to(built)))
    assert outputs(built) == reference
    log = (built / "logs/narration/hello/af_heart.log").read_text()
    assert "opus encoded" in log and "mp3 kept" in log


def test_a_failed_narration_keeps_the_old_one_and_the_manifest_names_the_log(built, reference):
    chunk_list = built / "results/synthesis/af_heart/hello.jsonl"
    chunk_list.write_text('{"paragraph": "p0001", "key": \n')  # damaged on disk
    result = snakemake(built, check=False)
    assert result.returncode != 0
    assert (built / WAV).read_bytes() == reference[WAV]  # restored: never left without one
    rows = manifest_rows(built)
    status = rows[("hello", "af_heart")].status
    assert status.startswith("failed: ") and "logs/narration/hello/af_heart.log" in status
    assert rows[("notes", "af_heart")].status == "narrated"
    # the damaged intermediate goes away (a lost file, say): the next plain run repairs it all
    chunk_list.unlink()
    snakemake(built)
    assert outputs(built) == reference
    assert manifest_rows(built)[("hello", "af_heart")].status == "narrated"


def test_a_damaged_cache_entry_is_synthesized_again_by_the_run_that_needs_it(built, reference):
    import json

    record = json.loads(
        (built / "results/synthesis/af_heart/hello.jsonl").read_text().split("\n")[1]
    )
    entry = next((built / "results/cache/chunks").glob(f"??/{record['key']}.f32"))
    entry.write_bytes(entry.read_bytes()[:-100])
    (built / WAV).unlink()
    snakemake(built)
    assert outputs(built) == reference
    assert "re-synthesizing 1 chunks" in (built / "logs/narration/hello/af_heart.log").read_text()


def test_a_replaced_voice_tensor_or_weights_rerun_exactly_the_jobs_that_read_them(built):
    import torch

    voice = built / "model/voices/af_heart.pt"
    before = os.stat(voice)
    torch.save(torch.randn(510, 1, 256) * 0.2, voice)
    os.utime(voice, ns=(before.st_atime_ns, before.st_mtime_ns))  # a copy that keeps its date
    expected = {"synthesis": 2, "narration": 2, "manifest": 1, "matrix": 1, "all": 1}
    assert planned(built) == expected
    weights = built / "model/tiny-kokoro.pth"
    state = torch.load(weights, weights_only=True)
    state["decoder"] = {k: v * 1.01 for k, v in state["decoder"].items()}
    weights.unlink()  # a new file, not a write through the link to the pristine build's
    torch.save(state, weights)
    assert planned(built)["synthesis"] == 4


def test_posts_as_found_in_the_wild_fail_alone(tmp_path, tiny_model):
    root = project(tmp_path / "wild", tiny_model)
    corpus = root / "corpus"
    (corpus / "hola.md").unlink()
    (corpus / "what-you-wanted-but-weren't-afraid-to-ask.md").write_text("An apostrophe.\n")
    (corpus / "Café crème.markdown").write_text("---\ndate: 2014-02-29\n---\nA bad date.\n")
    (corpus / "trip").mkdir()
    (corpus / "trip" / "index.md").write_text("A Hugo page bundle.\n")
    (corpus / "wip.md").write_text("---\ndraft: true\n---\nNot yet.\n")
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    (corpus / "folder.md").mkdir()
    (corpus / "deep.md").write_text("---\nx: " + "[" * 3000 + "]" * 3000 + "\n---\nText.\n")
    write_config(
        root, Path("model"), voices=["af_heart"], posts=["corpus/**/*.md", "corpus/**/*.markdown"]
    )
    result = snakemake(root, check=False)
    assert result.returncode != 0
    narrated = {p.name for p in (root / "results/narrations").glob("*/af_heart_*.wav")}
    assert narrated == {
        f"af_heart_{post}.wav"
        for post in (
            "hello",
            "notes",
            "what-you-wanted-but-werent-afraid-to-ask",
            "Café-crème",
            "trip",
        )
    }
    rows = manifest_rows(root)
    for post, words in (("gone", "does not exist"), ("folder", "a folder"), ("deep", "nested")):
        status = rows[(post, "af_heart")].status
        assert status.startswith("failed: ") and words in status
        assert f"logs/script/{post}.log" in status
    assert rows[("wip", "af_heart")].status.startswith("skipped: a draft")
    assert "2014-02-29" in result.stderr and "Café crème.markdown:2" in result.stderr


def test_a_model_that_fails_to_load_is_loaded_once_in_a_run_that_keeps_going(tmp_path, tiny_model):
    """The workflow profile keeps going past failed jobs: with a damaged weights file the first
    synthesis job that loads the model fails with torch's message, and every other synthesis job
    of that run stops with EngineFailed naming it, without a load of its own. The next run tries
    again."""
    root = project(tmp_path / "p", tiny_model)
    weights = root / "model" / "tiny-kokoro.pth"
    weights.write_bytes(weights.read_bytes()[:4096])

    def failures():
        logs = sorted((root / "logs" / "synthesis").rglob("*.log"))
        texts = [log.read_text(encoding="utf-8") for log in logs]
        assert texts and all("job failed" in text for text in texts), texts
        return sum("EngineFailed" in text for text in texts), len(texts)

    assert snakemake(root, check=False).returncode != 0
    stopped, jobs = failures()
    assert jobs > 2 and stopped == jobs - 1  # one load, and it failed
    assert not (root / "results" / "narrations").exists()
    assert snakemake(root, check=False).returncode != 0  # a new run loads it again, once
    assert failures() == (jobs - 1, jobs)


def test_a_killed_run_resumes_with_the_documented_commands(tmp_path, tiny_model, reference):
    root = project(tmp_path / "killed", tiny_model)
    command = [
        *SNAKEMAKE,
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(root),
        "--configfile", str(root / "config/config.yaml"),
        "--cores", "2",
    ]  # fmt: skip
    run = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        logs = list((root / "logs/synthesis").rglob("*.log")) if (root / "logs").exists() else []
        if any("loaded Kokoro" in p.read_text() for p in logs):
            break
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)  # the whole process group: snakemake and its jobs
    run.wait()
    # README "When something is wrong": unlock, then the usual command
    subprocess.run([*command, "--unlock"], check=True, capture_output=True)
    snakemake(root)
    assert outputs(root) == reference


def test_two_projects_share_a_cache_and_pruning_one_spares_the_other(tmp_path, tiny_model):
    shared = tmp_path / "shared-cache"
    a = project(tmp_path / "a", tiny_model, cache_dir=str(shared))
    b = project(tmp_path / "b", tiny_model, cache_dir=str(shared), voices=["bm_george"])
    with contextlib.ExitStack() as logs:  # files, not pipes: a full pipe would stall a build
        runs = [
            subprocess.Popen(
                [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(p),
                 "--configfile", str(p / "config/config.yaml"), "--cores", "1"],
                stdout=subprocess.DEVNULL,
                stderr=logs.enter_context(open(p / "snakemake.err", "w")),
            )
            for p in (a, b)
        ]  # fmt: skip
        codes = [r.wait(timeout=900) for r in runs]
    assert codes == [0, 0], [(p / "snakemake.err").read_text()[-4000:] for p in (a, b)]
    for path in shared.rglob("*"):  # everything is old now: only the records protect it
        os.utime(path, (0, 0))
    snakemake(a, "cache_prune")
    assert "pruned 0 entries" in (a / "logs/cache/prune.log").read_text()
    assert planned(b) == {}
    # project a changes speed and prunes: its old entries go, the ones b shares stay
    keys_b = {line.split('"key": "')[1][:64] for line in _lines(b / "results/synthesis")}
    write_config(a, Path("model"), cache_dir=str(shared), speed=1.1)
    snakemake(a)
    for path in shared.rglob("*"):
        os.utime(path, (0, 0))
    snakemake(a, "cache_prune")
    assert "pruned 10 entries" in (a / "logs/cache/prune.log").read_text()  # af_heart at 1.0
    assert keys_b <= {p.stem for p in shared.glob("??/*.json")}
    assert planned(b) == {}
    snakemake(b, "--forcerun", "narration")  # b's narrations read every chunk back: all there
    logs = "".join(p.read_text() for p in (b / "logs/narration").rglob("*.log"))
    assert "re-synthesizing" not in logs


def _lines(folder: Path) -> list[str]:
    return [line for p in folder.rglob("*.jsonl") for line in p.read_text().splitlines() if line]


def test_clean_lists_then_removes_outputs_of_a_removed_voice(built):
    write_config(built, Path("model"), voices=["af_heart"])
    snakemake(built, "clean")
    listed = (built / "logs/clean.log").read_text()
    assert "results/narrations/hello/bm_george_hello.wav" in listed
    assert "af_heart_hello" not in listed
    assert (built / "results/narrations/hello/bm_george_hello.wav").exists()
    snakemake(built, "clean", "--config", "clean=remove")
    assert not (built / "results/narrations/hello/bm_george_hello.wav").exists()
    assert not (built / "results/synthesis/bm_george").exists()
    assert (built / WAV).exists()
