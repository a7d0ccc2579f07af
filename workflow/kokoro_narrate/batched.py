"""Kokoro-82M over many chunks at once, each chunk's samples independent of its batch-mates.

`KModel` takes one chunk at a time. `BatchedKokoro` runs the same modules and weights over
batches, and keeps the rule the chunk cache relies on (same key, same samples) by construction:
every tensor shape an item meets depends only on the item's own length bucket, never on which
items share its batch or where it sits in it. A kernel given the same shapes computes each row
the same way, so the item's samples are the same bits alone or in any batch.

Two stages, each bucketed:
1. tokens (ALBERT, bert_encoder, the duration encoder and LSTM, the text encoder): items grouped
   by a token-length bucket; durations come out here.
2. frames (F0 and energy curves, decoder, generator): items regrouped by a frame-length bucket.
Each batch is padded to a row count that depends only on its bucket, with dummy rows.

Padding must not leak into valid frames, so the masked parts of kokoro's forward are written here
over its modules: attention masks; LSTMs run without packing (packing makes each step's shape
depend on the other rows' lengths), the forward direction on left-aligned rows and the backward
direction on right-aligned rows; instance norms over valid frames only; padded frames zeroed
before every convolution; the harmonic source's STFT and the final iSTFT per item. The noise that
kokoro draws comes from a generator per item, seeded with the item's seed and drawn with the
item's own unpadded shapes, in kokoro's order, so on the CPU the draws equal KModel's after
`torch.manual_seed(seed)`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from .cache import Entry
from .engine import BATCH_SCHEME, fused_mode

# Bumped (in engine.py, which builds the cache key without importing torch) when the buckets, the
# rows per bucket or the masked forward change, so the chunk cache never mixes two schemes.
SCHEME = BATCH_SCHEME
# Frames per stage-2 batch (a frame is 600 samples, 25 ms); stage 1 takes half as many tokens.
# On an H200 with the full-size model (bench/gpu_model.py), 882 corpus chunks: 4096 frames gave
# 245x real time at 2.06 GiB peak allocated, 8192 255x at 3.55 GiB, 16384 265x at 6.53 GiB. The
# GPU is busy by 4096; 8192 stays far inside a 12 GB card. Measured with
#   python bench/gpu_model.py /tmp/model
#   python bench/batched.py run /tmp/model bench/data/corpus-chunks.json --device cuda \
#       --repeat 6 --max-frames 8192,16384,4096 --plain-seconds 60 --bf16 --time-limit 230
DEFAULT_MAX_FRAMES = 8192
# Dummy rows cost as much as real ones: a cap on the rows of a batch bounds the waste of a
# bucket's last, partly filled batch when its items are short.
MAX_ROWS = 64
BUCKET_RATIO = 2**0.25  # a padded item is at most 19% longer than the item


class Item(NamedTuple):
    phonemes: str
    ref_s: torch.Tensor  # [1, 256]: the voice pack row pack[len(phonemes) - 1]
    speed: float
    seed: int


def bucket(n: int, quantum: int, cap: int | None = None) -> int:
    """The smallest edge >= n of a geometric series of multiples of `quantum`, at most `cap`."""
    edge = quantum
    while edge < n:
        edge = quantum * math.ceil(edge * BUCKET_RATIO / quantum)
    return edge if cap is None else max(n, min(edge, cap))


def rows_for(size: int, budget: int) -> int:
    return max(1, min(MAX_ROWS, budget // size))


def lengths_mask(lengths: list[int], size: int, device) -> torch.Tensor:
    """[rows, 1, size], True on each row's valid frames."""
    lengths = torch.tensor(lengths, device=device)
    return (torch.arange(size, device=device)[None, :] < lengths[:, None])[:, None, :]


def conv_len(conv, n: int) -> int:
    (k,), (s,), (p,), (d,) = conv.kernel_size, conv.stride, conv.padding, conv.dilation
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_transpose_len(conv, n: int) -> int:
    (k,), (s,), (p,), (d,) = conv.kernel_size, conv.stride, conv.padding, conv.dilation
    return (n - 1) * s - 2 * p + d * (k - 1) + conv.output_padding[0] + 1


def lstm(module: torch.nn.LSTM, x: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    """A bidirectional batch-first LSTM over [rows, time, in] with each row's own length.

    The forward direction reads left-aligned rows, which padding at the end cannot reach; the
    backward direction reads the same rows right-aligned, so it starts at each row's last valid
    frame. Both go through the module in one call of fixed shape; padded outputs are garbage.
    """
    rows, size, _ = x.shape
    with torch.autocast(x.device.type, enabled=False):
        x = x.float()
        shift = torch.tensor([size - n for n in lengths], device=x.device)[:, None]
        t = torch.arange(size, device=x.device)[None, :]
        # right-aligned: frame t holds frame t - shift (the wrapped-around frames are never read
        # by the backward direction before it has passed every valid frame)
        right_index = (t - shift) % size
        right = x.gather(1, right_index[:, :, None].expand_as(x))
        out, _ = module(torch.cat([x, right]))
        hidden = module.hidden_size
        forward = out[:rows, :, :hidden]
        left_index = (t + shift) % size
        backward = out[rows:, :, hidden:].gather(1, left_index[:, :, None].expand_as(forward))
        return torch.cat([forward, backward], dim=-1)


class Frames(NamedTuple):
    """The valid length of each row at one frame rate: as a padding mask and a count."""

    lengths: list[int]
    pad: torch.Tensor  # [rows, 1, size], True on padded frames
    count: torch.Tensor  # [rows, 1, 1] float, for the norms
    valid: torch.Tensor  # [rows, size, 1] float, 1 on valid frames: sums as matrix products

    @classmethod
    def of(cls, lengths: list[int], size: int, device) -> Frames:
        count = torch.tensor(lengths, dtype=torch.float32, device=device)[:, None, None]
        valid = lengths_mask(lengths, size, device)
        return cls(lengths, ~valid, count, valid.float().transpose(1, 2))

    def scaled(self, fn, size: int) -> Frames:
        return Frames.of([fn(n) for n in self.lengths], size, self.pad.device)


def norm_terms(norm, x: torch.Tensor, s: torch.Tensor, frames: Frames, ops: Pointwise):
    """kokoro's AdaIN1d up to its output: (centered x, scale, shift), its instance norm's
    statistics over valid frames only. The output is `centered * scale + shift`, which the caller
    fuses with its activation and mask (Pointwise).

    nn.InstanceNorm1d without running stats: biased variance and eps, then its affine weights and
    the style's (1 + gamma, beta), folded into one scale and shift per channel. The generator's
    tensors are the largest of the model and the passes over them, not its convolutions, bound
    the GPU's time (bench/batched.py profile): the valid frames' sum is a matrix product (no
    masked copy), the squares' sum a norm (no squared copy). On an H100 that made the forward 271x
    real time against 233x with a masked copy per statistic.
    """
    with torch.autocast(x.device.type, enabled=False):
        h = norm.fc(s.float())
        gamma, beta = torch.chunk(h.view(h.size(0), h.size(1), 1), chunks=2, dim=1)
        x = x.float().contiguous()  # the LSTMs' outputs come transposed: one layout, one kernel
        mean = torch.bmm(x, frames.valid) / frames.count
        centered = ops.centered(x, mean, frames.pad)
        var = torch.linalg.vector_norm(centered, dim=-1, keepdim=True).square_() / frames.count
        inorm = norm.norm
        scale = torch.rsqrt(var + inorm.eps)
        shift = torch.zeros_like(scale)
        if inorm.affine:
            scale = scale * inorm.weight[:, None]
            shift = inorm.bias[:, None]
        return centered, scale * (1 + gamma), shift * (1 + gamma) + beta


# The elementwise work between the norms' statistics and the convolutions, one function per run
# of passes. In eager torch each operation reads and writes the whole tensor; compiled
# (torch.compile, Triton kernels on a GPU) each function is one pass. Every output element is
# computed from its own inputs alone, so a compiled function keeps the rule that an item's samples
# do not depend on its batch-mates. Padded frames leave each function as zeros, as every
# convolution after them needs.


def centered(x: torch.Tensor, mean: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
    return (x - mean).masked_fill(pad, 0)


def norm_snake(centered, scale, shift, alpha, pad) -> torch.Tensor:
    """The norm's output through Snake1D, x + 1 / alpha * sin(alpha * x) ** 2, as kokoro's."""
    y = torch.addcmul(shift, centered, scale)
    return (y + (alpha * y).sin().square() * (1 / alpha)).masked_fill(pad, 0)


def norm_leaky(centered, scale, shift, slope: float, pad) -> torch.Tensor:
    y = torch.addcmul(shift, centered, scale)
    return F.leaky_relu(y, slope).masked_fill(pad, 0)


def leaky(x: torch.Tensor, slope: float, pad: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, slope).masked_fill(pad, 0)


class Pointwise:
    """The functions above, compiled or as they are.

    Compiled, each function meets a few variants (a batch of one row, bf16, the slopes) and
    compiles once for each. Past torch's limit of variants it would run the rest uncompiled, with
    other bits, and which chunks those are would depend on the build: the limit is raised far
    above the variants, and reaching it raises instead. The compiler works in this process: by
    default it starts a worker process per core, which took a synthesis job that claims one core
    to 10 GB of memory on a 16-core GPU machine.
    """

    def __init__(self, compiled: bool = False):
        if compiled:
            import torch._dynamo.config as dynamo
            import torch._inductor.config as inductor

            dynamo.recompile_limit = max(dynamo.recompile_limit, 64)
            dynamo.fail_on_recompile_limit_hit = True
            inductor.compile_threads = 1

        def build(fn):
            return _compiled(fn) if compiled else fn

        self.centered = build(centered)
        self.norm_snake = build(norm_snake)
        self.norm_leaky = build(norm_leaky)
        self.leaky = build(leaky)


class CompileFailed(RuntimeError):
    """torch.compile could not build or keep a fused pass."""


def _compiled(fn):
    """fn through torch.compile; a failure says what to do instead of torch's traceback alone."""
    from torch._dynamo.exc import TorchDynamoException

    fast = torch.compile(fn, dynamic=True, fullgraph=True)

    @functools.wraps(fn)
    def call(*args):
        try:
            return fast(*args)
        except TorchDynamoException as err:
            first_line = (str(err).strip().splitlines() or [""])[0]
            raise CompileFailed(
                f"torch.compile failed on the batched forward's {fn.__name__} pass: "
                f"{type(err).__name__}: {first_line}"
                "\nSet synthesis.compile: false in config/config.yaml to run the passes uncompiled "
                "(other chunk keys, the same sound), or give Triton what it needs: it builds its "
                "launcher with the system's C compiler (gcc or clang) on first use."
            ) from err

    return call


def add_(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a + b, written into a when a (a temporary) already has the sum's dtype."""
    return a.add_(b) if a.dtype == torch.promote_types(a.dtype, b.dtype) else a + b


_RSQRT2 = torch.rsqrt(torch.tensor(2))  # as AdainResBlk1d computes it


def adain_resblk(block, x: torch.Tensor, s: torch.Tensor, frames: Frames, ops: Pointwise):
    """kokoro's AdainResBlk1d, masked; returns the output and its frames (doubled by upsampling)."""
    out = frames
    slope = block.actv.negative_slope
    y = ops.norm_leaky(*norm_terms(block.norm1, x, s, frames, ops), slope, frames.pad)
    if block.upsample_type != "none":
        y = block.pool(y)
        out = frames.scaled(lambda n: conv_transpose_len(block.pool, n), y.shape[-1])
        y = y.masked_fill(out.pad, 0)
    y = block.conv1(y)
    y = ops.norm_leaky(*norm_terms(block.norm2, y, s, out, ops), slope, out.pad)
    y = block.conv2(y)
    shortcut = block.upsample(x)  # nearest neighbour: frames do not mix
    if block.learned_sc:
        shortcut = block.conv1x1(shortcut)
    return (y + shortcut) * _RSQRT2, out


def adain_resblock1(block, x: torch.Tensor, s: torch.Tensor, frames: Frames, ops: Pointwise):
    """kokoro's AdaINResBlock1 (the generator's resblocks), masked."""
    layers = zip(
        block.convs1,
        block.convs2,
        block.adain1,
        block.adain2,
        block.alpha1,
        block.alpha2,
        strict=True,
    )
    for c1, c2, n1, n2, a1, a2 in layers:
        # alpha detached from its Parameter: torch.compile builds a Parameter's shape into the
        # kernel, which would make one kernel per channel count
        xt = c1(ops.norm_snake(*norm_terms(n1, x, s, frames, ops), a1.detach(), frames.pad))
        xt = c2(ops.norm_snake(*norm_terms(n2, xt, s, frames, ops), a2.detach(), frames.pad))
        x = add_(xt, x)
    return x


class Tokens(NamedTuple):
    """What stage 1 leaves for stage 2 of one item (on the CPU, so long runs fit the GPU)."""

    pred_dur: torch.Tensor  # [tokens] long
    d: torch.Tensor  # [tokens, hidden + style]: the duration encoder's output
    t_en: torch.Tensor  # [tokens, hidden]: the text encoder's output


class BatchedKokoro:
    """Many chunks through one loaded `kokoro.KModel`, sharing its modules and weights.

    `synthesize(items)` returns one `Entry` per item (float32 audio at 24 kHz, Kokoro's per-token
    frame counts), in the items' order; `synthesize_each(items)` yields them a batch at a time.
    `mode` names everything that changes the samples beyond the model itself (device, torch,
    dtype, budget, scheme): put it into the chunk cache key.

        batched = BatchedKokoro(kmodel)  # a KModel already on its device
        entries = batched.synthesize([Item(ps, pack[len(ps) - 1], speed, seed) for ps in ...])

    `max_frames` bounds a batch, and with it the GPU memory; `bf16` runs under bfloat16
    autocast (norm statistics, LSTMs, the harmonic source and the STFTs stay fp32); `fused`
    compiles the elementwise passes (Pointwise) with torch.compile.
    """

    def __init__(
        self, model, max_frames: int = DEFAULT_MAX_FRAMES, bf16: bool = False, fused: bool = False
    ):
        self.model = model.eval()
        self.device = model.device
        self.max_frames = max_frames
        # ALBERT and the LSTMs over a token cost far less memory than the generator over a frame
        # (600 samples); a stage-1 batch of max_frames / 2 tokens stays well inside the budget
        self.max_tokens = max(1, max_frames // 2)
        self.bf16 = bf16
        gen = model.decoder.generator
        # the decoder doubles the frames, the generator's source runs at f0_upsamp's rate
        self.samples_per_frame = 2 * int(gen.f0_upsamp.scale_factor)
        if self.device.type == "cuda":
            deterministic_cuda()  # process-wide: KModel on the same GPU runs so too
            where = torch.cuda.get_device_name(self.device).replace(" ", "_")
        else:
            where = torch.backends.cpu.get_cpu_capability()  # AVX2 and AVX512 round differently
        self.ops = Pointwise(compiled=fused)
        self.mode = (
            f"batched-v{SCHEME} {self.device.type}:{where} torch{torch.__version__} "
            f"{'bf16' if bf16 else 'fp32'} frames{max_frames}{fused_mode() if fused else ''}"
        )

    def synthesize(self, items: list[Item]) -> list[Entry]:
        """One Entry per item, in the items' order."""
        made = dict(self.synthesize_each(items))
        return [made[n] for n in range(len(items))]

    @torch.inference_mode()
    def synthesize_each(self, items: list[Item]) -> Iterator[tuple[int, Entry]]:
        """(index, Entry) of every item, one decoder batch at a time as each is made: a caller
        that stores each entry before asking for the next holds one batch's audio at a time,
        not every item's (a slice of the longest chunks is hundreds of MB of audio)."""
        items = [Item(*item) for item in items]
        tokens: list[Tokens | None] = self.encode(items)
        frames = [int(t.pred_dur.sum()) for t in tokens]
        for size, group in self._batches(frames, 32, self.max_frames):
            batch = [tokens[n] for n in group]
            waves = self._stage2(batch, [items[n] for n in group], size)
            for n, wave, tok in zip(group, waves, batch, strict=True):
                tokens[n] = None  # its encodings are spent
                yield n, Entry(wave, tok.pred_dur.tolist())

    @torch.inference_mode()
    def encode(self, items: list[Item]) -> list[Tokens]:
        """Stage 1: each item's durations and token encodings, in the items' order."""
        vocab, context = self.model.vocab, self.model.context_length
        ids = []
        for item in items:
            found = [vocab[p] for p in item.phonemes if p in vocab]
            if len(found) + 2 > context:
                raise ValueError(f"{len(found)} tokens: Kokoro reads at most {context - 2}")
            ids.append([0, *found, 0])
        tokens = [None] * len(items)
        # ALBERT has position embeddings up to its context length only
        token_batches = self._batches([len(i) for i in ids], 16, self.max_tokens, context)
        for size, group in token_batches:
            for n, out in zip(
                group, self._stage1([ids[n] for n in group], items, group, size), strict=True
            ):
                tokens[n] = out
        return tokens

    def _batches(self, lengths: list[int], quantum: int, budget: int, cap: int | None = None):
        """(padded size, item indices) per batch: items grouped by the bucket of their length,
        at most rows_for(size) per batch, in the items' order."""
        groups: dict[int, list[int]] = {}
        for n, length in enumerate(lengths):
            groups.setdefault(bucket(length, quantum, cap), []).append(n)
        for size in sorted(groups):
            rows = rows_for(size, budget)
            members = groups[size]
            for start in range(0, len(members), rows):
                yield size, members[start : start + rows]

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def _stage1(self, ids, items, group, size) -> list[Tokens]:
        """Durations and the token encodings of one token bucket's batch."""
        model, dev = self.model, self.device
        rows = rows_for(size, self.max_tokens)
        lengths = [len(i) for i in ids] + [1] * (rows - len(ids))  # dummy rows: one token
        input_ids = torch.zeros((rows, size), dtype=torch.long)
        for r, row in enumerate(ids):
            input_ids[r, : len(row)] = torch.tensor(row)
        input_ids = input_ids.to(dev)
        ref_s = torch.zeros((rows, 256), device=dev)
        ref_s[: len(ids)] = torch.cat([items[n].ref_s.reshape(1, -1) for n in group]).to(dev)
        valid = lengths_mask(lengths, size, dev)[:, 0, :]  # [rows, size]
        pad = ~valid
        with self._autocast():
            # a 4-D additive mask: transformers skips a 2-D mask without padding and would then
            # take another attention kernel for a batch whose rows are all full
            neg = torch.finfo(torch.float32).min
            attention = torch.zeros((rows, 1, size, size), device=dev)
            attention.masked_fill_(pad[:, None, None, :], neg)
            bert_dur = model.bert(input_ids, attention_mask=attention)
            d_en = model.bert_encoder(bert_dur).transpose(-1, -2)
            s = ref_s[:, 128:]
            d = self._duration_encoder(d_en, s, lengths, pad)
            x = lstm(model.predictor.lstm, d, lengths)
            duration = model.predictor.duration_proj(x).float()
            t_en = self._text_encoder(input_ids, lengths, pad)
        d, t_en, duration = d.float().cpu(), t_en.float().transpose(1, 2).cpu(), duration.cpu()
        out = []
        for r, (row, n) in enumerate(zip(ids, group, strict=True)):
            t = len(row)
            # as KModel, over this item's tokens alone
            dur = torch.sigmoid(duration[r : r + 1, :t]).sum(axis=-1) / items[n].speed
            pred_dur = torch.round(dur).clamp(min=1).long().reshape(-1)
            out.append(Tokens(pred_dur, d[r, :t].clone(), t_en[r, :t].clone()))
        return out

    def _duration_encoder(self, x, style, lengths, pad):
        """kokoro's DurationEncoder with the masked LSTM."""
        enc = self.model.predictor.text_encoder
        masks = pad
        x = x.permute(2, 0, 1)
        s = style.expand(x.shape[0], x.shape[1], -1)
        x = torch.cat([x, s], axis=-1)
        x = x.masked_fill(masks.unsqueeze(-1).transpose(0, 1), 0.0)
        x = x.transpose(0, 1).transpose(-1, -2)
        for block in enc.lstms:
            if isinstance(block, torch.nn.LSTM):
                x = lstm(block, x.transpose(-1, -2), lengths).transpose(-1, -2)
            else:  # AdaLayerNorm: per token
                x = block(x.transpose(-1, -2), style).transpose(-1, -2)
                x = torch.cat([x, s.permute(1, 2, 0)], axis=1)
                x = x.masked_fill(masks.unsqueeze(-1).transpose(-1, -2), 0.0)
        return x.transpose(-1, -2)

    def _text_encoder(self, input_ids, lengths, pad):
        """kokoro's TextEncoder with the masked LSTM."""
        enc = self.model.text_encoder
        m = pad.unsqueeze(1)
        x = enc.embedding(input_ids).transpose(1, 2)
        x = x.masked_fill(m, 0.0)
        for c in enc.cnn:
            x = c(x)
            x = x.masked_fill(m, 0.0)
        x = lstm(enc.lstm, x.transpose(1, 2), lengths).transpose(1, 2)
        return x.masked_fill(m, 0.0)

    def _stage2(self, batch: list[Tokens], items: list[Item], size: int) -> list[np.ndarray]:
        """Audio of one frame bucket's batch."""
        dev = self.device
        rows = rows_for(size, self.max_frames)
        lengths = [int(t.pred_dur.sum()) for t in batch] + [size] * (rows - len(batch))
        # the alignment as a gather: a product with a one-hot matrix adds exact zeros, so the
        # frames equal KModel's `d.transpose(-1, -2) @ pred_aln_trg` bit for bit
        d = torch.cat([t.d for t in batch] + [torch.zeros(1, batch[0].d.shape[1])])
        t_en = torch.cat([t.t_en for t in batch] + [torch.zeros(1, batch[0].t_en.shape[1])])
        index = torch.full((rows, size), len(d) - 1, dtype=torch.long)  # the zero row
        start = 0
        for r, t in enumerate(batch):
            token = torch.repeat_interleave(torch.arange(len(t.pred_dur)), t.pred_dur)
            index[r, : len(token)] = token + start
            start += len(t.pred_dur)
        index = index.to(dev)
        en = d.to(dev)[index].transpose(1, 2).contiguous()
        asr = t_en.to(dev)[index].transpose(1, 2).contiguous()
        ref_s = torch.zeros((rows, 256), device=dev)
        ref_s[: len(batch)] = torch.cat([i.ref_s.reshape(1, -1) for i in items]).to(dev)
        frames = Frames.of(lengths, size, dev)
        with self._autocast():
            f0, n = self._f0n(en, ref_s[:, 128:], frames)
            x, frames2 = self._decoder(asr, f0, n, ref_s[:, :128], frames)
            return self._generator(x, ref_s[:, :128], f0, frames2, items)

    def _f0n(self, en, s, frames: Frames):
        """ProsodyPredictor.F0Ntrain with the masked LSTM and blocks."""
        pred = self.model.predictor
        x = lstm(pred.shared, en.transpose(-1, -2), frames.lengths).transpose(-1, -2)
        curves = []
        for blocks, proj in ((pred.F0, pred.F0_proj), (pred.N, pred.N_proj)):
            y, y_frames = x, frames
            for block in blocks:
                y, y_frames = adain_resblk(block, y, s, y_frames, self.ops)
            curves.append(proj(y).float().masked_fill_(y_frames.pad, 0).squeeze(1))
        return curves[0], curves[1]

    def _decoder(self, asr, f0_curve, n_curve, s, frames: Frames):
        """Decoder.forward up to the generator, masked."""
        dec = self.model.decoder
        f0 = dec.F0_conv(f0_curve.unsqueeze(1))  # zero beyond each row's curve already
        n = dec.N_conv(n_curve.unsqueeze(1))
        x = torch.cat([asr, f0, n], axis=1)  # cat promotes mixed dtypes under autocast
        x, frames = adain_resblk(dec.encode, x, s, frames, self.ops)
        asr_res = dec.asr_res(asr)
        res = True
        for block in dec.decode:
            if res:
                x = torch.cat([x, asr_res, f0, n], axis=1)
            x, frames = adain_resblk(block, x, s, frames, self.ops)
            if block.upsample_type != "none":
                res = False
        return x, frames

    def _source(self, f0: torch.Tensor, frames: Frames, items: list[Item]) -> torch.Tensor:
        """The harmonic source (SourceModuleHnNSF) at the sample rate: [rows, samples].

        f0 is [rows, frames] at the decoder's output rate, zero beyond each row's length.
        """
        gen = self.model.decoder.generator
        sg = gen.m_source.l_sin_gen
        dev = f0.device
        f0 = gen.f0_upsamp(f0[:, None]).transpose(1, 2)  # [rows, samples, 1]
        rows, samples, _ = f0.shape
        scale = sg.upsample_scale
        # each item's draws, in KModel's order and with its own unpadded shapes
        rand_ini = torch.zeros(rows, sg.dim, device=dev)
        noise = torch.zeros(rows, samples, sg.dim, device=dev)
        for r, item in enumerate(items):
            g = torch.Generator(device=dev).manual_seed(item.seed)
            rand_ini[r] = torch.rand(1, sg.dim, generator=g, device=dev)[0]
            n = frames.lengths[r] * scale
            # KModel's randn_like copies the strides of its sine waves, a transposed [1, 9, n],
            # and torch fills a non-contiguous tensor element by element in memory order (not
            # with the vectorized fill of a contiguous one): draw into the same layout
            drawn = torch.empty(1, sg.dim, n, device=dev).transpose(1, 2).normal_(generator=g)
            noise[r, :n] = drawn[0]
            # SourceModuleHnNSF then draws the noise branch's randn_like(uv), which the
            # generator never uses: it is the last draw, so leaving it out changes nothing
        rand_ini[:, 0] = 0
        harmonics = torch.FloatTensor([[range(1, sg.harmonic_num + 2)]]).to(dev)
        fn = torch.multiply(f0, harmonics)
        rad_values = (fn / sg.sampling_rate) % 1
        rad_values[:, 0, :] = rad_values[:, 0, :] + rand_ini
        rad_values = F.interpolate(
            rad_values.transpose(1, 2), scale_factor=1 / scale, mode="linear"
        ).transpose(1, 2)
        phase = torch.cumsum(rad_values, dim=1) * 2 * torch.pi
        # Alone, the linear upsampling below clamps at the item's last frame; with padding it
        # would blend in the next frame, so every padded frame repeats the last valid phase.
        last = torch.tensor(frames.lengths, device=dev)[:, None, None] - 1
        last_phase = phase.gather(1, last.expand(rows, 1, phase.shape[-1]))
        phase = torch.where(frames.pad.transpose(1, 2), last_phase, phase)
        phase = F.interpolate(
            phase.transpose(1, 2) * scale, scale_factor=scale, mode="linear"
        ).transpose(1, 2)
        sine_waves = torch.sin(phase) * sg.sine_amp
        uv = sg._f02uv(f0)
        noise_amp = uv * sg.noise_std + (1 - uv) * sg.sine_amp / 3
        sine_waves = sine_waves * uv + noise_amp * noise
        har = gen.m_source.l_tanh(gen.m_source.l_linear(sine_waves))
        return har.transpose(1, 2).squeeze(1)

    def _generator(self, x, s, f0_curve, frames: Frames, items: list[Item]) -> list[np.ndarray]:
        """Generator.forward, masked; the STFT and the iSTFT per item."""
        gen = self.model.decoder.generator
        dev = x.device
        n_items = len(items)
        with torch.autocast(dev.type, enabled=False):
            har_source = self._source(f0_curve.float(), frames, items)
            # the STFT (center=True) has samples // hop + 1 frames
            up, hop = int(gen.f0_upsamp.scale_factor), gen.stft.hop_length
            stft_frames = frames.scaled(lambda n: n * up // hop + 1, x.shape[-1] * up // hop + 1)
            size = stft_frames.pad.shape[-1]
            har = torch.zeros((x.shape[0], gen.post_n_fft + 2, size), device=dev)
            for r in range(n_items):
                spec, phase = gen.stft.transform(har_source[r : r + 1, : frames.lengths[r] * up])
                har[r, :, : stft_frames.lengths[r]] = torch.cat([spec, phase], dim=1)[0]
        # in place where a tensor is ours alone: at 120 frames a frame, these are the largest
        for i in range(gen.num_upsamples):
            x = self.ops.leaky(x, 0.1, frames.pad)  # as Generator.forward: LRELU_SLOPE
            x_source = gen.noise_convs[i](har)
            source_frames = stft_frames.scaled(
                lambda n, conv=gen.noise_convs[i]: conv_len(conv, n), x_source.shape[-1]
            )
            x_source = adain_resblock1(gen.noise_res[i], x_source, s, source_frames, self.ops)
            x = gen.ups[i](x)
            lengths = [conv_transpose_len(gen.ups[i], n) for n in frames.lengths]
            if i == gen.num_upsamples - 1:
                x = gen.reflection_pad(x)  # on the left: the same for every row
                lengths = [n + 1 for n in lengths]
            frames = Frames.of(lengths, x.shape[-1], dev)
            assert frames.lengths == source_frames.lengths, "the source and the upsampling differ"
            x = add_(x, x_source)
            del x_source
            xs = None
            for j in range(gen.num_kernels):
                block = gen.resblocks[i * gen.num_kernels + j]
                y = adain_resblock1(block, x, s, frames, self.ops)
                xs = y if xs is None else add_(xs, y)
                del y
            del x
            x = xs.div_(gen.num_kernels)
            del xs
        x = gen.conv_post(self.ops.leaky(x, 0.01, frames.pad)).float()  # F.leaky_relu's slope
        spec = torch.exp(x[:, : gen.post_n_fft // 2 + 1, :])
        phase = torch.sin(x[:, gen.post_n_fft // 2 + 1 :, :])
        waves = []
        with torch.autocast(dev.type, enabled=False):
            for r in range(n_items):
                n = frames.lengths[r]
                wave = gen.stft.inverse(
                    spec[r : r + 1, :, :n].contiguous(), phase[r : r + 1, :, :n].contiguous()
                )
                waves.append(wave.reshape(-1).float())
        # one copy to the host for the batch: a copy per item would wait for the GPU each time
        # and leave it idle while the next item's inverse STFT is queued
        flat = torch.cat(waves).cpu().numpy()
        ends = np.cumsum([w.numel() for w in waves])
        return list(np.split(flat, ends[:-1]))


def deterministic_cuda() -> None:
    """Deterministic cuDNN algorithms: fixed shapes, fixed bits. TF32 stays as torch has it by
    default (on for convolutions, off for matrix products), as KModel runs on a GPU."""
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
