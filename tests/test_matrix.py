"""Unit tests of the voice comparison matrix (kokoro_narrate.matrix) on a small fake results folder.

`make_fake_results` is also used by tests/test_matrix_browser.py.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
import textwrap
import urllib.parse
import wave
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
EXCERPT_S = 3.0
VOICES = {"af_heart": "a", "am_adam": "a", "bf_emma": "b"}
# post -> (title, voices it is narrated in); "hostile" has no bf_emma narration
POSTS = {
    "hostile": (HOSTILE, ["af_heart", "am_adam"]),
    "plain": ('Plain & simple: a "quoted" post', ["af_heart", "am_adam", "bf_emma"]),
}


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


def make_fake_results(root: Path) -> pd.DataFrame:
    """results/manifest.csv + narration WAVs + timing JSONs under root, like the real stages."""
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
            rows.append(
                {
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
            )
    manifest = pd.DataFrame(rows)
    (root / "results").mkdir(parents=True, exist_ok=True)
    manifest.to_csv(root / "results/manifest.csv", index=False)
    return manifest


def build(root: Path, excerpt_s: float | None = EXCERPT_S) -> matrix.Matrix:
    results = root / "results"
    return matrix.build_matrix(
        manifest=results / "manifest.csv",
        out_dir=results / "matrix",
        csv=results / "matrix.csv",
        page=results / "matrix.html",
        excerpt_s=excerpt_s,
        root=root,
    )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.audio: list[dict] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "audio":
            self.audio.append(a)
        for key in ("href", "src"):
            if key in a:
                self.links.append((tag, a[key]))


def parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "narrations" not in p.parts
    }


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


# ------------------------------------------------------------------------------ page and CSV


def test_page_holds_every_post_and_voice(built):
    root, manifest, _ = built
    for page in (root / "results/matrix/index.html", root / "results/matrix.html"):
        text = page.read_text(encoding="utf-8")
        parsed = parse(page)
        for voice in VOICES:
            assert f"{voice}<span" in text
        assert "Plain &amp; simple: a &quot;quoted&quot; post" in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        # one player per narration, excerpt mode: the player plays the excerpt
        assert len(parsed.audio) == len(manifest)
        for audio in parsed.audio:
            assert audio["controls"] is None and audio["preload"] == "metadata"
            assert "excerpts/" in audio["src"]
        assert text.count("full narration</a>") == len(manifest)
        # the missing voice
        assert text.count(matrix.NOT_NARRATED) == 1
        assert "wpm" in text and "LUFS" in text


def test_csv_is_post_by_voice_pivot(built):
    root, manifest, _ = built
    table = pd.read_csv(root / "results/matrix.csv", index_col="post")
    assert list(table.index) == sorted(POSTS)
    voices = sorted(VOICES)
    assert list(table.columns) == [f"{m}[{v}]" for m in matrix.METRICS for v in voices]
    for row in manifest.itertuples():
        for metric in matrix.METRICS:
            assert table.loc[row.post, f"{metric}[{row.voice}]"] == pytest.approx(
                getattr(row, metric), abs=1e-3
            )
    assert math.isnan(table.loc["hostile", "duration_s[bf_emma]"])


def test_links_are_relative_and_resolve(built):
    root, manifest, _ = built
    for page in (
        root / "results/matrix/index.html",
        root / "results/matrix.html",
    ):
        links = parse(page).links
        assert links, page
        targets = set()
        for tag, link in links:
            if tag == "link" and link == "data:,":  # the empty favicon
                continue
            parts = urllib.parse.urlsplit(link)
            assert not parts.scheme and not parts.netloc and not link.startswith("/"), link
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve()
            assert target.is_file(), (page, link)
            assert root.resolve() in target.parents
            targets.add(target)
        for row in manifest.itertuples():
            assert (root / row.path).resolve() in targets  # every full narration is linked
        assert (root / "results/matrix/plot.svg").resolve() in targets


def test_hostile_title_is_escaped_everywhere(built):
    root, _, _ = built
    for path in (
        root / "results/matrix/index.html",
        root / "results/matrix.html",
        root / "results/matrix/plot.svg",
    ):
        text = path.read_text(encoding="utf-8")
        assert HOSTILE not in text
        assert "<script" not in text.lower()
    assert "script" not in parse(root / "results/matrix/index.html").tags


def test_plot_is_svg_with_every_post_and_voice(built):
    root, _, _ = built
    import xml.etree.ElementTree as ET

    svg = root / "results/matrix/plot.svg"
    tree = ET.parse(svg)  # well-formed XML
    assert tree.getroot().tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.read_text(encoding="utf-8")
    for voice in VOICES:
        assert f">{voice}<" in text
    assert text.count("<rect ") == 1 + len(VOICES) + 2 * 5  # background, legend, 5 bars x 2
    assert "Words per minute" in text and "Duration (seconds)" in text


def test_same_inputs_same_bytes(built, tmp_path_factory):
    root, _, _ = built
    first = tree_bytes(root / "results")
    build(root)  # rerun in place
    assert tree_bytes(root / "results") == first
    # elsewhere: no absolute paths or timestamps leak into the outputs
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(root / "results/narrations", other / "results/narrations")
    shutil.copy(root / "results/manifest.csv", other / "results/manifest.csv")
    build(other)
    assert tree_bytes(other / "results") == first


def test_excerpt_mode_off_plays_full_narrations(tmp_path):
    manifest = make_fake_results(tmp_path)
    result = build(tmp_path, excerpt_s=None)
    assert result.excerpts == ()
    assert not (tmp_path / "results/matrix/excerpts").exists()
    srcs = [a["src"] for a in parse(result.index).audio]
    assert len(srcs) == len(manifest)
    assert all(s.startswith("../narrations/") for s in srcs)


def test_duplicate_rows_are_refused(tmp_path):
    manifest = make_fake_results(tmp_path)
    pd.concat([manifest, manifest.iloc[:1]]).to_csv(tmp_path / "results/manifest.csv", index=False)
    with pytest.raises(ValueError, match="more than one row"):
        build(tmp_path)


def test_text_columns_stay_text(tmp_path):
    manifest = make_fake_results(tmp_path)
    manifest["post"] = manifest["post"].map({"hostile": "001", "plain": "NA"})
    manifest.to_csv(tmp_path / "results/manifest.csv", index=False)
    df = matrix.read_manifest(tmp_path / "results/manifest.csv")
    assert sorted(df["post"].unique()) == ["001", "NA"]


# --------------------------------------------------------------------------- snakemake rule


@pytest.mark.slow
def test_rule_runs_and_reports(tmp_path):
    make_fake_results(tmp_path)
    # fake narrations already exist: stand-in common.smk input function and config
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent(
            f"""
            import pandas as pd

            config.setdefault("matrix", {{"excerpt_s": {EXCERPT_S}}})


            def all_narrations(wildcards):
                return list(pd.read_csv("results/manifest.csv")["path"])


            def all_timings(wildcards):
                return [p.removesuffix(".wav") + ".json" for p in all_narrations(wildcards)]


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


def test_skipped_rows_say_why_and_have_no_player_or_bar(tmp_path):
    manifest = make_fake_results(tmp_path)
    manifest["status"] = "narrated"
    why = "post language es, voice speaks British English"
    skipped = {"post": "hostile", "title": "", "voice": "bf_emma", "status": f"skipped: {why}"}
    pd.concat([manifest, pd.DataFrame([skipped])]).to_csv(
        tmp_path / "results/manifest.csv", index=False
    )
    result = build(tmp_path)
    page = result.index.read_text()
    assert f"not narrated: {why}" in page
    assert len(parse(result.index).audio) == len(manifest)  # no player for the skipped cell
    table = pd.read_csv(result.csv, index_col="post")
    assert pd.isna(table.loc["hostile", "duration_s[bf_emma]"])
    assert HOSTILE not in page  # the hostile title is still escaped, taken from its narrated rows
