"""`hpo-guardrail demo` runs end to end in a fresh process, as a newcomer runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_demo(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # The demo keeps its function log in a temporary directory: under tmp_path, pytest cleans it up.
    return subprocess.run(
        [sys.executable, "-m", "hpo_guardrail.embedded.demo", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_demo_replays_every_sample_event_and_shows_the_stopped_job(tmp_path):
    completed = run_demo(tmp_path=tmp_path)

    output = completed.stdout
    assert completed.returncode == 0, output + completed.stderr
    sample_count = len(list((REPO_ROOT / "events").glob("*.json")))
    assert len(re.findall(r"^\[\d+/\d+\] ", output, flags=re.MULTILINE)) == sample_count
    assert "The email as received" in output
    assert "The Chatbot message as received" in output
    assert re.search(r"^\S+: (Stopping|Stopped)$", output, flags=re.MULTILINE)
    assert '"level"' not in output, "the function's JSON logs belong in the log file, not on the terminal"
    # It ends with the audit report of the run and one run of the weekly reporter function.
    (report_path,) = re.findall(r"^Report +(\S+report\.html)$", output, flags=re.MULTILINE)
    assert Path(report_path).read_text(encoding="utf-8").startswith("<!doctype html>")
    assert re.search(r"^Jobs +\d+ flagged .*, [1-9]\d* stopped$", output, flags=re.MULTILINE)
    assert re.search(r"^S3 object +s3://\S+/reports/\d{4}/week-\d{2}\.html$", output, flags=re.MULTILINE)
    assert "Subject: [HPO Guardrail] Weekly report " in output


def test_the_demo_fails_with_a_non_zero_exit_code_when_there_is_nothing_to_replay(tmp_path):
    completed = run_demo("--events", str(tmp_path), tmp_path=tmp_path)

    assert completed.returncode == 1
    assert "DEMO FAILED" in completed.stdout
