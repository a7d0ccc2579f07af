"""What the benchmark scripts share: the README's snakemake command and a weights folder."""

from __future__ import annotations

import glob
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def snakemake_command(workdir: Path, configfile: Path, cores: int = 1) -> list[str]:
    """`snakemake --cores N --resources gpu=1` on this repo's Snakefile, run in workdir."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        str(cores),
        "--resources",
        "gpu=1",
    ]


def model_config(folder: Path) -> dict:
    """config `model:` for a folder holding config.json, one .pth and voices/<name>.pt."""
    (weights,) = glob.glob(str(folder / "*.pth"))
    return {
        "weights": weights,
        "config": str(folder / "config.json"),
        "voices_dir": str(folder / "voices"),
    }
