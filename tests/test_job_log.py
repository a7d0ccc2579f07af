"""A job's log: what it did, the error that ended it, and what it used."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO
from kokoro_narrate import RESOURCES_PATTERN

JOB = """
import sys, time
from kokoro_narrate import log_to_file
log_to_file(sys.argv[1])
log_to_file(sys.argv[1])  # twice: still one closing line
start = time.process_time()
while time.process_time() - start < 0.6:
    pass
block = b"x" * (200 * 2**20)  # 200 MB, every page written
if sys.argv[2] == "fail":
    raise ValueError("no such voice")
"""


@pytest.mark.parametrize("ending", ["ok", "fail"])
def test_the_log_closes_with_the_cpu_and_memory_the_job_used(tmp_path, ending):
    log = tmp_path / "job.log"
    done = subprocess.run(
        [sys.executable, "-c", JOB, str(log), ending],
        env={"PYTHONPATH": str(REPO / "workflow")},
        capture_output=True,
        text=True,
    )
    assert done.returncode == (1 if ending == "fail" else 0), done.stderr
    lines = log.read_text().splitlines()
    closing = [line for line in lines if re.search(RESOURCES_PATTERN, line)]
    assert closing == [lines[-1]]  # one, and the last
    cpu, peak_mb = map(float, re.search(RESOURCES_PATTERN, lines[-1]).groups())
    assert 0.6 <= cpu < 5  # the busy loop, counted by the kernel, plus the interpreter's start
    assert 200 <= peak_mb < 1000
    if ending == "fail":
        assert any("job failed: no such voice" in line for line in lines)
