"""The synthesis engine: Kokoro-82M behind the small interface the pipeline needs.

The pipeline only asks an engine for `sample_rate`, an `identity` (a digest of everything about
the engine that changes the audio: weights, config, kokoro version) and `synthesize(phonemes,
style, speed, seed)`. A batched or remote engine can take its place without touching the stages.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .cache import Entry
from .digests import file_digest

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
DEFAULT_REPO = "hexgrad/Kokoro-82M"


class ModelMissing(RuntimeError):
    """The weights, config or a voice are neither local nor downloadable."""


class Engine(Protocol):
    sample_rate: int
    identity: str

    def synthesize(self, phonemes: str, style, speed: float, seed: int) -> Entry: ...


@dataclass(frozen=True)
class ModelSettings:
    repo_id: str = DEFAULT_REPO
    weights: str | None = None
    config: str | None = None
    voices_dir: str | None = None

    @classmethod
    def from_config(cls, model: dict) -> ModelSettings:
        return cls(
            **{k: model.get(k) for k in ("weights", "config", "voices_dir")},
            repo_id=model.get("repo_id") or DEFAULT_REPO,
        )


def _hub_file(repo_id: str, filename: str, what: str) -> str:
    """A file of the model repo from the Hugging Face cache, downloading it the first time."""
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(repo_id=repo_id, filename=filename)
    except Exception as err:  # offline, hub unreachable, repo or file missing: all end here
        raise ModelMissing(
            f"Kokoro {what} not found: could not get {filename} from {repo_id} "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}).\n"
            "Either download the model once with network access "
            f"(hf download {repo_id}), after which it works offline, or point the "
            "config at local files:\n"
            "  model:\n"
            "    weights: /path/to/kokoro-v1_0.pth\n"
            "    config: /path/to/config.json\n"
            "    voices_dir: /path/to/voices   # holds <voice>.pt files"
        ) from err


def _local(path: str, key: str) -> str:
    if not Path(path).is_file():
        raise ModelMissing(
            f"model.{key} points at {path}, which does not exist; fix config/config.yaml."
        )
    return path


def locate_weights(model: ModelSettings) -> tuple[str, str]:
    """(config.json path, weights path)."""
    from kokoro import KModel

    config = (
        _local(model.config, "config")
        if model.config
        else _hub_file(model.repo_id, "config.json", "config")
    )
    if model.weights:
        weights = _local(model.weights, "weights")
    else:
        name = KModel.MODEL_NAMES.get(model.repo_id, "kokoro-v1_0.pth")
        weights = _hub_file(model.repo_id, name, "weights")
    return config, weights


def locate_voice(model: ModelSettings, name: str) -> str:
    if model.voices_dir:
        return _local(str(Path(model.voices_dir) / f"{name}.pt"), "voices_dir")
    return _hub_file(model.repo_id, f"voices/{name}.pt", f"voice {name}")


def _trim_heap():
    """Hand freed memory back to the OS (glibc only; elsewhere a no-op).

    Every chunk allocates activations of a different size; glibc keeps the freed blocks in its
    arenas, and a synthesis job over a 3,000-word post grew to 4.3 GB of RSS. Trimming after each
    chunk keeps it near 1.1 GB at no measurable cost.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def pick_device(requested: str) -> str:
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "device: cuda was asked for, but torch sees no CUDA GPU; use auto or cpu."
        )
    return requested


class KokoroEngine:
    """Kokoro's KModel, loaded on first use: a job whose chunks are all cached never loads it."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model: ModelSettings, device: str = "auto", threads: int = 1, memo_dir=None):
        # the version from the package metadata: importing kokoro costs seconds, which a job
        # whose chunks are all cached never needs to spend
        from importlib.metadata import version

        self.repo_id = model.repo_id
        self.config_path, self.weights_path = locate_weights(model)
        self.device_request = device
        self.threads = threads
        config_digest = hashlib.sha256(
            json.dumps(
                json.loads(Path(self.config_path).read_text(encoding="utf-8")), sort_keys=True
            ).encode()
        ).hexdigest()
        self.identity = hashlib.sha256(
            json.dumps(
                {
                    "kokoro": version("kokoro"),
                    "weights": file_digest(self.weights_path, memo_dir),
                    "config": config_digest,
                },
                sort_keys=True,
            ).encode()
        ).hexdigest()
        self._model = None
        self.device = None

    def _load(self):
        import torch
        from kokoro import KModel

        torch.set_num_threads(self.threads)
        self.device = pick_device(self.device_request)
        # A fixed seed makes any parameter the checkpoint leaves out identical in every process.
        torch.manual_seed(0)
        model = KModel(repo_id=self.repo_id, config=self.config_path, model=self.weights_path)
        self._model = model.to(self.device).eval()
        log.info(
            "loaded Kokoro from %s on %s with %d threads",
            self.weights_path,
            self.device,
            self.threads,
        )

    def synthesize(self, phonemes: str, style, speed: float, seed: int) -> Entry:
        import torch

        if self._model is None:
            self._load()
        # Kokoro's generator injects noise: seed it from the chunk key so a chunk is reproducible
        # whatever was synthesized before it in the same process.
        torch.manual_seed(seed)
        ref_s = style[len(phonemes) - 1]
        with torch.inference_mode():
            out = self._model(phonemes, ref_s, speed, return_output=True)
        audio = out.audio.cpu().numpy().astype(np.float32)
        frames = out.pred_dur.cpu().numpy().reshape(-1).tolist()
        del out
        _trim_heap()
        return Entry(audio, frames)
