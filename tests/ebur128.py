"""Loudness and true peak measured by ffmpeg's ebur128 filter: a meter independent of the
pipeline's own (pyloudnorm and a 4x oversampled peak), for the tests that check what listeners get.

Debian's ffmpeg (apt-get install ffmpeg; .ci/run installs it). Tests that need it skip without it,
except under CI, where its absence fails them.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess

import pytest

FFMPEG = shutil.which("ffmpeg")


def require_ffmpeg() -> str:
    if FFMPEG:
        return FFMPEG
    if os.environ.get("CI"):
        pytest.fail("CI is set but ffmpeg is missing (apt-get install ffmpeg)")
    pytest.skip("ffmpeg is missing (apt-get install ffmpeg)")


def measure(path) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of a file, as ffmpeg decodes it.

    The summary prints one decimal; the true peak is taken from the filter's per-frame metadata
    (linear, three decimals: about 0.01 dB), the largest of the file."""
    ffmpeg = require_ffmpeg()
    result = subprocess.run(
        [
            ffmpeg,
            "-nostats",
            "-hide_banner",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:metadata=1,ametadata=mode=print:file=-",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lufs = float(re.findall(r"^\s*I:\s+(-?[\d.]+) LUFS", result.stderr, re.M)[-1])
    peaks = [float(v) for v in re.findall(r"lavfi\.r128\.true_peak=([\d.]+)", result.stdout)]
    return lufs, 20 * math.log10(max(peaks))
