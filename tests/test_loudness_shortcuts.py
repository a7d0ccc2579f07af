"""The loudness module's shortcuts give the numbers of the plain computations they replace.

Each shortcut is checked against the straightforward version (pyloudnorm's meter, scipy's
resample_poly over the whole signal, a sample-by-sample limiter) on signals built to catch the
shortcut out: inter-sample peaks in blocks quieter than the sample peak, gating blocks that do not
start on whole hops, limiter releases that overlap and ones that do not.
"""

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import firwin, resample_poly
from test_loudness import speech_like

from kokoro_narrate import loudness
from kokoro_narrate.loudness import (
    INTERPOLATOR_REACH,
    LOOKAHEAD_S,
    OVERSAMPLE,
    RELEASE_S,
    measure,
    normalize_pcm16,
    pcm16_grid,
    true_peak_dbtp,
)
from kokoro_narrate.narration import Pauses, Piece, build_narration, write_wav

SR = 24000


def full_true_peak(x: np.ndarray) -> float:
    x32 = np.asarray(x, dtype=np.float32)
    up = resample_poly(x32, OVERSAMPLE, 1)
    return 20 * np.log10(max(np.abs(up).max(), np.abs(x32).max()))


def quiet_noise(seconds: float, level: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * SR)) * level


def hidden_peak() -> np.ndarray:
    """The loudest sample (0.5) is a lone click; elsewhere a tone at fs/4 with 45 degree phase
    has every sample at 0.45 but peaks at 0.64 between them: the true peak is in blocks whose
    samples are all below the sample peak."""
    x = quiet_noise(2.0, 0.01, 1)
    x[5000] = 0.5
    n = np.arange(200)
    x[30000:30200] = 0.45 * np.sqrt(2) * np.sin(2 * np.pi * n / 4 + np.pi / 4)
    return x


def fractional_pulses() -> np.ndarray:
    """Band-limited pulses centred between samples (at 0.5, 0.25 and 0.375 of a sample): their
    samples read up to 4 dB under the pulse's real peak."""
    x = quiet_noise(1.5, 0.005, 2)
    k = np.arange(-40, 41)
    for centre, amplitude, frac in ((8000, 0.7, 0.5), (20000, 0.6, 0.25), (31000, 0.8, 0.375)):
        x[centre + k] += amplitude * np.sinc(k - frac) * np.kaiser(k.size, 6.0)
    return x


def nyquist_burst() -> np.ndarray:
    """Alternating samples (a tone at fs/2) switched on abruptly: overshoot between samples."""
    x = quiet_noise(1.0, 0.002, 3)
    x[12000:12009] = 0.3 * (-1.0) ** np.arange(9)
    return x


def edge_bursts() -> np.ndarray:
    """Alternating samples right at both ends, and a length that leaves a partial last block:
    the interpolator rings beyond the audio, and those values are no part of it."""
    x = quiet_noise(1.0, 0.001, 5)[:24005]
    x[:3] = [0.3, -0.3, 0.3]
    x[-3:] = [0.3, -0.3, 0.3]
    return x


def worst_case() -> np.ndarray:
    """Samples with the signs of the half-sample taps: every tap adds at full weight, so the value
    between the middle samples is 2.24 times the samples' (the bound of the shortcut, reached)."""
    x = quiet_noise(1.0, 0.001, 6)
    taps = firwin(2 * INTERPOLATOR_REACH * OVERSAMPLE + 1, 1 / OVERSAMPLE, window=("kaiser", 5.0))
    taps *= OVERSAMPLE
    # the phase halfway between samples, weighing x[i - 9] .. x[i + 10]
    half_sample = taps[OVERSAMPLE // 2 :: OVERSAMPLE][::-1]
    x[12000 - 9 : 12000 + 11] = 0.3 * np.sign(half_sample)
    return x


INTER_SAMPLE = {
    "hidden_peak": hidden_peak,
    "fractional_pulses": fractional_pulses,
    "nyquist_burst": nyquist_burst,
    "edge_bursts": edge_bursts,
    "worst_case": worst_case,
    "sine_fs4": lambda: np.sin(2 * np.pi * np.arange(SR) / 4 + np.pi / 4),
    "speech_like": lambda: speech_like(seed=11),
    "odd_length": lambda: speech_like(seconds=3.0, seed=12)[:70_001],
}


@pytest.mark.parametrize("name", INTER_SAMPLE)
def test_true_peak_shortcut_equals_full_oversampling(name):
    x = INTER_SAMPLE[name]()
    full = full_true_peak(x)
    assert true_peak_dbtp(x, SR) == pytest.approx(full, abs=1e-5), name
    # the signals do have inter-sample peaks, and the edges of the audio count too
    if name in ("hidden_peak", "fractional_pulses", "nyquist_burst", "edge_bursts", "worst_case"):
        assert full > 20 * np.log10(np.abs(x).max()) + 1.0
    assert true_peak_dbtp(x[::-1].copy(), SR) == pytest.approx(full_true_peak(x[::-1]), abs=1e-5)


def test_true_peak_of_silence_and_edge_peaks():
    assert true_peak_dbtp(np.zeros(SR), SR) == float("-inf")
    x = np.zeros(SR)
    x[:3] = [0.4, -0.4, 0.4]  # an overshoot right at the start, and one at the end
    x[-2:] = [0.3, -0.3]
    assert true_peak_dbtp(x, SR) == pytest.approx(full_true_peak(x), abs=1e-5)


def full_envelope(x32: np.ndarray, exact: bool = False) -> np.ndarray:
    """Per sample, the largest |oversampled value| between its neighbours, and its own |value|.

    resample_poly sums in float32 for float32 audio; `exact` sums its taps in float64 instead.
    """
    if exact:
        taps = firwin(
            2 * INTERPOLATOR_REACH * OVERSAMPLE + 1, 1 / OVERSAMPLE, window=("kaiser", 5.0)
        ).astype(np.float32)
        up = resample_poly(x32.astype(np.float64), OVERSAMPLE, 1, window=taps.astype(np.float64))
    else:
        up = resample_poly(x32, OVERSAMPLE, 1)
    up = np.abs(up).reshape(x32.size, OVERSAMPLE).max(axis=1)
    env = np.maximum(up, np.abs(x32))
    env[1:] = np.maximum(env[1:], up[:-1])
    return env


@pytest.mark.parametrize(
    "name", ["hidden_peak", "fractional_pulses", "nyquist_burst", "edge_bursts", "worst_case"]
)
# 0.75: the hidden peak's click is hot by its own sample only; 0.99: just under the largest
@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.75, 0.9, 0.99])
def test_hot_samples_are_those_of_the_full_envelope(name, fraction):
    x32 = INTER_SAMPLE[name]().astype(np.float32)
    env = full_envelope(x32)
    level = fraction * env.max()
    hot, envelope = loudness._hot_samples(x32, loudness._block_peaks(x32), level)
    expected = np.flatnonzero(env > level)
    assert expected.size > 0
    np.testing.assert_array_equal(hot, expected)
    np.testing.assert_allclose(envelope, env[expected], rtol=2e-6)


def reference_limiter_gains(x32: np.ndarray, threshold: float) -> np.ndarray:
    """The limiter of the module docstring, sample by sample over the whole signal."""
    n = x32.size
    window = round(LOOKAHEAD_S * SR)
    env = full_envelope(x32, exact=True)
    with np.errstate(divide="ignore"):
        required = np.minimum(1.0, threshold / env)
    padded = np.concatenate([required, np.ones(window - 1)])
    held = np.lib.stride_tricks.sliding_window_view(padded, window).min(axis=1)[:n]
    att = -20 * np.log10(held)
    a = np.exp(-1.0 / (RELEASE_S * SR))
    released_db = np.empty(n)
    previous = 0.0
    for k in range(n):
        previous = max(att[k], previous * a)
        released_db[k] = previous
    released = 10 ** (-released_db / 20)
    ones = np.concatenate([np.ones(window - 1), released])
    return np.convolve(ones, np.ones(window) / window, mode="valid")


def peaks_at(positions, amplitude: float = 0.9) -> np.ndarray:
    x = quiet_noise(4.0, 0.05, 4)
    k = np.arange(-40, 41)
    for i, p in enumerate(positions):
        x[p + k] += amplitude * (1 - 0.1 * i) * np.sinc(k - 0.5) * np.kaiser(k.size, 6.0)
    return x


@pytest.mark.parametrize(
    "positions",
    [
        [200],  # a peak inside the first window: the look-ahead is cut by the start
        [20000, 22400, 26000],  # releases that overlap: one run
        [10000, 70000],  # far apart: two runs, the first fully released before the second
        [95_950],  # a peak at the end: the release is cut by the end
    ],
)
def test_limiter_equals_sample_by_sample_reference(positions):
    x32 = peaks_at(positions).astype(np.float32)
    threshold = 0.5
    limiter = limiter_of(x32, 1.0, threshold)
    gains = full_gains(limiter, x32.size)
    reference = reference_limiter_gains(x32, threshold)
    assert gains.min() < 0.7  # the limiter did work
    # the runs end where the release no longer changes a float32 sample (2**-26)
    np.testing.assert_allclose(gains, reference, rtol=0, atol=3e-8)
    if positions == [10000, 70000]:
        assert len(limiter.runs) == 2
    # a gain asked for in pieces is the same as asked for at once
    for start, stop in limiter.runs:
        middle = (start + stop) // 2
        parts = np.concatenate([limiter.gains(start, middle), limiter.gains(middle, stop)])
        np.testing.assert_allclose(parts, gains[start:stop], rtol=0, atol=1e-12)


def limiter_of(x: np.ndarray, gain: float, threshold: float) -> loudness._Limiter:
    """The limiter of a pass at `gain` and `threshold`, as normalize makes it."""
    x32 = x.astype(np.float32)
    hot, envelope = loudness._hot_samples(x32, loudness._block_peaks(x32), threshold / gain)
    return loudness._Limiter(hot, 20 * np.log10(envelope * gain / threshold), x.size, SR)


def full_gains(limiter: loudness._Limiter, n: int) -> np.ndarray:
    gains = np.ones(n)
    end = 0
    for start, stop in limiter.runs:
        assert end <= start < stop  # in order and disjoint: each sample is limited once
        gains[start:stop] = limiter.gains(start, stop)
        end = stop
    return gains


def test_limiter_runs_that_nearly_touch_do_not_overlap():
    # a second peak whose look-ahead begins just after the first peak's release has faded out
    window = round(LOOKAHEAD_S * SR)
    ((start, stop),) = limiter_of(peaks_at([10000]), 1.0, 0.5).runs
    faded = stop - (window - 1)  # where the first release was cut
    x32 = peaks_at([60000]).astype(np.float32)
    hot, _ = loudness._hot_samples(x32, loudness._block_peaks(x32), 0.5)
    lead = 60000 - hot[0] + window - 1  # from the second peak back to its first held sample
    for gap in range(0, 2 * window, 5):
        runs = limiter_of(peaks_at([10000, faded + gap + lead]), 1.0, 0.5).runs
        assert all(a[1] <= b[0] for a, b in zip(runs, runs[1:], strict=False)), gap


def pass_output(x: np.ndarray, gain: float, limiter: loudness._Limiter) -> np.ndarray:
    """A pass's output, made in one go: float32 of x * gain, times the limiter's gains."""
    y = (x * gain).astype(np.float32)
    for start, stop in limiter.parts():
        y[start:stop] = y[start:stop] * limiter.gains(start, stop)
    return y


@pytest.mark.parametrize(
    "name, gain",
    [
        ("fractional_pulses", 1.7),
        # the click stays under the threshold and the limited tone's samples under the levels
        # looked for: only the bound finds the tone's inter-sample peak
        ("hidden_peak", 0.9),
        ("speech_like", 1.7),
    ],
)
def test_pass_peak_is_the_outputs_true_peak_where_it_matters(name, gain):
    # a pass checks its output's true peak only where it could exceed the aim, making only the
    # samples there; above the aim that must be the full output's true peak, below it any number
    # under the aim
    x = INTER_SAMPLE[name]().astype(np.float64)
    peaks = loudness._block_peaks(x.astype(np.float32))
    limiter = limiter_of(x, gain, 0.5)
    assert limiter.runs
    full = true_peak_dbtp(pass_output(x, gain, limiter), SR)
    gating = loudness._Gating.of(x.size, SR)
    pieces, squared, _ = loudness._weighted_pieces(x, SR, keep_squared=True)
    for margin_db in (-0.5, -0.01, 0.01, 0.5):
        level = 10 ** ((full + margin_db) / 20)
        output = np.full(x.size, np.nan, np.float32)
        _, got = loudness._check_pass(
            x, gain, limiter, gating, pieces, squared, peaks, level, output
        )
        np.testing.assert_array_equal(output, pass_output(x, gain, limiter))
        if margin_db < 0:
            assert got == full  # the same samples, bit for bit, and the same arithmetic
        else:
            assert got <= full + margin_db


@pytest.mark.parametrize("sr", [24000, 44100, 11025, 16000])
def test_integrated_loudness_equals_pyloudnorm(sr):
    # speech with long silences (the relative gate drops blocks), a length that is no whole
    # number of blocks, and rates whose 100 ms hop is not a whole number of samples (11025)
    rng = np.random.default_rng(sr)
    n = int(9.37 * sr)
    t = np.arange(n) / sr
    x = rng.standard_normal(n) * 0.1 * (np.sin(2 * np.pi * 0.3 * t) > 0.2)
    x[: sr // 2] *= 0.001  # a quiet lead-in, under the relative gate
    expected = pyloudnorm.Meter(sr).integrated_loudness(x)
    assert loudness._lufs(x, sr) == pytest.approx(expected, abs=1e-9)
    quiet = x * 10 ** (-55 / 20)  # blocks on both sides of the -70 LUFS gate
    expected = pyloudnorm.Meter(sr).integrated_loudness(quiet)
    assert loudness._lufs(quiet, sr) == pytest.approx(expected, abs=1e-9)


def test_loudness_of_nothing_above_the_gate_is_minus_inf():
    assert loudness._lufs(np.full(SR, 1e-6), SR) == float("-inf")


class Counting:
    def __init__(self, monkeypatch, name):
        self.calls, self.inner = 0, getattr(loudness, name)
        monkeypatch.setattr(loudness, name, self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.inner(*args, **kwargs)


@pytest.mark.parametrize(
    "audio",
    [speech_like() * 4.0, speech_like(crest_db=25.0), speech_like(crest_db=15.0, seed=3)],
)
def test_normalize_takes_few_passes(audio, monkeypatch):
    passes = Counting(monkeypatch, "_Limiter")
    full = Counting(monkeypatch, "measure")
    y, m = normalize_pcm16(audio, SR, -16.0, -1.5)
    assert abs(m.lufs + 16.0) <= 0.05 and m.true_peak_dbtp <= -1.6
    assert passes.calls <= 4
    assert full.calls == 1  # the estimate of the passes was good enough for the full measurement


def test_normalize_steps_by_the_loudness_each_db_of_gain_bought(monkeypatch):
    """Where the limiter takes back most of each dB of gain (50 loud clicks in 12 s), a step of
    the distance to the target alone crawls; divided by the loudness the last step bought, it
    gets there in a few passes, to the same promise."""
    x = speech_like(crest_db=10.0, seed=1).astype(np.float64)
    rng = np.random.default_rng(1)
    peak = np.abs(x).max()
    for pos in rng.integers(SR, x.size - SR, size=50):
        x[pos : pos + 24] += peak * np.hanning(24) * rng.choice([-1, 1])
    x = x.astype(np.float32)
    passes = {}
    for per_db in (2.0, loudness.MIN_LOUDNESS_PER_DB):  # 2.0: no rise is trusted, plain steps
        monkeypatch.setattr(loudness, "MIN_LOUDNESS_PER_DB", per_db)
        counted = Counting(monkeypatch, "_Limiter")
        _, m = normalize_pcm16(x, SR, -14.0, -1.0)
        assert abs(m.lufs + 14.0) <= 0.05 and m.true_peak_dbtp <= -1.1
        passes[per_db] = counted.calls
        monkeypatch.undo()
    assert passes[2.0] >= 10 and passes[loudness.MIN_LOUDNESS_PER_DB] <= 4


def test_estimated_loudness_of_a_pass_is_close():
    x = speech_like(crest_db=20.0, seed=8).astype(np.float64)
    gating = loudness._Gating.of(x.size, SR)
    pieces, squared, _ = loudness._weighted_pieces(x, SR, keep_squared=True)
    gain = 10 ** ((-16 - gating.lufs(pieces)) / 20)
    limiter = limiter_of(x, gain, 10 ** (-1.6 / 20))
    exact = loudness._lufs(pass_output(x, gain, limiter), SR)
    assert exact < -16.1  # the limiter took off more than the tolerance
    peaks = loudness._block_peaks(x.astype(np.float32))
    scratch = np.empty(x.size, np.float32)
    estimate, _ = loudness._check_pass(
        x, gain, limiter, gating, pieces, squared, peaks, 1.0, scratch
    )
    assert estimate == pytest.approx(exact, abs=0.01)


def test_pcm16_result_is_what_the_file_holds(tmp_path):
    y, m = normalize_pcm16(speech_like(seed=6), SR, -16.0, -1.5)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(
        y.astype(np.float64) * 32768, np.rint(y.astype(np.float64) * 32768)
    )
    assert m == measure(y, SR)
    write_wav(tmp_path / "x.wav", y, SR)
    back, _ = sf.read(tmp_path / "x.wav", dtype="float64")
    np.testing.assert_array_equal(back, y.astype(np.float64))
    assert measure(back, SR) == m


def test_pcm16_grid_rounds_as_write_wav(tmp_path):
    x = np.random.default_rng(5).uniform(-0.9, 0.9, SR).astype(np.float32)
    x[:4] = [0.5 / 32768, 1.5 / 32768, -0.5 / 32768, -2.5 / 32768]  # ties: rint rounds to even
    write_wav(tmp_path / "x.wav", x, SR)
    back, _ = sf.read(tmp_path / "x.wav", dtype="float64")
    np.testing.assert_array_equal(back, pcm16_grid(x).astype(np.float64))


def test_build_narration_reports_the_files_measurement(tmp_path):
    rng = np.random.default_rng(7)
    pieces = [
        Piece(speech_like(seconds=3.0, seed=i) * rng.uniform(0.3, 3.0), f"p{i:04d}", "paragraph")
        for i in range(3)
    ]
    info = build_narration(
        pieces, SR, Pauses.from_config(), -16.0, -1.5, tmp_path / "n.wav", tmp_path / "n.json"
    )
    back, sr = sf.read(tmp_path / "n.wav", dtype="float64")
    m = measure(back, sr)
    assert info["lufs"] == round(m.lufs, 3) and info["true_peak_dbtp"] == round(m.true_peak_dbtp, 3)
    assert info["samples"] == back.size and info["sample_rate"] == sr
    assert json.loads((tmp_path / "n.json").read_text()) == info
