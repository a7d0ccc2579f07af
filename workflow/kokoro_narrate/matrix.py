"""Voice comparison matrix: every post narrated in every voice, on one offline page.

Reads ``results/manifest.csv`` (one row per post x voice) and the timing JSON next to every
narration WAV, and writes:

* ``<out_dir>/index.html``: a table with posts as rows and voices as columns; every cell holds an
  ``<audio controls preload="metadata">`` player, the narration's duration, words per minute and
  loudness, and a link to the full narration. A post that has no narration in a voice (it is
  narrated only in voices of its own language) gets a "not narrated" cell.
* ``<out_dir>/excerpts/<post>/<voice>_<post>.wav``: in excerpt mode, the first ``excerpt_s``
  seconds of every narration, cut at a pause (the end of the last spoken piece that ends within
  ``excerpt_s``; at least the first piece) with a short fade-out. The cell's player plays the
  excerpt, so ten voices do not mean ten hours of listening.
* ``<out_dir>/plot.svg``: duration and words per minute per post and voice, written by hand.
* ``<page>`` (``results/matrix.html``): the same page with its links made relative to its folder.
* ``<csv>`` (``results/matrix.csv``): the post x voice pivot of duration_s, wpm and lufs.

Everything is deterministic (same inputs, same bytes: no timestamps, sorted rows and columns,
fixed number formats), every link is relative, and no script is needed: the page works from the
results folder, offline, and as a ``snakemake --report`` directory entry. Every string taken from
the inputs is escaped before it is written into HTML or SVG.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import urllib.parse
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from .manifest import COLUMNS as MANIFEST_COLUMNS

log = logging.getLogger(__name__)

#: metrics of the pivot (results/matrix.csv), in column order
METRICS = ("duration_s", "wpm", "lufs")
#: default excerpt length in seconds (config: matrix.excerpt_s)
DEFAULT_EXCERPT_S = 30.0
#: fade-out at the end of an excerpt, in seconds
FADE_S = 0.08
#: what a cell says when a post has no narration in a voice
NOT_NARRATED = "not narrated: post language differs"

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

_TEXT_COLUMNS = ("post", "title", "voice", "status", "lang", "path", "sha256")
_NUMBER_COLUMNS = tuple(c for c in MANIFEST_COLUMNS if c not in _TEXT_COLUMNS)


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
    for column in ("title", "lang"):
        if column not in df.columns:
            df[column] = ""
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
    table.to_csv(path, float_format="%.3f", lineterminator="\n")
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


def _to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2")


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM WAV via the standard library: a plain RIFF file, the same bytes every time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = _to_int16(audio)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(frames.tobytes())


def write_excerpt(
    wav: str | os.PathLike,
    timing: dict,
    out: str | os.PathLike,
    limit_s: float,
    fade_s: float = FADE_S,
) -> Excerpt:
    """Write the first ``limit_s`` seconds of ``wav`` to ``out``, cut at a pause, faded out."""
    audio, sample_rate = sf.read(str(wav), dtype="float64", always_2d=True)
    pieces = timing.get("pieces") or []
    end_s = excerpt_end(pieces, limit_s)
    if end_s is None:
        log.warning("%s: timing has no pieces; cutting at %.3f s", wav, limit_s)
        end_s = float(limit_s)
    # floor, so the excerpt never ends after the piece (and never after limit_s when it fits)
    frames = min(len(audio), max(1, math.floor(end_s * sample_rate + 1e-6)))
    clip = audio[:frames].copy()
    fade = min(frames, round(fade_s * sample_rate))
    if fade > 0:
        ramp = 0.5 * (1.0 + np.cos(np.linspace(0.0, math.pi, fade)))
        clip[-fade:] *= ramp[:, None]
    out = Path(out)
    _write_wav(out, clip, sample_rate)
    kept = sum(1 for p in pieces if float(p["end_s"]) <= end_s + 1e-9)
    return Excerpt(out, end_s, frames / sample_rate, kept, len(pieces))


# ---------------------------------------------------------------------------------- formatting


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _href(target: str | os.PathLike, page_dir: str | os.PathLike) -> str:
    """Relative, URL-quoted link from a page's folder to a file (escape it before writing)."""
    rel = os.path.relpath(os.path.abspath(target), os.path.abspath(page_dir))
    return urllib.parse.quote(Path(rel).as_posix(), safe="/")


def _clock(seconds: float) -> str:
    """1:05:09, 4:32 or 0:28."""
    if not math.isfinite(seconds):
        return "?"
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _num(value: float, digits: int, unit: str = "") -> str:
    if value is None or not math.isfinite(float(value)):
        return "?"
    text = f"{float(value):.{digits}f}".replace("-", "\u2212")
    return f"{text}{unit}"


def _title_of(rows: pd.DataFrame, post: str) -> str:
    titles = [t for t in rows["title"] if isinstance(t, str) and t.strip()]
    return titles[0] if titles else post


def _voice_colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


# ---------------------------------------------------------------------------------------- plot


def _nice_ticks(vmax: float, count: int = 4) -> list[float]:
    if not math.isfinite(vmax) or vmax <= 0:
        vmax = 1.0
    raw = vmax / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            step = m * magnitude
            break
    top = math.ceil(vmax / step - 1e-9) * step
    n = round(top / step)
    return [round(i * step, 10) for i in range(n + 1)]


def _f(x: float) -> str:
    """Coordinates: one decimal, no '-0.0'."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def render_plot(manifest: pd.DataFrame) -> str:
    """Grouped horizontal bars: one group per post, one bar per voice it was narrated in.

    Left panel duration, right panel words per minute; every bar is coloured by voice (the same
    colours as the page's column headers) and labelled with its value and voice.
    """
    posts = sorted(manifest["post"].unique())
    voices = sorted(manifest["voice"].unique())
    colour = {voice: _voice_colour(i) for i, voice in enumerate(voices)}
    cells = {(r.post, r.voice): r for r in manifest.itertuples(index=False)}
    titles = {p: _title_of(manifest[manifest["post"] == p], p) for p in posts}
    narrated = {p: [v for v in voices if (p, v) in cells] for p in posts}

    width = 980
    label_w = 220
    gap = 36
    right = 16
    panel_w = (width - label_w - gap - right) / 2
    value_w = 20 + 6.2 * max((len(v) for v in voices), default=0) + 30  # "12.3 voice" after a bar
    bar_h, bar_gap, group_pad = 11, 3, 16
    min_group_h = 30  # room for the two lines of the post label

    def group_height(post: str) -> float:
        n = len(narrated[post])
        return max(min_group_h, n * (bar_h + bar_gap) - bar_gap)

    # legend, wrapped over as many rows as needed
    legend: list[tuple[float, float, str]] = []
    x, y = 0.0, 0.0
    for voice in voices:
        item_w = 18 + 6.8 * len(voice) + 16
        if x > 0 and x + item_w > width - 16:
            x, y = 0.0, y + 18
        legend.append((x, y, voice))
        x += item_w
    legend_h = y + 18

    top = 34 + legend_h + 22  # title, legend, panel headings
    group_top: dict[str, float] = {}
    y = top + group_pad
    for post in posts:
        group_top[post] = y
        y += group_height(post) + group_pad
    plot_h = y - top
    height = top + plot_h + 26

    durations = pd.to_numeric(manifest["duration_s"], errors="coerce")
    if durations.max() >= 120:  # minutes for real posts, seconds for very short ones
        duration_panel = ("Duration (minutes)", "duration_s", 1 / 60, 1)
    else:
        duration_panel = ("Duration (seconds)", "duration_s", 1.0, 1)
    panels = []
    for heading, key, scale, digits in (
        duration_panel,
        ("Words per minute", "wpm", 1.0, 0),
    ):
        values = [
            float(getattr(r, key)) * scale
            for r in cells.values()
            if math.isfinite(float(getattr(r, key)))
        ]
        ticks = _nice_ticks(max(values, default=1.0))
        panels.append((heading, key, scale, digits, ticks))

    out: list[str] = []
    add = out.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_f(height)}" '
        f'viewBox="0 0 {width} {_f(height)}" role="img" '
        'aria-labelledby="plot-title plot-desc">'
    )
    add('<title id="plot-title">Duration and words per minute per post and voice</title>')
    add(
        '<desc id="plot-desc">Grouped horizontal bars: one group per post, one bar per voice '
        "the post was narrated in; left panel narration duration, right panel words per "
        "minute.</desc>"
    )
    add(
        '<g font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, '
        'sans-serif" font-size="12" fill="#1d1d1f">'
    )
    add(f'<rect x="0" y="0" width="{width}" height="{_f(height)}" fill="#ffffff"/>')
    add(
        '<text x="8" y="20" font-size="15" font-weight="600">'
        "Duration and words per minute per post and voice</text>"
    )
    for lx, ly, voice in legend:
        x0, y0 = 8 + lx, 34 + ly
        add(
            f'<rect x="{_f(x0)}" y="{_f(y0)}" width="12" height="12" rx="2" '
            f'fill="{colour[voice]}"/>'
        )
        add(f'<text x="{_f(x0 + 18)}" y="{_f(y0 + 10.5)}">{_esc(voice)}</text>')

    for g, post in enumerate(posts):
        if g:
            sy = group_top[post] - group_pad / 2
            add(
                f'<line x1="8" y1="{_f(sy)}" x2="{width - right}" y2="{_f(sy)}" '
                'stroke="#e3e5e8" stroke-width="1"/>'
            )
        cy = group_top[post] + group_height(post) / 2
        add(
            f'<text x="8" y="{_f(cy - 2)}" font-weight="600">'
            f"<title>{_esc(titles[post])}</title>{_esc(_shorten(titles[post], 26))}</text>"
        )
        add(
            f'<text x="8" y="{_f(cy + 12)}" font-size="11" fill="#666">'
            f"{_esc(_shorten(post, 34))}</text>"
        )

    plot_top, plot_bottom = top, top + plot_h
    for p_index, (heading, key, scale, digits, ticks) in enumerate(panels):
        x0 = label_w + p_index * (panel_w + gap)
        span = panel_w - value_w
        tmax = ticks[-1] or 1.0
        add(f'<text x="{_f(x0)}" y="{_f(plot_top - 8)}" font-weight="600">{_esc(heading)}</text>')
        for t in ticks:
            tx = x0 + span * t / tmax
            add(
                f'<line x1="{_f(tx)}" y1="{_f(plot_top)}" x2="{_f(tx)}" y2="{_f(plot_bottom)}" '
                f'stroke="{"#9aa0a6" if t == 0 else "#eceef1"}" stroke-width="1"/>'
            )
            add(
                f'<text x="{_f(tx)}" y="{_f(plot_bottom + 16)}" text-anchor="middle" '
                f'font-size="11" fill="#555">{_esc(f"{t:g}")}</text>'
            )
        for post in posts:
            for v, voice in enumerate(narrated[post]):
                by = group_top[post] + v * (bar_h + bar_gap)
                value = float(getattr(cells[(post, voice)], key)) * scale
                if not math.isfinite(value):
                    continue
                w = span * value / tmax
                label = _num(value, digits)
                add(
                    f'<rect x="{_f(x0)}" y="{_f(by)}" width="{_f(max(w, 0.5))}" '
                    f'height="{bar_h}" fill="{colour[voice]}">'
                    f"<title>{_esc(titles[post])} \u2014 {_esc(voice)}: {_esc(label)}</title>"
                    "</rect>"
                )
                add(
                    f'<text x="{_f(x0 + w + 4)}" y="{_f(by + bar_h - 1.5)}" font-size="10" '
                    f'fill="#333">{_esc(label)}<tspan fill="#777" dx="5">{_esc(voice)}</tspan>'
                    "</text>"
                )
    add("</g>")
    add("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------- page

_CSS = """\
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; margin: 24px 28px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
p.lead { color: #444; margin: 0 0 16px; max-width: 62em; }
.scroll { overflow-x: auto; border: 1px solid #dadce0; border-radius: 8px; }
table { border-collapse: separate; border-spacing: 0; min-width: 100%; }
th, td { padding: 10px 12px; vertical-align: top; text-align: left;
  border-bottom: 1px solid #e8eaed; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 0; }
thead th { background: #f6f7f9; font-weight: 600; white-space: nowrap;
  border-bottom: 1px solid #dadce0; }
thead th .lang { font-weight: 400; color: #666; font-size: 12px; margin-left: 4px; }
th.post { position: sticky; left: 0; z-index: 1; background: #fff; min-width: 13em;
  max-width: 20em; border-right: 1px solid #e8eaed; font-weight: 400; }
thead th.post { background: #f6f7f9; z-index: 2; }
th.post .title { font-weight: 600; display: block; overflow-wrap: anywhere; }
th.post .sub, .meta { font-size: 12px; color: #555; font-variant-numeric: tabular-nums; }
td.cell { min-width: 250px; }
td.cell audio { display: block; width: 250px; height: 34px; }
.meta { margin-top: 4px; }
.meta a { color: #1a5fb4; }
td.missing { color: #80868b; font-style: italic; background: #fafbfc; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 6px; vertical-align: baseline; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e8eaed; border-radius: 8px; }
footer { margin-top: 28px; color: #666; font-size: 12px; }
"""


@dataclass(frozen=True)
class _Cell:
    row: object  # manifest row (namedtuple)
    wav: Path  # absolute path of the full narration
    excerpt: Excerpt | None


def _langs(values: Iterable[str]) -> str:
    return ", ".join(sorted({v for v in values if isinstance(v, str) and v}))


def render_page(
    manifest: pd.DataFrame,
    cells: dict[tuple[str, str], _Cell],
    page_dir: str | os.PathLike,
    plot: str | os.PathLike,
    excerpt_s: float | None,
    reasons: dict[tuple[str, str], str] | None = None,
) -> str:
    reasons = reasons or {}
    posts = sorted(manifest["post"].unique())
    voices = sorted(manifest["voice"].unique())
    post_rows = {p: manifest[manifest["post"] == p] for p in posts}
    voice_langs = {v: _langs(manifest.loc[manifest["voice"] == v, "lang"]) for v in voices}
    titles = {p: _title_of(post_rows[p], p) for p in posts}

    out: list[str] = []
    add = out.append
    add("<!DOCTYPE html>")
    add('<html lang="en">')
    add("<head>")
    add('<meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add('<link rel="icon" href="data:,">')  # no favicon request
    add(f"<title>Voice matrix \u2014 {len(posts)} posts \u00d7 {len(voices)} voices</title>")
    add(f"<style>\n{_CSS}</style>")
    add("</head>")
    add("<body>")
    add("<h1>Voice comparison matrix</h1>")
    if excerpt_s:
        mode = (
            f"Each player plays an excerpt: the first {_esc(f'{excerpt_s:g}')} seconds of the "
            "narration, cut at the end of the last spoken piece that ends within that time "
            "(at least the first piece), with a short fade-out. "
            "\u201cfull narration\u201d links the whole file."
        )
    else:
        mode = "Each player plays the full narration."
    add(
        f'<p class="lead">{len(posts)} posts \u00d7 {len(voices)} voices. {mode} '
        "Duration, words per minute and loudness (LUFS) are those of the full narration.</p>"
    )
    add('<div class="scroll">')
    add("<table>")
    add("<thead>")
    add("<tr>")
    add('<th class="post" scope="col">Post</th>')
    for i, voice in enumerate(voices):
        lang = voice_langs[voice]
        lang_html = f'<span class="lang">{_esc(lang)}</span>' if lang else ""
        add(
            f'<th scope="col"><span class="swatch" style="background:{_voice_colour(i)}">'
            f"</span>{_esc(voice)}{lang_html}</th>"
        )
    add("</tr>")
    add("</thead>")
    add("<tbody>")
    for post in posts:
        rows = post_rows[post]
        words = rows["words"].dropna() if "words" in rows.columns else pd.Series(dtype=float)
        sub = [_esc(post)]
        post_lang = _langs(rows["lang"])
        if post_lang:
            sub.append(f"lang {_esc(post_lang)}")
        if len(words):
            sub.append(f"{int(words.iloc[0])} words")
        sub_html = " \u00b7 ".join(sub)
        add("<tr>")
        add(
            f'<th class="post" scope="row"><span class="title">{_esc(titles[post])}</span>'
            f'<span class="sub">{sub_html}</span></th>'
        )
        for voice in voices:
            cell = cells.get((post, voice))
            if cell is None and (post, voice) in reasons:
                add(f'<td class="missing">not narrated: {_esc(reasons[(post, voice)])}</td>')
                continue
            if cell is None:
                reason = NOT_NARRATED
                if post_lang and voice_langs[voice] and post_lang == voice_langs[voice]:
                    reason = "not narrated"
                detail = (
                    f' title="post language {_esc(post_lang)}, voice language '
                    f'{_esc(voice_langs[voice])}"'
                    if post_lang and voice_langs[voice] and reason == NOT_NARRATED
                    else ""
                )
                add(f'<td class="missing"{detail}>{_esc(reason)}</td>')
                continue
            row = cell.row
            full = _esc(_href(cell.wav, page_dir))
            label = _esc(f"{voice}: {titles[post]}")
            if cell.excerpt is not None:
                src = _esc(_href(cell.excerpt.path, page_dir))
                length = (
                    f"excerpt {_clock(cell.excerpt.duration_s)} of {_clock(float(row.duration_s))}"
                )
            else:
                src = full
                length = _clock(float(row.duration_s))
            add('<td class="cell">')
            add(
                f'<audio controls preload="metadata" src="{src}" aria-label="{label}">'
                f'<a href="{src}">{_esc("play")}</a></audio>'
            )
            add(f'<div class="meta">{length} \u00b7 <a href="{full}">full narration</a></div>')
            add(
                f'<div class="meta">{_num(float(row.duration_s), 1)} s \u00b7 '
                f"{_num(float(row.wpm), 0)} wpm \u00b7 {_num(float(row.lufs), 1)} LUFS</div>"
            )
            add("</td>")
        add("</tr>")
    add("</tbody>")
    add("</table>")
    add("</div>")
    add("<h2>Duration and pace</h2>")
    add("<figure>")
    add(
        f'<img src="{_esc(_href(plot, page_dir))}" '
        'alt="Bar chart: duration in minutes and words per minute per post and voice">'
    )
    add("</figure>")
    add(
        "<footer>Made by kokoro-narrate from results/manifest.csv; "
        "the same table is in results/matrix.csv.</footer>"
    )
    add("</body>")
    add("</html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------- main


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


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
    excerpt_s: float | None = DEFAULT_EXCERPT_S,
    root: str | os.PathLike = ".",
) -> Matrix:
    """Build the voice matrix (see the module docstring).

    ``manifest`` is results/manifest.csv; its ``path`` column is relative to ``root`` (the
    working directory of the pipeline). ``out_dir`` gets index.html, plot.svg and excerpts/;
    ``page``, when given, gets the same page with links relative to its own folder.
    ``excerpt_s`` None or 0 turns excerpt mode off (players play the full narrations).
    """
    root = Path(root)
    out_dir = Path(out_dir)
    df = read_manifest(manifest)
    log.info(
        "manifest %s: %d narrations, %d posts, %d voices",
        manifest,
        len(df),
        df["post"].nunique(),
        df["voice"].nunique(),
    )
    if excerpt_s is not None and excerpt_s < 0:
        raise ValueError(f"excerpt_s must be positive, got {excerpt_s}")

    # rows the build did not narrate (another language, say) keep their place in the grid and
    # say why; only narrated rows have audio, numbers and bars
    reasons = {}
    if "status" in df.columns:
        skipped = df[df["status"] != "narrated"]
        reasons = {
            (r.post, r.voice): r.status.removeprefix("skipped: ") for r in skipped.itertuples()
        }
    narrated = df[~df.set_index(["post", "voice"]).index.isin(list(reasons))]

    cells: dict[tuple[str, str], _Cell] = {}
    excerpts: list[Path] = []
    seen: dict[Path, tuple[str, str]] = {}
    for row in narrated.itertuples(index=False):
        wav = (root / row.path).absolute()
        if not wav.is_file():
            raise FileNotFoundError(f"narration of {row.post} in {row.voice} not found: {wav}")
        excerpt = None
        if excerpt_s:
            target = out_dir / "excerpts" / wav.parent.name / wav.name
            if target in seen:
                raise ValueError(f"{row.post}/{row.voice} and {seen[target]} share {wav.name}")
            seen[target] = (row.post, row.voice)
            excerpt = write_excerpt(wav, read_timing(timing_path(wav)), target, excerpt_s)
            excerpts.append(excerpt.path)
            log.info(
                "%s / %s: excerpt %.2f s (%d of %d pieces)",
                row.post,
                row.voice,
                excerpt.duration_s,
                excerpt.pieces,
                excerpt.pieces_total,
            )
        cells[(row.post, row.voice)] = _Cell(row, wav, excerpt)

    plot = out_dir / "plot.svg"
    _write_text(plot, render_plot(narrated))
    index = out_dir / "index.html"
    _write_text(index, render_page(df, cells, out_dir, plot, excerpt_s, reasons))
    if page is not None:
        page = Path(page)
        _write_text(page, render_page(df, cells, page.parent, plot, excerpt_s, reasons))
    write_pivot(df, csv)
    log.info("wrote %s, %s and %s", index, csv, page)
    return Matrix(index, page, Path(csv), plot, tuple(excerpts))
