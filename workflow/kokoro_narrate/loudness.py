"""Loudness measurement and normalization for narration audio.

Integrated loudness is BS.1770 exactly as pyloudnorm measures it (its K-weighting filters, its
400 ms gating blocks at 75% overlap, its two gates), computed here in one sweep over the audio
where pyloudnorm loops over the blocks in Python. True peak is BS.1770-4 style: the absolute
maximum of the 8x oversampled signal (OVERSAMPLE), oversampled with the interpolator scipy's
resample_poly uses, but evaluated only where it can exceed the sample peak (see _interpolator for
the bound).
normalize() brings a narration to a loudness target under a true-peak ceiling with gain plus an
offline look-ahead limiter: Kokoro speech peaks about 15.5 dB above its integrated loudness, so
-16 LUFS under -1.5 dBTP cannot be reached with gain alone. Its passes are estimated cheaply and
only the one it keeps is measured in full (see _normalize).

Everything here is plain numpy/scipy and deterministic: the same input gives the same output bytes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

# pyloudnorm, scipy.signal and scipy.ndimage (0.8 s of imports) are imported where they are used:
# the matrix job imports this module through narration.write_wav, for its excerpts, and measures
# nothing

# BS.1770-4 asks for at least 4x oversampling at 48 kHz, 192 kHz; ffmpeg's ebur128 meter (what
# players and podcast hosts check with) takes 24 kHz to 192 kHz too. At 4x (96 kHz) bright,
# noise-like audio read up to 0.2 dB hotter there than here: 8x, and the meters agree.
OVERSAMPLE = 8
# resample_poly(x, OVERSAMPLE, 1) interpolates with a Kaiser-windowed sinc (beta 5) that reaches
# this many input samples to each side (its half_len, 10 * OVERSAMPLE taps, over OVERSAMPLE)
INTERPOLATOR_REACH = 10
# the true-peak search looks at blocks of this many samples (with their two neighbours, which must
# cover the interpolator's reach); 16 keeps the block maxima one cheap pass
PEAK_BLOCK = 16
# ... and narrows the blocks that the plain bound lets through in stages: at each radius the taps
# that near each oversampled value are summed exactly (signs and all) and the farther ones bounded
# by their |weight| times the neighbourhood's peak. Speech is smooth, so its near sums are close to
# the real values while the far weights shrink fast (0.46 of the plain bound's 2.24 beyond 2
# samples, 0.05 beyond 6): on the long essay's narration (bench/narration_speed.py's input) the
# plain bound keeps 24% of the blocks at the final measurement, radius 2 2.4% and radius 6 0.07%
# for the full 21 taps
NARROWING_RADII = (2, 6)
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
# 1 - 2**-26 rounds back to itself, so the cut can at most move a product that sits at a rounding
# midpoint by one float32 step (far below the 16-bit output's step)
NEGLIGIBLE_REDUCTION = 2.0**-26
MAX_ITERATIONS = 20
# normalize() steps its gain by what the last pass missed the target by, divided by how much the
# loudness rose per dB of gain between the last two passes (whose limiter thresholds differ by
# hundredths of a dB, if at all): the limiter takes back part of each dB (on jm_kumo's narrations
# the loudness rose 0.4 dB per dB, and steps of the distance alone took five passes, each leaving
# 60% of it). The rise is at most 1 (the limiter only takes away); below this one the plain step
# is kept
MIN_LOUDNESS_PER_DB = 0.2
# sweeps over the audio go this many samples at a time, so that their temporaries stay in the CPU's
# cache: on a loaded 2-core machine a chain of passes over full-length arrays cost 7x the CPU time
# of the same chain in 65536-sample steps (20 min of audio: 2.2 s against 0.3 s)
CHUNK = 1 << 16
# normalize() finds the samples the limiter must bring down once for a level this far under the
# first pass's; later passes (whose gain rises by the limiter's loudness loss, a few tenths of a
# dB) pick theirs from those
ENVELOPE_MARGIN_DB = 1.0
# 16-bit PCM as libsndfile reads it back: sample q becomes q / 32768 (narration.write_wav rounds
# with the same factor)
PCM16_SCALE = 32768.0


@dataclass(frozen=True)
class Measurement:
    lufs: float  # BS.1770 integrated loudness (as pyloudnorm Meter(sr) measures it)
    true_peak_dbtp: float  # OVERSAMPLE-times oversampled absolute maximum, dB
    sample_peak_dbfs: float


def _db(x: float) -> float:
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(x))


def _check(audio: np.ndarray, sr: int) -> np.ndarray:
    """The audio as a float array (not copied when it is one), after checking it."""
    audio = np.asarray(audio)
    if not np.issubdtype(audio.dtype, np.floating):
        audio = audio.astype(np.float64)
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
    return audio


def _cells(lo: int, hi: int):
    """[lo, hi) cut at multiples of CHUNK, as (start, stop) pairs."""
    for start in range(lo - lo % CHUNK, hi, CHUNK):
        yield max(start, lo), min(start + CHUNK, hi)


# --- true peak ------------------------------------------------------------------------------


@functools.cache
def _interpolator() -> tuple[np.ndarray, float]:
    """(taps, gain bound) of resample_poly's OVERSAMPLE-times interpolator on float32 audio.

    taps[t, p] weighs x[i - INTERPOLATOR_REACH + t] in the oversampled value at
    i + p / OVERSAMPLE, the same float32 coefficients resample_poly(x, OVERSAMPLE, 1) uses. The
    bound is the largest sum
    of |taps| of one phase (2.24, at the half-sample phase): no oversampled value can exceed
    it times the largest |x| within the interpolator's reach. It is raised by 1e-5 so that the
    float32 rounding of resample_poly's own sums (about 1e-6 relative) stays inside it too.
    """
    half = INTERPOLATOR_REACH * OVERSAMPLE
    from scipy.signal import firwin

    h = firwin(2 * half + 1, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)).astype(np.float32)
    h *= np.float32(OVERSAMPLE)
    taps = np.zeros((2 * INTERPOLATOR_REACH + 1, OVERSAMPLE))
    for t in range(taps.shape[0]):
        for p in range(OVERSAMPLE):
            k = half + OVERSAMPLE * (INTERPOLATOR_REACH - t) + p
            if 0 <= k <= 2 * half:
                taps[t, p] = h[k]
    return taps, float(np.abs(taps).sum(axis=0).max()) * (1.0 + 1e-5)


@functools.cache
def _far_weight(radius: int) -> float:
    """The largest sum, over one phase, of the |taps| more than `radius` samples from the value:
    what they can add, per unit of the largest |x| within the interpolator's reach (raised by
    1e-5 as the plain bound is)."""
    taps, _ = _interpolator()
    offsets = np.abs(np.arange(taps.shape[0]) - INTERPOLATOR_REACH)
    return float(np.abs(taps[offsets > radius]).sum(axis=0).max()) * (1.0 + 1e-5)


def _phase_peaks(samples, blocks, radius=INTERPOLATOR_REACH, each=False, phases=OVERSAMPLE):
    """Per block b (sorted), the largest |oversampled value| over the phases of samples
    16 b - 1 .. 16 b + 15, zero where a sample lies outside the audio (resample_poly's output
    starts and ends with it); with `each`, per sample: shape (blocks, PEAK_BLOCK + 1). With
    phases=(1, 2, 3), only the values between samples.

    The value at sample i, phase p is resample_poly(x32, 4, 1)[4 i + p], computed from x[i - 10]
    .. x[i + 10] (zero outside the audio, as resample_poly pads). So a region whose neighbourhood
    is quiet cannot hold a loud oversampled value (the bound of _interpolator), and callers
    compute only the blocks where the bound allows one. With a smaller radius only the taps
    within `radius` samples of each value are summed (see NARROWING_RADII). Runs of consecutive
    blocks are laid side by side, each with `radius` samples of context, and convolved with each
    phase's taps, about CHUNK samples at a time.
    """
    taps, _ = _interpolator()
    taps = taps[INTERPOLATOR_REACH - radius : INTERPOLATOR_REACH + radius + 1]
    phases = range(OVERSAMPLE) if phases == OVERSAMPLE else phases
    kernels = [np.ascontiguousarray(taps[::-1, p]) for p in phases]
    result = np.zeros((blocks.size, PEAK_BLOCK + 1) if each else blocks.size)
    if blocks.size == 0:
        return result
    n = samples.size
    apart = np.flatnonzero(np.diff(blocks) > 1) + 1
    run_first = np.concatenate([[0], apart])  # index in `blocks` of each run's first block
    first = blocks[run_first]
    count = np.diff(np.append(run_first, blocks.size))  # blocks per run
    # run k covers samples lo[k] .. lo[k] + length[k] - 1: radius of context, 16 first - 1, its
    # blocks' samples, radius of context; laid out from offsets[k]
    lo = first * PEAK_BLOCK - 1 - radius
    length = count * PEAK_BLOCK + 1 + 2 * radius
    offsets = np.concatenate([[0], np.cumsum(length)])
    groups = np.unique(np.searchsorted(offsets, np.arange(0, offsets[-1], CHUNK), side="right") - 1)
    for g0, g1 in zip(groups.tolist(), np.append(groups[1:], first.size).tolist(), strict=True):
        base = offsets[g0]
        at = np.repeat(lo[g0:g1] - offsets[g0:g1], length[g0:g1]) + np.arange(base, offsets[g1])
        edge = at[0] < 0 or at[-1] >= n  # the audio's first or last block is in this group
        if edge:  # zeros beyond the audio, as resample_poly pads
            buffer = np.where((at >= 0) & (at < n), samples[np.clip(at, 0, n - 1)], 0.0)
        else:
            buffer = np.asarray(samples[at], dtype=np.float64)
        # out[j] belongs to the sample at buffer[j + radius] (meaningless between runs)
        out = np.abs(np.convolve(buffer, kernels[0], "valid"))
        for kernel in kernels[1:]:
            np.maximum(out, np.abs(np.convolve(buffer, kernel, "valid")), out=out)
        if edge:
            centre = at[radius : radius + out.size]
            out[(centre < 0) | (centre >= n)] = 0.0
        # each block's sample 16 b - 1, then its own samples
        mine = slice(run_first[g0], run_first[g1] if g1 < first.size else blocks.size)
        run = np.repeat(np.arange(g0, g1), count[g0:g1])
        before = offsets[run] - base + (blocks[mine] - first[run]) * PEAK_BLOCK
        if each:
            result[mine] = out[before[:, None] + np.arange(PEAK_BLOCK + 1)]
            continue
        # maxima of out[before : before + 16] (the odd entries span the gaps: dropped), then
        # out[before + 16]
        cuts = np.stack([before, before + PEAK_BLOCK], axis=1).ravel()
        peak = np.maximum.reduceat(out, cuts)[::2]
        result[mine] = np.maximum(peak, out[before + PEAK_BLOCK])
    return result


def _narrow(samples, blocks: np.ndarray, peaks: np.ndarray, around: np.ndarray, level: float):
    """The blocks whose oversampled values (as _phase_peaks gives them) or own samples may exceed
    `level`, after the stages of NARROWING_RADII; `around` is _neighbourhood(peaks), which holds
    every sample the far taps reach. Phase 0 (the samples themselves, times the centre tap: its
    other taps are ~1e-17) is bounded by the samples' peaks instead of computed."""
    taps, _ = _interpolator()
    on_sample = float(np.abs(taps[:, 0]).sum()) * (1.0 + 1e-5)
    for radius in NARROWING_RADII:
        before = np.abs(samples[np.maximum(blocks * PEAK_BLOCK - 1, 0)])  # sample 16 b - 1
        own = np.maximum(peaks[blocks], before) * on_sample
        near = _phase_peaks(samples, blocks, radius, phases=range(1, OVERSAMPLE))
        blocks = blocks[np.maximum(near + _far_weight(radius) * around[blocks], own) > level]
    return blocks


def _block_peaks(x: np.ndarray) -> np.ndarray:
    """Largest |sample| of each PEAK_BLOCK-sample block (the last one may be partial)."""
    peaks = np.empty(-(-x.size // PEAK_BLOCK), np.float32)
    step = CHUNK // PEAK_BLOCK * PEAK_BLOCK
    for start in range(0, x.size, step):
        magnitude = np.abs(np.asarray(x[start : start + step], dtype=np.float32))
        tail = -magnitude.size % PEAK_BLOCK
        if tail:
            magnitude = np.concatenate([magnitude, np.zeros(tail, np.float32)])
        # strided maxima: 17x faster than a max along a 16-wide axis
        block = peaks[start // PEAK_BLOCK : start // PEAK_BLOCK + magnitude.size // PEAK_BLOCK]
        block[:] = magnitude[::PEAK_BLOCK]
        for k in range(1, PEAK_BLOCK):
            np.maximum(block, magnitude[k::PEAK_BLOCK], out=block)
    return peaks


def _neighbourhood(peaks: np.ndarray) -> np.ndarray:
    """Per block, the largest peak of it and its two neighbours: every sample within
    INTERPOLATOR_REACH + 1 of the block's samples lies in one of them."""
    around = peaks.copy()
    around[1:] = np.maximum(around[1:], peaks[:-1])
    around[:-1] = np.maximum(around[:-1], peaks[1:])
    return around


def true_peak_dbtp(audio: np.ndarray, sr: int) -> float:
    """BS.1770-4 true peak in dBTP: absolute maximum of the OVERSAMPLE-times oversampled signal.

    The same number as the absolute maximum of resample_poly(float32 audio, OVERSAMPLE, 1) and
    the sample peak, computed only in the blocks that can hold a value above the sample peak.
    """
    # float32 as before this was made faster: the oversampling filter ran on float32 audio
    x32 = np.asarray(audio, dtype=np.float32)
    if x32.size == 0:
        return float("-inf")
    peaks = _block_peaks(x32)
    sample_peak = float(peaks.max())
    if sample_peak == 0.0:
        return float("-inf")
    return _db(max(sample_peak, _peak_above(x32, peaks, 1.0, sample_peak)))


def _peak_above(samples, peaks: np.ndarray, gain: float, level: float, blocks=None) -> float:
    """The largest |oversampled value| of the samples if it exceeds `level`, else a number at
    most `level`. peaks[b] * gain must be at least block b's largest |sample|; `blocks` are those
    where _interpolator's bound allows a value above `level`, if the caller has them."""
    around = _neighbourhood(peaks) * gain
    if blocks is None:
        blocks = np.flatnonzero(around * _interpolator()[1] > level)
    blocks = _narrow(samples, blocks, peaks * gain, around, level)
    return float(_phase_peaks(samples, blocks).max(initial=0.0))


# --- integrated loudness --------------------------------------------------------------------


@functools.cache
def _k_weighting(sr: int) -> np.ndarray:
    """pyloudnorm's K-weighting (the two biquads its Meter applies, in order) as sections for
    sosfilt; pyloudnorm runs them through lfilter with unit passband gain."""
    import pyloudnorm

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

    def add(self, pieces: np.ndarray, start: int, values: np.ndarray) -> None:
        """Add values (samples start .. start + len - 1) into the energies of their pieces;
        samples after the last block belong to none."""
        stop = min(start + values.size, int(self.edges[-1]))
        if stop <= start:
            return
        first = np.searchsorted(self.edges, start, side="right") - 1
        cuts = self.edges[first + 1 : np.searchsorted(self.edges, stop)]
        sums = np.add.reduceat(values[: stop - start], np.concatenate([[0], cuts - start]))
        pieces[first : first + sums.size] += sums

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


def _weighted_pieces(audio: np.ndarray, sr: int, keep_squared: bool = False):
    """(piece energies of the K-weighted audio, the K-weighted audio squared in float32 if asked
    for, sample peak): one sweep; the filter's state carries from step to step, so the numbers
    are those of one sosfilt over the whole signal."""
    from scipy.signal import sosfilt

    gating = _Gating.of(audio.size, sr)
    sos = _k_weighting(sr)
    pieces = np.zeros(gating.edges.size - 1)
    squared = np.empty(audio.size, np.float32) if keep_squared else None
    state = np.zeros((sos.shape[0], 2))
    sample_peak = 0.0
    for start, stop in _cells(0, audio.size):
        x = np.asarray(audio[start:stop], dtype=np.float64)
        sample_peak = max(sample_peak, float(x.max()), -float(x.min()))
        weighted, state = sosfilt(sos, x, zi=state)
        np.square(weighted, out=weighted)
        gating.add(pieces, start, weighted)
        if keep_squared:
            squared[start:stop] = weighted
    return pieces, squared, sample_peak


def _lufs(audio: np.ndarray, sr: int) -> float:
    """pyloudnorm.Meter(sr).integrated_loudness(audio), to within float rounding (1e-9 LU)."""
    audio = np.asarray(audio)
    return _Gating.of(audio.size, sr).lufs(_weighted_pieces(audio, sr)[0])


def measure(audio: np.ndarray, sr: int) -> Measurement:
    audio = _check(audio, sr)
    pieces, _, sample_peak = _weighted_pieces(audio, sr)
    return Measurement(
        lufs=_Gating.of(audio.size, sr).lufs(pieces),
        true_peak_dbtp=true_peak_dbtp(audio, sr),
        sample_peak_dbfs=_db(sample_peak),
    )


# --- limiter --------------------------------------------------------------------------------


def _hot_samples(x32: np.ndarray, peaks: np.ndarray, level: float):
    """(positions, envelope) of the samples whose envelope exceeds `level`, in order.

    A sample's envelope is the largest |value| of the oversampled signal between its two
    neighbours, and its own |value|: every inter-sample peak is charged to both samples around
    it. Only blocks whose neighbourhood times the interpolator's bound exceeds `level` can hold
    such a sample (a quieter block's envelope is at most that product), and of those only the ones
    _narrow keeps, so only they are computed.
    """
    _, bound = _interpolator()
    around = _neighbourhood(peaks)
    blocks = _narrow(x32, np.flatnonzero(around * bound > level), peaks, around, level)
    if blocks.size == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    # each block's samples and the one before it: the phases after sample i - 1 reach sample i
    phases = _phase_peaks(x32, blocks, each=True)
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
    from scipy.ndimage import maximum_filter1d

    held = maximum_filter1d(compact, window, mode="constant", cval=0.0, origin=-(window // 2))
    positions = np.repeat(starts - offsets, lengths) + np.arange(compact.size)
    keep = positions >= 0
    return positions[keep], held[keep]


class _Limiter:
    """One pass's limiter: the gain curve of an offline look-ahead limiter, made on request for
    any stretch of samples.

    Hot sample h must come down by reduction_db; that reduction is held over the window - 1
    samples before h (look-ahead), released exponentially in dB (time constant RELEASE_S) instead
    of jumping back to 0 dB, and the released gain is averaged over the same window looking back.
    Every term of that mean at sample i comes from a reduction whose window contains i, so the
    gain at a hot sample is at most what it needs. `runs` are the (start, stop) stretches, in
    order and disjoint, outside which the gain is exactly 1.
    """

    def __init__(self, hot: np.ndarray, reduction_db: np.ndarray, n: int, sr: int):
        self.window = max(1, round(LOOKAHEAD_S * sr))
        self.decay = -1.0 / (RELEASE_S * sr)  # log of the release's factor per sample
        self.runs: list[tuple[int, int]] = []
        if hot.size == 0:
            return
        held_at, held_db = _hold(hot, reduction_db, self.window)
        # release: att[k] = max(att_held[k], att[k - 1] * a) has the closed form
        # log att[k] = k c + max over held j <= k of (log att_held[j] - j c), c = log a; float64
        # keeps the k c terms (up to ~1e4 for an hour) to about 1e-12
        anchor = np.maximum.accumulate(np.log(held_db) - held_at * self.decay)
        # where the release of each held sample's anchor has decayed below the negligible
        # reduction: the reduction is 0 from there (until the next held sample)
        negligible_db = -20.0 * math.log10(1.0 - NEGLIGIBLE_REDUCTION)
        ends = np.floor((math.log(negligible_db) - anchor) / self.decay).astype(np.int64) + 1
        ends = np.maximum(ends, held_at + 1)
        # index 0 stands for "no held sample yet": no reduction
        self.held_at = held_at
        self.anchor = np.concatenate([[-np.inf], anchor])
        self.ends = np.concatenate([[-1], ends])
        # the mean spreads a reduction over window - 1 more samples; stretches closer than that
        # are one run
        breaks = np.flatnonzero(held_at[1:] >= ends[:-1] + self.window) + 1
        first = np.concatenate([[0], breaks])
        last = np.concatenate([breaks, [held_at.size]]) - 1
        self.runs = [
            (int(held_at[i]), int(min(n, ends[j] + self.window - 1)))
            for i, j in zip(first.tolist(), last.tolist(), strict=True)
        ]
        self._starts = np.array([a for a, _ in self.runs])
        self._stops = np.array([b for _, b in self.runs])

    def _reductions(self, lo: int, hi: int) -> np.ndarray:
        """1 - released gain at samples lo .. hi - 1 (lo may be negative: before the audio there
        is no reduction), kept as such so that the tail's tiny reductions survive the mean."""
        first = np.searchsorted(self.held_at, lo, side="right")  # held samples <= lo
        last = np.searchsorted(self.held_at, hi)
        bounds = np.concatenate([[lo], self.held_at[first:last], [hi]])
        which = np.repeat(np.arange(first, last + 1), np.diff(bounds))  # 0: none yet
        k = np.arange(lo, hi)
        logs = self.anchor[which] + k * self.decay
        reductions = -np.expm1(-math.log(10.0) / 20.0 * np.exp(logs))
        reductions[k >= self.ends[which]] = 0.0
        return reductions

    def gains(self, lo: int, hi: int) -> np.ndarray:
        """The gain at samples lo .. hi - 1 (float64)."""
        w = self.window
        total = np.concatenate([[0.0], np.cumsum(self._reductions(lo - w + 1, hi))])
        return 1.0 - (total[w:] - total[: hi - lo]) / w

    def parts(self, lo: int = 0, hi: int | None = None):
        """The runs cut at multiples of CHUNK, as (start, stop) pairs in order; those that start
        in [lo, hi). Gains are only ever made for whole parts, so every user of a sample's gain
        (the pass's checks, the final output) gets the same bits."""
        if not self.runs:
            return
        hi = self.runs[-1][1] if hi is None else hi
        for r in range(int(np.searchsorted(self._stops, lo, side="right")), len(self.runs)):
            run_start, run_stop = self.runs[r]
            if run_start >= hi:
                return
            for start, stop in _cells(run_start, run_stop):
                if start >= hi:
                    return
                if start >= lo:
                    yield start, stop


class _Envelope:
    """The input's hot samples for any level, found once for a level ENVELOPE_MARGIN_DB under the
    first one asked for (and again only if a later level is lower still)."""

    def __init__(self, x32: np.ndarray, peaks: np.ndarray):
        self.x32, self.peaks, self.floor = x32, peaks, math.inf

    def above(self, level: float):
        if level < self.floor:
            self.floor = level * 10.0 ** (-ENVELOPE_MARGIN_DB / 20.0)
            self.positions, self.values = _hot_samples(self.x32, self.peaks, self.floor)
        hot = self.values > level
        return self.positions[hot], self.values[hot]


def _check_pass(audio, gain, limiter, gating, pieces, squared, peaks, aim_level, output):
    """Make a pass's output into `output`, and return its (estimated loudness, true peak where
    above aim_level), in one sweep over the limiter's parts.

    The output is float32 of audio * gain, times the limiter's gains where they are not 1 (that
    product in float64, then float32). The loudness takes the K-weighting of audio * gains as the
    K-weighting of the audio times the gains (exact where the gain is constant; the limiter's
    gain changes slowly against the K-weighting filter). The true peak (dBTP) is exact where it
    exceeds aim_level (linear), and otherwise some number at most aim_level; the input's block
    peaks times the gain bound the output's (the limiter's gains are at most 1).
    """
    for start, stop in _cells(0, audio.size):
        output[start:stop] = np.asarray(audio[start:stop], dtype=np.float64) * gain
    pieces = pieces.copy()
    for start, stop in limiter.parts():
        gains = limiter.gains(start, stop)
        gating.add(pieces, start, squared[start:stop] * (gains * gains - 1.0))
        output[start:stop] = output[start:stop] * gains
    return gating.lufs(pieces * gain**2), _db(_peak_above(output, peaks, gain, aim_level))


# --- normalization --------------------------------------------------------------------------


def pcm16_grid(audio: np.ndarray) -> np.ndarray:
    """float32 audio rounded to the 16-bit grid exactly as narration.write_wav rounds it (plain
    rounding of x * 32768): write_wav then writes these values unchanged, and a 16-bit WAV of
    them reads back (as float64) to exactly these numbers."""
    x = np.asarray(audio, dtype=np.float64) * PCM16_SCALE
    np.rint(x, out=x)
    x /= PCM16_SCALE
    return x.astype(np.float32)


def normalize(audio: np.ndarray, sr: int, target_lufs: float, ceiling_dbtp: float) -> np.ndarray:
    """Return float32 audio at target_lufs (within 0.1 LU) with true peak <= ceiling_dbtp.

    Gain to the target, then the limiter on true peak; the limiter lowers the loudness a little,
    so repeat (re-measure, re-gain, tighten the limiter if the smoothing let a peak through).
    """
    return _normalize(audio, sr, target_lufs, ceiling_dbtp, finish=None)[0]


def normalize_pcm16(
    audio: np.ndarray, sr: int, target_lufs: float, ceiling_dbtp: float
) -> tuple[np.ndarray, Measurement]:
    """normalize() for a 16-bit file: the float32 samples are on the 16-bit grid (pcm16_grid), the
    promise holds for them, and the Measurement is measure() of them, which is what a 16-bit WAV
    written from them (narration.write_wav) measures when read back."""
    return _normalize(audio, sr, target_lufs, ceiling_dbtp, finish=pcm16_grid)


def _normalize(audio, sr, target_lufs, ceiling_dbtp, finish):
    """normalize()'s loop, returning the result (after `finish`) and measure() of it.

    Each pass is checked cheaply (_check_pass): the input is K-weighted once, and a pass's
    loudness is estimated from it and the limiter's gains (a few thousandths of an LU off); its
    true peak is computed only where it can exceed the aim. A pass that looks good is finished and
    measured with measure(), and only that measurement decides; its offset from the estimate
    corrects the passes after it. The passes' gains and thresholds follow the same rule as when
    every pass was measured in full, so the passes are the same ones. Each gain steps by the
    distance to the target over the loudness gained per dB in the last two passes (secant; see
    MIN_LOUDNESS_PER_DB).
    """
    audio = _check(audio, sr)
    gating = _Gating.of(audio.size, sr)
    pieces, squared, _ = _weighted_pieces(audio, sr, keep_squared=True)
    lufs = gating.lufs(pieces)
    if not np.isfinite(lufs):
        raise ValueError(
            "cannot normalize: integrated loudness is -inf (silence only, or everything is below "
            "the -70 LUFS gate)"
        )
    x32 = np.asarray(audio, dtype=np.float32)
    peaks = _block_peaks(x32)
    envelope = _Envelope(x32, peaks)
    result = np.empty(audio.size, np.float32)  # each pass's output, until one is kept
    aim_peak = ceiling_dbtp - PEAK_SAFETY_DB
    gain_db = target_lufs - lufs
    threshold_db = aim_peak
    estimate_offset = 0.0  # full measurement minus estimate, from the last full measurement
    last = None  # (gain_db, loudness) of the last pass
    for _ in range(MAX_ITERATIONS):
        gain = 10.0 ** (gain_db / 20.0)
        threshold = 10.0 ** (threshold_db / 20.0)
        hot, levels = envelope.above(threshold / gain)
        limiter = _Limiter(hot, 20.0 * np.log10(levels * gain / threshold), audio.size, sr)
        est, peak = _check_pass(
            audio, gain, limiter, gating, pieces, squared, peaks, 10 ** (aim_peak / 20), result
        )
        est += estimate_offset
        if abs(est - target_lufs) <= LOUDNESS_TOLERANCE_LU and peak <= aim_peak:
            if finish:
                for start, stop in _cells(0, audio.size):
                    result[start:stop] = finish(result[start:stop])
            got = measure(result, sr)
            estimate_offset += got.lufs - est
            if abs(got.lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU and (
                got.true_peak_dbtp <= aim_peak
            ):
                return result, got
            est, peak = got.lufs, got.true_peak_dbtp
        step = target_lufs - est
        if last is not None and gain_db != last[0]:
            per_db = (est - last[1]) / (gain_db - last[0])
            if MIN_LOUDNESS_PER_DB <= per_db <= 1.0:
                step /= per_db
        last = (gain_db, est)
        gain_db += step
        if peak > aim_peak:
            threshold_db -= peak - aim_peak + 0.01
    raise ValueError(
        f"normalize did not converge in {MAX_ITERATIONS} iterations (last: {est:.2f} LUFS, "
        f"{peak:.2f} dBTP; target {target_lufs} LUFS under {ceiling_dbtp} dBTP); "
        "the input is probably too peaky for this ceiling"
    )
