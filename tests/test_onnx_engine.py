"""cpu_engine onnx (KModel with its decoder in onnxruntime) against cpu_engine kmodel, on the tiny
model: the same durations, the same samples to float rounding at every length, seeded per chunk,
its own cache keys, an export made once and written whole, and a clear error without onnxruntime."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from kokoro_narrate import onnx_decoder
from kokoro_narrate.engine import KokoroEngine, ModelSettings, Request

REPO = Path(__file__).resolve().parent.parent

X = "ɐ kˈæt"  # 8 tokens: shorter than the chunk the export traces
W = "ðə kwˈɪk bɹˈaʊn fˈɑks ʤˈʌmps ˈOvəɹ ðə lˈAzi dˈɔɡ"  # 49 tokens: longer


@pytest.fixture(scope="module", autouse=True)
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_model(kokoro_geometry_model):
    """Kokoro-82M's own generator geometry: the export traced and checked
    here is that of the model production runs."""
    return kokoro_geometry_model


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
    assert alone.audio.tobytes() == together[1].audio.tobytes()
    (again,) = onnx.synthesize_many(requests(pack, W))
    assert again.audio.tobytes() == alone.audio.tobytes() and again.frames == alone.frames
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
    path = onnx.onnx_path()
    assert path.is_file() and path.is_relative_to(memo)
    written = path.stat().st_mtime_ns

    def no_second_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_decoder, "export_decoder", no_second_export)
    again = KokoroEngine(settings, device="cpu", threads=1, memo_dir=memo, cpu_engine="onnx")
    assert again.onnx_path() == path
    (remade,) = again.synthesize_many(requests(pack, X))
    assert remade.audio.tobytes() == made.audio.tobytes()
    assert path.stat().st_mtime_ns == written
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_every_convolution_is_exported_in_2d(onnx, pack):
    """onnxruntime's blocked-layout kernels take 2-D convolutions only: the export makes each of
    the decoder's Conv1d one."""
    import onnx as onnx_format

    onnx.synthesize_many(requests(pack, X))
    graph = onnx_format.load(str(onnx.onnx_path())).graph
    convs = [node for node in graph.node if node.op_type == "Conv"]
    assert convs
    for node in convs:
        (kernel,) = [a.ints for a in node.attribute if a.name == "kernel_shape"]
        assert len(kernel) == 2 and kernel[0] == 1, node.name


def test_convolutions_as_2d_compute_the_same_and_are_put_back():
    torch.manual_seed(0)
    block = torch.nn.Sequential(
        torch.nn.utils.parametrizations.weight_norm(
            torch.nn.Conv1d(4, 6, 7, dilation=3, padding=9)
        ),
        torch.nn.Conv1d(6, 2, 3, stride=2, padding=1),
    ).eval()
    x = torch.randn(1, 4, 50)
    with torch.no_grad():
        as_1d = block(x)
        with onnx_decoder.convolutions_as_2d(block):
            assert all("forward" in vars(conv) for conv in block)
            as_2d = block(x)
    assert as_2d.shape == as_1d.shape
    assert torch.allclose(as_2d, as_1d, atol=1e-6)
    assert not any("forward" in vars(conv) for conv in block)


def test_export_path_names_the_export_scheme(onnx, monkeypatch):
    path = onnx.onnx_path()
    monkeypatch.setattr(onnx_decoder, "EXPORT_SCHEME", onnx_decoder.EXPORT_SCHEME + 1)
    assert onnx.onnx_path() != path and onnx.onnx_path().parent == path.parent


def test_a_failed_export_leaves_no_file(settings, tmp_path, pack, monkeypatch):
    """The export is written to a temporary file and renamed: a job that dies while writing leaves
    nothing another job could take for an export."""

    def dies_while_writing(module, inputs, f, **kwargs):
        Path(f).write_bytes(b"half an export")
        raise RuntimeError("killed while writing")

    monkeypatch.setattr(torch.onnx, "export", dies_while_writing)
    engine = KokoroEngine(settings, device="cpu", threads=1, memo_dir=tmp_path, cpu_engine="onnx")
    with pytest.raises(RuntimeError, match="killed while writing"):
        engine.synthesize_many(requests(pack, X))
    assert list(engine.onnx_path().parent.iterdir()) == []


def test_an_export_that_does_not_load_is_made_again(onnx, settings, tmp_path, pack):
    engine = KokoroEngine(settings, device="cpu", threads=1, memo_dir=tmp_path, cpu_engine="onnx")
    engine.onnx_path().parent.mkdir(parents=True)
    engine.onnx_path().write_bytes(b"not an ONNX model")
    (made,) = engine.synthesize_many(requests(pack, X))
    (reference,) = onnx.synthesize_many(requests(pack, X))
    assert made.audio.tobytes() == reference.audio.tobytes()
    assert engine.onnx_path().read_bytes() == onnx.onnx_path().read_bytes()


@pytest.mark.parametrize("missing", ["onnxruntime", "onnx"])
def test_without_the_packages_it_says_what_to_install(settings, memo, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # `import` raises, find_spec finds nothing
    with pytest.raises(onnx_decoder.OnnxMissing) as raised:
        KokoroEngine(settings, device="cpu", threads=1, memo_dir=memo, cpu_engine="onnx")
    message = str(raised.value)
    assert f"needs {missing}," in message and "pip install onnxruntime onnx" in message
    assert "synthesis.cpu_engine: kmodel" in message
    # the reference engine needs neither
    KokoroEngine(settings, device="cpu", threads=1, memo_dir=memo)


def test_unknown_cpu_engine_is_refused(settings, memo):
    with pytest.raises(ValueError, match="synthesis.cpu_engine 'tensorrt': expected one of"):
        KokoroEngine(settings, device="cpu", memo_dir=memo, cpu_engine="tensorrt")


def test_the_config_schema_defaults_to_onnx_and_refuses_others():
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    schema = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    validate(config, schema)
    assert config["synthesis"]["cpu_engine"] == "onnx"
    config["synthesis"]["cpu_engine"] = "kmodel"
    validate(config, schema)
    config["synthesis"]["cpu_engine"] = "tensorrt"
    with pytest.raises(WorkflowError, match="'tensorrt' is not one of"):
        validate(config, schema)
