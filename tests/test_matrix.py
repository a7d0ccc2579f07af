"""Unit tests of the voice comparison matrix (kokoro_narrate.matrix) on a small fake results folder.

`make_fake_results` and `build` are also used by tests/test_matrix_browser.py.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
import urllib.parse
import wave
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from kokoro_narrate import matrix

REPO = Path(__file__).resolve().parents[1]
SR = 24000
HOSTILE = "<script>alert(1)</script>"
# a post id (a Markdown file name) with characters that mean something in HTML and in a URL
# (not "<": Snakemake 9 reads "<name>" in a path as a path variable)
HOSTILE_POST = 'q&a "it\'s"'
PLAIN_TITLE = 'Plain & simple: a "quoted" post'
EXCERPT_S = 3.0
VOICES = {"af_heart": "a", "am_adam": "a", "bf_emma": "b"}
# post -> (title, voices it is narrated in); HOSTILE_POST has no bf_emma narration
POSTS = {
    HOSTILE_POST: (HOSTILE, ["af_heart", "am_adam"]),
    "plain": (PLAIN_TITLE, ["af_heart", "am_adam", "bf_emma"]),
}
NARRATIONS = sum(len(voices) for _, voices in POSTS.values())
# web encodes of the fake results (make_fake_results(encodes=True)): (manifest column, suffix)
ENCODES = (("opus_path", ".opus"), ("mp3_path", ".mp3"))


def _pieces(seed: int) -> list[dict]:
    """Title + paragraphs: spoken pieces of 0.7-1.3 s with 0.25-0.6 s pauses, 0.3 s lead-in."""
    rng = np.random.default_rng(seed)
    pieces, t = [], 0.3
    for i in range(6):
        length = round(float(rng.uniform(0.7, 1.3)), 3)
        pieces.append(
            {
                "paragraph": f"p{i:04d}",
                "kind": "title" if i == 0 else "paragraph",
                "start_s": round(t, 3),
                "end_s": round(t + length, 3),
            }
        )
        t += length + round(float(rng.uniform(0.25, 0.6)), 3)
    return pieces


def _write_encodes(audio: np.ndarray, wav_rel: Path, root: Path) -> dict[str, str]:
    """Opus and MP3 encodes of a narration under results/web/, as the manifest would list them."""
    rel = Path("results/web") / wav_rel.parent.name / wav_rel.stem
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    sf.write(root / rel.with_suffix(".opus"), audio, SR, format="OGG", subtype="OPUS")
    sf.write(root / rel.with_suffix(".mp3"), audio, SR, format="MP3", subtype="MPEG_LAYER_III")
    return {column: rel.with_suffix(suffix).as_posix() for column, suffix in ENCODES}


def make_fake_results(root: Path, encodes: bool = False) -> pd.DataFrame:
    """results/manifest.csv + narration WAVs + timing JSONs under root, like the real stages.

    With ``encodes``, the "plain" post also has Opus and MP3 encodes (columns opus_path, mp3_path).
    """
    rows = []
    for p_index, (post, (title, voices)) in enumerate(POSTS.items()):
        for v_index, voice in enumerate(voices):
            pieces = _pieces(10 * p_index + v_index)
            samples = round((pieces[-1]["end_s"] + 0.3) * SR)
            t = np.arange(samples) / SR
            audio = np.zeros(samples)
            freq = 180.0 + 40 * v_index
            for piece in pieces:
                a, b = round(piece["start_s"] * SR), round(piece["end_s"] * SR)
                audio[a:b] = 0.3 * np.sin(2 * np.pi * freq * t[a:b])
            rel = Path("results/narrations") / post / f"{voice}_{post}.wav"
            wav = root / rel
            wav.parent.mkdir(parents=True, exist_ok=True)
            sf.write(wav, audio, SR, subtype="PCM_16")
            duration = samples / SR
            timing = {
                "sample_rate": SR,
                "samples": samples,
                "duration_s": duration,
                "lufs": -16.0,
                "true_peak_dbtp": -1.5,
                "pieces": pieces,
            }
            wav.with_suffix(".json").write_text(json.dumps(timing, indent=1))
            words = 12 + 3 * p_index
            row = {
                "post": post,
                "title": title,
                "voice": voice,
                "lang": VOICES[voice],
                "speed": 1.0,
                "paragraphs": 5,
                "chunks": len(pieces),
                "words": words,
                "duration_s": round(duration, 3),
                "wpm": round(words / duration * 60, 2),
                "lufs": -16.0 - 0.1 * v_index,
                "true_peak_dbtp": -1.5,
                "path": rel.as_posix(),
                "sha256": hashlib.sha256(wav.read_bytes()).hexdigest(),
            }
            if encodes and post == "plain":
                row.update(_write_encodes(audio, rel, root))
            rows.append(row)
    manifest = pd.DataFrame(rows)
    (root / "results").mkdir(parents=True, exist_ok=True)
    manifest.to_csv(root / "results/manifest.csv", index=False)
    return manifest


def build(
    root: Path, excerpt_s: float | None = EXCERPT_S, threads: int = 1, cache: Path | None = None
) -> matrix.Matrix:
    results = root / "results"
    return matrix.build_matrix(
        manifest=results / "manifest.csv",
        out_dir=results / "matrix",
        csv=results / "matrix.csv",
        page=results / "matrix.html",
        excerpt_s=excerpt_s,
        root=root,
        threads=threads,
        excerpt_cache=cache,
    )


class _Page(HTMLParser):
    """What a browser would see: links, players with their sources, text of cells and headers."""

    def __init__(self) -> None:
        super().__init__()  # convert_charrefs: text and attributes arrive unescaped
        self.links: list[tuple[str, str]] = []
        self.audio: list[dict] = []  # attributes, plus "sources": [(src, type)]
        self.tags: list[str] = []
        self.cells: list[tuple[str, str]] = []  # (class of the <td> or <th>, its text)
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "audio":
            self.audio.append({**a, "sources": []})
        if tag == "source":
            self.audio[-1]["sources"].append((a["src"], a["type"]))
        for key in ("href", "src"):
            if key in a:
                self.links.append((tag, a[key]))
        if tag in ("td", "th"):
            self._cell = [a.get("class") or "", ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append((self._cell[0], self._cell[1].strip()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def notes(self) -> list[str]:
        return [text for cls, text in self.cells if cls.startswith("note")]


def parse(page: Path) -> _Page:
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def pages(root: Path) -> tuple[Path, Path]:
    return root / "results/matrix/index.html", root / "results/matrix.html"


def resolve(page: Path, link: str) -> Path:
    return (page.parent / urllib.parse.unquote(urllib.parse.urlsplit(link).path)).resolve()


def bar_labels(svg: Path) -> list[str]:
    """The voice of every bar in the plot: its label "<value>  <voice>", kept as an SVG comment."""
    return re.findall(r"<!-- [0-9.\u2212?]+  (\S+) -->", svg.read_text(encoding="utf-8"))


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "narrations" not in p.parts
    }


def write_manifest(root: Path, manifest: pd.DataFrame) -> None:
    manifest.to_csv(root / "results/manifest.csv", index=False)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, pd.DataFrame, matrix.Matrix]:
    manifest = make_fake_results(tmp_path)
    return tmp_path, manifest, build(tmp_path)


# ---------------------------------------------------------------------------- excerpt cutting


def test_excerpt_end_picks_last_piece_within_limit():
    pieces = [
        {"start_s": 0.3, "end_s": 1.0},
        {"start_s": 1.4, "end_s": 2.5},
        {"start_s": 2.9, "end_s": 4.0},
    ]
    assert matrix.excerpt_end(pieces, 3.0) == 2.5
    assert matrix.excerpt_end(pieces, 2.5) == 2.5
    assert matrix.excerpt_end(pieces, 10.0) == 4.0
    # nothing ends within the limit: at least the first piece
    assert matrix.excerpt_end(pieces, 0.5) == 1.0
    # order of the pieces in the JSON does not matter
    assert matrix.excerpt_end(list(reversed(pieces)), 0.5) == 1.0
    assert matrix.excerpt_end([], 3.0) is None


def test_excerpts_cut_at_piece_end_within_limit(built):
    root, manifest, result = built
    assert len(result.excerpts) == len(manifest)
    for row in manifest.itertuples():
        timing = json.loads((root / row.path).with_suffix(".json").read_text())
        ends = [p["end_s"] for p in timing["pieces"]]
        excerpt = root / "results/matrix/excerpts" / row.post / Path(row.path).name
        with wave.open(str(excerpt)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SR, 1, 2)
            frames = w.getnframes()
            audio = np.frombuffer(w.readframes(frames), dtype="<i2")
        expected_end = max(e for e in ends if e <= EXCERPT_S)
        assert frames == math.floor(expected_end * SR + 1e-6)
        assert any(frames == math.floor(e * SR + 1e-6) for e in ends)  # lands on a piece end
        assert frames / SR <= EXCERPT_S
        # same samples as the narration up to the fade, then faded out to silence
        full, _ = sf.read(root / row.path, dtype="int16")
        fade = round(matrix.FADE_S * SR)
        assert np.array_equal(audio[: frames - fade], full[: frames - fade])
        assert abs(int(audio[-1])) <= 1
        assert np.abs(audio[-fade // 4 :]).max() < np.abs(full[frames - fade // 4 : frames]).max()


def test_excerpt_keeps_first_piece_when_it_is_longer_than_limit(tmp_path):
    make_fake_results(tmp_path)
    row = pd.read_csv(tmp_path / "results/manifest.csv").iloc[0]
    wav = tmp_path / row["path"]
    timing = json.loads(wav.with_suffix(".json").read_text())
    first_end = timing["pieces"][0]["end_s"]
    excerpt = matrix.write_excerpt(wav, timing, tmp_path / "x.wav", limit_s=0.2)
    assert excerpt.end_s == first_end
    assert excerpt.pieces == 1
    assert sf.info(tmp_path / "x.wav").frames == math.floor(first_end * SR + 1e-6)


def test_excerpts_are_written_by_the_narration_writer(tmp_path, monkeypatch):
    """One writer per WAV: narration.write_wav (16-bit PCM, its rounding, its clipping check)."""
    from kokoro_narrate import narration

    written = []

    def write_wav(path, audio, sample_rate):
        written.append(Path(path))
        narration.write_wav(path, audio, sample_rate)

    monkeypatch.setattr(matrix, "write_wav", write_wav)
    make_fake_results(tmp_path)
    result = build(tmp_path)
    assert sorted(written) == sorted(result.excerpts) and len(written) == NARRATIONS


def test_excerpt_length_has_no_default_in_the_package():
    """The config schema holds the default (30 s); the package takes what the rule passes."""
    parameter = inspect.signature(matrix.build_matrix).parameters["excerpt_s"]
    assert parameter.default is inspect.Parameter.empty
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    numbers = {k: v for k, v in vars(matrix).items() if isinstance(v, (int, float))}
    assert not [name for name in numbers if "EXCERPT" in name.upper()]


def test_excerpt_length_must_be_positive(tmp_path):
    make_fake_results(tmp_path)
    with pytest.raises(ValueError, match="excerpt_s"):
        build(tmp_path, excerpt_s=0)


# ------------------------------------------------------------------------------ page and CSV


def test_page_holds_every_post_and_voice(built):
    root, manifest, _ = built
    for page in pages(root):
        text = page.read_text(encoding="utf-8")
        parsed = parse(page)
        headers = [text for cls, text in parsed.cells if cls == ""]  # <th> of the voice columns
        assert headers == [f"{voice}{lang}" for voice, lang in sorted(VOICES.items())]
        posts = [text for cls, text in parsed.cells if cls == "post"][1:]  # after "Post"
        assert len(posts) == len(POSTS)  # sorted by post id: "plain" before "q&a ..."
        assert posts[0] == f"{PLAIN_TITLE}plain · lang a, b · 15 words"
        assert posts[1] == f"{HOSTILE}{HOSTILE_POST} · lang a · 12 words"
        # one player per narration, excerpt mode: the player plays the excerpt, a WAV
        assert len(parsed.audio) == len(manifest)
        for audio in parsed.audio:
            assert audio["controls"] is None and audio["preload"] == "metadata"
            assert len(audio["sources"]) == 1
            src, mime = audio["sources"][0]
            assert "excerpts/" in src and src.endswith(".wav") and mime == "audio/wav"
        assert text.count("full narration</a>") == len(manifest)
        # the missing voice, from an older manifest without a row for it
        assert parsed.notes() == [matrix.NOT_NARRATED]
        assert "wpm" in text and "LUFS" in text


def test_csv_is_post_by_voice_pivot(built):
    root, manifest, _ = built
    table = pd.read_csv(root / "results/matrix.csv", index_col="post", dtype={"post": str})
    assert list(table.index) == sorted(POSTS)
    voices = sorted(VOICES)
    assert list(table.columns) == [f"{m}[{v}]" for m in matrix.METRICS for v in voices]
    for row in manifest.itertuples():
        for metric in matrix.METRICS:
            assert table.loc[row.post, f"{metric}[{row.voice}]"] == pytest.approx(
                getattr(row, metric), abs=1e-3
            )
    assert math.isnan(table.loc[HOSTILE_POST, "duration_s[bf_emma]"])


def test_links_are_relative_and_resolve(built):
    root, manifest, _ = built
    for page in pages(root):
        links = parse(page).links
        assert links, page
        targets = set()
        for tag, link in links:
            if tag == "link" and link == "data:,":  # the empty favicon
                continue
            parts = urllib.parse.urlsplit(link)
            assert not parts.scheme and not parts.netloc and not link.startswith("/"), link
            target = resolve(page, link)
            assert target.is_file(), (page, link)
            assert root.resolve() in target.parents
            targets.add(target)
        for row in manifest.itertuples():
            assert (root / row.path).resolve() in targets  # every full narration is linked
        assert (root / "results/matrix/plot.svg").resolve() in targets


def test_hostile_strings_are_escaped_everywhere(built):
    root, _, _ = built
    for path in (*pages(root), root / "results/matrix/plot.svg"):
        text = path.read_text(encoding="utf-8")
        assert HOSTILE not in text and HOSTILE_POST not in text
        assert "<script" not in text.lower()
    for page in pages(root):
        parsed = parse(page)
        assert "script" not in parsed.tags
        # the post id survives as text and as a link that leads to its files
        assert any(HOSTILE_POST in text for _, text in parsed.cells)
        hostile_links = [link for _, link in parsed.links if "q%26a" in link]
        assert len(hostile_links) == 3 * len(POSTS[HOSTILE_POST][1])  # source, play, full
        assert all(resolve(page, link).is_file() for link in hostile_links)


def test_plot_is_svg_with_a_bar_per_narration_and_metric(built):
    root, manifest, _ = built
    svg = root / "results/matrix/plot.svg"
    tree = ET.parse(svg)  # well-formed XML
    assert tree.getroot().tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.read_text(encoding="utf-8")
    assert sorted(bar_labels(svg)) == sorted(2 * list(manifest["voice"]))  # duration and wpm
    for voice in VOICES:
        assert f"<!-- {voice} -->" in text  # the legend
    assert "<!-- Words per minute -->" in text and "<!-- Duration (seconds) -->" in text
    assert "<text" not in text  # glyphs are paths: no font needed to show it the same way


def test_dollar_signs_in_a_title_are_text_not_mathtext(tmp_path):
    manifest = make_fake_results(tmp_path)
    title = r"Costs: $5 \and $10"  # mathtext would fail on \and (or set "5 \and " in italics)
    manifest.loc[manifest.post == "plain", "title"] = title
    write_manifest(tmp_path, manifest)
    svg = build(tmp_path).plot.read_text(encoding="utf-8")
    assert f"<!-- {title} -->" in svg
    assert "Oblique" not in svg


def test_plot_bytes_do_not_depend_on_the_process_or_font_cache(built, tmp_path_factory):
    """A fresh interpreter with an empty matplotlib config and font cache draws the same bytes:
    no random SVG ids, no date, and the font is the one matplotlib ships."""
    root, _, _ = built
    svg = (root / "results/matrix/plot.svg").read_bytes()
    assert b"<dc:date>" not in svg
    other = tmp_path_factory.mktemp("fresh")
    shutil.copytree(root / "results/narrations", other / "results/narrations")
    shutil.copy(root / "results/manifest.csv", other / "results/manifest.csv")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        import test_matrix
        test_matrix.build(Path({str(other)!r}))
        """
    )
    environment = {**os.environ, "MPLCONFIGDIR": str(tmp_path_factory.mktemp("mplconfig"))}
    run = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert (other / "results/matrix/plot.svg").read_bytes() == svg


def test_plot_font_is_the_one_matplotlib_ships():
    import matplotlib
    from matplotlib import font_manager

    with matplotlib.rc_context(matrix.PLOT_STYLE):
        found = Path(font_manager.findfont(font_manager.FontProperties()))
    assert Path(matplotlib.get_data_path()) in found.parents, found


def test_same_inputs_same_bytes(built, tmp_path_factory):
    root, _, _ = built
    first = tree_bytes(root / "results")
    assert {"matrix/plot.svg", "matrix/index.html", "matrix.html", "matrix.csv"} <= set(first)
    build(root)  # rerun in place
    assert tree_bytes(root / "results") == first
    # elsewhere: no absolute paths or timestamps leak into the outputs
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(root / "results/narrations", other / "results/narrations")
    shutil.copy(root / "results/manifest.csv", other / "results/manifest.csv")
    build(other)
    assert tree_bytes(other / "results") == first


def test_excerpts_written_on_threads_are_the_same_files(built):
    """The rule gives the job several threads for the excerpts: same files, same bytes."""
    root, _, _ = built
    first = tree_bytes(root / "results")
    shutil.rmtree(root / "results/matrix")
    result = build(root, threads=4)
    assert tree_bytes(root / "results") == first and len(result.excerpts) == NARRATIONS


def test_a_rebuild_links_the_excerpts_of_unchanged_narrations(tmp_path, monkeypatch):
    """Snakemake empties the matrix folder before the job: the excerpts of narrations whose bytes
    did not change come from the cache, the same bytes; a damaged entry, and the excerpt of a
    replaced narration, are made again; entries no build uses are dropped."""
    written = []
    write_excerpt = matrix.write_excerpt
    monkeypatch.setattr(
        matrix, "write_excerpt", lambda wav, *a: written.append(Path(wav)) or write_excerpt(wav, *a)
    )
    manifest = make_fake_results(tmp_path)
    cache = tmp_path / "cache"
    build(tmp_path, threads=2, cache=cache)
    first = tree_bytes(tmp_path / "results")
    assert len(written) == NARRATIONS and len(list(cache.glob("*.wav"))) == NARRATIONS

    def rebuild():
        written.clear()
        shutil.rmtree(tmp_path / "results/matrix")
        build(tmp_path, threads=2, cache=cache)

    rebuild()
    assert written == [] and tree_bytes(tmp_path / "results") == first

    damaged = sorted(cache.glob("*.wav"))[0]
    damaged.write_bytes(damaged.read_bytes()[:-2] + b"\x01\x02")
    rebuild()
    assert len(written) == 1 and tree_bytes(tmp_path / "results") == first

    # a narration replaced by the build: new bytes, a new sha256 in the manifest
    wav = tmp_path / manifest.loc[0, "path"]
    audio, sr = sf.read(wav)
    sf.write(wav, audio * 0.5, sr, subtype="PCM_16")
    manifest.loc[0, "sha256"] = hashlib.sha256(wav.read_bytes()).hexdigest()
    manifest.to_csv(tmp_path / "results/manifest.csv", index=False)
    rebuild()
    assert written == [wav]
    assert len(list(cache.glob("*.wav"))) == NARRATIONS  # the old excerpt's entry is gone
    # excerpts turned off: nothing is kept for them
    build(tmp_path, excerpt_s=None, cache=cache)
    assert list(cache.iterdir()) == []


def test_excerpt_mode_off_plays_full_narrations(tmp_path):
    manifest = make_fake_results(tmp_path)
    result = build(tmp_path, excerpt_s=None)
    assert result.excerpts == ()
    assert not (tmp_path / "results/matrix/excerpts").exists()
    sources = [a["sources"] for a in parse(result.index).audio]
    assert len(sources) == len(manifest)
    assert all(s == [(s[0][0], "audio/wav")] for s in sources)
    assert all(s[0][0].startswith("../narrations/") for s in sources)


def test_duplicate_rows_are_refused(tmp_path):
    manifest = make_fake_results(tmp_path)
    write_manifest(tmp_path, pd.concat([manifest, manifest.iloc[:1]]))
    with pytest.raises(ValueError, match="more than one row"):
        build(tmp_path)


def test_text_columns_stay_text(tmp_path):
    manifest = make_fake_results(tmp_path)
    manifest["post"] = manifest["post"].map({HOSTILE_POST: "001", "plain": "NA"})
    write_manifest(tmp_path, manifest)
    df = matrix.read_manifest(tmp_path / "results/manifest.csv")
    assert sorted(df["post"].unique()) == ["001", "NA"]


# ----------------------------------------------------- status, missing files and web encodes


def test_skipped_and_failed_rows_show_their_status_and_have_no_player_or_bar(tmp_path):
    manifest = make_fake_results(tmp_path)
    manifest["status"] = "narrated"
    skipped = f"skipped: post language {HOSTILE}, voice speaks British English"
    failed = "failed: out of memory <b>& more</b> (see logs/narration/plain/am_adam.log)"
    manifest.loc[(manifest.post == "plain") & (manifest.voice == "am_adam"), "status"] = failed
    skipped_row = {"post": HOSTILE_POST, "title": "", "voice": "bf_emma", "status": skipped}
    write_manifest(tmp_path, pd.concat([manifest, pd.DataFrame([skipped_row])]))
    result = build(tmp_path)
    for page in (result.index, result.page):
        parsed = parse(page)
        assert sorted(parsed.notes()) == sorted([skipped, failed])  # the status, word for word
        assert [c for c, t in parsed.cells if t == failed] == ["note failed"]
        assert [c for c, t in parsed.cells if t == skipped] == ["note skipped"]
        assert len(parsed.audio) == len(manifest) - 1  # no player for either
        assert not [link for _, link in parsed.links if "am_adam_plain" in link]
        text = page.read_text(encoding="utf-8")
        assert HOSTILE not in text and "<b>" not in text
    assert len(result.excerpts) == len(manifest) - 1
    assert sorted(bar_labels(result.plot)) == sorted(
        2 * [v for v, s in zip(manifest.voice, manifest.status, strict=True) if s == "narrated"]
    )
    table = pd.read_csv(result.csv, index_col="post")
    assert pd.isna(table.loc[HOSTILE_POST, "duration_s[bf_emma]"])


def test_a_narration_gone_from_disk_says_missing_and_is_never_linked(tmp_path):
    manifest = make_fake_results(tmp_path)
    gone = manifest.iloc[-1]
    (tmp_path / gone.path).unlink()
    result = build(tmp_path)
    assert len(result.excerpts) == len(manifest) - 1
    for page in (result.index, result.page):
        parsed = parse(page)
        assert f"missing: {gone.path}" in parsed.notes()
        assert [c for c, t in parsed.cells if t == f"missing: {gone.path}"] == ["note missing"]
        assert len(parsed.audio) == len(manifest) - 1
        for _, link in parsed.links:
            assert link == "data:," or resolve(page, link).is_file(), link
        assert not [link for _, link in parsed.links if Path(gone.path).stem in link]


def test_players_offer_opus_then_mp3_then_wav_when_encodes_exist(tmp_path):
    manifest = make_fake_results(tmp_path, encodes=True)
    # one encode listed but not on disk: never offered
    no_opus = manifest.index[(manifest.post == "plain") & (manifest.voice == "bf_emma")][0]
    (tmp_path / manifest.loc[no_opus, "opus_path"]).unlink()
    result = build(tmp_path, excerpt_s=None)
    audio = parse(result.index).audio
    assert len(audio) == len(manifest)
    expected = []
    for index, row in manifest.iterrows():
        sources = []
        if row.post == "plain":
            if index != no_opus:
                sources.append((f"../web/plain/{row.voice}_plain.opus", 'audio/ogg; codecs="opus"'))
            sources.append((f"../web/plain/{row.voice}_plain.mp3", "audio/mpeg"))
        sources.append(("../" + row.path.removeprefix("results/"), "audio/wav"))
        expected.append([(urllib.parse.quote(src), mime) for src, mime in sources])
    assert sorted(a["sources"] for a in audio) == sorted(expected)


def test_excerpts_stay_wav_and_encodes_are_linked(tmp_path):
    manifest = make_fake_results(tmp_path, encodes=True)
    result = build(tmp_path)
    parsed = parse(result.index)
    assert all(len(a["sources"]) == 1 and a["sources"][0][1] == "audio/wav" for a in parsed.audio)
    links = [link for tag, link in parsed.links if tag == "a"]
    for row in manifest.itertuples():
        if row.post == "plain":
            for column, _ in ENCODES:
                assert "../" + getattr(row, column).removeprefix("results/") in links
    assert sum(link.startswith("../web/") for link in links) == 2 * 3


# --------------------------------------------------------------------------- snakemake rule


@pytest.mark.slow
def test_rule_runs_and_reports(tmp_path):
    make_fake_results(tmp_path)
    # fake narrations already exist: stand-ins for the config and what common.smk defines
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent(
            f"""
            config.setdefault("matrix", {{"excerpt_s": {EXCERPT_S}}})
            STAGE_VERSIONS = {{"matrix": 0}}  # what common.smk defines for every rule
            TAIL_THREADS = 2
            EXCERPT_CACHE = ".snakemake/kokoro-narrate/excerpts"


            include: {str(REPO / "workflow/rules/matrix.smk")!r}


            rule all:
                input:
                    "results/matrix",
                    "results/matrix.html",
                    "results/matrix.csv",
                default_target: True
            """
        )
    )
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "--directory", str(tmp_path)]
    run = subprocess.run(
        [*snakemake, "--snakefile", str(tmp_path / "Snakefile")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert (tmp_path / "results/matrix/index.html").is_file()
    assert (tmp_path / "results/matrix.csv").is_file()
    assert "excerpt" in (tmp_path / "logs/matrix/matrix.log").read_text()
    report = subprocess.run(
        [*snakemake, "--snakefile", str(tmp_path / "Snakefile"), "--report", "report.zip"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr[-4000:]
    import zipfile

    names = zipfile.ZipFile(tmp_path / "report.zip").namelist()
    assert any(n.endswith("/matrix.csv") for n in names), names
    assert any(n.endswith("/index.html") for n in names), names
    assert any(n.endswith("/plot.svg") for n in names), names
