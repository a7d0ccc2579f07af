"""Loudness measurement and normalization on synthetic signals (no model, no network)."""

import numpy as np
import pytest
import soundfile as sf

from kokoro_narrate.loudness import measure, normalize, true_peak_dbtp
from kokoro_narrate.narration import write_wav

SR = 24000


def speech_like(seconds: float = 12.0, crest_db: float = 15.0, seed: int = 0) -> np.ndarray:
    """Syllable-rate modulated noise with pauses, plus sparse clicks that set the peak about
    crest_db above the integrated loudness (Kokoro speech measures 13-15.5 dB)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    syllables = (0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * t)) ** 2
    phrases = (np.sin(2 * np.pi * 0.25 * t) > -0.6).astype(float)
    x = rng.standard_normal(t.size) * syllables * phrases * 0.03
    x /= np.abs(x).max()
    lufs = measure(x, SR).lufs
    # set a few plosive-like clicks to the wanted peak
    peak = 10 ** ((lufs + crest_db) / 20)
    x *= 0.8 * peak  # body well below the clicks
    for pos in rng.integers(SR, t.size - SR, size=8):
        x[pos : pos + 24] += peak * np.hanning(24) * rng.choice([-1, 1])
    return x.astype(np.float32)


@pytest.mark.parametrize(
    "name, audio",
    [
        ("loud", speech_like() * 4.0),
        ("quiet", speech_like() * 0.01),
        ("peaky", speech_like(crest_db=25.0)),
        ("speech15", speech_like(crest_db=15.0, seed=3)),
    ],
)
def test_normalize_hits_target_under_ceiling(name, audio, tmp_path):
    y = normalize(audio, SR, target_lufs=-16.0, ceiling_dbtp=-1.5)
    assert y.dtype == np.float32 and y.shape == audio.shape
    m = measure(y, SR)
    assert abs(m.lufs + 16.0) <= 0.1, name
    assert m.true_peak_dbtp <= -1.5, name

    # the written 16-bit file stays on target and never reaches full scale
    path = tmp_path / f"{name}.wav"
    write_wav(path, y, SR)
    back, sr = sf.read(path, dtype="float64")
    assert sr == SR and sf.info(path).subtype == "PCM_16"
    mb = measure(back, SR)
    assert abs(mb.lufs + 16.0) <= 0.5
    assert mb.true_peak_dbtp <= -1.5
    assert np.abs(back).max() < 32767 / 32768


def test_normalize_other_targets():
    y = normalize(speech_like(), SR, target_lufs=-19.0, ceiling_dbtp=-3.0)
    m = measure(y, SR)
    assert abs(m.lufs + 19.0) <= 0.1 and m.true_peak_dbtp <= -3.0


def test_normalize_is_deterministic(tmp_path):
    x = speech_like(seed=5)
    a, b = normalize(x, SR, -16.0, -1.5), normalize(x.copy(), SR, -16.0, -1.5)
    assert a.tobytes() == b.tobytes()
    write_wav(tmp_path / "a.wav", a, SR)
    write_wav(tmp_path / "b.wav", b, SR)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_true_peak_catches_inter_sample_peak():
    # a sine at fs/4 with 45 degree phase: every sample sits at 0.707 of the real peak
    n = np.arange(SR)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4)
    sample_peak = 20 * np.log10(np.abs(x).max())
    tp = true_peak_dbtp(x, SR)
    assert sample_peak == pytest.approx(-3.01, abs=0.01)
    # the real peak is 0 dBFS; the 4x interpolator reads it within its passband ripple
    assert tp == pytest.approx(0.0, abs=0.2)
    assert tp > sample_peak + 2.8
    m = measure(x, SR)
    assert m.true_peak_dbtp >= m.sample_peak_dbfs


def test_true_peak_at_least_sample_peak():
    x = speech_like(seed=7)
    m = measure(x, SR)
    assert m.true_peak_dbtp >= m.sample_peak_dbfs


def test_tone_loudness_sanity():
    # BS.1770: a 997 Hz full-scale sine reads -3.01 LUFS (pyloudnorm's K-weighting at 24 kHz
    # is a few hundredths of a dB off the 48 kHz reference)
    t = np.arange(5 * SR) / SR
    assert measure(np.sin(2 * np.pi * 997 * t), SR).lufs == pytest.approx(-3.01, abs=0.1)


def test_silence_and_short_input_raise():
    with pytest.raises(ValueError, match="-inf"):
        normalize(np.zeros(2 * SR, np.float32), SR, -16.0, -1.5)
    with pytest.raises(ValueError, match="too short"):
        normalize(np.ones(SR // 10, np.float32) * 0.1, SR, -16.0, -1.5)
    with pytest.raises(ValueError, match="mono"):
        measure(np.zeros((SR, 2)), SR)


def test_write_wav_refuses_full_scale(tmp_path):
    with pytest.raises(ValueError, match="full scale"):
        write_wav(tmp_path / "x.wav", np.array([0.0, 1.0, 0.0], np.float32), SR)
