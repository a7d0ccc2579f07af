"""Voice comparison matrix: every post narrated in every voice, on one offline page.

Reads ``results/manifest.csv`` (one row per post x voice, columns in ``kokoro_narrate.manifest``)
and the timing JSON next to every narration WAV, and writes:

* ``<out_dir>/index.html``: posts as rows, voices as columns, rendered from the packaged
  template ``matrix.html.j2`` (beside this module). A narrated cell has an ``<audio controls
  preload="metadata">`` player, the narration's duration, words per minute and loudness, and links
  to the full narration. Every other cell says why it has no player: the manifest's status
  (``skipped: ...`` or ``failed: ... (see logs/...)``), ``missing`` when a narrated row's WAV is not
  on disk, or ``not narrated`` when the manifest has no row for the pair.
* ``<out_dir>/excerpts/<post>/<voice>_<post>.wav``: in excerpt mode, the first ``excerpt_s``
  seconds of every narration, cut at a pause (the end of the last spoken piece that ends within
  ``excerpt_s``; at least the first piece) with a short fade-out, so ten voices do not mean ten
  hours of listening. With an excerpt cache (the rule's, in ``.snakemake/kokoro-narrate/``), an
  excerpt made by an earlier build from the same narration bytes is linked, not made again.
* ``<out_dir>/plot.svg``: duration and words per minute per post and voice (matplotlib).
* ``<page>`` (``results/matrix.html``): the same page with its links relative to its own folder.
* ``<csv>`` (``results/matrix.csv``): the post x voice pivot of duration_s, wpm and lufs.

A player offers the files on disk, best first: the Opus and MP3 web encodes (optional manifest
columns ``opus_path`` and ``mp3_path``), then the WAV. An excerpt is a WAV only.

Same inputs, same bytes: sorted rows and columns, fixed number formats, no timestamps, and a plot
with fixed SVG ids and glyphs drawn as paths from the font matplotlib ships. Every link is relative
and the page has no script, so it works from the results folder, offline, and as a
``snakemake --report`` directory entry. The template escapes every string (autoescape).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import os
import shutil
import threading
import urllib.parse
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
import matplotlib
import numpy as np
import pandas as pd
import soundfile as sf
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import files
from .digests import file_digest
from .manifest import COLUMNS as MANIFEST_COLUMNS
from .narration import write_wav

log = logging.getLogger(__name__)

#: metrics of the pivot (results/matrix.csv), in column order
METRICS = ("duration_s", "wpm", "lufs")
#: fade-out at the end of an excerpt, in seconds
FADE_S = 0.08
#: the manifest status of a row with a narration
NARRATED = "narrated"
#: what a cell says when the manifest has no row for its post and voice
NOT_NARRATED = "not narrated: post language differs"
#: the page template, package data beside this module (so an installed package has it too)
TEMPLATE = "matrix.html.j2"

# Tableau 10: distinct, colour-blind-friendly enough, and fixed (voice i gets colour i mod 10).
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)

# Settings that make plot.svg the same bytes on every machine: SVG ids hashed with a fixed salt
# (the default salt is random), glyphs written as paths from the DejaVu Sans that matplotlib ships
# (its own fonts are registered before the system's, so they win a tie), and a "$" in a title kept
# as text instead of starting mathtext.
PLOT_STYLE = {
    "svg.hashsalt": "kokoro-narrate voice matrix",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "text.parse_math": False,
    "font.size": 9,
}

_ENCODES = (  # web encodes a player prefers to the WAV, best first: (column, label, MIME type)
    ("opus_path", "Opus", 'audio/ogg; codecs="opus"'),
    ("mp3_path", "MP3", "audio/mpeg"),
)
_WAV_TYPE = "audio/wav"
_ENCODE_COLUMNS = tuple(column for column, _, _ in _ENCODES)
_TEXT_COLUMNS = ("post", "title", "voice", "status", "lang", "path", "sha256", *_ENCODE_COLUMNS)
_NUMBER_COLUMNS = tuple(c for c in MANIFEST_COLUMNS if c not in _TEXT_COLUMNS)
# text columns an older (or a hand-made) manifest may lack, and what they mean when absent
_TEXT_DEFAULTS = {"title": "", "lang": "", "status": NARRATED, **dict.fromkeys(_ENCODE_COLUMNS, "")}


# --------------------------------------------------------------------------------------- inputs


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """The manifest with text columns as text (a post id "001" or a title "NA" stays as is)."""
    df = pd.read_csv(
        path,
        dtype={c: str for c in _TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in _NUMBER_COLUMNS},
    )
    missing = [c for c in ("post", "voice", "path", *METRICS) if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: manifest lacks column(s) {', '.join(missing)}")
    for column in _NUMBER_COLUMNS:
        if column in df.columns:
            df[column] = pd.to_numeric(df[column], errors="coerce")
    for column, default in _TEXT_DEFAULTS.items():
        if column not in df.columns:
            df[column] = default
    duplicated = df.duplicated(["post", "voice"], keep=False)
    if duplicated.any():
        dup = df.loc[duplicated]
        pairs = sorted(set(zip(dup["post"], dup["voice"], strict=True)))
        raise ValueError(f"{path}: more than one row for post x voice {pairs}")
    return df.sort_values(["post", "voice"], kind="stable").reset_index(drop=True)


def timing_path(wav: str | os.PathLike) -> Path:
    """The timing JSON written next to a narration WAV."""
    return Path(wav).with_suffix(".json")


def read_timing(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# -------------------------------------------------------------------------------------- pivot


def pivot(manifest: pd.DataFrame) -> pd.DataFrame:
    """Post x voice pivot of duration_s, wpm and lufs; columns named ``metric[voice]``.

    Rows are sorted by post, columns by metric (in METRICS order) then voice; a post without a
    narration in a voice has an empty cell.
    """
    table = manifest.pivot_table(
        index="post", columns="voice", values=list(METRICS), aggfunc="first", dropna=False
    )
    posts = sorted(manifest["post"].unique())
    voices = sorted(manifest["voice"].unique())
    columns = pd.MultiIndex.from_product([METRICS, voices])
    table = table.reindex(index=posts, columns=columns)
    table.columns = [f"{metric}[{voice}]" for metric, voice in table.columns]
    table.index.name = "post"
    return table


def write_pivot(manifest: pd.DataFrame, path: str | os.PathLike) -> pd.DataFrame:
    table = pivot(manifest)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with files.replacing(path) as tmp:
        table.to_csv(tmp, float_format="%.3f", lineterminator="\n")
    return table


# ------------------------------------------------------------------------------------ excerpts


@dataclass(frozen=True)
class Excerpt:
    """An excerpt written for one narration."""

    path: Path
    end_s: float  # the piece end the cut lands on
    duration_s: float  # frames / sample rate of the written excerpt
    pieces: int  # spoken pieces kept
    pieces_total: int


def excerpt_end(pieces: Sequence[dict], limit_s: float) -> float | None:
    """Where to cut: the end of the last piece that ends within ``limit_s``, else the first piece.

    Returns None when there are no pieces (the caller then cuts at ``limit_s``).
    """
    ordered = sorted(pieces, key=lambda p: (float(p["start_s"]), float(p["end_s"])))
    if not ordered:
        return None
    fitting = [float(p["end_s"]) for p in ordered if float(p["end_s"]) <= limit_s]
    return max(fitting) if fitting else float(ordered[0]["end_s"])


def write_excerpt(
    wav: str | os.PathLike,
    timing: dict,
    out: str | os.PathLike,
    limit_s: float,
    fade_s: float = FADE_S,
) -> Excerpt:
    """Write the first ``limit_s`` seconds of ``wav`` to ``out``, cut at a pause, faded out.

    Written by the narrations' own writer (16-bit PCM, the same rounding), so an excerpt holds the
    narration's samples up to the fade. Only those samples are read: a whole blog's narrations
    are hours of audio, and the matrix is the last job of a build.
    """
    info = sf.info(str(wav))
    sample_rate = info.samplerate
    pieces = timing.get("pieces") or []
    end_s = excerpt_end(pieces, limit_s)
    if end_s is None:
        log.warning("%s: timing has no pieces; cutting at %.3f s", wav, limit_s)
        end_s = float(limit_s)
    # floor, so the excerpt never ends after the piece (and never after limit_s when it fits)
    frames = min(info.frames, max(1, math.floor(end_s * sample_rate + 1e-6)))
    clip, _ = sf.read(str(wav), frames=frames, dtype="float64")
    fade = min(frames, round(fade_s * sample_rate))
    if fade > 0:
        clip[-fade:] *= 0.5 * (1.0 + np.cos(np.linspace(0.0, math.pi, fade)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_wav(out, clip, sample_rate)
    kept = sum(1 for p in pieces if float(p["end_s"]) <= end_s + 1e-9)
    return Excerpt(out, end_s, frames / sample_rate, kept, len(pieces))


# Bumped when write_excerpt makes other bytes from the same narration and length (the cut, the
# fade, the writer): cached excerpts of an older format are then made again
CUT_VERSION = 1


class ExcerptCache:
    """Excerpts made by earlier builds, keyed by the narration's sha256 (the manifest's column),
    the excerpt length, the fade and CUT_VERSION. Snakemake empties the matrix folder before
    the job, so without it every build cut every narration again: a blog of 1,000 posts in 5
    voices spent 20 s on excerpts after an edit to one. A hit is hard-linked into the folder
    (copied where the file system cannot link). An entry is written whole (a temporary name,
    then a rename) and recorded beside it with its sha256, checked on every hit: a damaged entry
    is made again. Entries a build did not use are dropped at its end (keep_only)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def key(self, narration_sha256: str, limit_s: float) -> str:
        inputs = {
            "narration": narration_sha256,
            "limit_s": limit_s,
            "fade_s": FADE_S,
            "format": CUT_VERSION,
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def get(self, key: str, target: Path) -> Excerpt | None:
        """The cached excerpt for `key` at `target`, or None (absent or damaged)."""
        entry = self.folder / f"{key}.wav"
        try:
            record = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            if file_digest(entry) != record["sha256"]:
                log.warning("cached excerpt %s is damaged; making it again", entry)
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            _link_or_copy(entry, target)
            return Excerpt(
                target, record["end_s"], record["duration_s"], record["pieces"], record["total"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, excerpt: Excerpt) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with files.replacing(self.folder / f"{key}.wav") as tmp:
            _link_or_copy(excerpt.path, tmp)
        record = {
            "sha256": file_digest(excerpt.path),
            "end_s": excerpt.end_s,
            "duration_s": excerpt.duration_s,
            "pieces": excerpt.pieces,
            "total": excerpt.pieces_total,
        }
        files.write_text(self.folder / f"{key}.json", json.dumps(record, sort_keys=True))

    def keep_only(self, keys: Iterable[str]) -> None:
        keep = {f"{key}{suffix}" for key in keys for suffix in (".wav", ".json")}
        for path in self.folder.glob("*"):
            if path.name not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# ------------------------------------------------------------------------ what the page shows


@dataclass(frozen=True)
class Source:
    """A file on disk that a cell plays or links, and how a browser should take it."""

    path: Path
    label: str  # "Opus", "MP3", "WAV"
    type: str  # MIME type, for <source type>


@dataclass(frozen=True)
class Cell:
    """One post x voice: a player and its numbers, or a note saying why there is no player."""

    voice: str
    plays: tuple[Source, ...] = ()  # the player's sources, best first; empty: no player
    wav: Path | None = None  # the full narration
    encodes: tuple[Source, ...] = ()  # its web encodes on disk, best first
    length: str = ""  # "excerpt 0:03 of 0:09", or "0:09" when the player plays it all
    duration_s: str = ""
    wpm: str = ""
    lufs: str = ""
    note: str = ""  # the manifest status, "missing: <path>" or NOT_NARRATED
    note_title: str = ""  # the languages behind NOT_NARRATED
    kind: str = NARRATED  # "narrated", "skipped", "failed", "missing" or "absent" (a CSS class)


@dataclass(frozen=True)
class Voice:
    name: str
    lang: str
    colour: str


@dataclass(frozen=True)
class Row:
    post: str
    title: str
    lang: str
    words: int | None
    cells: tuple[Cell, ...]  # one per voice, in Page.voices order


@dataclass(frozen=True)
class Page:
    """Everything the template shows, as plain values; paths become links at render time."""

    voices: tuple[Voice, ...]
    rows: tuple[Row, ...]
    excerpt_s: float | None
    plot: Path


def _clock(seconds: float) -> str:
    """1:05:09, 4:32 or 0:28."""
    if not math.isfinite(seconds):
        return "?"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _number(value: float, digits: int) -> str:
    if not math.isfinite(value):
        return "?"
    return f"{value:.{digits}f}".replace("-", "\u2212")


def _langs(values: Iterable[str]) -> str:
    return ", ".join(sorted({v for v in values if isinstance(v, str) and v}))


def _title_of(rows: pd.DataFrame, post: str) -> str:
    titles = [t for t in rows["title"] if isinstance(t, str) and t.strip()]
    return titles[0] if titles else post


def narration_cell(
    row,
    root: Path,
    out_dir: Path,
    excerpt_s: float | None,
    seen: dict[Path, tuple[str, str]],
    lock: threading.Lock | None = None,
    cache: ExcerptCache | None = None,
    used: set[str] | None = None,
) -> Cell:
    """The cell of one manifest row; in excerpt mode, writes the narration's excerpt first, or
    links it from `cache` (whose keys it adds to `used`). Cells are made on several threads:
    `lock` guards `seen` and `used`."""
    if row.status != NARRATED:
        return Cell(row.voice, note=row.status, kind=row.status.partition(":")[0])
    wav = (root / row.path).absolute()
    if not wav.is_file():
        log.warning("%s / %s: narration %s is not on disk", row.post, row.voice, row.path)
        return Cell(row.voice, note=f"missing: {row.path}", kind="missing")
    encodes = []
    for column, label, mime in _ENCODES:
        relative = getattr(row, column)
        if relative and (root / relative).is_file():
            encodes.append(Source((root / relative).absolute(), label, mime))
        elif relative:
            log.warning("%s / %s: %s %s is not on disk", row.post, row.voice, label, relative)
    duration_s = float(row.duration_s)
    narration = {
        "voice": row.voice,
        "wav": wav,
        "encodes": tuple(encodes),
        "duration_s": _number(duration_s, 1),
        "wpm": _number(float(row.wpm), 0),
        "lufs": _number(float(row.lufs), 1),
    }
    if excerpt_s is None:
        plays = (*encodes, Source(wav, "WAV", _WAV_TYPE))
        return Cell(plays=plays, length=_clock(duration_s), **narration)
    target = out_dir / "excerpts" / wav.parent.name / wav.name
    with lock or contextlib.nullcontext():
        if target in seen:
            raise ValueError(f"{row.post}/{row.voice} and {seen[target]} share {wav.name}")
        seen[target] = (row.post, row.voice)
    digest = getattr(row, "sha256", "")
    key = cache.key(digest, excerpt_s) if cache and len(digest or "") == 64 else None
    excerpt = cache.get(key, target) if key else None
    if excerpt is None:
        excerpt = write_excerpt(wav, read_timing(timing_path(wav)), target, excerpt_s)
        if key:
            cache.put(key, excerpt)
    if key and used is not None:
        with lock or contextlib.nullcontext():
            used.add(key)
    log.info(
        "%s / %s: excerpt %.2f s (%d of %d pieces)",
        row.post,
        row.voice,
        excerpt.duration_s,
        excerpt.pieces,
        excerpt.pieces_total,
    )
    length = f"excerpt {_clock(excerpt.duration_s)} of {_clock(duration_s)}"
    return Cell(plays=(Source(excerpt.path, "WAV", _WAV_TYPE),), length=length, **narration)


def absent_cell(voice: Voice, post_lang: str) -> Cell:
    """A pair the manifest has no row for: an older manifest listed only what it narrated."""
    if post_lang and voice.lang and post_lang != voice.lang:
        detail = f"post language {post_lang}, voice language {voice.lang}"
        return Cell(voice.name, note=NOT_NARRATED, note_title=detail, kind="absent")
    return Cell(voice.name, note="not narrated", kind="absent")


def page_of(
    df: pd.DataFrame, cells: dict[tuple[str, str], Cell], excerpt_s: float | None, plot: Path
) -> Page:
    names = sorted(df["voice"].unique())
    voices = tuple(
        Voice(name, _langs(df.loc[df["voice"] == name, "lang"]), PALETTE[i % len(PALETTE)])
        for i, name in enumerate(names)
    )
    rows = []
    for post, post_rows in df.groupby("post", sort=True):
        lang = _langs(post_rows["lang"])
        words = post_rows["words"].dropna() if "words" in post_rows else pd.Series(dtype=float)
        row_cells = tuple(cells.get((post, v.name)) or absent_cell(v, lang) for v in voices)
        title = _title_of(post_rows, post)
        rows.append(Row(post, title, lang, int(words.iloc[0]) if len(words) else None, row_cells))
    return Page(voices, tuple(rows), excerpt_s, plot)


def render_page(page: Page, page_dir: str | os.PathLike) -> str:
    """The page as HTML, every link relative to ``page_dir`` (where the page is written)."""

    def href(target: Path) -> str:
        rel = os.path.relpath(os.path.abspath(target), os.path.abspath(page_dir))
        return urllib.parse.quote(Path(rel).as_posix(), safe="/")

    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_packaged_template),
        autoescape=True,  # every string from the manifest is text, never markup
        undefined=jinja2.StrictUndefined,  # a misspelt field fails the build, not the page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(TEMPLATE).render(page=page, href=href)


def _packaged_template(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------- plot


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def render_plot(narrated: pd.DataFrame, colours: dict[str, str]) -> str:
    """plot.svg: grouped horizontal bars, one group per post, one bar per voice it was narrated in.

    Left panel duration, right panel words per minute; bars coloured by voice (the colours of the
    page's column headers) and labelled with value and voice.
    """
    posts = sorted(narrated["post"].unique())
    if narrated["duration_s"].max() >= 120:  # minutes for real posts, seconds for tiny ones
        duration = ("Duration (minutes)", "duration_s", 1 / 60, 1)
    else:
        duration = ("Duration (seconds)", "duration_s", 1.0, 1)
    panels = (duration, ("Words per minute", "wpm", 1.0, 0))
    group_gap = 0.8  # in bar heights
    groups, y = [], 0.0  # per post: its rows and their bar positions, top down
    for post in posts:
        rows = narrated[narrated["post"] == post]
        groups.append((post, rows, y + np.arange(len(rows))))
        y += len(rows) + group_gap

    with matplotlib.rc_context(PLOT_STYLE):
        figure = Figure(figsize=(9.8, 1.4 + 0.21 * y), layout="constrained")
        FigureCanvasSVG(figure)  # SVG from the start: no display, no GUI backend
        figure.suptitle("Duration and words per minute per post and voice", fontsize=12)
        axes = figure.subplots(1, 2, sharey=True)
        for ax, (heading, column, scale, digits) in zip(axes, panels, strict=True):
            # one bar container and one label call per panel, not one per post: the same SVG,
            # without matplotlib's work per call, which a plot of 1,000 posts felt
            values = np.concatenate([rows[column].to_numpy(dtype=float) for _, rows, _ in groups])
            values *= scale
            positions = np.concatenate([positions for _, _, positions in groups])
            voices = np.concatenate([rows["voice"].to_numpy() for _, rows, _ in groups])
            shown = np.isfinite(values)
            bars = ax.barh(
                positions[shown],
                values[shown],
                height=0.8,
                color=[colours[v] for v in voices[shown]],
            )
            labels = [
                f"{_number(value, digits)}  {voice}"
                for value, voice in zip(values[shown], voices[shown], strict=True)
            ]
            # the labels stay inside the axes (the x range below leaves them room): measuring
            # each one again for the layout cost seconds in a plot of 1,000 posts
            for label in ax.bar_label(bars, labels=labels, padding=3, fontsize=7, color="#333333"):
                label.set_in_layout(False)
            top = values[shown].max(initial=0.0)
            ax.set_xlim(0, (top or 1.0) * 1.4)  # room for the labels after the longest bar
            # y given: where no tick label is on top, matplotlib's own search for the title's
            # place (every sibling's tick labels measured) ends at the same 1.0
            ax.set_title(heading, loc="left", fontsize=10, fontweight="bold", y=1.0)
            ax.grid(axis="x", color="#eceef1")
            ax.set_axisbelow(True)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0].set_yticks(
            [positions.mean() for _, _, positions in groups],
            labels=[
                f"{_shorten(_title_of(rows, post), 30)}\n{_shorten(post, 34)}"
                for post, rows, _ in groups
            ],
        )
        axes[0].set_ylim(y - group_gap + 0.5, -0.7)  # first post on top
        for ax in axes:
            ax.tick_params(axis="y", length=0)
        voices = sorted(narrated["voice"].unique())
        figure.legend(
            handles=[Patch(color=colours[v], label=v) for v in voices],
            loc="outside lower center",
            ncols=min(len(voices), 6) or 1,
            frameon=False,
        )
        svg = io.StringIO()
        figure.savefig(svg, format="svg", metadata={"Date": None})
    return svg.getvalue()


# ---------------------------------------------------------------------------------------- main


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(path, text)


@dataclass(frozen=True)
class Matrix:
    index: Path
    page: Path | None
    csv: Path
    plot: Path
    excerpts: tuple[Path, ...]


def build_matrix(
    manifest: str | os.PathLike,
    out_dir: str | os.PathLike,
    csv: str | os.PathLike,
    page: str | os.PathLike | None = None,
    *,
    excerpt_s: float | None,
    root: str | os.PathLike = ".",
    threads: int = 1,
    excerpt_cache: str | os.PathLike | None = None,
) -> Matrix:
    """Build the voice matrix (see the module docstring).

    ``manifest`` is results/manifest.csv; its paths are relative to ``root`` (the working
    directory of the pipeline). ``out_dir`` gets index.html, plot.svg and excerpts/; ``page``, when
    given, gets the same page with links relative to its own folder. ``excerpt_s`` is the config's
    ``matrix.excerpt_s``: None turns excerpt mode off (players play the full narrations).
    The excerpts are written on ``threads`` threads (reading and writing WAVs leaves the GIL);
    with ``excerpt_cache`` (a folder), those an earlier build made are linked (ExcerptCache).
    """
    if excerpt_s is not None and excerpt_s <= 0:
        raise ValueError(f"excerpt_s must be positive or None, got {excerpt_s}")
    root, out_dir = Path(root), Path(out_dir)
    df = read_manifest(manifest)
    log.info(
        "manifest %s: %d rows, %d posts, %d voices",
        manifest,
        len(df),
        df["post"].nunique(),
        df["voice"].nunique(),
    )
    seen: dict[Path, tuple[str, str]] = {}
    lock = threading.Lock()
    # with excerpts off, the cache is only emptied (keep_only below)
    cache = ExcerptCache(excerpt_cache) if excerpt_cache else None
    used: set[str] = set()
    rows = list(df.itertuples(index=False))

    def cell_of(row) -> Cell:
        return narration_cell(row, root, out_dir, excerpt_s, seen, lock, cache, used)

    with ThreadPoolExecutor(max(1, threads)) as pool:
        made = list(pool.map(cell_of, rows))
    cells = {(row.post, row.voice): cell for row, cell in zip(rows, made, strict=True)}
    if cache:
        cache.keep_only(used)
    plot = out_dir / "plot.svg"
    model = page_of(df, cells, excerpt_s, plot)
    colours = {voice.name: voice.colour for voice in model.voices}
    # a bar for every narrated row, its file on disk or not: the numbers are the manifest's
    _write_text(plot, render_plot(df[df["status"] == NARRATED], colours))
    index = out_dir / "index.html"
    _write_text(index, render_page(model, out_dir))
    if page is not None:
        page = Path(page)
        _write_text(page, render_page(model, page.parent))
    write_pivot(df, csv)
    log.info("wrote %s, %s, %s and %s", index, plot, csv, page)
    return Matrix(index, page, Path(csv), plot, tuple(sorted(seen)))
