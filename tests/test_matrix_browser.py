"""The voice matrix page in a real browser: headless Chromium via Selenium, served over HTTP.

Builds the fake results folder of tests/test_matrix.py (with Opus and MP3 encodes, a failed row
and a narration gone from disk), in excerpt mode and in full mode, serves it on 127.0.0.1
(recording every request), opens results/matrix/index.html and results/matrix.html and checks
that every <audio> loads its file (the Opus encode first where there is one), that no request
fails, that the plot loads, and that the hostile post title is text (no alert, no script). Saves a
screenshot to results/matrix/screenshot.png of the build dir and copies it to
tests/artifacts/matrix-screenshot.png for a person to look at.

Needs /usr/bin/chromium, /usr/bin/chromedriver and selenium; skipped without them, except when
the environment variable CI is set, where their absence fails the test.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import shutil
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def _load_unit_tests():
    """tests/test_matrix.py by path (works with any pytest import mode)."""
    spec = importlib.util.spec_from_file_location(
        "_matrix_unit_tests", Path(__file__).with_name("test_matrix.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _RecordingHandler(SimpleHTTPRequestHandler):
    """Serves a folder; records (path, status) of every request instead of printing it."""

    def __init__(self, *args, requests: list, **kwargs):
        self._requests = requests
        super().__init__(*args, **kwargs)

    def log_request(self, code="-", size="-"):
        self._requests.append((self.path, int(getattr(code, "value", code))))

    def log_message(self, format, *args):  # noqa: A002 - silence stderr
        pass


FAILED = "failed: out of memory (see logs/narration/plain/am_adam.log)"


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # with preload="metadata" a browser drops a media download once it has the header: the
        # request was answered (and recorded), so a broken connection is no error here
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(params=["excerpts", "full"])
def server(request, tmp_path):
    unit = _load_unit_tests()
    manifest = unit.make_fake_results(tmp_path, encodes=True)
    manifest = manifest.fillna({"opus_path": "", "mp3_path": ""})  # the posts without encodes
    manifest["status"] = "narrated"
    failed = (manifest.post == "plain") & (manifest.voice == "am_adam")
    manifest.loc[failed, "status"] = FAILED
    gone = manifest.loc[(manifest.post == unit.HOSTILE_POST) & (manifest.voice == "am_adam")]
    (tmp_path / gone.path.iloc[0]).unlink()
    unit.write_manifest(tmp_path, manifest)
    unit.build(tmp_path, excerpt_s=unit.EXCERPT_S if request.param == "excerpts" else None)
    requests: list[tuple[str, int]] = []
    handler = functools.partial(
        _RecordingHandler, directory=str(tmp_path / "results"), requests=requests
    )
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "base": f"http://127.0.0.1:{httpd.server_address[1]}",
            "root": tmp_path,
            "excerpts": request.param == "excerpts",
            "played": manifest[~failed].drop(gone.index),  # the rows with a player
            "missing": gone.path.iloc[0],
            "requests": requests,
            "hostile": unit.HOSTILE,
        }
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def headless_chromium(profile: Path, *args: str):
    """Debian's Chromium through its chromedriver, headless, muted, with nothing fetched from the
    network (Selenium Manager never runs); `args` add to the command line. Skips (fails in CI)
    where Selenium or Chromium is missing."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install selenium)")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            _unavailable(f"{binary} is missing (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--mute-audio",
        f"--user-data-dir={profile}",
        *args,
    ):
        options.add_argument(arg)
    # leave any alert open so the test can see it (instead of Selenium dismissing it)
    options.unhandled_prompt_behavior = "ignore"
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def driver(tmp_path_factory):
    with headless_chromium(
        tmp_path_factory.mktemp("chromium-profile"), "--window-size=1400,900"
    ) as browser:
        yield browser


_AUDIO_STATE = """
return Array.from(document.querySelectorAll('audio')).map(a => ({
  current: a.currentSrc, ready: a.readyState,
  duration: String(a.duration), positive: a.duration > 0, error: a.error ? a.error.code : null,
  controls: a.controls, preload: a.getAttribute('preload')}));
"""


def _wait_for_audio(driver, expected: int, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        state = driver.execute_script(_AUDIO_STATE)
        if len(state) == expected and all(a["ready"] >= 1 or a["error"] is not None for a in state):
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def _assert_no_alert(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
        text = alert.text
    except NoAlertPresentException:
        return
    alert.dismiss()
    pytest.fail(f"the page raised an alert: {text!r}")


def test_matrix_page_in_chromium(server, driver):
    base, root, played = server["base"], server["root"], server["played"]
    requests, hostile = server["requests"], server["hostile"]

    for page in ("matrix/index.html", "matrix.html"):
        driver.get(f"{base}/{page}")
        _assert_no_alert(driver)
        state = _wait_for_audio(driver, expected=len(played))
        assert len(state) == len(played), state
        for audio in state:
            assert audio["error"] is None, audio
            assert audio["ready"] >= 1, audio  # HAVE_METADATA
            assert audio["positive"], audio  # Infinity for Opus from a server without Range
            assert audio["controls"] and audio["preload"] == "metadata", audio
            assert audio["current"].startswith(base + "/"), audio
        playing = sorted(urllib.parse.unquote(a["current"].removeprefix(base)) for a in state)
        if server["excerpts"]:  # every player plays its excerpt, a WAV
            expected = [
                f"/matrix/excerpts/{r.post}/{Path(r.path).name}" for r in played.itertuples()
            ]
        else:  # the Opus encode where there is one, else the WAV
            expected = [
                "/" + (r.opus_path or r.path).removeprefix("results/") for r in played.itertuples()
            ]
        assert playing == sorted(expected)
        # the hostile title is text: shown literally, no script element, no alert
        cells = driver.execute_script(
            "return Array.from(document.querySelectorAll('th.post')).map(e => e.textContent)"
        )
        assert any(hostile in text for text in cells), cells
        assert driver.execute_script("return document.scripts.length") == 0
        _assert_no_alert(driver)
        notes = driver.execute_script(
            "return Array.from(document.querySelectorAll('td.note')).map(e => e.textContent)"
        )
        absent = "not narrated: post language differs"  # no row: bf_emma for the hostile post
        assert sorted(notes) == sorted([FAILED, f"missing: {server['missing']}", absent]), notes
        # the plot image loaded
        assert driver.execute_script(
            "const i = document.querySelector('figure img');return i.complete && i.naturalWidth > 0"
        )
        # every link resolves (fetched by the test, so they land in the server log)
        links = driver.execute_script(
            "return Array.from(document.querySelectorAll('a')).map(a => a.href)"
        )
        full = [link for link in links if "/narrations/" in link and "/excerpts/" not in link]
        assert len(set(full)) == len(played), links
        for link in links:
            assert link.startswith(base + "/"), link
            with urllib.request.urlopen(link, timeout=10) as response:
                assert response.status == 200
        if page == "matrix/index.html" and server["excerpts"]:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1400, min(max(int(height) + 140, 700), 4000))
            time.sleep(0.3)
            shot = root / "results/matrix/screenshot.png"
            assert driver.save_screenshot(str(shot))
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, ARTIFACTS / "matrix-screenshot.png")
            driver.set_window_size(1400, 900)

    bad = [(path, status) for path, status in requests if status >= 400]
    assert not bad, bad
    served = {urllib.parse.unquote(path.split("?")[0]) for path, _ in requests}
    assert "/matrix/plot.svg" in served
    assert not [path for path in served if Path(server["missing"]).name in path]
