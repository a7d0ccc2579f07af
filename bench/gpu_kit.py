#!/usr/bin/env python3
"""What bench/throughput.py needs on a bare GPU machine, in one folder under 64 MiB.

    python bench/gpu_kit.py .gpurun --hours 10 [--baseline REV] [--speech NARRATION.wav]
    # there, from the repository's root, with the folder beside it (once per build):
    bash .gpurun/run.sh --wave-chunks 0 --loop --loop-seconds 30
    WARM=1 bash .gpurun/run.sh        # again, with the kernels the last build compiled
    # or all of a session's GPU checks in one call (a device machine's time is scarce):
    bash .gpurun/session.sh

For a machine with a CUDA torch and the common scientific packages (numpy, scipy, pandas,
transformers, PyYAML, Jinja2, markdown-it-py, onnx, onnxruntime) but no network, no spaCy and no
room for the real weights. The folder holds:
- site.tar.xz: the packages the build needs beyond those (PACKAGES), as wheels for that machine's
  Python, at the versions installed here, unpacked (pulp's solvers for other systems left out)
  and compressed: about 40 MB. A package PyPI has no wheel of is copied from this environment,
  where it is pure Python;
- stub/misaki: kokoro's package imports misaki for KPipeline; the build there only runs KModel
  over phonemes made here;
- build.tar.xz: a generated blog's scripts and phonemes (`throughput.py --stage prepare` here),
  the full-size random model's config and voices, not its 327 MB of weights;
- run.sh: unpacks the packages (once) and the build (every time, so each build starts cold;
  with WARM=1 it keeps the compiled kernels the last build left, as a user's second build finds
  them), makes the weights with bench/gpu_model.py and runs `throughput.py --stage rest` with its
  arguments. PYTHON, DEVICE and CORES override python3, cuda and the machine's core count;
- session.sh: the card and processor, whether a chunk's samples depend on anything but the
  chunk (`bench/batched.py same`, about two minutes), a cold build with the plain loop timed, a
  warm build, and with --baseline a warm build with that revision's batched.py, each build's
  table in $OUT with the digests of its narrations, chunks and weights (equal digests: the same
  bytes) and how many chunks kept their bytes from the build before; then where kokoro's
  import spends its time there, and with --speech the encode stage's speed there on that
  narration of real speech and on one of the build's (the random model's noise-like audio
  encodes faster). A cold build that fails is run again with the baseline;
- speech.flac, with --speech WAV: a narration the real weights made here, losslessly (the medium
  guide's 258 s: 6.7 MiB), since the weights cannot travel.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from common import REPO

# The build's packages that a CUDA machine's image lacks: Snakemake and what it imports, kokoro,
# and what the narration, encode and publishing stages import.
PACKAGES = (
    "snakemake",
    "snakemake-interface-common",
    "snakemake-interface-executor-plugins",
    "snakemake-interface-logger-plugins",
    "snakemake-interface-report-plugins",
    "snakemake-interface-scheduler-plugins",
    "snakemake-interface-storage-plugins",
    "argparse-dataclass",
    "conda-inject",
    "configargparse",
    "connection-pool",
    "docutils",
    "dpath",
    "gitpython",
    "gitdb",
    "smmap",
    "humanfriendly",
    "immutables",
    "jsonschema",
    "jsonschema-specifications",
    "referencing",
    "rpds-py",
    "nbformat",
    "fastjsonschema",
    "jupyter-core",
    "traitlets",
    "platformdirs",
    "pulp",
    "smart-open",
    "sqlmodel",
    "sqlalchemy",
    "greenlet",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-inspection",
    "tenacity",
    "throttler",
    "reretry",
    "yte",
    "kokoro",
    "loguru",
    "pyloudnorm",
    "soundfile",
    "cffi",
    "pycparser",
    "av",
    "mutagen",
    "mdit-py-plugins",
)
PLATFORMS = [f"manylinux_2_{n}_x86_64" for n in (17, 24, 27, 28, 31, 34, 35)]
PLATFORMS += ["manylinux2014_x86_64", "manylinux1_x86_64"]
SITE = "/tmp/kokoro-narrate-site"  # where run.sh unpacks the packages there
BUILD = "/tmp/kokoro-narrate-gpubuild"  # the build's folder, the same here and there

STUB = '''"""Stand-in for misaki: kokoro's package imports it for KPipeline, never run there."""
'''
STUB_MODULE = """def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return type(name, (), {})
"""
RUN = f"""#!/bin/bash
# Made by bench/gpu_kit.py. Run from the repository's root: bash KIT/run.sh [throughput options]
set -euo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
python=${{PYTHON:-python3}}
[ -d {SITE} ] || tar xJf "$kit/site.tar.xz" -C "$(dirname {SITE})"
export PYTHONPATH={SITE}:$kit/stub PYTHONUNBUFFERED=1
kept={BUILD}/.snakemake/kokoro-narrate/compile  # the compiler's kernels (engine.py)
if [ "${{WARM:-}}" = 1 ] && [ -d "$kept" ]; then  # the last build's kernels, as a user's 2nd build
    rm -rf /tmp/kokoro-narrate-kept && mv "$kept" /tmp/kokoro-narrate-kept
else
    rm -rf /tmp/kokoro-narrate-kept /tmp/torchinductor_"$(id -un)" ~/.triton/cache  # cold
fi
rm -rf {BUILD}
tar xJf "$kit/build.tar.xz" -C "$(dirname {BUILD})"
if [ -d /tmp/kokoro-narrate-kept ]; then
    mkdir -p "$(dirname "$kept")" && mv /tmp/kokoro-narrate-kept "$kept"
fi
$python bench/gpu_model.py {BUILD}/model
$python bench/throughput.py --stage rest --workdir {BUILD} --device "${{DEVICE:-cuda}}" \\
    --cores "${{CORES:-$(nproc)}}" "$@"
"""


SESSION = f"""#!/bin/bash
# Made by bench/gpu_kit.py: a device session's GPU checks in one call. Run from the repository's
# root: bash KIT/session.sh (OUT: where the tables go, default the kit's folder)
set -uo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
out=${{OUT:-$kit}}
export PYTHONUNBUFFERED=1
start=$(date +%s)
mark() {{ echo "== $1 at $(( $(date +%s) - start )) s"; }}
chunk_list=/tmp/kokoro-narrate-chunks  # each chunk's digest, by name (name: key), per build
digest() {{  # the bytes of the narrations and the chunks: equal digests, the same bytes
  local b={BUILD}/results
  (cd $b/cache && find . -name '*.f32' | sort | xargs sha256sum | sort) > $chunk_list.new
  echo "digest: narrations $(cat $b/narrations/*/*.wav | sha256sum | cut -c1-16)," \\
    "chunks $(sha256sum < $chunk_list.new | cut -c1-16) ($(wc -l < $chunk_list.new) chunks)," \\
    "weights $(cat {BUILD}/model/*.pth | sha256sum | cut -c1-16)"
  if [ -f $chunk_list.last ]; then
    echo "chunks with the same bytes as the last build's:" \\
      "$(comm -12 $chunk_list.last $chunk_list.new | wc -l)"
  fi
  mv $chunk_list.new $chunk_list.last
}}
build() {{  # name, then run.sh's arguments
  local name=$1; shift
  bash "$kit/run.sh" "$@" > "$out/$name.txt" 2>&1
  local status=$?
  tail -45 "$out/$name.txt"; mark "$name ended ($status)"; digest | tee -a "$out/$name.txt"
  return $status
}}
baseline() {{ cp "$kit/batched_baseline.py" workflow/kokoro_narrate/batched.py; }}
same() {{  # a chunk's samples in other runs, orders, batches, and on another process's kernels
  # (in a pipeline, so in a subshell: the exports stay there)
  local at=/tmp/kokoro-narrate-same chunks=bench/data/corpus-chunks.json
  [ -d {SITE} ] || tar xJf "$kit/site.tar.xz" -C "$(dirname {SITE})"
  rm -rf $at; export PYTHONPATH={SITE}:$kit/stub TORCHINDUCTOR_CACHE_DIR=$at/compile
  python3 bench/gpu_model.py $at/model > /dev/null 2>&1
  python3 bench/batched.py same $at/model $chunks --device cuda --fused --save $at/first.json
  python3 bench/batched.py same $at/model $chunks --device cuda --fused --reference-only \\
    --against $at/first.json --first longest
}}
rm -f $chunk_list.last
{{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc
  lscpu | grep -E "Model name|Thread|Core|Socket"; }} | tee "$out/machine.txt"
same 2>&1 | grep -v -e Warning: -e "super().__init__" -e "WeightNorm.apply" \\
  | tee "$out/same.txt"; mark "same ended"  # torch's two warnings, not a traceback's lines
if ! build cold --loop --loop-seconds 20; then
  [ -f "$kit/batched_baseline.py" ] || exit 1
  echo "the cold build failed: once more with the baseline's batched.py"
  baseline; build cold_baseline; exit 1
fi
WARM=1 build warm
if [ -f "$kit/batched_baseline.py" ]; then baseline; WARM=1 build warm_baseline; fi
PYTHONPATH={SITE}:$kit/stub timeout 60 python3 -X importtime -c "from kokoro import KModel" \\
  2> "$out/importtime.txt"
sort -t'|' -k2 -n "$out/importtime.txt" | tail -12
if [ -f "$kit/speech.flac" ]; then  # the encode stage on real speech and on the build's audio
  PYTHONPATH={SITE}:$kit/stub python3 bench/encode_speed.py "$kit/speech.flac" \\
    "$(ls {BUILD}/results/narrations/*/*.wav | head -1)" --stages-only --repeat 1 \\
    2>&1 | tee "$out/encode_speed.txt"; mark "encode_speed ended"
fi
"""


def download(spec: str, python: str, into: Path) -> bool:
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    command += ["--python-version", python, "--implementation", "cp", "-d", str(into), spec]
    command += [f"--platform={p}" for p in PLATFORMS]
    return subprocess.run(command, capture_output=True).returncode == 0


def copy_installed(name: str, site: Path) -> None:
    """A pure-Python distribution's files, as this environment installed them."""
    files = metadata.distribution(name).files or []
    if any(str(f).endswith((".so", ".pyd")) for f in files):
        sys.exit(f"{name}: no wheel for that machine, and the copy here is compiled")
    for f in files:
        source = Path(f.locate())
        if "__pycache__" not in f.parts and source.is_file():
            (site / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, site / f)


def site_packages(kit: Path, python: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        wheels, site = Path(scratch) / "wheels", Path(scratch) / Path(SITE).name
        site.mkdir(parents=True)
        for name in PACKAGES:
            if not download(f"{name}=={metadata.version(name)}", python, wheels):
                copy_installed(name, site)
        for wheel in wheels.glob("*.whl"):
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(site)
        for solvers in (site / "pulp" / "solverdir" / "cbc").glob("*"):
            if solvers.is_dir() and solvers.name != "linux":
                shutil.rmtree(solvers)
        with tarfile.open(kit / "site.tar.xz", "w:xz", preset=9) as archive:
            archive.add(site, arcname=site.name)


def prepared_build(kit: Path, hours: float) -> None:
    shutil.rmtree(BUILD, ignore_errors=True)
    command = [sys.executable, str(REPO / "bench" / "throughput.py"), "--hours", str(hours)]
    command += ["--random-model", "--device", "cuda", "--stage", "prepare", "--workdir", BUILD]
    subprocess.run(command, check=True)
    weights = {p.name for p in Path(BUILD, "model").glob("*.pth")}
    with tarfile.open(kit / "build.tar.xz", "w:xz") as archive:
        archive.add(
            BUILD,
            arcname=Path(BUILD).name,
            filter=lambda item: None if Path(item.name).name in weights else item,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kit", type=Path, help="the folder to write (git-ignore it)")
    parser.add_argument("--hours", type=float, default=10.0, help="the generated blog's audio")
    parser.add_argument("--python", default="3.12", help="that machine's Python")
    parser.add_argument("--baseline", help="a revision whose batched.py session.sh also times")
    parser.add_argument("--speech", type=Path, help="a narration WAV of real speech (encodes)")
    args = parser.parse_args()
    args.kit.mkdir(parents=True, exist_ok=True)
    stub = args.kit / "stub" / "misaki"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text(STUB)
    for module in ("en", "espeak"):
        (stub / f"{module}.py").write_text(STUB_MODULE)
    (args.kit / "run.sh").write_text(RUN)
    (args.kit / "session.sh").write_text(SESSION)
    baseline = args.kit / "batched_baseline.py"
    baseline.unlink(missing_ok=True)
    if args.baseline:
        command = ["git", "show", f"{args.baseline}:workflow/kokoro_narrate/batched.py"]
        shown = subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        baseline.write_bytes(shown.stdout)
    speech = args.kit / "speech.flac"
    speech.unlink(missing_ok=True)
    if args.speech:
        import soundfile

        audio, rate = soundfile.read(str(args.speech), dtype="int16")  # a master's own samples
        soundfile.write(str(speech), audio, rate, format="FLAC", subtype="PCM_16")
    site_packages(args.kit, args.python)
    prepared_build(args.kit, args.hours)
    size = sum(f.stat().st_size for f in args.kit.rglob("*") if f.is_file())
    print(f"{args.kit}: {size / 2**20:.1f} MiB; carry it, then there: bash {args.kit}/run.sh")


if __name__ == "__main__":
    main()
