"""Outputs of posts and voices the config no longer names: found, listed, and (asked to) removed.

Results are kept per post and per post x voice, so a post removed from the corpus or a voice removed
from the config leaves its files behind. `stale_files` compares what is on disk with what the
current config declares, pattern by pattern (the rules' own output patterns); a file that matches
no pattern is not ours and is never touched. The chunk cache has its own housekeeping (cache_prune).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)


def _regex(pattern: str) -> tuple[re.Pattern, list[str]]:
    names: list[str] = []
    parts = []
    for piece in re.split(r"(\{\w+\})", pattern):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            if name in names:
                parts.append(f"(?P={name})")
            else:
                names.append(name)
                parts.append(f"(?P<{name}>[^/]+?)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts)), names


def stale_files(declared: dict[str, set[tuple]], root=".") -> list[str]:
    """Files under `root` that match a pattern of `declared` (pattern -> the wildcard tuples the
    config makes, in the order the names first appear) with values the config does not make."""
    stale = []
    root = Path(root)
    for pattern, allowed in declared.items():
        regex, names = _regex(pattern)
        top = root / pattern.split("{", 1)[0].rsplit("/", 1)[0]
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            match = regex.fullmatch(relative)
            if match and tuple(match.group(n) for n in names if n != "ext") not in allowed:
                stale.append(relative)
    return sorted(set(stale))


def clean(declared: dict[str, set[tuple]], remove: bool, root=".") -> list[str]:
    """List (and with `remove`, delete) stale files; empty folders left behind go too."""
    files = stale_files(declared, root)
    for relative in files:
        log.info("%s %s", "removed" if remove else "stale:", relative)
        if remove:
            path = Path(root) / relative
            path.unlink(missing_ok=True)
            for parent in path.parents:
                if parent == Path(root) or any(parent.iterdir()):
                    break
                parent.rmdir()
    log.info(
        "%d files of posts or voices the config no longer names%s",
        len(files),
        " removed"
        if remove
        else "; remove them with: snakemake --cores 1 clean --config clean=remove",
    )
    return files
