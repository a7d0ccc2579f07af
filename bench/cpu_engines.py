#!/usr/bin/env python3
"""CPU engines against kokoro's KModel: seconds of audio per second, start-up cost, and the sound.

    export PYTHONPATH=workflow
    python bench/cpu_engines.py run ~/.cache/kokoro-dequant bench/data/corpus-chunks.json \\
        --voice jf_alpha --scratch /tmp/kokoro-cpu-engines

Candidates, each synthesizing a chunk as the engine does (the model loaded once, the chunk seeded
with torch.manual_seed(seed) just before it, fp32):

    kmodel          kokoro's KModel under torch.inference_mode(): the engine today, the reference
    no_grad         the same under torch.no_grad()
    flush_denormal  torch.set_flush_denormal(True) around the call
    mkldnn_off      torch.backends.mkldnn disabled (convolutions fall back to ATen's own kernels)
    onednn_bf16     oneDNN's fp32 convolutions and matmuls computed in bf16 (AMX/AVX512-BF16)
    interop1        one inter-op thread instead of one per core (a process-wide setting: measured
                    in a worker of its own, not interleaved with the others)
    compile         torch.compile(decoder, dynamic=True), inductor, with the generator's harmonic
                    source and its STFT left to eager torch (torch.compiler.disable): the same
                    reason as for onnx below
    compile_all     the same with those compiled too (inductor's fallback_random on, so that the
                    seed still gives eager torch's draws)
    onnx            the pipeline's KokoroEngine with cpu_engine onnx (kokoro_narrate.onnx_decoder):
                    KModel with its decoder in onnxruntime (CPU provider, intra_op_num_threads =
                    threads), exported once per weights with dynamic time axes; the harmonic source
                    and its STFT stay in torch, so the chunk's random draws and the chaotic phase
                    of near-empty STFT bins are KModel's own
    onnx_whole      all of KModel in onnxruntime: a front graph (tokens to durations, F0 and
                    features; dynamic token axis), then the decoder with the generator's random
                    draws as inputs, drawn with torch after the chunk's seed exactly as KModel
                    draws them, torch.stft/istft as convolutions (onnx_decoder.export_stft): what
                    a whole-model export (kokoro's KModelForONNX) does to the sound
    other_seed      KModel with the chunk's seed + 1: another take, a yardstick for the distances

`run` does three things, each in fresh processes:
1. per thread count, one worker process synthesizes a sample of --chunks chunks spread evenly over
   the corpus's lengths, --rounds times, the candidates interleaved chunk by chunk (the order
   rotating from chunk to chunk) so that the load of a shared machine falls on all of them alike;
   each chunk's wall and CPU time (time.process_time: all of the process's threads) is kept, and
   a candidate's rate per round is the sample's seconds of audio over the sum of its times. The
   table gives the best round and the spread; `cpu/ref` is the candidate's CPU time over the
   reference's on the same chunks of the same round, the figure least moved by other load.
2. the sound of each candidate's first round against the reference at the same thread count (and
   the reference at one thread count against the other): durations (frames per token) identical
   or not, the largest sample difference, and the log-spectral distance:

       LSD = mean over frames of sqrt(mean over bins of (10 log10 (P_ref + f) / (P_cand + f))^2)

   in dB, with P the power spectrum of 25 ms Hann frames every 10 ms, f a floor 80 dB under the
   chunk's loudest bin (differences in bins quieter than that are inaudible and would only count
   rounding noise), averaged over the chunk's speech frames (those within 60 dB of its loudest),
   pooled over all chunks; `worst` is the largest per-chunk mean. Chunks of different lengths are
   compared over the shorter one.
3. whole processes for a post (--post, from the chunk file): per candidate and thread count a fresh
   process imports, loads, prepares (compiles, exports or opens its sessions) and synthesizes the
   post's chunks, timed from outside (wall, and CPU of the process and its children, which
   includes inductor's compile workers); kmodel and onnx are KokoroEngine itself. Compiled
   kernels and ONNX files are cached under --scratch: the first process of a candidate pays the
   cold cost (reported apart); the rounds after it find the cache warm, as every synthesis job
   after the first on a machine would.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "workflow"))

from kokoro_narrate import onnx_decoder  # noqa: E402  (numpy only at import)

SAMPLE_RATE = 24_000
STEADY_CANDIDATES = (
    "kmodel",
    "no_grad",
    "flush_denormal",
    "mkldnn_off",
    "onednn_bf16",
    "compile",
    "compile_all",
    "onnx",
    "onnx_whole",
    "other_seed",
)
# yardsticks and variants that only show what their counterpart avoids: the first round only
SOUND_ONLY = ("other_seed", "compile_all", "onnx_whole")
PROCESS_CANDIDATES = ("kmodel", "compile", "onnx")
# the spectral distance's frames: 25 ms windows every 10 ms, as speech analysis uses
FRAME = SAMPLE_RATE * 25 // 1000
HOP = SAMPLE_RATE * 10 // 1000
FLOOR_DB = 80.0
SPEECH_DB = 60.0
ONNX_OPSET = 17


# ---------------------------------------------------------------------------- the chunks


def chunk_seed(index: int) -> int:
    return 1_000_003 * index + 7  # as bench/batched.py seeds its chunks


def sample_chunks(chunks: list[dict], count: int) -> list[int]:
    """Indices of `count` chunks spread evenly over the corpus's lengths, shortest to longest."""
    by_length = sorted(range(len(chunks)), key=lambda n: (len(chunks[n]["phonemes"]), n))
    if count >= len(by_length):
        return by_length
    return [by_length[round(k * (len(by_length) - 1) / (count - 1))] for k in range(count)]


# ---------------------------------------------------------------------------- the sound


def power_frames(audio: np.ndarray) -> np.ndarray:
    if len(audio) < FRAME:
        audio = np.pad(audio, (0, FRAME - len(audio)))
    count = 1 + (len(audio) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    frames = audio.astype(np.float64)[index] * np.hanning(FRAME)
    return np.abs(np.fft.rfft(frames, axis=1)) ** 2


def log_spectral_distance(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Per speech frame of `reference`, the RMS over bins of the dB difference (docstring)."""
    n = min(len(reference), len(candidate))
    ref_power, cand_power = power_frames(reference[:n]), power_frames(candidate[:n])
    floor = ref_power.max() * 10 ** (-FLOOR_DB / 10) + 1e-30
    diff_db = 10 * np.log10((ref_power + floor) / (cand_power + floor))
    per_frame = np.sqrt(np.mean(diff_db**2, axis=1))
    energy = ref_power.sum(axis=1)
    return per_frame[energy >= energy.max() * 10 ** (-SPEECH_DB / 10)]


def compare(reference: list[tuple], candidate: list[tuple]) -> dict:
    """reference, candidate: (audio, frames) per chunk, in the same order."""
    pooled, per_chunk, max_diff, same_frames, bitwise = [], [], 0.0, 0, 0
    for (ref_audio, ref_frames), (audio, frames) in zip(reference, candidate, strict=True):
        distances = log_spectral_distance(ref_audio, audio)
        pooled.append(distances)
        per_chunk.append(float(distances.mean()))
        same_frames += list(ref_frames) == list(frames)
        if len(ref_audio) == len(audio):
            bitwise += bool(np.array_equal(ref_audio, audio))
            max_diff = max(max_diff, float(np.abs(ref_audio - audio).max()))
        else:
            max_diff = float("inf")
    return {
        "lsd_db": float(np.concatenate(pooled).mean()),
        "lsd_worst_db": max(per_chunk),
        "lsd_median_chunk_db": float(np.median(per_chunk)),
        "max_abs_diff": max_diff,
        "same_frames": same_frames,
        "bitwise": bitwise,
        "chunks": len(reference),
    }


# ---------------------------------------------------------------------------- the candidates


def quiet_imports():
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from loguru import logger

    logger.remove()


def load_kmodel(model_dir: Path):
    import torch
    from kokoro import KModel

    (weights,) = model_dir.glob("*.pth")
    torch.manual_seed(0)  # as the engine: parameters the checkpoint leaves out are the same
    return KModel(
        repo_id="hexgrad/Kokoro-82M", config=str(model_dir / "config.json"), model=str(weights)
    ).eval()


def token_ids(vocab: dict, phonemes: str) -> list[int]:
    """KModel.forward's tokens: known phonemes only, between two pad tokens."""
    return [0, *(vocab[p] for p in phonemes if p in vocab), 0]


class KModelCandidate:
    """KModel one chunk at a time, with torch settings applied around each call only, so that
    candidates differing in a setting can take turns in one process."""

    def __init__(self, model, name: str = "kmodel", seed_offset: int = 0):
        self.model, self.name, self.seed_offset = model, name, seed_offset

    @contextlib.contextmanager
    def settings(self):
        import torch

        if self.name == "no_grad":
            with torch.no_grad():
                yield
        elif self.name == "flush_denormal":
            torch.set_flush_denormal(True)
            try:
                with torch.inference_mode():
                    yield
            finally:
                torch.set_flush_denormal(False)
        elif self.name == "mkldnn_off":
            with torch.backends.mkldnn.flags(enabled=False), torch.inference_mode():
                yield
        elif self.name == "onednn_bf16":
            backends = (torch.backends.mkldnn.conv, torch.backends.mkldnn.matmul)
            before = [b.fp32_precision for b in backends]
            for b in backends:
                b.fp32_precision = "bf16"
            try:
                with torch.inference_mode():
                    yield
            finally:
                for b, precision in zip(backends, before, strict=True):
                    b.fp32_precision = precision
        else:
            with torch.inference_mode():
                yield

    def prepare(self, scratch: Path) -> None:
        pass

    def synthesize(self, phonemes: str, pack, speed: float, seed: int):
        import torch

        torch.manual_seed(seed + self.seed_offset)
        with self.settings():
            out = self.model(phonemes, pack[len(phonemes) - 1], speed, return_output=True)
        return out.audio.numpy().astype(np.float32), out.pred_dur.reshape(-1).tolist()


def with_decoder(model, decoder):
    """A KModel that shares every module of `model` but runs `decoder` in its place."""
    import copy

    shell = copy.copy(model)
    shell._modules = dict(model._modules)
    shell._modules["decoder"] = decoder
    return shell


class CompiledCandidate(KModelCandidate):
    """KModel with its decoder (most of the CPU time: the generator's convolutions and the
    elementwise work between them) through torch.compile(dynamic=True); the rest stays eager.
    "compile" leaves the harmonic source and its STFT to eager torch (harmonic_spectrum says
    why); "compile_all" compiles them too. Each loads its own KModel: the exclusions are set on
    the modules."""

    def __init__(self, model_dir: Path, name: str):
        super().__init__(load_kmodel(model_dir), name)

    def prepare(self, scratch: Path) -> None:
        import torch
        import torch._inductor.config as inductor_config

        # compile_all: the generator's torch.rand/randn_like as eager torch draws them, so that a
        # seed gives KModel's noise (inductor's own generator would draw other numbers)
        inductor_config.fallback_random = True
        generator = self.model.decoder.generator
        if self.name == "compile":
            generator.m_source.forward = torch.compiler.disable(generator.m_source.forward)
            generator.stft.transform = torch.compiler.disable(generator.stft.transform)
        self.model = with_decoder(self.model, torch.compile(self.model.decoder, dynamic=True))

    @staticmethod
    def graphs() -> int:
        from torch._dynamo.utils import counters

        return int(counters["stats"]["unique_graphs"])


def compile_cache(scratch: Path) -> None:
    """Inductor's kernels under --scratch, so that cold and warm runs are ours to choose."""
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(scratch / "inductor-cache")


# ---------------------------------------------------------------------------- the engine


class EngineCandidate:
    """kokoro_narrate's KokoroEngine itself with this cpu_engine (onnx: KModel with its decoder in
    onnxruntime, kokoro_narrate.onnx_decoder), its export kept in --scratch/memo/onnx."""

    def __init__(self, model_dir: Path, threads: int, scratch: Path, cpu_engine: str):
        from kokoro_narrate.engine import KokoroEngine, ModelSettings

        (weights,) = model_dir.glob("*.pth")
        settings = ModelSettings(
            weights=str(weights),
            config=str(model_dir / "config.json"),
            voices_dir=str(model_dir / "voices"),
        )
        self.name = cpu_engine
        self.engine = KokoroEngine(
            settings,
            device="cpu",
            threads=threads,
            memo_dir=scratch / "memo",
            cpu_engine=cpu_engine,
        )
        self.checks = {}

    def prepare(self, scratch: Path) -> None:
        exports = self.name == "onnx" and not self.engine.onnx_path().exists()
        started = time.monotonic()
        self.engine._load()
        if exports:
            self.checks["export_and_load_s"] = time.monotonic() - started

    def synthesize(self, phonemes: str, pack, speed: float, seed: int):
        from kokoro_narrate.engine import Request

        (entry,) = self.engine.synthesize_many([Request(phonemes, pack, speed, seed)])
        return entry.audio, list(entry.frames)


def onnx_folder(scratch: Path, model_dir: Path) -> Path:
    """onnx_whole's exports: keyed on the weights, kokoro, torch and the opset."""
    from importlib.metadata import version

    from kokoro_narrate.digests import file_digest

    (weights,) = model_dir.glob("*.pth")
    parts = [file_digest(weights, scratch / "memo"), version("kokoro"), version("torch")]
    key = "|".join([*parts, str(ONNX_OPSET), "whole-v1"])
    return scratch / "onnx-whole" / hashlib.sha256(key.encode()).hexdigest()[:16]


# ------------------------------------------------ ONNX of all of KModel, draws as inputs


def whole_graph_modules(model):
    """(front, decoder) torch modules whose composition is KModel.forward_with_tokens, the
    generator's random draws taken as inputs; export_whole checks the composition is bitwise
    KModel before exporting it."""
    import kokoro.istftnet as istftnet
    import torch

    class Front(torch.nn.Module):
        """KModel.forward_with_tokens (kokoro 0.9.4) up to the decoder, batch of one."""

        def __init__(self, kmodel):
            super().__init__()
            self.kmodel = kmodel

        def forward(self, input_ids, ref_s, speed):
            k = self.kmodel
            input_lengths = torch.full((1,), input_ids.shape[-1], dtype=torch.long)
            text_mask = torch.arange(input_lengths.max()).unsqueeze(0).type_as(input_lengths)
            text_mask = torch.gt(text_mask + 1, input_lengths.unsqueeze(1))
            bert_dur = k.bert(input_ids, attention_mask=(~text_mask).int())
            d_en = k.bert_encoder(bert_dur).transpose(-1, -2)
            s = ref_s[:, 128:]
            d = k.predictor.text_encoder(d_en, s, input_lengths, text_mask)
            x, _ = k.predictor.lstm(d)
            duration = torch.sigmoid(k.predictor.duration_proj(x)).sum(axis=-1) / speed
            pred_dur = torch.round(duration).clamp(min=1).long().squeeze()
            indices = torch.repeat_interleave(torch.arange(input_ids.shape[1]), pred_dur)
            alignment = torch.zeros((input_ids.shape[1], indices.shape[0]))
            alignment[indices, torch.arange(indices.shape[0])] = 1
            alignment = alignment.unsqueeze(0)
            f0, noise = k.predictor.F0Ntrain(d.transpose(-1, -2) @ alignment, s)
            asr = k.text_encoder(input_ids, input_lengths, text_mask) @ alignment
            return pred_dur, asr, f0, noise

    class Draws:
        """Stands in for `torch` inside kokoro.istftnet: its rand and randn_like return the
        given draws (SineGen's initial phases, then its noise; the source module's last
        randn_like is unused by the generator)."""

        def __init__(self, phases, noise):
            self.phases, self.noise, self.calls = phases, noise, 0

        def __getattr__(self, name):
            return getattr(torch, name)

        def rand(self, *size, **kwargs):
            return self.phases.clone()

        def randn_like(self, like):
            self.calls += 1
            return self.noise if self.calls == 1 else torch.zeros_like(like)

    class Decoder(torch.nn.Module):
        def __init__(self, decoder):
            super().__init__()
            self.decoder = decoder

        def forward(self, asr, f0, noise_curve, style, phases, noise):
            istftnet.torch = Draws(phases, noise)
            try:
                return self.decoder(asr, f0, noise_curve, style).squeeze()
            finally:
                istftnet.torch = torch

    return Front(model).eval(), Decoder(model.decoder).eval()


@contextlib.contextmanager
def exportable_stft(model):
    """The generator's STFT swapped for ExportSTFT for as long as the export traces it."""
    generator = model.decoder.generator
    torch_stft = generator.stft
    generator.stft = onnx_decoder.export_stft(generator.post_n_fft, torch_stft.hop_length)
    try:
        yield
    finally:
        generator.stft = torch_stft


def generator_draws(seed: int, f0_frames: int):
    """SineGen's draws after torch.manual_seed(seed), as KModel makes them: the harmonics'
    initial phases (torch.rand(1, 9)), then randn_like of a (1, samples, 9) tensor laid out
    harmonic-major (a transposed interpolation result), which normal_ fills in memory order."""
    import torch

    torch.manual_seed(seed)
    phases = torch.rand(1, 9)
    samples = f0_frames * 300  # f0_upsamp: prod(upsample_rates) * gen_istft_hop_size
    noise = torch.empty(1, 9, samples).transpose(1, 2).normal_()
    return phases, noise


def export_whole(model, folder: Path, pack) -> dict:
    """Both graphs into `folder`."""
    import torch

    front, decoder = whole_graph_modules(model)
    ids = torch.LongTensor([token_ids(model.vocab, "hˈɛloʊ wˈɜːld, ðɪs ɪz ɐ tˈɛst.")])
    speed = torch.tensor([1.0])
    ref_s = pack[ids.shape[1] - 3].clone()
    with torch.no_grad():
        pred_dur, asr, f0, noise_curve = front(ids, ref_s, speed)
        phases, noise = generator_draws(5, f0.shape[1])
        split = decoder(asr, f0, noise_curve, ref_s[:, :128], phases, noise)
        torch.manual_seed(5)
        whole, whole_dur = model.forward_with_tokens(ids, ref_s, 1.0)
    checks = {
        "split_bitwise_kmodel": bool(torch.equal(split, whole) and torch.equal(pred_dur, whole_dur))
    }
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with torch.no_grad(), exportable_stft(model):
        torch.onnx.export(
            front,
            (ids, ref_s, speed),
            str(folder / "front.onnx.tmp"),
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=["input_ids", "ref_s", "speed"],
            output_names=["pred_dur", "asr", "f0", "noise_curve"],
            dynamic_axes={
                "input_ids": {1: "tokens"},
                "pred_dur": {0: "tokens"},
                "asr": {2: "frames"},
                "f0": {1: "f0_frames"},
                "noise_curve": {1: "f0_frames"},
            },
        )
        torch.onnx.export(
            decoder,
            (asr, f0, noise_curve, ref_s[:, :128].clone(), phases, noise),
            str(folder / "whole-decoder.onnx.tmp"),
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=["asr", "f0", "noise_curve", "style", "phases", "noise"],
            output_names=["audio"],
            dynamic_axes={
                "asr": {2: "frames"},
                "f0": {1: "f0_frames"},
                "noise_curve": {1: "f0_frames"},
                "noise": {1: "samples"},
                "audio": {0: "samples"},
            },
        )
    for name in ("front", "whole-decoder"):
        os.replace(folder / f"{name}.onnx.tmp", folder / f"{name}.onnx")
    checks["export_s"] = time.monotonic() - started
    return checks


class OnnxWholeCandidate:
    """All of KModel in onnxruntime: the front graph (tokens to durations, F0 and features, with
    a dynamic token axis), then the decoder graph with the generator's draws as inputs, drawn
    with torch after the chunk's seed as KModel draws them. The harmonic spectrum is then
    onnxruntime's, not torch's: this candidate shows what that does to the sound."""

    name = "onnx_whole"

    def __init__(self, model, model_dir: Path, threads: int, pack):
        self.model, self.model_dir, self.threads = model, model_dir, threads
        self.vocab, self.pack = model.vocab, pack
        self.checks = {}

    def prepare(self, scratch: Path) -> None:
        folder = onnx_folder(scratch, self.model_dir)
        if not (folder / "whole-decoder.onnx").exists():
            self.checks = export_whole(self.model, folder, self.pack)
        self.front = onnx_decoder.session(folder / "front.onnx", self.threads)
        self.decoder = onnx_decoder.session(folder / "whole-decoder.onnx", self.threads)

    def synthesize(self, phonemes: str, pack, speed: float, seed: int):
        ref = pack[len(phonemes) - 1].numpy().reshape(1, -1)
        ids = np.array([token_ids(self.vocab, phonemes)], dtype=np.int64)
        pred_dur, asr, f0, noise_curve = self.front.run(
            None, {"input_ids": ids, "ref_s": ref, "speed": np.array([speed], np.float32)}
        )
        phases, noise = generator_draws(seed, f0.shape[1])
        (audio,) = self.decoder.run(
            None,
            {
                "asr": asr,
                "f0": f0,
                "noise_curve": noise_curve,
                "style": ref[:, :128],
                "phases": phases.numpy(),
                "noise": noise.contiguous().numpy(),
            },
        )
        return audio.astype(np.float32), pred_dur.reshape(-1).tolist()


def make_candidate(name: str, model, model_dir: Path, threads: int, pack, scratch: Path):
    if name in ("compile", "compile_all"):
        return CompiledCandidate(model_dir, name)
    if name == "onnx":
        return EngineCandidate(model_dir, threads, scratch, "onnx")
    if name == "onnx_whole":
        return OnnxWholeCandidate(model, model_dir, threads, pack)
    if name == "other_seed":
        return KModelCandidate(model, "other_seed", seed_offset=1)
    return KModelCandidate(model, name)


# ---------------------------------------------------------------------------- processes


def trim_heap() -> None:
    from kokoro_narrate.engine import _trim_heap

    _trim_heap()  # as the engine does after each chunk, for every candidate alike


def set_threads(threads: int, interop: int | None) -> None:
    import torch

    torch.set_num_threads(threads)
    if interop:
        torch.set_num_interop_threads(interop)


def worker(args) -> None:
    """One thread count: steady-state rates and the samples of the first round."""
    quiet_imports()
    import torch

    set_threads(args.threads, args.interop)
    compile_cache(args.scratch)
    model_dir = Path(args.model).expanduser()
    model = load_kmodel(model_dir)
    pack = torch.load(model_dir / "voices" / f"{args.voice}.pt", weights_only=True)
    chunks = json.loads(Path(args.chunks).read_text(encoding="utf-8"))
    sample = sample_chunks(chunks, args.count)[:: args.every]
    items = [(chunks[n]["phonemes"], chunk_seed(n)) for n in sample]
    warm_up = items[min(2, len(items) - 1)]
    result = {
        "threads": args.threads,
        "interop": args.interop,
        "sample": sample,
        "candidates": {},
        "timings": [],
    }
    candidates = []
    for name in args.candidates.split(","):
        candidate = make_candidate(name, model, model_dir, args.threads, pack, args.scratch)
        started, cpu = time.monotonic(), time.process_time()
        candidate.prepare(args.scratch)
        ps, seed = warm_up  # the first call: compiles, or warms oneDNN's primitive cache
        candidate.synthesize(ps, pack, args.speed, seed)
        info = {"prepare_s": time.monotonic() - started, "prepare_cpu_s": time.process_time() - cpu}
        if isinstance(candidate, CompiledCandidate):
            info["graphs_after_first_call"] = candidate.graphs()  # in the process, so far
        info.update(getattr(candidate, "checks", {}))
        result["candidates"][name] = info
        candidates.append(candidate)
        print(f"prepared {name}: {info}", file=sys.stderr, flush=True)
    samples = {c.name: [] for c in candidates}
    for round_ in range(args.rounds):
        for k, (ps, seed) in enumerate(items):
            turn = candidates[k % len(candidates) :] + candidates[: k % len(candidates)]
            for candidate in turn:
                if round_ and candidate.name in args.sound_only.split(","):
                    continue
                wall, cpu = time.monotonic(), time.process_time()
                audio, frames = candidate.synthesize(ps, pack, args.speed, seed)
                wall, cpu = time.monotonic() - wall, time.process_time() - cpu
                trim_heap()
                result["timings"].append(
                    {
                        "candidate": candidate.name,
                        "round": round_,
                        "chunk": sample[k],
                        "wall_s": wall,
                        "cpu_s": cpu,
                        "audio_s": len(audio) / SAMPLE_RATE,
                    }
                )
                if round_ == 0:
                    samples[candidate.name].append((audio, frames))
            print(f"round {round_} chunk {k + 1}/{len(items)}", file=sys.stderr, flush=True)
    for candidate in candidates:
        if isinstance(candidate, CompiledCandidate):
            result["candidates"][candidate.name]["graphs_at_end"] = candidate.graphs()
    out = Path(args.out)
    np.savez(
        out.with_suffix(".npz"),
        **{f"{name}/{i}/audio": a for name, s in samples.items() for i, (a, _) in enumerate(s)},
        **{
            f"{name}/{i}/frames": np.array(f)
            for name, s in samples.items()
            for i, (_, f) in enumerate(s)
        },
    )
    out.write_text(json.dumps(result))


def load_samples(path: Path) -> dict[str, list[tuple]]:
    data = np.load(path)
    by_name: dict[str, dict[int, list]] = {}
    for key in data.files:
        name, index, kind = key.rsplit("/", 2)
        by_name.setdefault(name, {}).setdefault(int(index), [None, None])[kind == "frames"] = data[
            key
        ]
    return {name: [tuple(v[i]) for i in sorted(v)] for name, v in by_name.items()}


def process(args) -> None:
    """A whole synthesis process for one post: import, load, prepare, every chunk."""
    started = time.monotonic()
    phases = {}
    quiet_imports()
    compile_cache(args.scratch)
    chunks = json.loads(Path(args.chunks).read_text(encoding="utf-8"))
    post = [(c["phonemes"], chunk_seed(n)) for n, c in enumerate(chunks) if c["post"] == args.post]
    model_dir = Path(args.model).expanduser()
    import torch
    from kokoro import KModel  # noqa: F401  (kokoro imports transformers: seconds)

    if args.candidate == "onnx":
        import onnxruntime  # noqa: F401

    set_threads(args.threads, None)
    phases["import_s"] = time.monotonic() - started
    pack = torch.load(model_dir / "voices" / f"{args.voice}.pt", weights_only=True)
    if args.candidate in ("kmodel", "onnx"):  # the pipeline's engine itself
        candidate = EngineCandidate(model_dir, args.threads, args.scratch, args.candidate)
    else:  # the others: the compiled ones load their own model
        model = None if args.candidate.startswith("compile") else load_kmodel(model_dir)
        candidate = make_candidate(
            args.candidate, model, model_dir, args.threads, pack, args.scratch
        )
    candidate.prepare(args.scratch)
    phases["load_s"] = time.monotonic() - started - phases["import_s"]
    audio_s = 0.0
    for n, (ps, seed) in enumerate(post):
        audio, _ = candidate.synthesize(ps, pack, args.speed, seed)
        trim_heap()
        audio_s += len(audio) / SAMPLE_RATE
        if n == 0:
            phases["first_chunk_s"] = time.monotonic() - started - sum(phases.values())
    phases["total_s"] = time.monotonic() - started
    print(json.dumps({"audio_s": audio_s, "chunks": len(post), **phases}))


# ---------------------------------------------------------------------------- the report


def spawn(argv: list[str], log: Path) -> tuple[str, float, float]:
    """Run this script in a fresh process, its stderr (progress) into `log`: (stdout, wall s, CPU
    s of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log, "a", encoding="utf-8") as stderr:
        stderr.write(f"\n$ {' '.join(argv)}\n")
        stderr.flush()
        done = subprocess.run(
            [sys.executable, __file__, *argv], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed: see {log}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, wall, cpu


def steady_table(result: dict, reference: str = "kmodel") -> list[str]:
    rows = result["timings"]
    names = list(result["candidates"])
    lines = []
    ref_rounds = {}
    for r in rows:
        if r["candidate"] == reference:
            ref_rounds.setdefault(r["round"], {})[r["chunk"]] = r
    for name in names:
        if name == "other_seed":
            continue
        per_round = {}
        for r in rows:
            if r["candidate"] == name:
                per_round.setdefault(r["round"], []).append(r)
        wall_rates, cpu_rates, ratios = [], [], []
        for round_, rs in sorted(per_round.items()):
            audio = sum(r["audio_s"] for r in rs)
            wall_rates.append(audio / sum(r["wall_s"] for r in rs))
            cpu_rates.append(audio / sum(r["cpu_s"] for r in rs))
            ref = ref_rounds.get(round_, {})
            ratios.append(sum(r["cpu_s"] for r in rs) / sum(ref[r["chunk"]]["cpu_s"] for r in rs))
        lines.append(
            f"  {name:<15} x{max(wall_rates):5.2f} wall ({min(wall_rates):.2f}-"
            f"{max(wall_rates):.2f})  x{max(cpu_rates):5.2f} cpu ({min(cpu_rates):.2f}-"
            f"{max(cpu_rates):.2f})  cpu/ref {min(ratios):.3f} ({min(ratios):.3f}-"
            f"{max(ratios):.3f})  prepare {result['candidates'][name]['prepare_s']:6.1f} s"
        )
    return lines


def sound_line(name: str, stats: dict) -> str:
    return (
        f"  {name:<22} LSD {stats['lsd_db']:6.3f} dB (median chunk "
        f"{stats['lsd_median_chunk_db']:.3f}, worst {stats['lsd_worst_db']:.3f})  "
        f"max |diff| {stats['max_abs_diff']:.3g}  durations same {stats['same_frames']}/"
        f"{stats['chunks']}  bitwise {stats['bitwise']}/{stats['chunks']}"
    )


def run(args) -> None:
    scratch = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    common = [
        args.model,
        args.chunks,
        "--voice",
        args.voice,
        "--scratch",
        str(scratch),
        "--speed",
        str(args.speed),
    ]
    print(
        f"scratch {scratch}; sample of {args.count} chunks; {args.rounds} rounds; "
        f"threads {args.threads}",
        flush=True,
    )
    log = scratch / "progress.log"
    results, samples = {}, {}
    for threads in args.threads:
        out = scratch / f"worker-{threads}.json"
        if not (args.reuse and out.exists()):
            spawn(
                [
                    "worker",
                    *common,
                    "--threads",
                    str(threads),
                    "--count",
                    str(args.count),
                    "--rounds",
                    str(args.rounds),
                    "--candidates",
                    args.candidates,
                    "--sound-only",
                    args.sound_only,
                    "--out",
                    str(out),
                ],
                log,
            )
        results[threads] = json.loads(out.read_text())
        samples[threads] = load_samples(out.with_suffix(".npz"))
        if args.interop_every:
            out = scratch / f"worker-{threads}-interop1.json"
            if not (args.reuse and out.exists()):
                spawn(
                    [
                        "worker",
                        *common,
                        "--threads",
                        str(threads),
                        "--count",
                        str(args.count),
                        "--every",
                        str(args.interop_every),
                        "--rounds",
                        str(args.rounds),
                        "--candidates",
                        "kmodel",
                        "--interop",
                        "1",
                        "--out",
                        str(out),
                    ],
                    log,
                )
            results[(threads, "interop1")] = json.loads(out.read_text())
            samples[(threads, "interop1")] = load_samples(out.with_suffix(".npz"))
    for threads in args.threads:
        result = results[threads]
        audio = sum(
            r["audio_s"]
            for r in result["timings"]
            if r["candidate"] == "kmodel" and r["round"] == 0
        )
        print(
            f"\nthreads {threads}: steady state over {len(result['sample'])} chunks, "
            f"{audio:.1f} s of audio; times real time, best round (spread):"
        )
        print("\n".join(steady_table(result)))
        for name, info in result["candidates"].items():
            notes = {k: round(v, 6) if isinstance(v, float) else v for k, v in info.items()}
            if set(notes) - {"prepare_s", "prepare_cpu_s"}:
                # graphs_*: dynamo graphs in the process after the first call and after every
                # chunk (more at the end = recompiled for a length)
                print(f"  {name}: {notes}")
        if (threads, "interop1") in results:
            interop = results[(threads, "interop1")]
            own = {(r["round"], r["chunk"]): r for r in interop["timings"]}
            ref = {
                (r["round"], r["chunk"]): r
                for r in result["timings"]
                if r["candidate"] == "kmodel" and (r["round"], r["chunk"]) in own
            }
            ratio = sum(own[k]["cpu_s"] for k in ref) / sum(r["cpu_s"] for r in ref.values())
            print(
                f"  interop1 (own process, {len(interop['sample'])} chunks, not interleaved): "
                f"cpu/ref {ratio:.3f}"
            )
        print(f"threads {threads}: the sound against kmodel at {threads} threads:")
        reference = samples[threads]["kmodel"]
        for name, candidate in samples[threads].items():
            if name != "kmodel":
                print(sound_line(name, compare(reference, candidate)))
        if (threads, "interop1") in samples:
            own = samples[(threads, "interop1")]["kmodel"]
            index = [result["sample"].index(n) for n in results[(threads, "interop1")]["sample"]]
            print(sound_line("interop1", compare([reference[i] for i in index], own)))
    if len(args.threads) > 1:
        first, second = args.threads[:2]
        stats = compare(samples[first]["kmodel"], samples[second]["kmodel"])
        print(f"\nyardstick: kmodel at {first} vs {second} threads")
        print(sound_line(f"kmodel {first}v{second} thr", stats))

    if not args.post:
        return
    print(
        f"\nwhole processes for post {args.post!r} (wall s; CPU s of the process and its "
        "children; import, load+prepare, first chunk inside):",
        flush=True,
    )
    names = args.process_candidates.split(",")
    cold_done = set()
    for threads in args.threads:
        for round_ in range(args.process_rounds + 1):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                if round_ == 0 and name == "kmodel":
                    continue  # round 0 is the cold caches of the candidates that have any
                if round_ == 0 and name in cold_done:
                    continue
                if round_ == 0:
                    cold_done.add(name)
                    cache = scratch / ("inductor-cache" if name == "compile" else "memo/onnx")
                    subprocess.run(["rm", "-rf", str(cache)], check=True)
                stdout, wall, cpu = spawn(
                    [
                        "process",
                        *common,
                        "--threads",
                        str(threads),
                        "--candidate",
                        name,
                        "--post",
                        args.post,
                    ],
                    log,
                )
                info = json.loads(stdout.strip().splitlines()[-1])
                label = "cold" if round_ == 0 else f"round {round_}"
                print(
                    f"  threads {threads} {name:<8} {label:<8} wall {wall:7.1f}  cpu {cpu:7.1f}  "
                    f"audio {info['audio_s']:6.1f} s  x{info['audio_s'] / wall:5.2f} wall  "
                    f"x{info['audio_s'] / cpu:5.2f} cpu  (import {info['import_s']:.1f}, load "
                    f"{info['load_s']:.1f}, first chunk {info['first_chunk_s']:.1f})",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "worker", "process"):
        p = sub.add_parser(name)
        p.add_argument("model", help="folder with config.json, one .pth and voices/*.pt")
        p.add_argument("chunks", help="JSON list of {post, phonemes}")
        p.add_argument("--voice", default="jf_alpha")
        p.add_argument("--speed", type=float, default=1.0)
        p.add_argument(
            "--scratch",
            type=Path,
            default=Path("/tmp/kokoro-cpu-engines"),
            help="compiled kernels, ONNX files and samples (outside the repo)",
        )
    run_parser, worker_parser, process_parser = (
        sub.choices[n] for n in ("run", "worker", "process")
    )
    run_parser.add_argument(
        "--threads", default="1,2", type=lambda s: [int(t) for t in s.split(",")]
    )
    run_parser.add_argument("--count", type=int, default=20, help="chunks in the sample")
    run_parser.add_argument("--rounds", type=int, default=2)
    run_parser.add_argument("--candidates", default=",".join(STEADY_CANDIDATES))
    run_parser.add_argument(
        "--sound-only", default=",".join(SOUND_ONLY), help="candidates in the first round only"
    )
    run_parser.add_argument(
        "--interop-every",
        type=int,
        default=3,
        help="interop1's own worker takes every Nth chunk of the sample (0: no such worker)",
    )
    run_parser.add_argument("--post", default="medium-guide", help="'' for none")
    run_parser.add_argument("--process-candidates", default=",".join(PROCESS_CANDIDATES))
    run_parser.add_argument(
        "--process-rounds",
        type=int,
        default=2,
        help="warm rounds of whole processes after the cold one",
    )
    run_parser.add_argument(
        "--reuse", action="store_true", help="read finished workers' results from --scratch"
    )
    worker_parser.add_argument("--threads", type=int, required=True)
    worker_parser.add_argument("--interop", type=int)
    worker_parser.add_argument("--count", type=int, required=True)
    worker_parser.add_argument("--rounds", type=int, required=True)
    worker_parser.add_argument("--candidates", required=True)
    worker_parser.add_argument("--out", required=True)
    worker_parser.add_argument("--sound-only", default="")
    worker_parser.add_argument("--every", type=int, default=1, help="every Nth chunk of the sample")
    process_parser.add_argument("--threads", type=int, required=True)
    process_parser.add_argument("--candidate", required=True)
    process_parser.add_argument("--post", required=True)
    args = parser.parse_args()
    {"run": run, "worker": worker, "process": process}[args.command](args)


if __name__ == "__main__":
    main()
