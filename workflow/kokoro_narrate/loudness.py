"""Loudness measurement and normalization for narration audio.

Integrated loudness is BS.1770 exactly as pyloudnorm measures it (its K-weighting filters, its
400 ms gating blocks at 75% overlap, its two gates), computed here in a few array passes where
pyloudnorm loops over the blocks in Python. True peak is BS.1770-4 style: the absolute maximum of
the 4x oversampled signal, oversampled with the interpolator scipy's resample_poly uses, but
evaluated only where it can exceed the sample peak (see _oversampled_abs). normalize() brings a
narration to a loudness target under a true-peak ceiling with gain plus an offline look-ahead
limiter: Kokoro speech peaks about 15.5 dB above its integrated loudness, so -16 LUFS under
-1.5 dBTP cannot be reached with gain alone.

Everything here is plain numpy/scipy and deterministic: the same input gives the same output bytes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy.ndimage import maximum_filter1d
from scipy.signal import firwin, sosfilt

# BS.1770-4 asks for at least 4x oversampling at 48 kHz; at 24 kHz 4x is more than enough
OVERSAMPLE = 4
# resample_poly(x, OVERSAMPLE, 1) interpolates with a Kaiser-windowed sinc (beta 5) that reaches
# this many input samples to each side (its half_len, 10 * OVERSAMPLE taps, over OVERSAMPLE)
INTERPOLATOR_REACH = 10
# the true-peak search looks at blocks of this many samples (with their two neighbours, which must
# cover the interpolator's reach); 16 keeps the block maxima one cheap pass
PEAK_BLOCK = 16
# pyloudnorm needs one full 400 ms gating block
MIN_SECONDS = 0.4
# pyloudnorm.Meter's defaults, which are BS.1770-4's: 400 ms blocks every 100 ms, gates at
# -70 LUFS and 10 LU under the loudness of the blocks above -70
GATE_BLOCK_S = 0.400
GATE_OVERLAP = 0.75
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
# normalize() aims inside this window around the target (the promise is 0.1 LU)
LOUDNESS_TOLERANCE_LU = 0.05
# normalize() keeps the true peak this far under the ceiling, so that 16-bit quantization of the
# written file (at most half an LSB, about 1.5e-5 of full scale) cannot push it over
PEAK_SAFETY_DB = 0.1
# limiter timing: 5 ms look-ahead (attack) is short enough to be inaudible on speech and long
# enough to not distort a plosive; 80 ms release keeps it from pumping between syllables
LOOKAHEAD_S = 0.005
RELEASE_S = 0.080
# the release tail is cut where its gain reduction is below 2**-26: a float32 sample multiplied by
# 1 - 2**-26 rounds back to itself, so the cut changes no output sample
NEGLIGIBLE_REDUCTION = 2.0**-26
MAX_ITERATIONS = 20
# 16-bit PCM as libsndfile reads it back: sample q becomes q / 32768 (narration.write_wav rounds
# with the same factor)
PCM16_SCALE = 32768.0


@dataclass(frozen=True)
class Measurement:
    lufs: float  # BS.1770 integrated loudness (as pyloudnorm Meter(sr) measures it)
    true_peak_dbtp: float  # 4x oversampled absolute maximum, dB
    sample_peak_dbfs: float


def _db(x: float) -> float:
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(x))


def _check(audio: np.ndarray, sr: int) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio (1-D array), got shape {audio.shape}")
    # min and max are NaN or infinite exactly when some sample is (and need no temporary array)
    if audio.size and not (np.isfinite(audio.min()) and np.isfinite(audio.max())):
        raise ValueError("audio contains NaN or infinity")
    if audio.size < MIN_SECONDS * sr:
        raise ValueError(
            f"audio is too short to measure loudness: {audio.size / sr:.3f} s "
            f"(BS.1770 needs at least {MIN_SECONDS} s)"
        )
    return np.asarray(audio, dtype=np.float64)


# --- true peak ------------------------------------------------------------------------------


@functools.cache
def _interpolator() -> tuple[np.ndarray, float]:
    """(taps, gain bound) of resample_poly's 4x interpolator on float32 audio.

    taps[t, p] weighs x[i - INTERPOLATOR_REACH + t] in the oversampled value at i + p / 4, the
    same float32 coefficients resample_poly(x, OVERSAMPLE, 1) uses. The bound is the largest sum
    of |taps| of one phase (2.24 at 4x, at the half-sample phase): no oversampled value can exceed
    it times the largest |x| within the interpolator's reach. It is raised by 1e-5 so that the
    float32 rounding of resample_poly's own sums (about 1e-6 relative) stays inside it too.
    """
    half = INTERPOLATOR_REACH * OVERSAMPLE
    h = firwin(2 * half + 1, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)).astype(np.float32)
    h *= np.float32(OVERSAMPLE)
    taps = np.zeros((2 * INTERPOLATOR_REACH + 1, OVERSAMPLE))
    for t in range(taps.shape[0]):
        for p in range(OVERSAMPLE):
            k = half + OVERSAMPLE * (INTERPOLATOR_REACH - t) + p
            if 0 <= k <= 2 * half:
                taps[t, p] = h[k]
    return taps, float(np.abs(taps).sum(axis=0).max()) * (1.0 + 1e-5)


def _oversampled_abs(samples, first: np.ndarray, count: int) -> np.ndarray:
    """|4x oversampled audio| at samples first[r] .. first[r] + count - 1, all phases: shape
    (rows, count, OVERSAMPLE), zero where a sample lies outside the audio.

    The value at sample i, phase p is resample_poly(x32, 4, 1)[4 i + p], computed from x[i - 10]
    .. x[i + 10] (zero outside the audio, as resample_poly pads). So a region whose neighbourhood
    is quiet cannot hold a loud oversampled value (the bound of _interpolator), and callers
    compute only the blocks where the bound allows one. `samples` is the float32 audio, or a
    _Samples that makes the samples wanted on demand.
    """
    taps, _ = _interpolator()
    reach = INTERPOLATOR_REACH
    n = samples.size
    out = np.empty((first.size, count, OVERSAMPLE))
    rows_at_once = max(1, 65536 // (count + 2 * reach))  # a few MB of temporaries at a time
    for lo in range(0, first.size, rows_at_once):
        starts = first[lo : lo + rows_at_once]
        idx = starts[:, None] + np.arange(-reach, count + reach)
        inside = (idx >= 0) & (idx < n)
        rows = np.where(inside, samples[np.clip(idx, 0, n - 1)], 0.0)
        windows = np.lib.stride_tricks.sliding_window_view(rows, 2 * reach + 1, axis=1)
        values = np.abs(windows @ taps)
        values[~inside[:, reach : reach + count]] = 0.0  # resample_poly's output ends with x
        out[lo : lo + rows_at_once] = values
    return out


def _block_peaks(x32: np.ndarray) -> np.ndarray:
    """Largest |sample| of each PEAK_BLOCK-sample block (the last one may be partial)."""
    full = x32.size // PEAK_BLOCK * PEAK_BLOCK
    blocks = x32[:full].reshape(-1, PEAK_BLOCK)
    peaks = np.maximum(blocks.max(axis=1), -blocks.min(axis=1))
    if full < x32.size:
        peaks = np.append(peaks, np.abs(x32[full:]).max())
    return peaks


def _neighbourhood(peaks: np.ndarray) -> np.ndarray:
    """Per block, the largest peak of it and its two neighbours: every sample within
    INTERPOLATOR_REACH + 1 of the block's samples lies in one of them."""
    around = peaks.copy()
    around[1:] = np.maximum(around[1:], peaks[:-1])
    around[:-1] = np.maximum(around[:-1], peaks[1:])
    return around


def true_peak_dbtp(audio: np.ndarray, sr: int) -> float:
    """BS.1770-4 true peak in dBTP: absolute maximum of the 4x oversampled signal.

    The same number as the absolute maximum of resample_poly(float32 audio, 4, 1) and the sample
    peak, computed only in the blocks that can hold a value above the sample peak.
    """
    # float32 as before this was made faster: the oversampling filter ran on float32 audio
    x32 = np.asarray(audio, dtype=np.float32)
    if x32.size == 0:
        return float("-inf")
    peaks = _block_peaks(x32)
    sample_peak = float(peaks.max())
    if sample_peak == 0.0:
        return float("-inf")
    _, bound = _interpolator()
    # the sample peak is part of the definition too (the resampler's filter may shave it slightly)
    candidates = np.flatnonzero(_neighbourhood(peaks) * bound >= sample_peak)
    values = _oversampled_abs(x32, candidates * PEAK_BLOCK, PEAK_BLOCK)
    return _db(max(sample_peak, float(values.max(initial=0.0))))


# --- integrated loudness --------------------------------------------------------------------


@functools.cache
def _k_weighting(sr: int) -> np.ndarray:
    """pyloudnorm's K-weighting (the two biquads its Meter applies, in order) as sections for
    sosfilt; pyloudnorm runs them through lfilter with unit passband gain."""
    meter = pyloudnorm.Meter(sr)
    stages = [meter._filters[name] for name in ("high_shelf", "high_pass")]
    for stage in stages:
        assert stage.passband_gain == 1.0, "pyloudnorm changed its K-weighting"
    return np.array([np.concatenate([s.b, s.a]) / s.a[0] for s in stages])


@dataclass(frozen=True)
class _Gating:
    """pyloudnorm's gating blocks of an n-sample signal, as runs of whole pieces.

    The blocks overlap, so the signal is cut at every block edge into pieces; piece energies are
    summed once, and each block's energy is the sum of its few pieces.
    """

    edges: np.ndarray  # piece k is samples edges[k] .. edges[k + 1] - 1
    first: np.ndarray  # block j is pieces first[j] .. last[j] - 1
    last: np.ndarray
    block_samples: float  # pyloudnorm divides every block's sum by this (T_g * rate)

    @staticmethod
    @functools.lru_cache(maxsize=8)
    def of(n: int, sr: int) -> _Gating:
        # pyloudnorm's own arithmetic, so every block starts and ends on the same sample
        step = 1.0 - GATE_OVERLAP
        duration = n / sr
        blocks = int(np.round((duration - GATE_BLOCK_S) / (GATE_BLOCK_S * step))) + 1
        j = np.arange(blocks)
        lower = (GATE_BLOCK_S * (j * step) * sr).astype(np.int64)
        upper = np.minimum((GATE_BLOCK_S * (j * step + 1) * sr).astype(np.int64), n)
        edges = np.unique(np.concatenate([lower, upper]))
        return _Gating(
            edges,
            np.searchsorted(edges, lower),
            np.searchsorted(edges, upper),
            GATE_BLOCK_S * sr,
        )

    def piece_energies(self, weighted_squared: np.ndarray) -> np.ndarray:
        return np.add.reduceat(weighted_squared[: self.edges[-1]], self.edges[:-1])

    def lufs(self, pieces: np.ndarray) -> float:
        """Integrated loudness from piece energies, gated as pyloudnorm gates."""
        sums = np.zeros(self.first.size)
        for k in range(int((self.last - self.first).max(initial=0))):
            take = self.first + k < self.last
            sums[take] += pieces[(self.first + k)[take]]
        z = (1.0 / self.block_samples) * sums
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10.0 * np.log10(z)
        above = loudness >= ABSOLUTE_GATE_LUFS
        if not above.any():
            return float("-inf")
        relative = -0.691 + 10.0 * np.log10(np.mean(z[above])) + RELATIVE_GATE_LU
        gated = (loudness > relative) & (loudness > ABSOLUTE_GATE_LUFS)
        if not gated.any():
            return float("-inf")
        with np.errstate(divide="ignore"):
            return float(-0.691 + 10.0 * np.log10(np.mean(z[gated])))


def _weighted_squared(x64: np.ndarray, sr: int) -> np.ndarray:
    """The K-weighted signal, squared (a new array)."""
    weighted = sosfilt(_k_weighting(sr), x64)
    np.square(weighted, out=weighted)
    return weighted


def _lufs(audio: np.ndarray, sr: int) -> float:
    """pyloudnorm.Meter(sr).integrated_loudness(audio), to within float rounding (1e-9 LU)."""
    x64 = np.asarray(audio, dtype=np.float64)
    gating = _Gating.of(x64.size, sr)
    return gating.lufs(gating.piece_energies(_weighted_squared(x64, sr)))


def measure(audio: np.ndarray, sr: int) -> Measurement:
    x64 = _check(audio, sr)
    return Measurement(
        lufs=_lufs(x64, sr),
        true_peak_dbtp=true_peak_dbtp(audio, sr),
        sample_peak_dbfs=_db(max(float(x64.max()), -float(x64.min()))),
    )


# --- limiter --------------------------------------------------------------------------------


def _hot_samples(x32: np.ndarray, peaks: np.ndarray, level: float):
    """(positions, envelope) of the samples whose envelope exceeds `level`, in order.

    A sample's envelope is the largest |value| of the 4x oversampled signal between its two
    neighbours, and its own |value|: every inter-sample peak is charged to both samples around
    it. Only blocks whose neighbourhood times the interpolator's bound exceeds `level` can hold
    such a sample (a quieter block's envelope is at most that product), so only they are computed.
    """
    _, bound = _interpolator()
    blocks = np.flatnonzero(_neighbourhood(peaks) * bound > level)
    if blocks.size == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    # each block's samples and the one before it: the phases after sample i - 1 reach sample i
    phases = _oversampled_abs(x32, blocks * PEAK_BLOCK - 1, PEAK_BLOCK + 1).max(axis=2)
    positions = blocks[:, None] * PEAK_BLOCK + np.arange(PEAK_BLOCK)
    inside = positions < x32.size
    own = np.abs(x32[np.minimum(positions, x32.size - 1)]).astype(np.float64)
    envelope = np.maximum(own, np.maximum(phases[:, 1:], phases[:, :-1]))
    hot = inside & (envelope > level)
    return positions[hot], envelope[hot]


def _hold(hot: np.ndarray, reduction_db: np.ndarray, window: int):
    """Look-ahead: (positions, dB) of every sample within `window` - 1 samples before a hot one,
    each with the largest reduction of the hot samples in its forward window of `window`."""
    breaks = np.flatnonzero(np.diff(hot) > window) + 1  # farther apart, the windows do not touch
    first = np.concatenate([[0], breaks])
    last = np.concatenate([breaks, [hot.size]]) - 1
    starts = hot[first] - (window - 1)
    lengths = hot[last] + 1 - starts
    # all clusters side by side: each begins with window - 1 samples that are not hot, so a
    # forward window never reaches a hot sample of the next cluster
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    cluster = np.repeat(np.arange(first.size), last - first + 1)
    compact = np.zeros(int(lengths.sum()))
    compact[offsets[cluster] + hot - starts[cluster]] = reduction_db
    held = maximum_filter1d(compact, window, mode="constant", cval=0.0, origin=-(window // 2))
    positions = np.repeat(starts - offsets, lengths) + np.arange(compact.size)
    keep = positions >= 0
    return positions[keep], held[keep]


def _limiter_gains(hot: np.ndarray, reduction_db: np.ndarray, n: int, sr: int):
    """The limiter's gain curve where it differs from 1, as (start, gains) runs in order.

    Offline look-ahead limiter: hot sample h must come down by reduction_db; that reduction is
    held over the window - 1 samples before h (look-ahead), released exponentially in dB (time
    constant RELEASE_S) instead of jumping back to 0 dB, and the released gain is averaged over
    the same window looking back. Every term of that mean at sample i comes from a reduction whose
    window contains i, so the gain at a hot sample is at most what it needs.
    """
    window = max(1, round(LOOKAHEAD_S * sr))
    if hot.size == 0:
        return []
    held_at, held_db = _hold(hot, reduction_db, window)
    # release: att[k] = max(att_held[k], att[k - 1] * a) has the closed form
    # log att[k] = k c + max over held j <= k of (log att_held[j] - j c), c = log a; in float64
    # the k c terms (up to ~1e4 for an hour) keep about 1e-12 of precision
    decay = -1.0 / (RELEASE_S * sr)
    anchor = np.maximum.accumulate(np.log(held_db) - held_at * decay)
    # where each held sample's release has decayed below the negligible reduction (in dB)
    negligible_db = -20.0 * math.log10(1.0 - NEGLIGIBLE_REDUCTION)
    ends = np.floor((math.log(negligible_db) - anchor) / decay).astype(np.int64) + 1
    ends = np.maximum(ends, held_at + 1)
    # runs: held samples whose (released, then smoothed) gains overlap belong to one run
    breaks = np.flatnonzero(held_at[1:] >= ends[:-1] + window) + 1
    first = np.concatenate([[0], breaks])
    last = np.concatenate([breaks, [held_at.size]])
    to_gain = math.log(10.0) / 20.0
    runs = []
    for i, j in zip(first.tolist(), last.tolist(), strict=True):
        start, stop = int(held_at[i]), int(min(ends[j - 1], n))
        # anchor of the last held sample at or before each sample of the run
        logs = np.repeat(anchor[i:j], np.diff(np.append(held_at[i:j], stop)))
        logs += np.arange(start, stop) * decay
        # 1 - released gain, kept as such: the tail's tiny reductions survive the mean
        reduction = -np.expm1(-to_gain * np.exp(logs))
        padded = np.zeros(reduction.size + 2 * window - 1)
        padded[window : window + reduction.size] = reduction
        total = np.cumsum(padded)
        gains = 1.0 - (total[window:] - total[:-window]) / window
        runs.append((start, gains[: n - start]))
    return runs


# --- normalization --------------------------------------------------------------------------


def pcm16_grid(audio: np.ndarray) -> np.ndarray:
    """float32 audio rounded to the 16-bit grid exactly as narration.write_wav rounds it (plain
    rounding of x * 32768): write_wav then writes these values unchanged, and a 16-bit WAV of
    them reads back (as float64) to exactly these numbers."""
    x = np.asarray(audio, dtype=np.float64) * PCM16_SCALE
    np.rint(x, out=x)
    x /= PCM16_SCALE
    return x.astype(np.float32)


def normalize(
    audio: np.ndarray, sr: int, target_lufs: float = -16.0, ceiling_dbtp: float = -1.5
) -> np.ndarray:
    """Return float32 audio at target_lufs (within 0.1 LU) with true peak <= ceiling_dbtp.

    Gain to the target, then the limiter on true peak; the limiter lowers the loudness a little,
    so repeat (re-measure, re-gain, tighten the limiter if the smoothing let a peak through).
    """
    return _normalize(audio, sr, target_lufs, ceiling_dbtp, finish=None)[0]


def normalize_pcm16(
    audio: np.ndarray, sr: int, target_lufs: float = -16.0, ceiling_dbtp: float = -1.5
) -> tuple[np.ndarray, Measurement]:
    """normalize() for a 16-bit file: the float32 samples are on the 16-bit grid (pcm16_grid), the
    promise holds for them, and the Measurement is measure() of them, which is what a 16-bit WAV
    written from them (narration.write_wav) measures when read back."""
    return _normalize(audio, sr, target_lufs, ceiling_dbtp, finish=pcm16_grid)


def _normalize(audio, sr, target_lufs, ceiling_dbtp, finish):
    """normalize()'s loop, returning the result (after `finish`) and measure() of it.

    The loop measures each pass cheaply: the K-weighting is linear and the limiter's gain varies
    slowly against it, so a pass's K-weighted signal is its gain times the input's, times the
    limiter's gain curve on the samples it touches (a few thousandths of an LU off; the input is
    K-weighted once). A pass that looks good is then measured in full with measure(), and only
    that decides; the estimate's offset from it corrects the passes after it.
    """
    x = _check(audio, sr)
    gating = _Gating.of(x.size, sr)
    weighted_squared = _weighted_squared(x, sr)
    pieces = gating.piece_energies(weighted_squared)
    lufs = gating.lufs(pieces)
    if not np.isfinite(lufs):
        raise ValueError(
            "cannot normalize: integrated loudness is -inf (silence only, or everything is below "
            "the -70 LUFS gate)"
        )
    x32 = x.astype(np.float32)
    peaks = _block_peaks(x32)
    aim_peak = ceiling_dbtp - PEAK_SAFETY_DB
    gain_db = target_lufs - lufs
    threshold_db = aim_peak
    estimate_offset = 0.0  # full measurement minus estimate, from the last full measurement
    for _ in range(MAX_ITERATIONS):
        gain = 10.0 ** (gain_db / 20.0)
        threshold = 10.0 ** (threshold_db / 20.0)
        hot, envelope = _hot_samples(x32, peaks, threshold / gain)
        runs = _limiter_gains(hot, 20.0 * np.log10(envelope * gain / threshold), x.size, sr)
        est = _estimate_lufs(gating, pieces, weighted_squared, gain, runs) + estimate_offset
        limited = _Samples(x, gain, runs)
        peak = _true_peak_above(limited, peaks * gain, 10.0 ** (aim_peak / 20.0))
        if abs(est - target_lufs) <= LOUDNESS_TOLERANCE_LU and peak <= aim_peak:
            y = limited.all()
            result = finish(y) if finish else y
            got = measure(result, sr)
            estimate_offset += got.lufs - est
            if abs(got.lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU and (
                got.true_peak_dbtp <= aim_peak
            ):
                return result, got
            est, peak = got.lufs, got.true_peak_dbtp
        gain_db += target_lufs - est
        if peak > aim_peak:
            threshold_db -= peak - aim_peak + 0.01
    raise ValueError(
        f"normalize did not converge in {MAX_ITERATIONS} iterations (last: {est:.2f} LUFS, "
        f"{peak:.2f} dBTP; target {target_lufs} LUFS under {ceiling_dbtp} dBTP); "
        "the input is probably too peaky for this ceiling"
    )


class _Samples:
    """A pass's output: float32 of x * gain, times the limiter's gains on its runs (each product
    in float64, then float32). all() makes every sample; indexing makes only the ones asked for,
    so a pass can look at its loudest blocks without making the rest."""

    def __init__(self, x: np.ndarray, gain: float, runs):
        self.x, self.gain, self.runs, self.size = x, gain, runs, x.size
        self.starts = np.array([start for start, _ in runs], dtype=np.int64)
        self.stops = np.array([start + g.size for start, g in runs], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.stops - self.starts)])
        self.gains = np.concatenate([g for _, g in runs]) if runs else np.ones(0)

    def all(self) -> np.ndarray:
        y = (self.x * self.gain).astype(np.float32)
        for start, gains in self.runs:
            stop = start + gains.size
            y[start:stop] = y[start:stop] * gains
        return y

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        y = (self.x[idx] * self.gain).astype(np.float32)
        if not self.runs:
            return y
        run = np.searchsorted(self.starts, idx, side="right") - 1
        inside = (run >= 0) & (idx < self.stops[np.maximum(run, 0)])
        at = self.offsets[run[inside]] + idx[inside] - self.starts[run[inside]]
        y[inside] = y[inside] * self.gains[at]
        return y


def _apply(x: np.ndarray, gain: float, runs) -> np.ndarray:
    return _Samples(x, gain, runs).all()


def _true_peak_above(samples: _Samples, peaks: np.ndarray, level: float) -> float:
    """true_peak_dbtp of the samples where it exceeds `level` (linear); else a number <= level.

    Only blocks where `peaks` (per-block peaks at least as large as the samples': the input's
    times the gain, as the limiter's gains are at most 1) allow a value above `level` are made.
    """
    _, bound = _interpolator()
    blocks = np.flatnonzero(_neighbourhood(peaks) * bound > level)
    if blocks.size == 0:
        return float("-inf")
    values = _oversampled_abs(samples, blocks * PEAK_BLOCK, PEAK_BLOCK)
    positions = (blocks[:, None] * PEAK_BLOCK + np.arange(PEAK_BLOCK)).ravel()
    own = np.abs(samples[np.minimum(positions, samples.size - 1)])
    return _db(max(float(values.max()), float(own.max())))


def _estimate_lufs(gating: _Gating, pieces, weighted_squared, gain: float, runs) -> float:
    """Loudness of x * gain * limiter gains, taking K-weighting(x * g) as K-weighting(x) * g."""
    pieces = pieces.copy()
    end = gating.edges[-1]
    for start, gains in runs:
        stop = min(start + gains.size, end)
        if stop <= start:
            continue
        change = weighted_squared[start:stop] * (gains[: stop - start] ** 2 - 1.0)
        first = np.searchsorted(gating.edges, start, side="right") - 1
        cuts = gating.edges[first + 1 : np.searchsorted(gating.edges, stop)]
        sums = np.add.reduceat(change, np.concatenate([[0], cuts - start]))
        pieces[first : first + sums.size] += sums
    return gating.lufs(pieces * gain**2)
