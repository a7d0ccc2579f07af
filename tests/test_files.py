import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from kokoro_narrate import files


def test_the_new_content_replaces_the_old_whole(tmp_path):
    path = tmp_path / "post.json"
    path.write_text("old")
    seen = []
    with files.replacing(str(path)) as tmp:  # Snakemake's paths are strings
        assert tmp.parent == tmp_path and tmp.name.startswith(".post.json.")
        assert tmp.name.endswith(".tmp")
        assert not tmp.exists()  # nothing made yet: a library, or a hard link, makes it
        tmp.write_text("new")
        seen.append(path.read_text())  # readers meanwhile see the old file
    assert seen == ["old"]
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "narration.wav"
    path.write_bytes(b"the finished narration")
    with pytest.raises(RuntimeError), files.replacing(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the encoder stopped")
    assert path.read_bytes() == b"the finished narration"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narration.wav"]


def test_written_files_get_the_permissions_of_any_new_file(tmp_path):
    # a published file must be readable as any other the user makes, not by its owner alone
    plain = tmp_path / "plain"
    plain.write_text("")
    files.write_text(tmp_path / "feed.xml", "<rss/>")
    files.write_bytes(tmp_path / "clip.mp3", b"\xff\xfb")
    expected = stat.S_IMODE(os.stat(plain).st_mode)
    for name in ("feed.xml", "clip.mp3"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == expected


def test_text_is_utf8_with_unix_line_ends(tmp_path):
    files.write_text(tmp_path / "captions.vtt", "WEBVTT\n\ncafé\n")
    assert (tmp_path / "captions.vtt").read_bytes() == "WEBVTT\n\ncafé\n".encode()


def test_writers_of_one_path_on_many_threads_leave_one_whole_file(tmp_path):
    path = tmp_path / "shared.bin"
    contents = [bytes([n]) * 100_000 for n in range(16)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda data: files.write_bytes(path, data), contents))
    assert path.read_bytes() in contents
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.bin"]
