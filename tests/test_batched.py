"""BatchedKokoro against KModel, and its batch-composition invariance, on the tiny model.

The tiny model speaks 3 frames a token at speed 1 (a token per phoneme, plus two). With
max_frames=64 a stage-2 batch holds 2 rows of 32 frames or 1 of 64 or 96; stage 1 (32 tokens)
2 rows of 16 tokens or 1 of 32. A frame costs ~10 ms of CPU here, dummy rows included: the
items are short and few.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from kokoro_narrate.batched import (
    BatchedKokoro,
    CompileFailed,
    Frames,
    Item,
    Pointwise,
    bucket,
    rows_for,
)

BUDGET = 64
X = "ɐ kˈæt"  # 8 tokens, 24 frames: buckets 16 and 32
Y = "hˈɛloʊ"  # X's buckets
Z = "hˈɛloʊ wˈɜːld"  # 15 tokens, 45 frames: X's token bucket, frame bucket 64
W = "ðə kwˈɪk bɹˈaʊn fˈɑks ʤˈʌmps"  # 30 tokens, 90 frames: buckets 32 and 96


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # as the pipeline's synthesis jobs run (threads: 1); two threads on two busy cores spin in
    # OpenMP barriers and took ten times longer here
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_model(kokoro_geometry_model):
    """Kokoro-82M's own generator geometry: the lengths and padding
    checked here are those of the model production runs."""
    return kokoro_geometry_model


@pytest.fixture(scope="module")
def model(tiny_model):
    from kokoro import KModel

    torch.manual_seed(0)
    return KModel(
        repo_id="hexgrad/Kokoro-82M",
        config=str(tiny_model / "config.json"),
        model=str(tiny_model / "tiny-kokoro.pth"),
    ).eval()


@pytest.fixture(scope="module")
def pack(tiny_model):
    return torch.load(tiny_model / "voices" / "af_heart.pt", weights_only=True)


@pytest.fixture(scope="module")
def batched(model):
    return BatchedKokoro(model, max_frames=BUDGET)


def item(pack, phonemes: str, speed: float = 1.0, seed: int = 42) -> Item:
    return Item(phonemes, pack[len(phonemes) - 1], speed, seed)


def alone(model, it: Item):
    """KModel's own output for one item, seeded as the engine seeds it."""
    torch.manual_seed(it.seed)
    with torch.inference_mode():
        out = model(it.phonemes, it.ref_s, it.speed, return_output=True)
    return out.audio.numpy(), out.pred_dur.reshape(-1).tolist()


def frame_bucket(entry) -> int:
    return bucket(sum(entry.frames), 32)


def pinned_phase(stft):
    """TorchSTFT.transform whose phase of a real-valued bin is +pi or 0, never -pi.

    The harmonic source's first STFT frame is symmetric (reflect padding, symmetric window), so
    its bins are real up to rounding, and torch.angle gives +pi or -pi by the sign of a rounding
    error: 2 pi apart at the generator's input, which changes the first ~50 ms of audio by up to
    0.1. KModel is as chaotic there as this code is; pinning the sign in both leaves the
    differences this code is responsible for.
    """

    def transform(x):
        window = stft.window.to(x.device)
        spec = torch.stft(
            x, stft.filter_length, stft.hop_length, stft.win_length, window, return_complex=True
        )
        imag = torch.where(spec.imag.abs() <= 1e-5 * spec.abs(), 0.0, spec.imag)
        return spec.abs(), torch.atan2(imag, spec.real)

    return transform


def test_matches_kmodel(model, pack, batched, monkeypatch):
    stft = model.decoder.generator.stft
    monkeypatch.setattr(stft, "transform", pinned_phase(stft))
    items = [
        item(pack, "", seed=1),  # no phoneme at all: just the two boundary tokens
        item(pack, "a", speed=0.8, seed=2),
        item(pack, X + "❤", seed=3),  # a symbol outside the vocabulary is dropped, as by KModel
        item(pack, Z, speed=0.8, seed=4),
        item(pack, W, seed=5),
    ]
    entries = batched.synthesize(items)
    assert {frame_bucket(e) for e in entries} == {32, 64, 96}
    for it, entry in zip(items, entries, strict=True):
        audio, pred_dur = alone(model, it)
        assert entry.frames == pred_dur
        assert entry.audio.dtype == np.float32
        # KModel's audio is 600 samples a frame; it must be so here too, not assumed
        assert len(entry.audio) == len(audio) == sum(pred_dur) * batched.samples_per_frame
        # Only the order of fp32 sums differs (padded matrix shapes, the masked instance norm's
        # statistics, unpacked LSTMs): 1-2e-6 measured on this model. 1e-4 (-80 dBFS) leaves room
        # for other BLAS builds; a padding leak or a wrong noise draw differs by 1e-2 and more.
        assert np.abs(entry.audio - audio).max() < 1e-4


def test_samples_do_not_depend_on_the_batch(pack, batched):
    x = item(pack, X, seed=7)
    (first,) = batched.synthesize([x])  # beside dummy rows only
    assert frame_bucket(first) == 32 and rows_for(32, BUDGET) == 2
    # second in both stages beside a same-bucket mate, with mates of other buckets in the call
    crowd = batched.synthesize(
        [item(pack, Y, 1.2, 8), x, item(pack, Z, 0.9, 9), item(pack, W, 1.1, 10)]
    )
    assert frame_bucket(crowd[0]) == 32 and {frame_bucket(e) for e in crowd[2:]} == {64, 96}
    # second in stage 1 beside a mate of another frame bucket, first in stage 2 beside Y
    mixed = batched.synthesize([item(pack, Z, 1.0, 11), x, item(pack, Y, 1.0, 12)])
    for other in (crowd[1], mixed[1]):
        assert other.frames == first.frames
        assert np.array_equal(other.audio, first.audio)


def test_seeds_are_per_item(pack, batched):
    same, other, again = batched.synthesize(
        [item(pack, X, seed=7), item(pack, X, seed=8), item(pack, X, seed=7)]
    )
    assert same.frames == other.frames  # durations come before any noise
    assert len(same.audio) == len(other.audio)
    assert not np.array_equal(same.audio, other.audio)
    assert np.array_equal(same.audio, again.audio)  # same seed, two batches of one call


def test_many_items_keep_their_order(pack, batched):
    phonemes = ["a", "kæt", "dˈɔɡ", "sˈʌn", "mˈun"]
    items = [item(pack, p, 0.8 + 0.1 * n, 100 + n) for n, p in enumerate(phonemes)]
    forward = batched.synthesize(items)
    # five items of one 2-row bucket: three batches, the last with a dummy row
    assert {frame_bucket(e) for e in forward} == {32}
    backward = batched.synthesize(items[::-1])[::-1]
    for it, a, b in zip(items, forward, backward, strict=True):
        assert len(a.audio) == sum(a.frames) * batched.samples_per_frame
        assert len(a.frames) == len(it.phonemes) + 2
        assert a.frames == b.frames and np.array_equal(a.audio, b.audio)


def test_entries_come_a_decoder_batch_at_a_time(pack, batched, monkeypatch):
    """What keeps the prefill's memory to one batch of audio: each batch's entries are handed over
    before the next batch is decoded, not all at the end."""
    decoded = []
    stage2 = batched._stage2

    def counted(batch, items, size):
        decoded.append(len(batch))
        return stage2(batch, items, size)

    monkeypatch.setattr(batched, "_stage2", counted)
    items = [item(pack, X, seed=1), item(pack, W, seed=2), item(pack, Y, seed=3)]
    handed = []
    for n, entry in batched.synthesize_each(items):
        handed.append((n, len(decoded)))
        assert len(entry.audio) == sum(entry.frames) * batched.samples_per_frame
    # X and Y share a 32-frame batch, W has its own: shortest first, each batch once made
    assert handed == [(0, 1), (2, 1), (1, 2)]
    assert decoded == [2, 1]


def test_edge_cases(model, pack, batched):
    assert batched.synthesize([]) == []
    with pytest.raises(ValueError, match="at most 510"):
        batched.synthesize([Item("a" * 511, pack[-1], 1.0, 1)])
    # plain tuples are items too
    (entry,) = batched.synthesize([("a", pack[0], 1.0, 2)])
    assert entry.frames == alone(model, item(pack, "a", seed=2))[1]


def test_mode_names_the_setup(model):
    fp32 = BatchedKokoro(model, max_frames=BUDGET).mode
    assert "batched-v" in fp32 and "cpu" in fp32 and "fp32" in fp32 and f"frames{BUDGET}" in fp32
    assert BatchedKokoro(model, max_frames=2 * BUDGET).mode != fp32
    assert "bf16" in BatchedKokoro(model, max_frames=BUDGET, bf16=True).mode


def test_buckets():
    assert [bucket(n, 32) for n in (1, 32, 33, 64, 65, 97)] == [32, 32, 64, 64, 96, 128]
    assert bucket(500, 16, cap=512) == 512  # ALBERT's context
    edges = sorted({bucket(n, 32) for n in range(1, 5000)})
    assert all(b / a <= 2**0.25 + 32 / a for a, b in zip(edges, edges[1:], strict=False))
    assert rows_for(5000, BUDGET) == 1


def padded_inputs(rows=3, channels=8, size=40, lengths=(40, 25, 7)):
    gen = torch.Generator().manual_seed(5)
    frames = Frames.of(list(lengths), size, "cpu")
    x = torch.randn(rows, channels, size, generator=gen) * 3
    scale = torch.rand(rows, channels, 1, generator=gen) + 0.5
    shift = torch.randn(rows, channels, 1, generator=gen)
    alpha = torch.rand(1, channels, 1, generator=gen) + 0.2
    return x, scale, shift, alpha, frames


def test_pointwise_compiled_computes_what_eager_does():
    """The elementwise passes as torch.compile makes them (C++ here, Triton on a GPU): the same
    function as eager torch, and zero on every padded frame, as the convolutions after need."""
    x, scale, shift, alpha, frames = padded_inputs()
    mean = x.mean(-1, keepdim=True)
    eager, compiled = Pointwise(), Pointwise(compiled=True)
    for ops in (eager, compiled):
        centered = ops.centered(x, mean, frames.pad)
        outputs = {
            "centered": centered,
            "norm_snake": ops.norm_snake(centered, scale, shift, alpha, frames.pad),
            "norm_leaky": ops.norm_leaky(centered, scale, shift, 0.2, frames.pad),
            "leaky": ops.leaky(x, 0.1, frames.pad),
        }
        for name, out in outputs.items():
            assert not out.masked_select(frames.pad).any(), name
        if ops is eager:
            expected = outputs
    for name, out in outputs.items():
        torch.testing.assert_close(out, expected[name], rtol=1e-6, atol=1e-6, msg=name)
    # the reference formulas themselves, on the valid frames
    y = centered * scale + shift
    snake = y + torch.sin(alpha * y) ** 2 / alpha
    valid = ~frames.pad.expand_as(y)
    torch.testing.assert_close(outputs["norm_snake"][valid], snake[valid], rtol=1e-5, atol=1e-5)
    leaky = torch.where(y > 0, y, 0.2 * y)
    torch.testing.assert_close(outputs["norm_leaky"][valid], leaky[valid], rtol=1e-6, atol=1e-6)


def test_fused_samples_do_not_depend_on_the_batch(model, pack, batched):
    fused = BatchedKokoro(model, max_frames=BUDGET, fused=True)
    assert fused.mode.startswith(batched.mode) and " fused" in fused.mode
    x = item(pack, X, seed=7)
    (first,) = fused.synthesize([x])
    crowd = fused.synthesize([item(pack, Y, 1.2, 8), x, item(pack, Z, 0.9, 9)])
    assert crowd[1].frames == first.frames and np.array_equal(crowd[1].audio, first.audio)
    (eager,) = batched.synthesize([x])
    assert eager.frames == first.frames
    assert np.abs(eager.audio - first.audio).max() < 1e-4


@pytest.fixture
def compiler_cache_unset():
    """TORCHINDUCTOR_CACHE_DIR unset for the test, and as it was after it, whatever the code under
    test set (torch's compiler reads it from the process's environment)."""
    saved = os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)
    yield
    os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)
    if saved is not None:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = saved


@pytest.mark.parametrize(
    ("compile_passes", "triton", "fused"),
    [(True, True, True), (False, True, False), (True, False, False)],
)
def test_a_gpu_engine_compiles_when_it_can_and_says_so(
    tiny_model, tmp_path, monkeypatch, compile_passes, triton, fused, compiler_cache_unset
):
    import importlib.util

    from kokoro_narrate import engine as enginelib

    monkeypatch.setattr(enginelib, "device_kind", lambda *a: "cuda:Some GPU")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (
            (object() if triton else None) if name == "triton" else real_find_spec(name)
        ),
    )
    settings = enginelib.ModelSettings(
        weights=str(tiny_model / "tiny-kokoro.pth"),
        config=str(tiny_model / "config.json"),
        voices_dir=str(tiny_model / "voices"),
    )
    engine = enginelib.KokoroEngine(
        settings, device="cuda", memo_dir=tmp_path, batch_frames=BUDGET, compile=compile_passes
    )
    assert engine.fused is fused
    assert engine.mode.startswith("batched-v") and (" fused" in engine.mode) is fused
    # the compiler's cache goes beside the build's other memos where it compiles
    kept = tmp_path.resolve() / "compile"
    assert os.environ.get("TORCHINDUCTOR_CACHE_DIR") == (str(kept) if fused else None)
    monkeypatch.undo()
    cpu = enginelib.KokoroEngine(settings, device="cpu", memo_dir=tmp_path, compile=True)
    assert not cpu.fused and "fused" not in cpu.mode  # the CPU engines compile nothing


def test_compiled_kernels_are_kept_beside_the_build(tmp_path, monkeypatch, compiler_cache_unset):
    """What torch's compiler makes goes to the project's memo folder, which outlives /tmp, so the
    next build finds it; a folder the user chose, or a file system that cannot lock files (the
    compiler locks its cache), leaves torch's own choice."""
    import fcntl

    from torch._inductor.runtime.cache_dir_utils import cache_dir

    from kokoro_narrate.engine import keep_compiled_kernels

    keep_compiled_kernels(tmp_path / "memo")
    folder = (tmp_path / "memo" / "compile").resolve()
    assert cache_dir() == str(folder)
    torch._dynamo.reset()  # a fresh compile, not the one an earlier test made in this process
    x, scale, shift, alpha, frames = padded_inputs()
    Pointwise(compiled=True).leaky(x, 0.3, frames.pad)
    assert any(path.is_file() for path in folder.rglob("*") if path.name != ".lockable")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(tmp_path / "chosen")
    keep_compiled_kernels(tmp_path / "memo")
    assert cache_dir() == str(tmp_path / "chosen")
    del os.environ["TORCHINDUCTOR_CACHE_DIR"]
    keep_compiled_kernels(None)  # no memo folder
    assert "TORCHINDUCTOR_CACHE_DIR" not in os.environ

    def no_locks(handle, operation):
        raise OSError(37, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    keep_compiled_kernels(tmp_path / "other")
    assert "TORCHINDUCTOR_CACHE_DIR" not in os.environ


def test_a_failed_compile_says_how_to_go_on(monkeypatch):
    from torch._dynamo.exc import TorchDynamoException

    def broken_compile(fn, **options):
        def call(*args):
            raise TorchDynamoException("backend compiler failed: no C compiler found")

        return call

    monkeypatch.setattr(torch, "compile", broken_compile)
    x, _, _, _, frames = padded_inputs()
    with pytest.raises(CompileFailed, match="synthesis.compile: false") as failure:
        Pointwise(compiled=True).leaky(x, 0.1, frames.pad)
    assert "leaky" in str(failure.value) and "no C compiler found" in str(failure.value)
