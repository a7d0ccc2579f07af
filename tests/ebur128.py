"""Loudness and true peak measured by ffmpeg's ebur128 filter: a meter independent of the
pipeline's own (pyloudnorm and an 8x oversampled peak), for the tests that check what listeners get.

Debian's ffmpeg (apt-get install ffmpeg; .ci/run installs it). Tests that need it skip without it,
except under CI, where its absence fails them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from common import ffmpeg_ebur128  # noqa: E402

FFMPEG = shutil.which("ffmpeg")


def require_ffmpeg() -> str:
    if FFMPEG:
        return FFMPEG
    if os.environ.get("CI"):
        pytest.fail("CI is set but ffmpeg is missing (apt-get install ffmpeg)")
    pytest.skip("ffmpeg is missing (apt-get install ffmpeg)")


def measure(path) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of a file, as ffmpeg decodes it."""
    return ffmpeg_ebur128(path, require_ffmpeg())
