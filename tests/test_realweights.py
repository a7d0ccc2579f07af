"""Real Kokoro-82M speech, when KOKORO_NARRATE_REALWEIGHTS points at a folder holding config.json,
one .pth and voices/ (for instance one built by ../shared/realweights/make-weights.sh)."""

from __future__ import annotations

import glob
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

from conftest import REPO, run_snakemake

WEIGHTS = os.environ.get("KOKORO_NARRATE_REALWEIGHTS")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.realweights,
    pytest.mark.skipif(not WEIGHTS, reason="KOKORO_NARRATE_REALWEIGHTS is not set"),
]

POST = """---
title: A short walk
---

We left the house early. The air was cold, and the street was quiet.

## The river

By the river the light changed. We stopped, listened, and walked home again.
"""


def test_real_speech_end_to_end(tmp_path):
    import yaml

    folder = Path(WEIGHTS).expanduser()
    voice = sorted(p.stem for p in (folder / "voices").glob("*.pt"))[0]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "walk.md").write_text(POST, encoding="utf-8")
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "lexicon.yaml", tmp_path / "config")
    config = {
        "voices": [{"name": voice, "lang": "a"}],
        "model": {
            "weights": glob.glob(str(folder / "*.pth"))[0],
            "config": str(folder / "config.json"),
            "voices_dir": str(folder / "voices"),
        },
        "device": "cpu",
    }
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run_snakemake(tmp_path)

    (row,) = pd.read_csv(tmp_path / "results/manifest.csv").itertuples()
    assert abs(row.lufs + 16) < 0.5 and row.true_peak_dbtp <= -1.4
    assert 110 < row.wpm < 220  # a human narration pace, pauses included
    timing = json.loads((tmp_path / f"results/narrations/walk/{voice}_walk.json").read_text())
    pieces = timing["pieces"]
    assert [p["kind"] for p in pieces] == ["title", "paragraph", "heading", "paragraph"]
    gaps = [b["start_s"] - a["end_s"] for a, b in zip(pieces, pieces[1:], strict=False)]
    assert gaps == pytest.approx([1.0, 1.0, 1.0], abs=0.02)  # around the title and the heading
    audio, sr = sf.read(tmp_path / row.path)
    assert sr == 24000 and len(audio) / sr == pytest.approx(row.duration_s)
