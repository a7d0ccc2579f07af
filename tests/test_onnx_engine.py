"""cpu_engine onnx (KModel with its decoder in onnxruntime) against cpu_engine kmodel, on the tiny
model: the same durations, the same samples to float rounding at every length, seeded per chunk,
its own cache keys, and an export made once."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kokoro_narrate import onnx_decoder
from kokoro_narrate.engine import KokoroEngine, ModelSettings, Request

pytest.importorskip("onnxruntime")

X = "ɐ kˈæt"  # 8 tokens: shorter than the chunk the export traces
W = "ðə kwˈɪk bɹˈaʊn fˈɑks ʤˈʌmps ˈOvəɹ ðə lˈAzi dˈɔɡ"  # 49 tokens: longer


@pytest.fixture(scope="module", autouse=True)
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def settings(tiny_model) -> ModelSettings:
    return ModelSettings(
        weights=str(tiny_model / "tiny-kokoro.pth"),
        config=str(tiny_model / "config.json"),
        voices_dir=str(tiny_model / "voices"),
    )


@pytest.fixture(scope="module")
def memo(tmp_path_factory):
    return tmp_path_factory.mktemp("memo")


@pytest.fixture(scope="module")
def kmodel(settings, memo) -> KokoroEngine:
    return KokoroEngine(settings, device="cpu", threads=1, memo_dir=memo)


@pytest.fixture(scope="module")
def onnx(settings, memo) -> KokoroEngine:
    return KokoroEngine(settings, device="cpu", threads=1, memo_dir=memo, cpu_engine="onnx")


@pytest.fixture(scope="module")
def pack(tiny_model):
    return torch.load(tiny_model / "voices" / "af_heart.pt", weights_only=True)


def requests(pack, *phonemes: str, speed: float = 1.0) -> list[Request]:
    return [Request(p, pack, speed, seed=1000 + len(p)) for p in phonemes]


def test_export_stft_is_torch_stft():
    from kokoro.istftnet import TorchSTFT

    torch_stft, export_stft = TorchSTFT(20, 5, 20), onnx_decoder.export_stft(20, 5)
    signal = torch.randn(1, 3000, generator=torch.Generator().manual_seed(0))
    magnitude, phase = torch_stft.transform(signal)
    exported_magnitude, _ = export_stft.transform(signal)
    assert torch.allclose(exported_magnitude, magnitude, atol=1e-5)
    audio = export_stft.inverse(magnitude, phase)
    assert audio.shape == torch_stft.inverse(magnitude, phase).shape
    assert torch.allclose(audio, torch_stft.inverse(magnitude, phase), atol=1e-5)


@pytest.mark.parametrize("speed", [1.0, 1.3])
def test_same_sound_as_kmodel_at_every_length(kmodel, onnx, pack, speed):
    wanted = requests(pack, X, W, speed=speed)
    made = onnx.synthesize_many(wanted), kmodel.synthesize_many(wanted)
    for ours, theirs in zip(*made, strict=True):
        assert ours.frames == theirs.frames
        assert ours.audio.dtype == np.float32 and ours.audio.shape == theirs.audio.shape
        # float rounding of another library's kernels, far under anything audible
        assert np.abs(ours.audio - theirs.audio).max() < 1e-4 * max(1.0, np.abs(theirs.audio).max())


def test_seeded_per_chunk_and_reproducible(onnx, pack):
    together = onnx.synthesize_many(requests(pack, X, W))
    (alone,) = onnx.synthesize_many(requests(pack, W))
    assert np.array_equal(alone.audio, together[1].audio)
    other_seed = Request(W, pack, 1.0, seed=7)
    assert not np.array_equal(onnx.synthesize_many([other_seed])[0].audio, alone.audio)


def test_mode_names_the_engine(kmodel, onnx, settings, memo):
    assert kmodel.mode.startswith("single cpu:") and kmodel.mode.endswith("threads1")
    assert onnx.mode.startswith("single-onnx") and "onnxruntime" in onnx.mode
    assert onnx.identity != kmodel.identity
    two = KokoroEngine(settings, device="cpu", threads=2, memo_dir=memo, cpu_engine="onnx")
    assert two.identity != onnx.identity


def test_export_is_made_once(onnx, settings, memo, pack, monkeypatch):
    (made,) = onnx.synthesize_many(requests(pack, X))
    assert onnx.onnx_path().is_file()

    def no_second_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_decoder, "export_decoder", no_second_export)
    again = KokoroEngine(settings, device="cpu", threads=1, memo_dir=memo, cpu_engine="onnx")
    assert again.onnx_path() == onnx.onnx_path()
    (remade,) = again.synthesize_many(requests(pack, X))
    assert np.array_equal(remade.audio, made.audio)


def test_unknown_cpu_engine_is_refused(settings, memo):
    with pytest.raises(ValueError, match="cpu_engine"):
        KokoroEngine(settings, device="cpu", memo_dir=memo, cpu_engine="tensorrt")
