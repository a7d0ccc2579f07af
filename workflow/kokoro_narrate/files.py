"""Files written whole: to a temporary name beside the target, then renamed over it.

A reader (another job, another build sharing the cache, Snakemake checking what a job left) sees
the old file or the new one, never half of one, and a write that fails leaves the old file as it
was and no temporary behind. The temporary name, `.<name>.<random>.tmp`, is hidden and unique to
its writer across threads, processes and hosts sharing the folder. It is made with the permissions
any new file gets: `tempfile.mkstemp` would make it readable by its owner alone, a published
narration a web server could not serve. Standard library only: the workflow imports it (through
`digests`) while it plans.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path) -> Iterator[Path]:
    """A temporary path to write `path`'s new content to (nothing is made there yet: a library
    can create it, or a hard link be made to it); renamed to `path` when the block ends, removed
    if it raises."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def write_text(path, text: str) -> None:
    """UTF-8, with the line ends given ("\\n" on every system)."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
