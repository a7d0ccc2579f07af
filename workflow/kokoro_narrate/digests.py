"""Content digests of the files that shape the audio (weights, model config, voice tensors).

They are computed while the workflow plans, in every process that plans it, and on a cluster from
many nodes at once, so the memo that saves hashing a 300 MB checkpoint on every run is keyed on
everything a replacement of the file changes (path, device, inode, size, modification and change
times: a file copied over another with its old modification time still gets a new change time and
inode) and written atomically. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path, memo_dir=None) -> str:
    """sha256 of a file's bytes, remembered in `memo_dir` for as long as the file is unchanged."""
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
    if memo_dir is None:
        return _sha256(path)
    memo = Path(memo_dir) / (hashlib.sha256(identity.encode()).hexdigest() + ".sha256")
    try:
        known = memo.read_text(encoding="ascii").strip()
        if len(known) == 64:
            return known
    except (OSError, UnicodeDecodeError):
        pass
    digest = _sha256(path)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memo.parent, prefix=".memo.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(digest)
        os.replace(tmp, memo)
    except OSError:  # a read-only or full memo folder only costs the next run a re-hash
        pass
    return digest
