"""The narration snippet in a real browser: headless Chromium via Selenium, served over HTTP.

Builds one narration the way the stages do (narration, encodes, captions, snippet, from synthetic
chunks), serves its results folder on 127.0.0.1, opens the snippet as written and checks that
the player takes the Opus source, that each source (Opus, MP3) loads and plays, that the captions
track loads with every cue (word timestamps and all) and the chapters track with every chapter,
and that no request fails.

Needs /usr/bin/chromium, /usr/bin/chromedriver and selenium; skipped without them, except when
the environment variable CI is set (see test_matrix_browser.py, whose server this reuses).
"""

from __future__ import annotations

import functools
import threading
import time

import numpy as np
import pytest
from test_alignment import SR, fake_chunk
from test_matrix_browser import _RecordingHandler, _Server, headless_chromium

from kokoro_narrate import captions, encode, narration, snippet

POST, VOICE = "bread", "af_heart"
TEXTS = [
    ("A year of bread", "title"),
    ("The dough rose slowly. It was good bread.", "paragraph"),
    ("Second part", "heading"),
    ("Salt & water, then time. Then more time.", "paragraph"),
    ("Thanks for listening.", "added"),
]


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(11)
    pieces = []
    for n, (text, kind) in enumerate(TEXTS):
        audio, frames, spans, ps = fake_chunk(text, rng)
        pieces.append(
            narration.Piece(
                audio, f"p{n:04d}", kind, text=text, phonemes=ps, frames=frames, spans=spans
            )
        )
    stem = f"{VOICE}_{POST}"
    files = {
        "wav": f"results/narrations/{POST}/{stem}.wav",
        "timing": f"results/narrations/{POST}/{stem}.json",
        "opus": f"results/encodes/{POST}/{stem}.opus",
        "mp3": f"results/encodes/{POST}/{stem}.mp3",
        "vtt": f"results/captions/{POST}/{stem}.vtt",
        "srt": f"results/captions/{POST}/{stem}.srt",
        "chapters": f"results/captions/{POST}/{stem}.chapters.vtt",
    }
    for path in [*files.values(), f"results/snippets/{POST}/x"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    info = narration.build_narration(
        pieces, SR, narration.Pauses.from_config(), -16.0, -1.5, files["wav"], files["timing"]
    )
    chapters = captions.chapters(info)
    tags = encode.Tags("A year of bread", chapters=tuple(chapters))
    for codec, kbps in (("opus", 32), ("mp3", 64)):
        encode.encode(files["wav"], files[codec], codec, kbps, -16.0, -1.5, tags)
    counts = captions.build_captions(info, files["vtt"], files["srt"], files["chapters"])
    page = f"results/snippets/{POST}/{stem}.html"
    snippet.build_snippet(files, page, base_url=None, title="A year of bread", lang="en")

    requests: list[tuple[str, int]] = []
    handler = functools.partial(
        _RecordingHandler, directory=str(tmp_path / "results"), requests=requests
    )
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{httpd.server_address[1]}/snippets/{POST}/{stem}.html",
            "cues": counts["cues"],
            "chapters": len(chapters),
            "requests": requests,
        }
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def driver(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with headless_chromium(profile, "--autoplay-policy=no-user-gesture-required") as browser:
        browser.set_script_timeout(30)
        yield browser


# Loads one URL in a fresh <audio>, plays it (muted) and reports how far it got.
_PLAY = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
const audio = new Audio();
audio.muted = true;
audio.preload = 'auto';
const report = (why) => done({why, error: audio.error ? audio.error.code : null,
  ready: audio.readyState, time: audio.currentTime, duration: String(audio.duration)});
audio.addEventListener('error', () => report('error'));
audio.addEventListener('canplay', () => {
  audio.play().then(() => setTimeout(() => report('played'), 700), (e) => report('refused ' + e));
}, {once: true});
setTimeout(() => report('timeout'), 20000);
audio.src = url;
"""

# Waits until both tracks of the snippet's player are loaded (or failed) and describes them.
_TRACKS = """
const done = arguments[arguments.length - 1];
const tracks = Array.from(document.querySelectorAll('audio track'));
tracks.forEach(t => { if (t.track.mode === 'disabled') t.track.mode = 'hidden'; });
const describe = () => tracks.map(t => ({kind: t.kind, ready: t.readyState,
  cues: t.track.cues ? t.track.cues.length : -1,
  first: t.track.cues && t.track.cues.length ? t.track.cues[0].text : null,
  start: t.track.cues && t.track.cues.length ? t.track.cues[0].startTime : null}));
const poll = (left) => {
  if (tracks.every(t => t.readyState >= 2) || left <= 0) return done(describe());
  setTimeout(() => poll(left - 1), 100);
};
poll(200);
"""


def test_snippet_plays_both_sources_and_loads_its_tracks(site, driver):
    driver.get(site["url"])
    deadline = time.monotonic() + 20
    while True:
        player = driver.execute_script(
            "const a = document.querySelector('audio');"
            "return {src: a.currentSrc, ready: a.readyState, error: a.error && a.error.code};"
        )
        if player["ready"] >= 1 or player["error"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert player["error"] is None and player["ready"] >= 1, player
    assert player["src"].endswith(f"/encodes/{POST}/{VOICE}_{POST}.opus")  # the first source

    sources = driver.execute_script(
        "return Array.from(document.querySelectorAll('audio source')).map(s => s.src)"
    )
    assert [s.rsplit(".", 1)[1] for s in sources] == ["opus", "mp3"]
    for url in sources:
        played = driver.execute_async_script(_PLAY, url)
        assert played["why"] == "played" and played["error"] is None, (url, played)
        assert played["time"] > 0.2, (url, played)

    tracks = {t["kind"]: t for t in driver.execute_async_script(_TRACKS)}
    assert tracks["captions"]["ready"] == 2, tracks  # LOADED
    assert tracks["captions"]["cues"] == site["cues"]
    assert tracks["captions"]["first"].startswith("A <00:")  # word timestamps, as cue text
    assert 0 < tracks["captions"]["start"] < 0.35
    assert tracks["chapters"]["ready"] == 2 and tracks["chapters"]["cues"] == site["chapters"]
    assert tracks["chapters"]["first"] == "A year of bread"

    # (a fragment has no icon of its own: the page it is pasted into has; the browser's
    # /favicon.ico request for the bare fragment is not the snippet's)
    bad = [(p, status) for p, status in site["requests"] if status >= 400 and p != "/favicon.ico"]
    assert not bad, bad
    served = {path for path, _ in site["requests"]}
    assert {f"/encodes/{POST}/{VOICE}_{POST}.{c}" for c in ("opus", "mp3")} <= served
