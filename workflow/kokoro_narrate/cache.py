"""The chunk cache: synthesized audio stored under a key that covers everything that shapes it.

One entry is two files under ``<root>/<key[:2]>/``: ``<key>.f32`` (little-endian float32 samples)
and ``<key>.json`` (sample count, sha256 of the samples, Kokoro's per-token frame counts). Both are
written to a temporary name of their own and renamed, the metadata last, so a reader never sees half
an entry and two builds writing the same entry at once (which write the same bytes) never corrupt
it; a reader that finds a truncated or corrupt entry logs it, deletes it and reports a miss, and the
build that needs it synthesizes it again.

One cache can serve several projects and several machines sharing a disk. Its root holds
``kokoro-narrate-cache.json`` (what makes a folder a cache: pruning refuses any folder without it)
and ``projects/``: every build records there which entries its project references, and pruning
deletes only entries that no live project (one whose folder still exists) references, and none
written in the last hour (a build that is still running may not have recorded them yet).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import files

log = logging.getLogger(__name__)

# Bump when synthesis changes in a way the other key parts do not show (seeding, trimming, ...).
# 2: the voice is keyed by its files' digests, the engine by its device, dtype and batching mode.
KEY_FORMAT = 2
MARKER = "kokoro-narrate-cache.json"
MARKER_CONTENT = {"kind": "kokoro-narrate chunk cache", "layout": 1}
PRUNE_GRACE_S = 3600.0

_KEY = re.compile(r"[0-9a-f]{64}")
_ENTRY_FILE = re.compile(r"(?:\.)?[0-9a-f]{64}\.(?:f32|json)(?:\..*\.tmp)?")


class CacheError(RuntimeError):
    """The cache folder cannot be used; the message says what to do."""


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


def _looks_like_cache(root: Path) -> bool:
    """A folder made by an earlier version (no marker yet): only ??/<key>.f32|.json inside, or
    one being made by another build right now (its marker still a temporary file)."""
    for child in root.iterdir():
        if child.name in (".digests", "projects", "g2p") and child.is_dir():
            continue
        if child.name.startswith(f".{MARKER}.") and child.name.endswith(".tmp"):
            continue
        if not (child.is_dir() and re.fullmatch(r"[0-9a-f]{2}", child.name)):
            return False
        if not all(_ENTRY_FILE.fullmatch(f.name) for f in child.iterdir()):
            return False
    return True


class ChunkCache:
    def __init__(self, root, create: bool = True):
        """Open the cache at `root`; with `create`, make it if it does not exist (or is empty).

        A folder that holds anything else and no marker is refused: it is not a cache, and
        pruning it would delete files that only look like entries.
        """
        self.root = Path(root)
        marker = self.root / MARKER
        if marker.is_file():
            return
        if self.root.exists() and not self.root.is_dir():
            raise CacheError(f"cache_dir {self.root} is a file; point cache_dir at a folder.")
        if (
            self.root.is_dir()
            and any(self.root.iterdir())
            and not _looks_like_cache(self.root)
            and not marker.is_file()  # another build may have made the cache meanwhile
        ):
            raise CacheError(
                f"cache_dir {self.root} is not a kokoro-narrate chunk cache (it holds other files "
                f"and no {MARKER}); point cache_dir at a new or empty folder."
            )
        if not create:
            raise CacheError(f"cache_dir {self.root} is not a kokoro-narrate chunk cache yet.")
        self.root.mkdir(parents=True, exist_ok=True)
        files.write_bytes(marker, json.dumps(MARKER_CONTENT, sort_keys=True).encode() + b"\n")

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

    def samples(self, key: str) -> int | None:
        """An entry's sample count from its metadata alone (no audio read): what a job that only
        lists chunks needs. The audio is checked by whoever reads it."""
        try:
            return int(json.loads(self._paths(key)[1].read_text())["samples"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, entry: Entry) -> None:
        audio_path, meta_path = self._paths(key)
        data = np.ascontiguousarray(entry.audio, dtype="<f4").tobytes()
        meta = {
            "samples": len(data) // 4,
            "sha256": hashlib.sha256(data).hexdigest(),
            "frames": [int(f) for f in entry.frames],
        }
        try:
            audio_path.parent.mkdir(parents=True, exist_ok=True)
            files.write_bytes(audio_path, data)
            files.write_bytes(meta_path, json.dumps(meta, sort_keys=True).encode())
        except OSError as err:
            # no metadata, no entry: remove the audio too so nothing half-written stays behind
            if not meta_path.is_file():
                audio_path.unlink(missing_ok=True)
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise CacheError(
                    f"the chunk cache {self.root} is full (no space left on the device) while "
                    f"writing {key[:12]}; free some space (snakemake --cores 1 cache_prune drops "
                    "entries no project uses) or point cache_dir at a bigger disk, then run again."
                ) from err
            raise

    def remove(self, key: str) -> bool:
        """Delete an entry; True when this call removed its metadata (it existed)."""
        audio_path, meta_path = self._paths(key)
        try:
            meta_path.unlink()
            removed = True
        except FileNotFoundError:
            removed = False
        audio_path.unlink(missing_ok=True)
        return removed

    def keys(self) -> set[str]:
        return {p.stem for p in self.root.glob("??/*.json") if _KEY.fullmatch(p.stem)}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.glob("??/*") if p.is_file())

    # -- sharing between projects ---------------------------------------------------------------

    def _record_path(self, project: Path) -> Path:
        project_id = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:16]
        return self.root / "projects" / f"{project_id}.json"

    def record_project(self, project, keys: set[str]) -> None:
        """Remember which entries the build of `project` (its folder) references."""
        path = self._record_path(Path(project))
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"project": str(Path(project).resolve()), "keys": sorted(keys)}
        files.write_bytes(path, json.dumps(record, indent=0).encode())

    def live_references(self) -> tuple[set[str], list[str]]:
        """(keys referenced by live projects, their folders); records of projects whose folder is
        gone are deleted."""
        keys: set[str] = set()
        live = []
        for path in sorted((self.root / "projects").glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                project = record["project"]
                referenced = record["keys"]
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("unreadable project record %s: ignored", path)
                continue
            if not Path(project).is_dir():
                path.unlink(missing_ok=True)
                continue
            live.append(project)
            keys.update(referenced)
        return keys, live

    def prune(self, keep: set[str], grace_s: float = PRUNE_GRACE_S) -> tuple[int, int]:
        """Delete entries that neither `keep` nor any live project references and that are older
        than `grace_s`, and stray temporary files; return (entries, bytes) actually freed."""
        referenced, _ = self.live_references()
        referenced |= keep
        cutoff = time.time() - grace_s
        entries = freed = 0
        for key in sorted(self.keys() - referenced):
            audio_path, meta_path = self._paths(key)
            try:
                if meta_path.stat().st_mtime > cutoff:
                    continue  # written by a build that may not have recorded it yet
                size = sum(p.stat().st_size for p in (audio_path, meta_path) if p.exists())
            except FileNotFoundError:
                continue
            if self.remove(key):
                entries += 1
                freed += size
        for tmp in self.root.glob("??/.*.tmp"):
            try:
                if tmp.stat().st_mtime <= cutoff:
                    size = tmp.stat().st_size
                    tmp.unlink()
                    freed += size
            except FileNotFoundError:
                pass
        return entries, freed


def referenced_keys(chunk_lists) -> set[str]:
    """Every cache key the given synthesis chunk lists name."""
    referenced = set()
    for path in chunk_lists:
        with open(path, encoding="utf-8") as lines:
            referenced.update(json.loads(line)["key"] for line in lines if line.strip())
    return referenced


def tidy(
    cache: ChunkCache, chunk_lists, prune: bool, project=".", grace_s: float = PRUNE_GRACE_S
) -> str:
    """Record this project's references, report the cache's size against them and every live
    project's, and with `prune` delete the rest. Returns the report line (also logged)."""
    mine = referenced_keys(chunk_lists)
    cache.record_project(project, mine)
    others, projects = cache.live_references()
    present = cache.keys()
    report = (
        f"chunk cache {cache.root}: {len(present)} entries, {cache.size_bytes() / 1e6:.1f} MB; "
        f"{len(present & mine)} referenced by this project, "
        f"{len(present & (others - mine))} only by other projects ({len(projects)} live in "
        f"all), {len(present - mine - others)} by none"
    )
    if prune:
        entries, freed = cache.prune(mine, grace_s=grace_s)
        report += f"; pruned {entries} entries, {freed / 1e6:.1f} MB"
    log.info(report)
    return report
