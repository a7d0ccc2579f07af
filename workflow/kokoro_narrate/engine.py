"""The synthesis engine: Kokoro-82M behind the small interface the pipeline needs.

The pipeline asks an engine for `sample_rate`, an `identity` (a digest of everything about the
engine that changes the samples: kokoro and torch versions, weights, config, and the mode: device
kind, dtype and batching) and `synthesize_each(requests)` (or `synthesize_many`). The identity is
known without importing torch or loading the model, so a job whose chunks are all cached costs a
fraction of a second.

On the CPU chunks go through kokoro's own KModel one at a time ("single"), its decoder in
onnxruntime (cpu_engine "onnx", the config's default, `onnx_decoder`: about a third less CPU time,
samples equal to float rounding) or in torch (cpu_engine "kmodel", the reference, and what a
caller that names no engine gets); on a CUDA GPU they go through `batched.BatchedKokoro` in
length-bucketed batches, its elementwise passes compiled with Triton when `compile` is set (the
config's default; a caller that does not set it gets them uncompiled). Each gives slightly
different samples (different kernels), so the mode is part of the identity and they never mix in
one cache.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

import numpy as np

from . import RUN_VARIABLE, files
from .cache import Entry
from .digests import file_digest

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
DEFAULT_REPO = "hexgrad/Kokoro-82M"


class ModelMissing(RuntimeError):
    """The weights, config or a voice are neither local nor downloadable."""


class GpuOutOfMemory(RuntimeError):
    """A GPU batch did not fit in the card's free memory: says which setting to lower."""


class EngineFailed(RuntimeError):
    """The model failed to load, fit or compile earlier in this run, on this machine."""


# the smallest synthesis.batch_frames the config schema takes
MIN_BATCH_FRAMES = 256
# what the out-of-memory advice says a budget costs: bench/gpu_model.py's full-size model on an
# H200 (batched.DEFAULT_MAX_FRAMES says how measured), and a whole build's peak (README)
BATCH_FRAMES_MEMORY = (
    "4,096 frames peaked at 2.1 GiB and 8,192 at 3.6 GiB in the model alone, 8,192 at 4.5 GiB "
    "in a whole build"
)

# the batched forward's canonical shapes and operations (batched.py); bump with them, so the key
# changes (3: the elementwise passes as Pointwise functions, whose tensors' layouts round the
# norms' sums otherwise)
BATCH_SCHEME = 3


def fused_mode() -> str:
    """What compiled elementwise passes (batched.Pointwise) add to a mode: the compiler's kernels
    round differently from eager torch's (on a GPU Triton's, whose version is named; on the CPU,
    where only tests compile them, the C++ compiler's)."""
    triton = _package_version("triton")
    return " fused" if triton == "unknown" else f" fused triton{triton}"


# config synthesis.cpu_engine: kokoro's KModel in torch (the reference), or its decoder in
# onnxruntime (onnx_decoder; the config's default, for its speed)
CPU_ENGINES = ("kmodel", "onnx")

# kokoro's KModel.MODEL_NAMES, repeated here so that finding the weights never imports kokoro
# (which imports transformers: seconds a cached job need not spend)
MODEL_NAMES = {
    "hexgrad/Kokoro-82M": "kokoro-v1_0.pth",
    "hexgrad/Kokoro-82M-v1.1-zh": "kokoro-v1_1-zh.pth",
}


@dataclass(frozen=True)
class Request:
    phonemes: str
    pack: object  # the voice's [510, 1, 256] style tensor; the row is chosen by length
    speed: float
    seed: int


class Engine(Protocol):
    sample_rate: int
    identity: str

    def synthesize_many(self, requests: list[Request]) -> list[Entry]: ...

    def synthesize_each(self, requests: list[Request]) -> Iterator[tuple[int, Entry]]:
        """(index into requests, Entry) as each is made: store each before taking the next, and
        a slice's audio is never all in memory at once."""
        ...

    def exclusive(
        self, wanted: Iterable[str] = (), made: Callable[[], bool] | None = None
    ) -> contextlib.AbstractContextManager[bool]:
        """Held while synthesizing: one process per machine runs the model (machine_lock)."""
        ...

    def waiting(self) -> set[str]:
        """The keys that jobs waiting for exclusive() want: the holder makes them first."""
        ...

    def load(self) -> None:
        """Load the model now, not on the first synthesis; once."""
        ...


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
    config = (
        _local(model.config, "config")
        if model.config
        else _hub_file(model.repo_id, "config.json", "config")
    )
    if model.weights:
        weights = _local(model.weights, "weights")
    else:
        name = MODEL_NAMES.get(model.repo_id, "kokoro-v1_0.pth")
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


def _digest(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def keep_compiled_kernels(memo_dir) -> None:
    """Point torch's compiler cache (TORCHINDUCTOR_CACHE_DIR, which also holds Triton's kernels)
    at `memo_dir`/compile, unless the user has set it, there is no `memo_dir`, or its file system
    cannot lock files (the compiler locks its cache; torch's default is then kept).

    Its default, /tmp/torchinductor_<user>, is gone after a reboot, and on cluster nodes that give
    each job its own /tmp it is gone after every job: then every build compiled the fused passes
    again (on an H200, the model made the build's first wave at 201x real time with the cache
    cold and 358x with it warm). The compiler keys its entries by torch, Triton and GPU, so nodes
    that share the project's folder (Slurm's shared file system) share the kernels."""
    if memo_dir is None or "TORCHINDUCTOR_CACHE_DIR" in os.environ:
        return
    folder = Path(memo_dir).resolve() / "compile"
    try:
        import fcntl

        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lockable", "a") as probe:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(probe, fcntl.LOCK_UN)
    except (ImportError, OSError):
        return
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder)


def device_kind(requested: str, memo_dir=None) -> str:
    """The device `requested` resolves to, named so that two that round differently differ:
    "cuda:NVIDIA H200", "cpu:AVX2" (AVX2 and AVX-512 kernels give different last bits).

    Resolving it means importing torch (seconds); the answer is remembered per host in `memo_dir`
    as long as torch, the visible GPUs and the driver's device nodes stay the same.
    """
    fingerprint = {
        "requested": requested,
        "torch": _package_version("torch"),
        "visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "driver": os.path.exists("/dev/nvidiactl"),
    }
    memo = Path(memo_dir) / f"device-{socket.gethostname()}.json" if memo_dir else None
    if memo is not None:
        try:
            known = json.loads(memo.read_text(encoding="utf-8"))
            if known.get("fingerprint") == fingerprint:
                return known["device"]
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    import torch

    kind = pick_device(requested)
    if kind == "cuda":
        kind = f"cuda:{torch.cuda.get_device_name(0)}"
    elif kind == "cpu":
        kind = f"cpu:{torch.backends.cpu.get_cpu_capability()}"
    if memo is not None:
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            files.write_text(memo, json.dumps({"fingerprint": fingerprint, "device": kind}))
        except OSError:
            pass
    return kind


# how often a job waiting for the lock looks whether the holder has made its chunks
POLL_S = 0.5
# what _take_lock returns when the chunks a waiting job wanted were made while it waited
_MADE = object()


@contextlib.contextmanager
def machine_lock(memo_dir, wanted: Iterable[str] = (), made: Callable[[], bool] | None = None):
    """Held by a job while it synthesizes, so that one process per machine and project runs the
    model, whatever Snakemake starts at once: synthesis jobs claim no `gpu` resource (most of them
    only read the cache the first one filled; see rules/synthesis.smk). The file is named after
    the host, like the device memo, because jobs on other nodes of a cluster have GPUs of their
    own; the kernel releases the lock when its holder exits, crashed or not. No `memo_dir`: no
    lock.

    A job that must wait names the chunks it `wanted` beside the lock (`waiting_keys`: the holder
    makes those first) and, given `made`, looks every POLL_S whether they are made: then it leaves
    without the lock, so that its narration can start while the holder goes on. Yields whether
    the caller may synthesize (it holds the lock, or runs unlocked); a job that waited must look
    at the cache again either way."""
    handle = None if memo_dir is None else _take_lock(Path(memo_dir), wanted, made)
    try:
        yield handle is not _MADE
    finally:
        if handle is not None and handle is not _MADE:
            handle.close()  # closing the file releases the lock


def waiting_keys(memo_dir) -> set[str]:
    """The chunk keys that the jobs waiting for this host's lock want (see machine_lock)."""
    found: set[str] = set()
    host = socket.gethostname()
    for path in _waiting_folder(Path(memo_dir)).glob(f"{host}-*"):
        if path.name.rpartition("-")[0] == host:  # not node10's notes for node1
            with contextlib.suppress(OSError):  # its job has just left
                found.update(path.read_text(encoding="utf-8").split())
    return found


def _waiting_folder(memo_dir: Path) -> Path:
    return memo_dir / "waiting"


def _take_lock(memo_dir: Path, wanted: Iterable[str], made: Callable[[], bool] | None):
    """The lock file, open and locked; _MADE where `made()` came true while waiting; None where
    the lock cannot be had (a read-only project, a network file system without locks, a system
    without flock), with a warning: the job then runs unlocked."""
    path = memo_dir / f"engine-{socket.gethostname()}.lock"
    try:
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held beyond this function)
    except (ImportError, OSError) as err:
        return _unlocked(path, err)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another job"
            log.info("waiting for %s, which is synthesizing on this machine", holder)
            started = time.monotonic()
            if _wait(handle, memo_dir, wanted, made):
                log.info(
                    "waited %.1f s: %s made this job's chunks",
                    time.monotonic() - started,
                    holder,
                )
                handle.close()
                return _MADE
            log.info("waited %.1f s for the model lock", time.monotonic() - started)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")  # for the message of a job that waits
        handle.flush()
    except OSError as err:
        handle.close()
        return _unlocked(path, err)
    return handle


def _wait(handle, memo_dir: Path, wanted: Iterable[str], made: Callable[[], bool] | None) -> bool:
    """Wait for the lock on `handle`, with the `wanted` keys named for its holder; True where
    `made()` came true first (the lock is then not held)."""
    import fcntl

    note = _waiting_folder(memo_dir) / f"{socket.gethostname()}-{os.getpid()}"
    try:
        note.parent.mkdir(exist_ok=True)
        files.write_text(note, "\n".join(wanted) + "\n")  # the holder reads whole notes only
    except OSError:
        pass  # the holder only makes these chunks later than it could
    try:
        if made is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
            return False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return False
            except BlockingIOError:
                if made():
                    return True
                time.sleep(POLL_S)
    finally:
        with contextlib.suppress(OSError):
            note.unlink()


def _failure_path(memo_dir) -> Path:
    return Path(memo_dir) / f"engine-failed-{socket.gethostname()}.json"


def record_failure(memo_dir, identity: str, err: BaseException) -> None:
    """Remember for the rest of this run that the engine `identity` failed on this machine with
    `err` (its model did not load, a batch did not fit the GPU, its passes did not compile): every
    synthesis job would meet the same, each after loading the model, one at a time under the
    engine lock. Outside a run (no RUN_VARIABLE) or without a memo folder nothing is kept."""
    run = os.environ.get(RUN_VARIABLE)
    if memo_dir is None or not run:
        return
    record = {"run": run, "identity": identity, "process": os.getpid()}
    record["error"] = f"{type(err).__name__}: {err}"
    with contextlib.suppress(OSError):  # the job fails with its own message anyway
        files.write_text(_failure_path(memo_dir), json.dumps(record))


def earlier_failure(memo_dir, identity: str) -> str | None:
    """What record_failure kept in this run for the engine `identity` on this machine, if
    anything: a later run, or another model or set-up, tries again."""
    run = os.environ.get(RUN_VARIABLE)
    if memo_dir is None or not run:
        return None
    try:
        record = json.loads(_failure_path(memo_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("run") != run or record.get("identity") != identity:
        return None
    return f"process {record.get('process')}: {record.get('error')}"


def _unlocked(path: Path, err: Exception) -> None:
    log.warning(
        "no engine lock at %s (%s): synthesis jobs started together may each load the model; "
        "to run them one at a time, add --set-resources synthesis:gpu=1 to the command",
        path,
        err,
    )
    return None


class KokoroEngine:
    """Kokoro's KModel, loaded on first use: a job whose chunks are all cached never loads it."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model: ModelSettings,
        device: str = "auto",
        threads: int = 1,
        memo_dir=None,
        dtype: str = "float32",
        batch_frames: int | None = None,
        cpu_engine: str = "kmodel",
        compile: bool = False,
    ):
        if cpu_engine not in CPU_ENGINES:
            raise ValueError(
                f"synthesis.cpu_engine {cpu_engine!r}: expected one of {', '.join(CPU_ENGINES)}"
            )
        self.repo_id = model.repo_id
        self.config_path, self.weights_path = locate_weights(model)
        self.threads = threads
        self.device = device_kind(device, memo_dir)
        self.batched = self.device.startswith("cuda")
        self.dtype = dtype if self.batched else "float32"
        self.batch_frames = batch_frames
        # the GPU has one engine; cpu_engine chooses among the CPU's
        self.cpu_engine = "kmodel" if self.batched else cpu_engine
        # Triton compiles the fused passes on a GPU; torch's CUDA wheels for Linux bring it
        self.fused = self.batched and compile and importlib.util.find_spec("triton") is not None
        if self.fused:
            keep_compiled_kernels(memo_dir)  # before the compiler first reads it
        self.memo_dir = memo_dir
        if self.cpu_engine == "onnx":
            from .onnx_decoder import check_installed

            check_installed()  # before the identity: it names onnxruntime's version
        if self.batched and not batch_frames:
            raise ValueError("a GPU engine needs batch_frames (config synthesis.batch_frames)")
        config_digest = hashlib.sha256(
            json.dumps(
                json.loads(Path(self.config_path).read_text(encoding="utf-8")), sort_keys=True
            ).encode()
        ).hexdigest()
        self.mode = self._mode()
        model_identity = {
            "kokoro": _package_version("kokoro"),
            "torch": _package_version("torch"),
            "weights": file_digest(self.weights_path, memo_dir),
            "config": config_digest,
        }
        self.identity = _digest({**model_identity, "mode": self.mode})
        self._model_identity = model_identity
        self._model = None
        self._batched = None

    def _mode(self) -> str:
        """How the samples are made, beyond the model itself: on the CPU, kokoro's KModel one
        chunk at a time with this many threads (their count changes the last bits), the decoder
        in onnxruntime with its version and export scheme for cpu_engine onnx; on a GPU, the
        batched forward with its scheme, dtype and frame budget."""
        if not self.batched and self.cpu_engine == "onnx":
            from .onnx_decoder import EXPORT_SCHEME

            return (
                f"single-onnx{EXPORT_SCHEME} {self.device} threads{self.threads} "
                f"onnxruntime{_package_version('onnxruntime')} onnx{_package_version('onnx')}"
            )
        if not self.batched:
            return f"single {self.device} threads{self.threads}"
        return (
            f"batched-v{BATCH_SCHEME} {self.device} torch{_package_version('torch')} "
            f"{self.dtype} frames{self.batch_frames}{fused_mode() if self.fused else ''}"
        )

    def _load(self):
        import torch
        from kokoro import KModel

        torch.set_num_threads(self.threads)
        device = self.device.split(":")[0]
        # A fixed seed makes any parameter the checkpoint leaves out identical in every process.
        torch.manual_seed(0)
        model = KModel(repo_id=self.repo_id, config=self.config_path, model=self.weights_path)
        self._model = model.to(device).eval()
        if self.cpu_engine == "onnx":
            from .onnx_decoder import load_or_export

            self._model.decoder = load_or_export(self._model, self.onnx_path(), self.threads)
        if self.batched:
            from .batched import BatchedKokoro

            self._batched = BatchedKokoro(
                self._model,
                max_frames=self.batch_frames,
                bf16=self.dtype == "bfloat16",
                fused=self.fused,
            )
        log.info(
            "loaded Kokoro from %s on %s (%s) with %d threads",
            self.weights_path,
            self.device,
            self.mode,
            self.threads,
        )

    def exclusive(
        self, wanted: Iterable[str] = (), made: Callable[[], bool] | None = None
    ) -> contextlib.AbstractContextManager[bool]:
        return machine_lock(self.memo_dir, wanted, made)

    def waiting(self) -> set[str]:
        return set() if self.memo_dir is None else waiting_keys(self.memo_dir)

    def onnx_path(self) -> Path:
        """Where the decoder's ONNX export lives: beside the device memo, one file per weights,
        config, kokoro, torch, onnx, device kind and export scheme, so every job after the first
        on a machine finds it, and no job finds one another of these made."""
        from .onnx_decoder import EXPORT_SCHEME, OPSET

        key = _digest(
            {
                **self._model_identity,
                "onnx": _package_version("onnx"),
                "device": self.device,
                "scheme": EXPORT_SCHEME,
                "opset": OPSET,
            }
        )
        folder = Path(self.memo_dir) if self.memo_dir else Path(tempfile.gettempdir())
        return folder / "onnx" / f"kokoro-decoder-{key[:16]}.onnx"

    def load(self) -> None:
        """Load the model once. A model that failed to load, to fit or to compile earlier in
        this run, on this machine, is not tried again: the job stops at once with that failure (a
        run that keeps going past failed jobs would otherwise load it in each, one after the
        other)."""
        if self._model is not None:
            return
        if failed := earlier_failure(self.memo_dir, self.identity):
            raise EngineFailed(
                f"the model failed earlier in this run ({failed}); this job stops instead of "
                "loading it again. Set right what that says, and run again"
            )
        try:
            self._load()
        except Exception as err:
            record_failure(self.memo_dir, self.identity, err)
            raise

    def synthesize_many(self, requests: list[Request]) -> list[Entry]:
        """Audio and per-token frames of every request, in their order."""
        made = dict(self.synthesize_each(requests))
        return [made[n] for n in range(len(requests))]

    def synthesize_each(self, requests: list[Request]) -> Iterator[tuple[int, Entry]]:
        """(index, Entry) of every request as each is made (on a GPU a batch at a time, shortest
        first); each seeded by its own seed, so a chunk's samples do not depend on what else is
        synthesized with it."""
        if not requests:
            return
        self.load()
        if self._batched is None:
            for n, request in enumerate(requests):
                yield n, self._synthesize_one(request)
            return
        items = [(r.phonemes, r.pack[len(r.phonemes) - 1], r.speed, r.seed) for r in requests]
        import torch

        from .batched import CompileFailed

        try:
            yield from self._batched.synthesize_each(items)
        except torch.cuda.OutOfMemoryError as err:
            failure = GpuOutOfMemory(self._out_of_memory_advice())
            record_failure(self.memo_dir, self.identity, failure)
            raise failure from err
        except CompileFailed as err:  # no C compiler: every job of the run would meet it
            record_failure(self.memo_dir, self.identity, err)
            raise
        log.info("GPU memory: %.2f GiB at most", torch.cuda.max_memory_allocated() / 2**30)

    def _out_of_memory_advice(self) -> str:
        """What to do when a batch did not fit: a smaller synthesis.batch_frames, or a GPU of its
        own. The chunks made before it are in the cache (synthesis.fill stores each one as it
        comes), but under this budget's keys."""
        import torch

        card = self.device.split(":", 1)[-1]
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # what torch holds for itself is not what others hold
            free, total = torch.cuda.mem_get_info()
            card += f", {free / 2**30:.1f} of {total / 2**30:.1f} GiB free"
        smaller = max(MIN_BATCH_FRAMES, self.batch_frames // 2)
        return (
            f"the GPU ({card}) ran out of memory for a batch of synthesis.batch_frames: "
            f"{self.batch_frames} frames. Lower it in config/config.yaml, e.g.\n"
            f"  synthesis:\n    batch_frames: {smaller}\n"
            f"(a batch's memory grows with it: {BATCH_FRAMES_MEMORY}), or leave the GPU to this "
            "build, and run again. The chunks made so far stay in the cache, under this budget's "
            "keys: with another budget they are made again."
        )

    def _synthesize_one(self, request: Request) -> Entry:
        import torch

        # Kokoro's generator injects noise: seed it from the chunk key so a chunk is reproducible
        # whatever was synthesized before it in the same process.
        torch.manual_seed(request.seed)
        ref_s = request.pack[len(request.phonemes) - 1]
        with torch.inference_mode():
            out = self._model(request.phonemes, ref_s, request.speed, return_output=True)
        audio = out.audio.cpu().numpy().astype(np.float32)
        frames = out.pred_dur.cpu().numpy().reshape(-1).tolist()
        del out
        _trim_heap()
        return Entry(audio, frames)
