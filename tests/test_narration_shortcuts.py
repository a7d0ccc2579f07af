"""speech_bounds measures only the frames near each end of a chunk: it must find what measuring
every frame finds."""

import numpy as np
import pytest

from kokoro_narrate.narration import TRIM_FRAME_S, TRIM_THRESHOLD_DB, frame_levels_db, speech_bounds


def every_frame_bounds(audio: np.ndarray, sr: int):
    """speech_bounds as it was: every frame measured, then the bounds refined to the sample."""
    x = np.abs(np.asarray(audio, dtype=np.float64))
    hop = max(1, round(TRIM_FRAME_S * sr))
    loud = np.flatnonzero(frame_levels_db(x, sr) > TRIM_THRESHOLD_DB)
    if loud.size == 0:
        return None
    level = 10.0 ** (TRIM_THRESHOLD_DB / 20.0)
    lo = max(0, (loud[0] - 1) * hop)
    above = np.flatnonzero(x[lo : (loud[0] + 1) * hop] > level)
    start = lo + int(above[0]) if above.size else loud[0] * hop
    hi = min(x.size, (loud[-1] + 2) * hop)
    above = np.flatnonzero(x[loud[-1] * hop : hi] > level)
    end = loud[-1] * hop + int(above[-1]) + 1 if above.size else min(x.size, (loud[-1] + 1) * hop)
    return start, end


@pytest.mark.parametrize("sr", [24000, 22050, 11025])
def test_speech_bounds_equal_measuring_every_frame(sr):
    rng = np.random.default_rng(sr)
    found = 0
    for _ in range(400):
        n = int(rng.integers(1, 3 * sr))
        x = rng.standard_normal(n) * 10 ** rng.uniform(-7, -3)  # a noise floor
        for _ in range(int(rng.integers(0, 4))):  # bursts anywhere, some deep inside
            a = int(rng.integers(0, n))
            b = min(n, a + int(rng.integers(1, sr)))
            x[a:b] += rng.standard_normal(b - a) * 10 ** rng.uniform(-3.5, -0.5)
        x = x.astype(np.float32)
        expected = every_frame_bounds(x, sr)
        assert speech_bounds(x, sr) == expected
        found += expected is not None
    assert 100 < found < 400  # both kinds of chunk were there
