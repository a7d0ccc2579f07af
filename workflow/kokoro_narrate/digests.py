"""Content digests of the files that shape the audio (weights, model config, voice tensors), and
of the narrations the manifest lists.

They are computed while the workflow plans, in every process that plans it, and on a cluster from
many nodes at once, so the memo that saves hashing a 300 MB checkpoint on every run is keyed on
everything a replacement of the file changes (path, device, inode, size, modification and change
times: a file copied over another with its old modification time still gets a new change time and
inode) and written atomically. The manifest's memo (a folder of its own) keeps a blog's
narrations from being hashed again on every rebuild: after an edit, only the replaced one is.
Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from . import files


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _memo_path(path, memo_dir) -> Path:
    """Where the digest of `path`, as it is now, is remembered in `memo_dir`."""
    stat = os.stat(path)
    identity = "|".join(
        str(part)
        for part in (
            os.path.abspath(path),
            stat.st_dev,
            stat.st_ino,
            stat.st_size,
            stat.st_mtime_ns,
            stat.st_ctime_ns,
        )
    )
    return Path(memo_dir) / (hashlib.sha256(identity.encode()).hexdigest() + ".sha256")


def file_digest(path, memo_dir=None) -> str:
    """sha256 of a file's bytes, remembered in `memo_dir` for as long as the file is unchanged."""
    if memo_dir is None:
        return _sha256(path)
    memo = _memo_path(path, memo_dir)
    try:
        known = memo.read_text(encoding="ascii").strip()
        if len(known) == 64:
            return known
    except (OSError, UnicodeDecodeError):
        pass
    digest = _sha256(path)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(memo, digest)
    except OSError:  # a read-only or full memo folder only costs the next run a re-hash
        pass
    return digest


def forget_others(memo_dir, paths) -> int:
    """Remove the digests remembered in `memo_dir` for anything but `paths` as they are now (the
    files a folder of memos serves, each replaced file leaving one behind); returns how many."""
    keep = {_memo_path(path, memo_dir).name for path in paths if os.path.isfile(path)}
    try:
        names = os.listdir(memo_dir)
    except FileNotFoundError:
        return 0
    gone = 0
    for name in names:
        if name.endswith(".sha256") and name not in keep:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(memo_dir, name))
                gone += 1
    return gone
