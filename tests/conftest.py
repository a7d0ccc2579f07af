"""Shared fixtures: a small random-weight Kokoro checkpoint built through the real loading code.

Kokoro 0.9.4 hard-codes hidden_dim 512, style_dim 128, upsample_initial_channel 512 and the
vocabulary; the ALBERT encoder, n_layer and the resblocks shrink. Random duration heads predict
absurd lengths, so the duration projection's bias is set to make a token last a few frames.

The generator's geometry is a choice: Kokoro-82M's own (tiny-kokoro-config.json's), or the lighter
one with the same 600 samples a frame that the workflow tests build with (`LIGHT_GENERATOR`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEST_VOICES = ("af_heart", "af_sky", "bm_george", "ef_dora")
FRAMES_PER_TOKEN = 3  # 75 ms per phoneme at 600 samples per frame: a natural pace
# Kokoro-82M upsamples 10 then 6 times before an inverse STFT of hop 5, so the generator's resblocks
# run at 20 and 120 steps a frame: on the CPU that was most of a build's time (the tiny model at
# 1.15x real time, one thread). Upsampling 5 then 3 with a hop of 20 makes the same 600 samples a
# frame through the same code at 4.1x. The batched and ONNX engines' tests, the frame test and the
# published audio's checks by ffmpeg keep Kokoro's own geometry, which production runs (the
# `kokoro_geometry_model` fixture).
LIGHT_GENERATOR = {
    "upsample_rates": [5, 3],
    "upsample_kernel_sizes": [15, 5],
    "gen_istft_hop_size": 20,
    "gen_istft_n_fft": 40,
}


def build_tiny_model(
    folder: Path, voices=TEST_VOICES, seed: int = 1234, light_generator: bool = True
) -> Path:
    import math

    import torch
    from kokoro import KModel

    folder.mkdir(parents=True, exist_ok=True)
    config = json.loads((DATA / "tiny-kokoro-config.json").read_text(encoding="utf-8"))
    if light_generator:
        config["istftnet"].update(LIGHT_GENERATOR)
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    empty = folder / "empty.pth"
    torch.save({}, empty)
    torch.manual_seed(seed)
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    with torch.no_grad():
        proj = model.predictor.duration_proj.linear_layer
        proj.weight.mul_(0.01)
        # duration = sum over max_dur bins of sigmoid(bias): make it FRAMES_PER_TOKEN frames.
        p = FRAMES_PER_TOKEN / proj.out_features
        proj.bias.fill_(math.log(p / (1 - p)))
    state = {
        name: getattr(model, name).state_dict()
        for name in ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
    }
    torch.save(state, folder / "tiny-kokoro.pth")
    empty.unlink()
    voices_dir = folder / "voices"
    voices_dir.mkdir(exist_ok=True)
    for n, name in enumerate(voices):
        gen = torch.Generator().manual_seed(seed + n)
        torch.save(torch.randn((510, 1, 256), generator=gen) * 0.2, voices_dir / f"{name}.pt")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """Folder with config.json, tiny-kokoro.pth and voices/<name>.pt."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-kokoro"))


@pytest.fixture(scope="session")
def kokoro_geometry_model(tmp_path_factory) -> Path:
    """The tiny model with Kokoro-82M's own generator geometry (not LIGHT_GENERATOR)."""
    folder = tmp_path_factory.mktemp("tiny-kokoro-geometry")
    return build_tiny_model(folder, light_generator=False)


@pytest.fixture
def workdir(tmp_path, tiny_model) -> Path:
    """A fresh project folder: the test corpus, a config pointing at the tiny model."""
    shutil.copytree(DATA / "corpus", tmp_path / "corpus")
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", tmp_path / "config" / "lexicon.yaml")
    write_config(tmp_path, tiny_model)
    return tmp_path


def write_config(workdir: Path, tiny_model: Path, **overrides) -> Path:
    import yaml

    config = {
        "posts": "corpus/*.md",
        "voices": ["af_heart", "bm_george"],
        "model": {
            "weights": str(tiny_model / "tiny-kokoro.pth"),
            "config": str(tiny_model / "config.json"),
            "voices_dir": str(tiny_model / "voices"),
        },
        "device": "cpu",
        "threads": 1,
    }
    config.update(overrides)
    path = workdir / "config" / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def run_snakemake(
    workdir: Path, *args: str, check: bool = True, snakefile: Path = REPO / "Snakefile"
) -> subprocess.CompletedProcess:
    # targets and flags first: --configfile and --resources take several values each
    cmd = [
        *SNAKEMAKE,
        *args,
        "--snakefile",
        str(snakefile),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config" / "config.yaml"),
        "--cores",
        "2",
        "--resources",
        "gpu=1",
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
