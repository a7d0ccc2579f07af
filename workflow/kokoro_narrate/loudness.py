"""Loudness measurement and normalization for narration audio.

Integrated loudness is BS.1770 as measured by pyloudnorm; true peak is BS.1770-4 style (4x
oversampled absolute maximum). normalize() brings a narration to a loudness target under a
true-peak ceiling with gain plus an offline look-ahead limiter: Kokoro speech peaks about 15.5 dB
above its integrated loudness, so -16 LUFS under -1.5 dBTP cannot be reached with gain alone.

Everything here is plain numpy/scipy and deterministic: the same input gives the same output bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d
from scipy.signal import resample_poly

# BS.1770-4 asks for at least 4x oversampling at 48 kHz; at 24 kHz 4x is more than enough
OVERSAMPLE = 4
# pyloudnorm needs one full 400 ms gating block
MIN_SECONDS = 0.4
# normalize() aims inside this window around the target (the promise is 0.1 LU)
LOUDNESS_TOLERANCE_LU = 0.05
# normalize() keeps the true peak this far under the ceiling, so that 16-bit quantization of the
# written file (at most half an LSB, about 1.5e-5 of full scale) cannot push it over
PEAK_SAFETY_DB = 0.1
# limiter timing: 5 ms look-ahead (attack) is short enough to be inaudible on speech and long
# enough to not distort a plosive; 80 ms release keeps it from pumping between syllables
LOOKAHEAD_S = 0.005
RELEASE_S = 0.080
MAX_ITERATIONS = 20


@dataclass(frozen=True)
class Measurement:
    lufs: float  # BS.1770 integrated loudness (pyloudnorm Meter(sr))
    true_peak_dbtp: float  # 4x oversampled absolute maximum, dB
    sample_peak_dbfs: float


def _db(x: float) -> float:
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(x))


def _check(audio: np.ndarray, sr: int) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio (1-D array), got shape {audio.shape}")
    if not np.all(np.isfinite(audio)):
        raise ValueError("audio contains NaN or infinity")
    if audio.size < MIN_SECONDS * sr:
        raise ValueError(
            f"audio is too short to measure loudness: {audio.size / sr:.3f} s "
            f"(BS.1770 needs at least {MIN_SECONDS} s)"
        )
    return audio.astype(np.float64)


def _oversampled_envelope(audio: np.ndarray) -> np.ndarray:
    """Per input sample, the largest |value| of the 4x oversampled signal around it.

    Sample i gets the max over the oversampled points between i-1 and i+1, so every inter-sample
    peak is charged to both of its neighbours.
    """
    up = np.abs(resample_poly(audio.astype(np.float32), OVERSAMPLE, 1))
    per_sample = up[: audio.size * OVERSAMPLE].reshape(audio.size, OVERSAMPLE).max(axis=1)
    env = np.maximum(per_sample, np.abs(audio))
    env[1:] = np.maximum(env[1:], per_sample[:-1])
    return env


def true_peak_dbtp(audio: np.ndarray, sr: int) -> float:
    """BS.1770-4 true peak in dBTP: absolute maximum of the 4x oversampled signal."""
    # float32 halves the memory traffic of the 4x signal; its rounding (~1e-7) is far below
    # anything a dB figure shows
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        return float("-inf")
    up = resample_poly(audio, OVERSAMPLE, 1)
    # the sample peak is part of the definition too (the resampler's filter may shave it slightly)
    return _db(max(np.abs(up).max(), np.abs(audio).max()))


def _lufs(audio: np.ndarray, sr: int) -> float:
    return float(pyloudnorm.Meter(sr).integrated_loudness(audio))


def measure(audio: np.ndarray, sr: int) -> Measurement:
    audio = _check(audio, sr)
    return Measurement(
        lufs=_lufs(audio, sr),
        true_peak_dbtp=true_peak_dbtp(audio, sr),
        sample_peak_dbfs=_db(np.abs(audio).max()),
    )


def _limit(audio: np.ndarray, sr: int, threshold: float, env: np.ndarray | None = None):
    """Offline look-ahead limiter: scale audio so its oversampled peaks stay <= threshold.

    `env` is audio's oversampled envelope when the caller has it (it scales with the gain, so
    normalize() computes it once for all its passes).
    """
    # gains in float32: a long narration is millions of samples, and float32 gain curves are
    # exact to far better than 0.001 dB
    audio = audio.astype(np.float32)
    n = audio.size
    window = max(1, round(LOOKAHEAD_S * sr))
    if env is None:
        env = _oversampled_envelope(audio)
    with np.errstate(divide="ignore"):
        required = np.minimum(np.float32(1.0), np.float32(threshold) / env)

    # forward-looking minimum: held[k] = min(required[k : k + window])
    padded = np.concatenate([required, np.ones(window - 1)])
    held = minimum_filter1d(padded, window, mode="nearest", origin=-(window // 2))[:n]

    # release: attenuation in dB decays exponentially (time constant RELEASE_S) instead of
    # jumping back to 0 dB. att[k] = max(att_held[k], att[k-1] * a) has the closed form
    # log att[k] = k*c + cummax_j<=k(log att_held[j] - j*c), c = log a, which numpy can vectorize.
    # (float32 keeps the rounding of log att near 5e-4 relative: a few thousandths of a dB, well
    # inside the safety margin, and normalize() checks the result anyway)
    held = held.astype(np.float32)
    with np.errstate(divide="ignore"):
        att = np.float32(-20.0) * np.log10(held)
        log_att = np.log(np.maximum(att, np.float32(0.0)))
    kc = np.arange(n, dtype=np.float32) * np.float32(-1.0 / (RELEASE_S * sr))
    log_att = kc + np.maximum.accumulate(log_att - kc)
    released = np.float32(10.0) ** (-np.exp(log_att) / np.float32(20.0))  # <= held

    # moving average over the same window, looking back: every term of the mean at sample i comes
    # from a minimum whose window contains i, so the smoothed gain is <= required[i]
    csum = np.concatenate([[0.0], np.cumsum(np.concatenate([np.ones(window - 1), released]))])
    smoothed = (csum[window:] - csum[:-window]) / window
    return audio * smoothed


def normalize(
    audio: np.ndarray, sr: int, target_lufs: float = -16.0, ceiling_dbtp: float = -1.5
) -> np.ndarray:
    """Return float32 audio at target_lufs (within 0.1 LU) with true peak <= ceiling_dbtp.

    Gain to the target, then the limiter on true peak; the limiter lowers the loudness a little,
    so repeat (re-measure, re-gain, tighten the limiter if the smoothing let a peak through).
    """
    x = _check(audio, sr)
    lufs = _lufs(x, sr)
    if not np.isfinite(lufs):
        raise ValueError(
            "cannot normalize: integrated loudness is -inf (silence only, or everything is below "
            "the -70 LUFS gate)"
        )
    aim_peak = ceiling_dbtp - PEAK_SAFETY_DB
    gain_db = target_lufs - lufs
    threshold_db = aim_peak
    envelope = _oversampled_envelope(x)  # resampling is linear: scale it by each pass's gain
    for _ in range(MAX_ITERATIONS):
        gain = 10.0 ** (gain_db / 20.0)
        y = _limit(x * gain, sr, 10.0 ** (threshold_db / 20.0), envelope * np.float32(gain))
        y = y.astype(np.float32)  # measure exactly what is returned
        got = measure(y, sr)
        loud_ok = abs(got.lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU
        peak_ok = got.true_peak_dbtp <= aim_peak
        if loud_ok and peak_ok:
            return y
        gain_db += target_lufs - got.lufs
        if not peak_ok:
            threshold_db -= got.true_peak_dbtp - aim_peak + 0.01
    raise ValueError(
        f"normalize did not converge in {MAX_ITERATIONS} iterations (last: {got.lufs:.2f} LUFS, "
        f"{got.true_peak_dbtp:.2f} dBTP; target {target_lufs} LUFS under {ceiling_dbtp} dBTP); "
        "the input is probably too peaky for this ceiling"
    )
