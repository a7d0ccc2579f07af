"""KModel's decoder in onnxruntime: the CPU engine `synthesis.cpu_engine: onnx`.

The decoder (the iSTFTNet generator's convolutions and the elementwise work between them) is most
of a chunk's CPU time. With it in onnxruntime a chunk takes about a third less CPU time than in
KModel, and its samples are KModel's to float rounding (bench/cpu_engines.py prints both).

What stays in torch, and why. KModel runs as it is, from phonemes to durations, F0 and features;
only its `decoder` is replaced. Inside the decoder, the generator's harmonic source and the STFT
of it stay in torch too (a few milliseconds a chunk): they consume the chunk's random draws, in
KModel's order, and the STFT's phase is that of bins whose magnitude is often ~0, so which side of
-pi/+pi a rounding error puts it on is chaotic, and the network reads that phase as it is. Made
anywhere else (onnxruntime's sin and atan2, a DFT by convolution) it moved the sound 6.5 dB of
log-spectral distance from KModel's, more than another seed does; made here, 0.001 dB.

The export: the decoder is traced once per weights, kokoro, torch, onnx, device kind and export
scheme (`KokoroEngine.onnx_path`), on a short chunk, with the harmonic spectrum as two more inputs
and every time axis dynamic. torch.istft, which ONNX cannot express, becomes the same inverse as
convolutions (ExportSTFT). Every 1-D convolution is exported as the same 2-D one over a height of
1 (`convolutions_as_2d`): onnxruntime runs 2-D convolutions in its blocked channel layout (NCHWc),
which took the decoder a fifth less time than its 1-D kernels on a 17 s chunk, the samples moving
by float rounding (3e-6). The file is written atomically (a temporary file, then a rename) into a
folder kept across runs (the project's .snakemake/kokoro-narrate/onnx/), so only the first job
of a project pays for it and no job reads half of one. ONNX files are protobuf: loading one runs
no pickled code.

Needs `onnxruntime` (runs the decoder) and `onnx` (torch.onnx.export writes with it): both are
dependencies of the package, imported only when this engine runs.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import time
import warnings
from pathlib import Path

import numpy as np

from . import files

log = logging.getLogger(__name__)

# Bump when the exported graph changes (this module's code, the opset): the engine's mode names
# it, so samples of another export get other cache keys.
EXPORT_SCHEME = 2  # 2: 1-D convolutions exported as 2-D ones
OPSET = 17
INPUTS = ("asr", "f0_curve", "noise_curve", "style", "magnitude", "phase")
# the tokens the export traces: any short chunk does, the time axes are dynamic
TRACE_PHONEMES = "hˈɛloʊ wˈɜːld, ðɪs ɪz ɐ tˈɛst."
# what cpu_engine onnx imports and no other engine does (an environment may lack them)
PACKAGES = ("onnxruntime", "onnx")


class OnnxMissing(RuntimeError):
    """cpu_engine onnx was asked for in an environment without onnxruntime or onnx."""


def check_installed() -> None:
    """Raise OnnxMissing, saying what to install, unless every one of PACKAGES can be imported
    (found without importing them: a job whose chunks are all cached never does)."""
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise OnnxMissing(
            f"synthesis.cpu_engine onnx (the default) needs {' and '.join(missing)}, which this "
            "environment lacks: pip install onnxruntime onnx (requirements.txt pins the tested "
            "versions), or set synthesis.cpu_engine: kmodel"
        )


def export_stft(n_fft: int, hop: int):
    """torch.stft/istft as kokoro's TorchSTFT calls them (periodic Hann window, centre reflect
    padding, the inverse normalized by the window envelope) as real convolutions, which ONNX can
    express; equal to TorchSTFT to float rounding. (kokoro's own CustomSTFT pads by replicating
    and leaves its inverse unnormalized: other samples.)"""
    import torch
    import torch.nn.functional as F

    def tensor(array):
        return torch.tensor(array, dtype=torch.float32)

    class ExportSTFT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            n, k = np.arange(n_fft), np.arange(n_fft // 2 + 1)
            window = 0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)  # torch.hann_window, periodic
            angle = 2 * np.pi * np.outer(k, n) / n_fft
            forward = np.concatenate([np.cos(angle) * window, -np.sin(angle) * window])
            # a one-sided inverse counts every bin but DC and Nyquist twice, as irfft does
            scale = np.where((k == 0) | (k == n_fft // 2), 1.0, 2.0)[:, None] / n_fft
            inverse = np.concatenate([np.cos(angle), -np.sin(angle)]) * np.tile(scale, (2, 1))
            self.register_buffer("forward_basis", tensor(forward[:, None]))
            self.register_buffer("inverse_basis", tensor((inverse * window)[:, None]))
            self.register_buffer("window_sq", tensor(window**2).view(1, 1, -1))

        def transform(self, x):
            x = F.pad(x.unsqueeze(1), (n_fft // 2, n_fft // 2), mode="reflect")
            real, imag = F.conv1d(x, self.forward_basis, stride=hop).chunk(2, dim=1)
            return torch.sqrt(real * real + imag * imag), torch.atan2(imag, real)

        def inverse(self, magnitude, phase):
            spec = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=1)
            audio = F.conv_transpose1d(spec, self.inverse_basis, stride=hop)
            ones = torch.ones_like(magnitude[:, :1])
            envelope = F.conv_transpose1d(ones, self.window_sq, stride=hop)
            return (audio / envelope)[..., n_fft // 2 : -(n_fft // 2)]

    return ExportSTFT()


def harmonic_spectrum(generator, f0_curve):
    """The generator's harmonic source and its STFT (magnitude, phase), made by kokoro's own
    modules exactly as kokoro 0.9.4's Generator.forward makes them, random draws included."""
    f0 = generator.f0_upsamp(f0_curve[:, None]).transpose(1, 2)
    source, _, _ = generator.m_source(f0)
    return generator.stft.transform(source.transpose(1, 2).squeeze(1))


@contextlib.contextmanager
def convolutions_as_2d(module):
    """While inside, every Conv1d in `module` computes as the same 2-D convolution over a height
    of 1 (its weight-norm hook still runs first), so that the export is made of 2-D Conv nodes."""
    import torch
    import torch.nn.functional as F

    def forward_2d(conv, x):
        return F.conv2d(
            x.unsqueeze(2),
            conv.weight.unsqueeze(2),
            conv.bias,
            stride=(1, *conv.stride),
            padding=(0, *conv.padding),
            dilation=(1, *conv.dilation),
            groups=conv.groups,
        ).squeeze(2)

    convs = [
        m
        for m in module.modules()
        if isinstance(m, torch.nn.Conv1d)
        and m.padding_mode == "zeros"
        and not isinstance(m.padding, str)
    ]
    for conv in convs:
        conv.forward = functools.partial(forward_2d, conv)
    try:
        yield
    finally:
        for conv in convs:
            del conv.forward


def given_harmonics_decoder(decoder):
    """kokoro's `decoder` as a module with the harmonic spectrum as two more inputs: while it runs,
    the generator's source module and STFT are a stand-in that hands those inputs over (the
    upsampled F0 the source would have read is left unused) and whose inverse is ExportSTFT's."""
    import torch

    class GivenHarmonics(torch.nn.Module):
        def __init__(self, generator):
            super().__init__()
            self.stft = export_stft(generator.post_n_fft, generator.stft.hop_length)
            self.magnitude = self.phase = None

        def forward(self, f0):  # as the source module: (harmonic source, noise, voicing)
            return f0, None, None

        def transform(self, source):
            return self.magnitude, self.phase

        def inverse(self, magnitude, phase):
            return self.stft.inverse(magnitude, phase)

    class GivenHarmonicsDecoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.decoder = decoder
            self.given = GivenHarmonics(decoder.generator)

        def forward(self, asr, f0_curve, noise_curve, style, magnitude, phase):
            generator = self.decoder.generator
            source, stft = generator.m_source, generator.stft
            self.given.magnitude, self.given.phase = magnitude, phase
            generator.m_source = generator.stft = self.given
            try:
                return self.decoder(asr, f0_curve, noise_curve, style).squeeze()
            finally:
                generator.m_source, generator.stft = source, stft

    return GivenHarmonicsDecoder().eval()


def export_decoder(model, path: Path) -> float:
    """KModel `model`'s decoder as ONNX at `path` (written atomically); returns the largest
    difference between the traced module and KModel on the traced chunk (float rounding: ~1e-6)."""
    import torch

    ids = torch.LongTensor([[0, *(model.vocab[p] for p in TRACE_PHONEMES if p in model.vocab), 0]])
    style = torch.randn((1, 256), generator=torch.Generator().manual_seed(0)) * 0.1
    captured = {}
    hook = model.decoder.register_forward_pre_hook(lambda _, args: captured.update(args=args))
    try:
        torch.manual_seed(0)
        reference, _ = model.forward_with_tokens(ids, style, 1.0)
    finally:
        hook.remove()
    asr, f0_curve, noise_curve, decoder_style = (t.clone() for t in captured["args"])
    module = given_harmonics_decoder(model.decoder)
    started = time.monotonic()
    with torch.no_grad(), warnings.catch_warnings(), convolutions_as_2d(module):
        # the TorchScript exporter's tracer and constant-folding notes: about its own passes
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        magnitude, phase = harmonic_spectrum(model.decoder.generator, f0_curve)
        inputs = (asr, f0_curve, noise_curve, decoder_style, magnitude, phase)
        difference = float((module(*inputs) - reference).abs().max())
        path.parent.mkdir(parents=True, exist_ok=True)
        # a temporary file of its own in the same folder, then a rename: another job exporting at
        # the same time (on this host or another sharing the folder) never sees half a file
        with files.replacing(path) as tmp:
            torch.onnx.export(
                module,
                inputs,
                str(tmp),
                dynamo=False,  # the TorchScript exporter: the dynamo one needs onnxscript
                opset_version=OPSET,
                input_names=list(INPUTS),
                output_names=["audio"],
                dynamic_axes={
                    "asr": {2: "frames"},
                    "f0_curve": {1: "f0_frames"},
                    "noise_curve": {1: "f0_frames"},
                    "magnitude": {2: "stft_frames"},
                    "phase": {2: "stft_frames"},
                    "audio": {0: "samples"},
                },
            )
    log.info(
        "exported the decoder to %s in %.1f s (traced vs KModel: %.3g)",
        path,
        time.monotonic() - started,
        difference,
    )
    return difference


def load_or_export(model, path: Path, threads: int):
    """The decoder to put in KModel `model`'s place, from the export at `path`; exported first
    when there is none, or when the file there does not load (written by something else)."""
    if path.is_file():
        try:
            return onnx_decoder(model.decoder.generator, path, threads)
        except Exception as err:  # onnxruntime raises its own types for a file it cannot read
            log.warning("the decoder export %s does not load (%s): exporting it again", path, err)
    export_decoder(model, path)
    return onnx_decoder(model.decoder.generator, path, threads)


def session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1  # the graph runs one node at a time
    options.log_severity_level = 3  # its warnings name nodes, not anything a user can change
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_decoder(generator, path: Path, threads: int):
    """A module to put in KModel's `decoder` place: the harmonic spectrum from `generator`'s own
    source module and STFT in torch (the only parts of the generator it keeps), the rest in
    onnxruntime from the export at `path`."""
    import torch

    class OnnxDecoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.f0_upsamp, self.m_source = generator.f0_upsamp, generator.m_source
            self.stft = generator.stft
            self.session = session(path, threads)

        def forward(self, asr, f0_curve, noise_curve, style):
            magnitude, phase = harmonic_spectrum(self, f0_curve)
            tensors = (asr, f0_curve, noise_curve, style, magnitude, phase)
            feeds = {name: t.numpy() for name, t in zip(INPUTS, tensors, strict=True)}
            (audio,) = self.session.run(None, feeds)
            return torch.from_numpy(audio)

    return OnnxDecoder()
