"""The chunk cache: synthesized audio stored under a key that covers everything that shapes it.

One entry is two files under ``<root>/<key[:2]>/``: ``<key>.f32`` (little-endian float32 samples)
and ``<key>.json`` (sample count, sha256 of the samples, Kokoro's per-token frame counts). Both are
written to a temporary name and renamed, the metadata last, so a reader never sees half an entry; a
reader that finds a truncated or corrupt entry logs it, deletes it and reports a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Bump when synthesis changes in a way the other key parts do not show (seeding, trimming, ...).
KEY_FORMAT = 1


@dataclass(frozen=True)
class Entry:
    audio: np.ndarray  # float32 mono
    frames: list[int]  # Kokoro's predicted duration (in frames) of each input token


def chunk_key(phonemes: str, voice_digest: str, speed: float, engine_identity: str) -> str:
    """The content address of one chunk: same key, same samples."""
    parts = {
        "format": KEY_FORMAT,
        "phonemes": phonemes,
        "voice": voice_digest,
        "speed": round(float(speed), 6),
        "engine": engine_identity,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ChunkCache:
    def __init__(self, root):
        self.root = Path(root)

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.f32", folder / f"{key}.json"

    def __contains__(self, key: str) -> bool:
        return self._paths(key)[1].is_file()

    def get(self, key: str) -> Entry | None:
        audio_path, meta_path = self._paths(key)
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            data = audio_path.read_bytes()
            if len(data) != 4 * meta["samples"]:
                raise ValueError(f"{len(data)} bytes for {meta['samples']} samples")
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise ValueError("sha256 mismatch")
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning(
                "cache entry %s is damaged (%s): removed, it will be synthesized again", key, err
            )
            self.remove(key)
            return None
        return Entry(np.frombuffer(data, dtype="<f4").astype(np.float32), list(meta["frames"]))

    def put(self, key: str, entry: Entry) -> None:
        audio_path, meta_path = self._paths(key)
        audio_path.parent.mkdir(parents=True, exist_ok=True)
        data = np.ascontiguousarray(entry.audio, dtype="<f4").tobytes()
        meta = {
            "samples": len(data) // 4,
            "sha256": hashlib.sha256(data).hexdigest(),
            "frames": [int(f) for f in entry.frames],
        }
        _write_atomic(audio_path, data)
        _write_atomic(meta_path, json.dumps(meta, sort_keys=True).encode())

    def remove(self, key: str) -> None:
        for path in self._paths(key):
            path.unlink(missing_ok=True)

    def keys(self) -> set[str]:
        return {p.stem for p in self.root.glob("??/*.json")}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.glob("??/*") if p.is_file())

    def prune(self, keep: set[str]) -> tuple[int, int]:
        """Delete entries not in `keep` and stray temporary files; return (entries, bytes) freed."""
        entries = freed = 0
        for key in self.keys() - keep:
            for path in self._paths(key):
                if path.exists():
                    freed += path.stat().st_size
            self.remove(key)
            entries += 1
        for tmp in self.root.glob("??/.*.tmp"):
            freed += tmp.stat().st_size
            tmp.unlink()
        return entries, freed


def tidy(cache: ChunkCache, chunk_lists, prune: bool) -> str:
    """Report the cache's size against the keys the given synthesis chunk lists reference, and
    with `prune` delete the rest. Returns the report line (also logged)."""
    referenced = set()
    for path in chunk_lists:
        with open(path, encoding="utf-8") as lines:
            referenced.update(json.loads(line)["key"] for line in lines if line.strip())
    present = cache.keys()
    report = (
        f"chunk cache {cache.root}: {len(present)} entries, {cache.size_bytes() / 1e6:.1f} MB; "
        f"{len(present & referenced)} referenced by the current build, "
        f"{len(present - referenced)} not"
    )
    if prune:
        entries, freed = cache.prune(referenced)
        report += f"; pruned {entries} entries, {freed / 1e6:.1f} MB"
    log.info(report)
    return report
