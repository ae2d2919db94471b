"""`hpo-guardrail demo` runs end to end in a fresh process, as a newcomer runs it."""

from __future__ import annotations

import json
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
        env={**os.environ, "TMPDIR": str(_made(tmp_path))},
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


def test_the_demo_prices_a_type_the_bundled_table_lacks_live_then_from_the_cache(tmp_path):
    completed = run_demo(tmp_path=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    blocks = {
        block.split("\n", 1)[0]: block for block in re.split(r"^\[\d+/\d+\] ", completed.stdout, flags=re.MULTILINE)
    }
    live, cached = blocks["09-live-price-p4d.json"], blocks["10-live-price-p4d-from-cache.json"]
    assert "ml.p4d.24xlarge $25.251/h, live from the AWS Price List API" in live
    assert "price api  1 GetProducts call(s)" in live
    assert "ml.p4d.24xlarge $25.251/h, cached from the AWS Price List API" in cached
    assert "price api  0 GetProducts call(s)" in cached
    # The costly misconfigured p5 job (its price known only to the Price List API) is stopped.
    p5 = blocks["08-multi-algorithm-unknown-price.json"]
    assert "ml.p5.48xlarge $63.296/h, live from the AWS Price List API" in p5
    assert "decision   stop" in p5 and "stopped (InProgress -> Stopping)" in p5


def test_the_demo_fails_with_a_non_zero_exit_code_when_there_is_nothing_to_replay(tmp_path):
    completed = run_demo("--events", str(tmp_path), tmp_path=tmp_path)

    assert completed.returncode == 1
    assert "DEMO FAILED" in completed.stdout


def shifted_events(tmp_path: Path, days: int) -> Path:
    """The sample events as if they had happened `days` days earlier: running the demo on them is running it
    `days` days later."""
    from datetime import datetime, timedelta

    def shift(when: str) -> str:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00")) - timedelta(days=days)
        return moment.isoformat().replace("+00:00", "Z")

    folder = tmp_path / f"events-{days}-days-earlier"
    folder.mkdir()
    for path in sorted((REPO_ROOT / "events").glob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        event["time"] = shift(event["time"])
        if isinstance(event.get("detail"), dict) and event["detail"].get("eventTime"):
            event["detail"]["eventTime"] = shift(event["detail"]["eventTime"])
        (folder / path.name).write_text(json.dumps(event), encoding="utf-8")
    return folder


def cost_avoided(output: str) -> tuple[str, str]:
    (report_line,) = re.findall(r"^Cost avoided +(\S+)", output, flags=re.MULTILINE)
    (summary,) = re.findall(r'"costAvoidedUsd": "([0-9.]+)"', output)
    return report_line, summary


def test_the_demo_shows_the_same_cost_avoided_whatever_day_it_runs(tmp_path):
    today = run_demo(tmp_path=tmp_path / "today")
    later = run_demo("--events", str(shifted_events(tmp_path, 400)), tmp_path=tmp_path / "in-400-days")

    assert today.returncode == 0 and later.returncode == 0, today.stdout + later.stdout + later.stderr
    assert cost_avoided(today.stdout) == cost_avoided(later.stdout)
    dollars = float(cost_avoided(today.stdout)[1])
    assert dollars > 1_000_000, "two stopped jobs, each stopped a minute after it started"


def test_the_demo_leaves_only_the_report_and_log_it_points_to(tmp_path):
    completed = run_demo(tmp_path=tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    (workdir,) = tmp_path.iterdir()
    assert sorted(p.name for p in workdir.iterdir()) == ["function.log", "report.html", "report.md"]
    assert f"Kept in {workdir}: report.html, report.md, function.log" in completed.stdout


def test_the_demo_leaves_nothing_when_it_fails_before_it_starts(tmp_path):
    completed = run_demo("--events", str(tmp_path / "no-such-folder"), tmp_path=tmp_path)
    assert completed.returncode == 1
    assert not any(tmp_path.iterdir())


def test_the_demo_routes_the_nlp_jobs_alert_to_the_nlp_teams_queue(tmp_path):
    completed = run_demo(tmp_path=tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    section = completed.stdout.split("One alert routed to its team", 1)[1]
    assert 'Filter policy   {"team": ["nlp"]} (FilterPolicyScope MessageAttributes)' in section
    assert re.search(r"^Received +1 of the \d+ alerts", section, flags=re.MULTILINE)
    assert "[HPO Guardrail] llm-sweep-costly stopped" in section and "team=nlp" in section
    assert "Expected        the alert of every job tagged team=nlp (llm-sweep-costly): exactly that" in section


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
