"""What the benchmark scripts (and the tests' loudness checks) share: the README's snakemake
command, a weights folder, and ffmpeg's loudness meter."""

from __future__ import annotations

import glob
import math
import re
import subprocess
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


def job_usage(workdir: Path, benchmark: Path) -> tuple[float, float]:
    """(CPU seconds, peak RSS MB) of the job whose benchmark file is `benchmark`: from the line
    its log closes with (kokoro_narrate.log_resources, the kernel's count), else from the
    benchmark file, whose samples miss what a job of more than 15 s did since its last one."""
    rest = benchmark.relative_to(workdir / "benchmarks").with_suffix(".log")
    # a rule whose one log sits beside its folder: benchmarks/oov/oov.tsv, logs/oov.log
    for log in (workdir / "logs" / rest, workdir / "logs" / f"{rest.parent}.log"):
        if log.is_file():
            if str(REPO / "workflow") not in sys.path:
                sys.path.insert(0, str(REPO / "workflow"))
            from kokoro_narrate import RESOURCES_PATTERN

            found = re.findall(RESOURCES_PATTERN, log.read_text(errors="replace"))
            if found:
                return float(found[-1][0]), float(found[-1][1])
            break
    import pandas as pd

    sampled = pd.read_csv(benchmark, sep="\t")
    return float(sampled.cpu_time.iloc[0]), float(sampled.max_rss.iloc[0])


def model_config(folder: Path) -> dict:
    """config `model:` for a folder holding config.json, one .pth and voices/<name>.pt."""
    (weights,) = glob.glob(str(folder / "*.pth"))
    return {
        "weights": weights,
        "config": str(folder / "config.json"),
        "voices_dir": str(folder / "voices"),
    }


def voice_entries(specs: list[str]) -> list:
    """Config `voices` from --voice options: `name`, or `name:lang` for a voice that reads another
    language (the Japanese voices of the real-weights rebuild reading English)."""
    entries = []
    for spec in specs:
        name, _, lang = spec.partition(":")
        entries.append({"name": name, "lang": lang} if lang else name)
    return entries


def ffmpeg_ebur128(path, ffmpeg: str = "ffmpeg") -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of a file as ffmpeg decodes it, by its
    ebur128 filter: a meter independent of the pipeline's own. The summary prints one decimal; the
    true peak is the largest of the filter's per-frame metadata (linear, three decimals: about
    0.01 dB)."""
    result = subprocess.run(
        [ffmpeg, "-nostats", "-hide_banner", "-i", str(path), "-af",
         "ebur128=peak=true:metadata=1,ametadata=mode=print:file=-", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    lufs = float(re.findall(r"^\s*I:\s+(-?[\d.]+) LUFS", result.stderr, re.M)[-1])
    peaks = [float(v) for v in re.findall(r"lavfi\.r128\.true_peak=([\d.]+)", result.stdout)]
    return lufs, 20 * math.log10(max(peaks))


def add_asr_arguments(parser) -> None:
    """The options of a benchmark that scores narrations with ../shared/asr (wer_*.py)."""
    parser.add_argument("--weights-dir", type=Path, required=True)
    parser.add_argument("--voice", default="jf_alpha")
    parser.add_argument("--asr", type=Path, required=True, help="folder of make-asr.sh")
    parser.add_argument("--wer-script", type=Path, default=REPO.parent / "shared/asr/wer.py")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)


def load_kmodel(weights_dir: Path):
    """kokoro's KModel from a folder holding config.json and one .pth, for the CPU; seeded first,
    as the engine loads it, so any parameter the checkpoint leaves out is the same every run."""
    import torch
    from kokoro import KModel

    weights_dir = weights_dir.expanduser()
    torch.manual_seed(0)
    return KModel(
        repo_id="hexgrad/Kokoro-82M",
        config=str(weights_dir / "config.json"),
        model=next(weights_dir.glob("*.pth")),
    ).eval()


def word_error_rate(args, wav: Path, reference: Path) -> str:
    """../shared/asr/wer.py on one narration against its script (.jsonl) or text; its output."""
    result = subprocess.run(
        [str(args.asr / "venv/bin/python"), str(args.wer_script), str(args.asr / "model"),
         str(wav), str(reference)],
        capture_output=True, text=True,
    )  # fmt: skip
    return f"--- {wav.stem}\n{result.stdout.strip()}\n{result.stderr.strip()[-500:]}"
