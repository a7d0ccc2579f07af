#!/usr/bin/env python3
"""Batched synthesis against the plain loop: speed, memory and the same-samples checks.

    # once, where misaki is installed: the corpus's chunks as phonemes
    python bench/batched.py chunks bench/data/corpus-chunks.json
    # anywhere kokoro is: a model folder (config.json, one .pth, voices/*.pt) and the chunks
    python bench/batched.py run MODEL_DIR bench/data/corpus-chunks.json --device cuda
    # where the time goes: budgets, eager against compiled elementwise passes, bf16, and a
    # torch.profiler table of the kernels (--profile-fused: of the compiled forward)
    python bench/batched.py profile MODEL_DIR bench/data/corpus-chunks.json --device cuda \
        --other-frames 16384 --profile-chunks 80 --rows 40
    # whether a chunk's samples depend on anything but the chunk: runs, orders, batch-mates,
    # compiled or not, and (--save, then --against in a second process) kernels from the cache,
    # first called on other shapes (--first longest), and the same eager
    python bench/batched.py same MODEL_DIR bench/data/corpus-chunks.json --device cuda --fused \
        --save /tmp/first.json
    python bench/batched.py same MODEL_DIR bench/data/corpus-chunks.json --device cuda --fused \
        --reference-only --against /tmp/first.json --first longest
    # no model: the decoder's padded frames if the prefill went through the posts in waves, and
    # the audio and encodings the prefill holds at once
    python bench/batched.py waves BUILD/results/phonemes --wave-chunks 0,1024,512,256

`run` synthesizes the chunks (a) with KModel one at a time, the model loaded once and each chunk
seeded as the engine seeds it, cut after --plain-seconds, and (b) with BatchedKokoro at each
budget, and prints for each: chunks, seconds of audio, wall seconds, times real time, ms a chunk,
peak GPU memory. Then: a sample of chunks synthesized alone against the same chunks inside the
full batched run (bitwise equal, or the largest difference), batched against KModel on the
chunks both made, and optionally the compiled elementwise passes (--fused: compile time, speed,
the same checks, the difference from eager) and the bf16 mode. Both sides run with deterministic
cuDNN and torch's default TF32 settings (on for convolutions), as the pipeline runs them.

On the GPU machine, which has no kokoro, loguru or misaki: kokoro and loguru as wheels, misaki
replaced by stand-ins (KModel never calls it), the model from bench/gpu_model.py.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
import types
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# the real model's: its decoder doubles the frames and its generator upsamples 300 times
SAMPLES_PER_FRAME = 600
sys.path.insert(0, str(REPO / "workflow"))


def make_chunks(out: Path, target: int) -> None:
    """Phonemize every corpus post as the pipeline does; write the unique chunks."""
    from kokoro_narrate import phonemes, script

    chunks = []
    for path in sorted(glob.glob(str(REPO / "corpus" / "*.md"))):
        post = script.parse_post(Path(path).read_bytes(), path)
        lang = "e" if post.lang == "es" else "a"
        paragraphs = [vars(p) for p in post.paragraphs]
        for chunk in phonemes.phonemize_script(paragraphs, phonemes.G2P(lang), target):
            chunks.append({"post": Path(path).stem, "lang": lang, "phonemes": chunk.phonemes})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(chunks, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    lengths = [len(c["phonemes"]) for c in chunks]
    print(f"{len(chunks)} chunks, {sum(lengths)} phonemes, longest {max(lengths)}: {out}")


def stand_in(attr: str):
    """Any class a type hint of kokoro's pipeline names (en.MToken, ...), nothing else."""
    if attr.startswith("__"):
        raise AttributeError(attr)
    return type(attr, (), {})


def import_kokoro():
    """kokoro's package imports misaki for KPipeline; KModel needs none of it."""
    try:
        import misaki.en  # noqa: F401
    except ImportError:  # the GPU machine has no misaki: stand-ins for pipeline.py's names
        misaki = types.ModuleType("misaki")
        for name in ("en", "espeak"):
            module = types.ModuleType(f"misaki.{name}")
            module.__getattr__ = stand_in
            setattr(misaki, name, module)
            sys.modules[f"misaki.{name}"] = module
        sys.modules["misaki"] = misaki
    from kokoro import KModel

    return KModel


def load_model(model_dir: str, device):
    """KModel from a model folder (config.json, one .pth, voices/*.pt) on `device`, and the voice
    packs, sorted by name."""
    import torch

    KModel = import_kokoro()
    folder = Path(model_dir)
    (weights,) = glob.glob(str(folder / "*.pth"))
    torch.manual_seed(0)
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=str(folder / "config.json"), model=weights)
    packs = [torch.load(v, weights_only=True) for v in sorted(glob.glob(str(folder / "voices/*")))]
    return model.to(device).eval(), packs


def peak_gb(torch, device) -> str:
    if device.type != "cuda":
        return "n/a"
    allocated = torch.cuda.max_memory_allocated(device) / 2**30
    return f"{allocated:.2f} (reserved {torch.cuda.max_memory_reserved(device) / 2**30:.2f})"


def reset_peak(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()  # so that the reserved peak is this run's
        torch.cuda.reset_peak_memory_stats(device)


def report(name, entries, seconds, peak) -> None:
    audio_s = sum(len(e.audio) for e in entries) / 24_000
    print(
        f"{name:<22} chunks {len(entries):5d}  audio {audio_s:8.1f} s  wall {seconds:7.2f} s  "
        f"x{audio_s / seconds:7.1f} real time  {1000 * seconds / len(entries):7.1f} ms/chunk  "
        f"peak GPU {peak} GiB",
        flush=True,
    )


def difference(a: np.ndarray, b: np.ndarray) -> str:
    if len(a) != len(b):
        return f"lengths {len(a)} != {len(b)}"
    if np.array_equal(a, b):
        return "bitwise equal"
    return f"max abs diff {np.abs(a - b).max():.3g}"


def run(args) -> None:
    import torch
    import transformers

    from kokoro_narrate.batched import BatchedKokoro, Item, deterministic_cuda
    from kokoro_narrate.cache import Entry

    started = time.monotonic()

    def left() -> float:
        return args.time_limit - (time.monotonic() - started)

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model, packs = load_model(args.model, device)
    chunks = json.loads(Path(args.chunks).read_text(encoding="utf-8"))
    chunks = (chunks * args.repeat)[: args.limit or None]
    # each chunk a voice and a seed of its own, as a post's chunks in several voices would be
    items = []
    for n, chunk in enumerate(chunks):
        ps = chunk["phonemes"]
        items.append(Item(ps, packs[n % len(packs)][len(ps) - 1], args.speed, 1_000_003 * n + 7))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"device {name}; torch {torch.__version__}; transformers {transformers.__version__}; "
        f"{len(items)} chunks, {sum(len(i.phonemes) for i in items)} phonemes",
        flush=True,
    )

    def plain(chunk_items):
        out = []
        for item in chunk_items:
            torch.manual_seed(item.seed)
            with torch.inference_mode():
                o = model(item.phonemes, item.ref_s, item.speed, return_output=True)
            out.append(Entry(o.audio.numpy(), o.pred_dur.reshape(-1).tolist()))
        return out

    def timed(fn, chunk_items):
        reset_peak(torch, device)
        t = time.monotonic()
        out = fn(chunk_items)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return out, time.monotonic() - t, peak_gb(torch, device)

    # (a) the plain loop first, cut at --plain-seconds: its rate is the number to compare, and
    # what it made is KModel's side of the comparison below
    if device.type == "cuda":
        deterministic_cuda()  # for both sides, as BatchedKokoro sets it
    plain(items[:2])  # warm-up
    deadline = time.monotonic() + args.plain_seconds
    slow, t = [], time.monotonic()
    reset_peak(torch, device)
    for item in items:
        slow += plain([item])
        if time.monotonic() > deadline:
            break
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    report("plain KModel loop", slow, time.monotonic() - t, peak_gb(torch, device))

    # (b) the batched class, at each budget; the first one's output is the reference below
    runs, first_seconds = {}, 0.0
    for budget in args.max_frames:
        if runs and left() < 2.5 * first_seconds:
            print(f"max_frames {budget} skipped: out of time", flush=True)
            continue
        batched = BatchedKokoro(model, max_frames=budget)  # deterministic cuDNN, for KModel too
        batched.synthesize(items[:2])  # warm-up: kernels, cuDNN heuristics, allocator
        out, seconds, peak = timed(batched.synthesize, items)
        report(f"batched fp32 {budget}", out, seconds, peak)
        print(f"  mode: {batched.mode}", flush=True)
        part = sum(len(e.audio) for e in out[: len(slow)]) / 24_000
        print(f"  the plain loop's {len(slow)} chunks: {part:.1f} s of audio", flush=True)
        if not runs:
            reference, first, first_seconds = batched, out, seconds
        else:
            same = sum(np.array_equal(a.audio, b.audio) for a, b in zip(out, first, strict=True))
            print(f"  vs max_frames {args.max_frames[0]}: {same}/{len(out)} bitwise equal")
        runs[budget] = out
    frames = sum(sum(e.frames) for e in first)
    tokens = sum(len(e.frames) for e in first)
    print(f"frames {frames}, tokens {tokens}: {frames / tokens:.2f} frames a token", flush=True)

    # alone versus inside the full run: chunks of several lengths, each in a call of its own
    rng = np.random.default_rng(0)
    sample = sorted(rng.choice(len(items), size=min(args.alone, len(items)), replace=False))
    verdicts = []
    for n in sample:
        (entry,) = reference.synthesize([items[n]])
        verdicts.append(difference(entry.audio, first[n].audio))
        print(
            f"  chunk {n:5d} ({len(items[n].phonemes)} phonemes, {sum(entry.frames)} frames): "
            f"alone vs in the full run: {verdicts[-1]}; durations equal "
            f"{entry.frames == first[n].frames}",
            flush=True,
        )
    equal = sum(v == "bitwise equal" for v in verdicts)
    print(f"alone vs in batch: {equal}/{len(sample)} bitwise equal", flush=True)

    # batched against KModel on the chunks both made
    diffs, tail, same_dur = [], [], 0
    for a, b in zip(first, slow, strict=False):
        same_dur += a.frames == b.frames
        if len(a.audio) == len(b.audio):
            d = np.abs(a.audio - b.audio)
            diffs.append(d.max())
            tail.append(d[2400:].max() if len(d) > 2400 else 0.0)
    if diffs:
        print(
            f"batched vs KModel on {len(slow)} chunks: durations equal on {same_dur}; "
            f"max abs diff median {np.median(diffs):.3g}, max {max(diffs):.3g}; "
            f"after the first 4 frames median {np.median(tail):.3g}, max {max(tail):.3g}",
            flush=True,
        )
        # a few chunks can differ widely where KModel itself is chaotic (the phase of a real-valued
        # STFT bin is +pi or -pi by the sign of a rounding error): say how many
        print(
            "  chunks whose max abs diff exceeds 1e-4 / 1e-3 / 1e-2: "
            + " / ".join(str(sum(d > limit for d in diffs)) for limit in (1e-4, 1e-3, 1e-2)),
            flush=True,
        )

    if args.fused and left() > first_seconds * 2 + 60:
        fused_run(args, reference, first, items, sample, timed)
    elif args.fused:
        print("fused skipped: out of time")

    if args.bf16 and left() > first_seconds * 0.8 + 5:
        half = BatchedKokoro(model, max_frames=args.max_frames[0], bf16=True)
        half.synthesize(items[:2])
        low, seconds, peak = timed(half.synthesize, items)
        report("batched bf16", low, seconds, peak)
        print(f"  mode: {half.mode}")
        versus("bf16 vs fp32", low, first)
        (entry,) = half.synthesize([items[sample[0]]])
        print(f"  bf16 alone vs in batch: {difference(entry.audio, low[sample[0]].audio)}")
    elif args.bf16:
        print("bf16 skipped: out of time")
    print(f"total {time.monotonic() - started:.0f} s")


def fused_run(args, eager, eager_out, items, sample, timed) -> None:
    """The compiled elementwise passes (synthesis.compile) against the eager forward: compile
    time, speed, the same bytes twice and alone against in batch, and the difference."""
    from kokoro_narrate.batched import BatchedKokoro

    fused = BatchedKokoro(eager.model, max_frames=eager.max_frames, fused=True)
    t = time.monotonic()
    fused.synthesize(items[:2])
    print(f"fused: compile and first call {time.monotonic() - t:.1f} s", flush=True)
    fused.synthesize(items[:60])  # the buckets' shapes: any recompiles happen here
    out, seconds, peak = timed(fused.synthesize, items)
    report(f"batched fp32 {eager.max_frames} fused", out, seconds, peak)
    print(f"  mode: {fused.mode}", flush=True)
    again, seconds, peak = timed(fused.synthesize, items)
    report(f"batched fp32 {eager.max_frames} fused", again, seconds, peak)
    same = sum(np.array_equal(a.audio, b.audio) for a, b in zip(out, again, strict=True))
    print(f"  two runs: {same}/{len(out)} bitwise equal", flush=True)
    alone = [difference(fused.synthesize([items[n]])[0].audio, out[n].audio) for n in sample]
    equal = sum(v == "bitwise equal" for v in alone)
    print(f"  fused alone vs in batch: {equal}/{len(sample)} bitwise equal", flush=True)
    versus("fused vs eager", out, eager_out)


def versus(label: str, ours, theirs) -> None:
    """Durations and the largest sample difference per chunk of two runs over the same chunks."""
    pairs = list(zip(ours, theirs, strict=True))
    err = [np.abs(a.audio - b.audio).max() for a, b in pairs if len(a.audio) == len(b.audio)]
    print(
        f"  {label}: durations equal on {sum(a.frames == b.frames for a, b in pairs)}/"
        f"{len(pairs)}; max abs diff median {np.median(err):.3g}, max {max(err):.3g}",
        flush=True,
    )


def profile(args) -> None:
    """Where the batched forward spends its time on a device, and what settings would change."""
    import torch
    from torch.profiler import ProfilerActivity, record_function
    from torch.profiler import profile as torch_profile

    from kokoro_narrate.batched import BatchedKokoro, Item

    device = torch.device(args.device)
    model, packs = load_model(args.model, device)
    chunks = json.loads(Path(args.chunks).read_text(encoding="utf-8"))[: args.limit or None]
    items = [
        Item(c["phonemes"], packs[n % len(packs)][len(c["phonemes"]) - 1], 1.0, 7 + n)
        for n, c in enumerate(chunks)
    ]
    print(
        f"device {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}; "
        f"torch {torch.__version__}; {len(items)} chunks",
        flush=True,
    )
    for name in ("_stage1", "_f0n", "_decoder", "_source", "_generator"):
        method = getattr(BatchedKokoro, name)

        def labelled(self, *a, _method=method, _name=name, **k):
            with record_function(_name):
                return _method(self, *a, **k)

        setattr(BatchedKokoro, name, labelled)

    def run(label, engine, repeat=1):
        engine.synthesize(items[:3])  # warm-up
        outs = []
        for _ in range(repeat):
            if device.type == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            t = time.monotonic()
            outs.append(engine.synthesize(items))
            if device.type == "cuda":
                torch.cuda.synchronize()
            report(label, outs[-1], time.monotonic() - t, peak_gb(torch, device))
        return outs

    for fused in (False, True) if args.settings else ():
        label = "fp32 fused" if fused else "fp32 eager"
        outs = run(label, BatchedKokoro(model, max_frames=args.frames, fused=fused), 2)
        same = sum(np.array_equal(a.audio, b.audio) for a, b in zip(*outs, strict=True))
        print(f"  two runs: {same}/{len(items)} bitwise equal", flush=True)
        for frames in args.other_frames:
            run(f"{label} {frames}", BatchedKokoro(model, max_frames=frames, fused=fused))
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    engine = BatchedKokoro(model, max_frames=args.frames, fused=args.profile_fused)
    engine.synthesize(items[: args.profile_chunks])  # warm-up: compiles, cuDNN, the allocator
    with torch_profile(activities=activities) as prof:
        t = time.monotonic()
        out = engine.synthesize(items[: args.profile_chunks])
        if device.type == "cuda":
            torch.cuda.synchronize()
    report("profiled" + " fused" * args.profile_fused, out, time.monotonic() - t, "n/a")
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=args.rows, max_name_column_width=40))


def waves(args) -> None:
    """What the prefill's waves (config synthesis.wave_chunks) cost the GPU: the frames the decoder
    stage pads its batches to (dummy rows cost as much as real ones), each wave planned by the
    prefill's own `next_wave` (no job waiting: the build's order), sorted by length and cut in its
    slices, against one wave, from a build's phoneme files and the real model's pace; and the
    largest amount of audio the prefill holds at once."""
    import math

    from kokoro_narrate.batched import DEFAULT_MAX_FRAMES, bucket, rows_for
    from kokoro_narrate.phonemes import read_chunks
    from kokoro_narrate.synthesis import SLICE, next_wave

    posts = [  # (frames, tokens) of each chunk: Kokoro reads its phonemes and two boundaries
        {
            (f, n): (
                round(args.frames_per_token * (len(chunk.phonemes) + 2)),
                len(chunk.phonemes) + 2,
            )
            for n, chunk in enumerate(read_chunks(f))
        }
        for f in sorted(Path(args.phonemes).rglob("*.jsonl"))
    ]
    frames = sum(length for post in posts for length, _ in post.values())
    print(f"{len(posts)} phoneme files, {sum(map(len, posts))} chunks, {frames} frames")

    held = {"slice": 0, "batch": 0, "tokens": 0}  # the largest of each, in frames or tokens

    def padded(order: list[tuple[int, int]]) -> tuple[int, int]:
        work = batches = 0
        for first in range(0, len(order), SLICE["batched"]):
            part = [length for length, _ in order[first : first + SLICE["batched"]]]
            held["slice"] = max(held["slice"], sum(part))
            tokens = sum(t for _, t in order[first : first + SLICE["batched"]])
            held["tokens"] = max(held["tokens"], tokens)
            groups: dict[int, list[int]] = {}
            for length in part:
                groups.setdefault(bucket(length, 32), []).append(length)
            for size, members in groups.items():
                rows = rows_for(size, DEFAULT_MAX_FRAMES)
                batches += math.ceil(len(members) / rows)
                work += math.ceil(len(members) / rows) * rows * size
                for start in range(0, len(members), rows):
                    held["batch"] = max(held["batch"], sum(members[start : start + rows]))
        return work, batches

    base = None
    for size in args.wave_chunks:
        left, work, batches, count = list(posts), 0, 0, 0
        while left:
            wave = next_wave(left, set(), size)
            w, b = padded(sorted(wave.values()))
            work, batches, count = work + w, batches + b, count + 1
            left = [post for post in left if post.keys().isdisjoint(wave)]
        base = base or work
        print(
            f"waves of {size or 'all'} chunks: {count} waves, {batches} decoder batches, "
            f"{frames / work:.3f} of the padded frames real, {work / base:.3f}x the padded "
            f"frames of waves of {args.wave_chunks[0] or 'all'}"
        )
    # what the prefill holds in memory besides the model: the audio of the chunks it has made
    # and not yet cached (float32), and the stage-1 encodings of a slice (float32 [tokens, 640]
    # and [tokens, 512] in the real model) until its chunks are decoded
    mb = 4 * SAMPLES_PER_FRAME / 2**20
    print(
        f"audio held at once: the largest slice's {held['slice'] * mb:.0f} MB when a slice is "
        f"cached together, the largest decoder batch's {held['batch'] * mb:.0f} MB when each "
        f"batch is cached as it comes; stage-1 encodings of the largest slice "
        f"{held['tokens'] * 4 * (640 + 512) / 2**20:.0f} MB"
    )


def nondeterministic_ops(run) -> tuple[list[str], object]:
    """The ops of `run()` that torch itself calls nondeterministic (use_deterministic_algorithms
    in its warn-only mode names each as it runs, and swaps in the deterministic version where it
    has one), and what `run()` returned that way. The mode is off again afterwards. Its CUDA
    alerts end in 'does not have a deterministic implementation'; the names go on one line here,
    not as warnings (gpu_kit's session drops torch's warning lines)."""
    import warnings

    import torch

    fills = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True, warn_only=True)
    # the mode would also fill every new tensor with NaN: time, and nothing to do with the bits
    torch.utils.deterministic.fill_uninitialized_memory = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = run()
    finally:
        torch.use_deterministic_algorithms(False)
        torch.utils.deterministic.fill_uninitialized_memory = fills
    names = set()
    for message in (str(w.message) for w in caught):
        if "does not have a deterministic implementation" in message:
            names.add(message.split(" does not have")[0].strip())
        elif "CuBLAS" in message:  # deterministic only with CUBLAS_WORKSPACE_CONFIG set
            names.add("cuBLAS without CUBLAS_WORKSPACE_CONFIG")
    return sorted(names), out


def same(args) -> None:
    """Whether a chunk's samples depend on anything but the chunk, on one device: each chunk's
    stage-1 encodings and samples after the same run again, the chunks in another order (other
    batch-mates, other rows), in two halves, alone, uncompiled and with torch's deterministic
    algorithms (naming the ops torch calls nondeterministic); with --against, this
    process's run against another process's, compiled (a cold compile against kernels from the
    cache, as two builds meet them; with --first longest, first called on other shapes, as a
    build's timing may have it) and eager (what differs between processes without a compile)."""
    import hashlib

    import torch

    from kokoro_narrate.batched import DEFAULT_MAX_FRAMES, BatchedKokoro, Item

    started = time.monotonic()
    budget = args.max_frames or DEFAULT_MAX_FRAMES
    model, packs = load_model(args.model, torch.device(args.device))
    chunks = json.loads(Path(args.chunks).read_text(encoding="utf-8"))[: args.limit or None]
    items = []
    for n, chunk in enumerate(chunks):
        ps = chunk["phonemes"]
        items.append(Item(ps, packs[n % len(packs)][len(ps) - 1], 1.0, 1_000_003 * n + 7))
    batched = BatchedKokoro(model, max_frames=budget, fused=args.fused)
    eager = BatchedKokoro(model, max_frames=budget) if args.fused else batched
    # the compiler's first call sees the first chunks' shapes, which a build's timing chooses:
    # another process can start on others (--first longest)
    first = items[:2]
    if args.first == "longest":
        first = sorted(items, key=lambda item: -len(item.phonemes))[:2]
    t = time.monotonic()
    batched.synthesize(first)
    print(
        f"{batched.mode}; {len(items)} chunks; first call ({args.first} chunks) "
        f"{time.monotonic() - t:.1f} s"
    )

    def made(order, engine=batched):
        """Each chunk's Entry, in the chunks' order, synthesized in `order`."""
        out = dict(zip(order, engine.synthesize([items[n] for n in order]), strict=True))
        return [out[n] for n in sorted(out)]

    def encoded(order):
        tokens = dict(zip(order, batched.encode([items[n] for n in order]), strict=True))
        return [torch.cat([tokens[n].d.flatten(), tokens[n].t_en.flatten()]) for n in order]

    def compare(label, ours, theirs):
        pairs = list(zip(ours, theirs, strict=False))
        equal = sum(np.array_equal(a.audio, b.audio) for a, b in pairs)
        durations = sum(a.frames == b.frames for a, b in pairs)
        err = max(
            (np.abs(a.audio - b.audio).max() for a, b in pairs if len(a.audio) == len(b.audio)),
            default=float("nan"),  # every length differs: the durations line says so
        )
        print(
            f"{label:<34} samples bitwise equal {equal:3d}/{len(pairs)}, durations equal "
            f"{durations:3d}/{len(pairs)}, max abs diff {err:.3g}",
            flush=True,
        )

    order = list(range(len(items)))
    t = time.monotonic()
    reference = made(order)
    print(f"one run: {time.monotonic() - t:.1f} s", flush=True)
    if not args.reference_only:
        shuffled = [int(n) for n in np.random.default_rng(1).permutation(len(items))]
        first = encoded(order)
        for label, other in (("stage 1 again", order), ("stage 1 shuffled", shuffled)):
            again = dict(zip(other, encoded(other), strict=True))
            equal = sum(torch.equal(first[n], again[n]) for n in order)
            print(f"{label:<34} encodings bitwise equal {equal:3d}/{len(items)}", flush=True)
        compare("again", made(order), reference)
        compare("shuffled", made(shuffled), reference)
        halves = made(order[::2]) + made(order[1::2])
        compare("in two halves (evens, odds)", halves, reference[::2] + reference[1::2])
        alone = [made([n])[0] for n in order[: args.alone]]
        compare("alone", alone, reference)
        if args.fused:
            uncompiled = made(order, eager)
            compare("uncompiled", uncompiled, reference)
        flagged, strict = nondeterministic_ops(lambda: made(order))
        print(f"ops torch lists as nondeterministic: {', '.join(flagged) or 'none'}", flush=True)
        compare("torch's deterministic algorithms", strict, reference)

    def digests(entries):
        return [hashlib.sha256(e.audio.tobytes()).hexdigest() for e in entries]

    # by how the chunks were made: compiled or eager, so that another process tells a compile
    # (cold there, from the cache here) from what differs between processes either way
    ours = {"compiled" if args.fused else "eager": digests(reference)}
    if args.fused and (args.against or args.save):
        if args.reference_only:
            uncompiled = made(order, eager)
        ours["eager"] = digests(uncompiled)
    if args.against:
        theirs = json.loads(Path(args.against).read_text(encoding="utf-8"))
        for how in sorted(ours.keys() & theirs.keys()):
            equal = sum(a == b for a, b in zip(ours[how], theirs[how], strict=True))
            print(
                f"{how} against {args.against}'s: samples bitwise equal {equal}/{len(items)}",
                flush=True,
            )
    if args.save:
        Path(args.save).write_text(json.dumps(ours), encoding="utf-8")
    print(f"total {time.monotonic() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    chunks = sub.add_parser("chunks", help="phonemize corpus/ into a chunk file")
    chunks.add_argument("out", type=Path)
    chunks.add_argument("--target", type=int, default=300, help="chunking.target_phonemes")
    bench = sub.add_parser("run", help="time the plain loop and the batched class")
    bench.add_argument("model", help="folder with config.json, one .pth and voices/*.pt")
    bench.add_argument("chunks", help="JSON list of {phonemes: ...}")
    bench.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    bench.add_argument("--max-frames", help="budgets, comma-separated (default: the class's)")
    bench.add_argument("--repeat", type=int, default=1, help="the chunk list this many times")
    bench.add_argument("--limit", type=int, default=0, help="only the first N chunks")
    bench.add_argument("--speed", type=float, default=1.0)
    bench.add_argument("--threads", type=int, default=1)
    bench.add_argument("--plain-seconds", type=float, default=1e9, help="cut the plain loop")
    bench.add_argument("--time-limit", type=float, default=1e9, help="skip what would not fit")
    bench.add_argument("--alone", type=int, default=8, help="chunks checked alone vs in batch")
    bench.add_argument("--bf16", action="store_true", help="also the bf16 autocast mode")
    bench.add_argument("--fused", action="store_true", help="also the compiled passes")
    prof = sub.add_parser("profile", help="settings and a torch.profiler table")
    prof.add_argument("model")
    prof.add_argument("chunks")
    prof.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    prof.add_argument("--limit", type=int, default=0, help="only the first N chunks")
    prof.add_argument("--frames", type=int, default=8192)
    prof.add_argument(
        "--other-frames", type=lambda v: [int(f) for f in v.split(",") if f], default=[]
    )
    prof.add_argument("--profile-chunks", type=int, default=60)
    prof.add_argument("--rows", type=int, default=30)
    prof.add_argument("--profile-fused", action="store_true", help="profile the compiled passes")
    prof.add_argument(
        "--no-settings",
        dest="settings",
        action="store_false",
        help="only the profile, not the timed eager and compiled runs before it",
    )
    check = sub.add_parser("same", help="a chunk's samples in other runs, orders and batches")
    check.add_argument("model")
    check.add_argument("chunks")
    check.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    check.add_argument("--limit", type=int, default=0, help="only the first N chunks")
    check.add_argument("--max-frames", type=int, help="the budget (default: the class's)")
    check.add_argument("--alone", type=int, default=6, help="chunks synthesized alone")
    check.add_argument("--fused", action="store_true", help="the compiled passes, as builds run")
    check.add_argument("--save", help="write this run's per-chunk digests here (JSON)")
    check.add_argument("--reference-only", action="store_true", help="one run, no other checks")
    check.add_argument("--against", help="compare with digests another process saved")
    check.add_argument(
        "--first",
        choices=("first", "longest"),
        default="first",
        help="the chunks of the first call, which the compiler first sees",
    )
    wave = sub.add_parser("waves", help="the decoder's padding with the prefill's waves")
    wave.add_argument("phonemes", help="a build's results/phonemes folder")
    wave.add_argument(
        "--wave-chunks",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[0, 1024, 512, 256],
        help="wave sizes (config synthesis.wave_chunks; 0: one wave), the first the reference",
    )
    wave.add_argument("--frames-per-token", type=float, default=2.49, help="the real model's")
    args = parser.parse_args()
    if args.command == "waves":
        waves(args)
        return
    if args.command == "same":
        same(args)
        return
    if args.command == "profile":
        profile(args)
        return
    if args.command == "chunks":
        make_chunks(args.out, args.target)
    else:
        from kokoro_narrate.batched import DEFAULT_MAX_FRAMES

        args.max_frames = [int(b) for b in (args.max_frames or str(DEFAULT_MAX_FRAMES)).split(",")]
        run(args)


if __name__ == "__main__":
    main()
