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


def test_the_demo_ends_with_one_job_reviewed_its_edge_its_wasted_trials_and_its_spend(tmp_path):
    completed = run_demo(tmp_path=tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    section = completed.stdout.split("The job finishes: the guardrail reviews what it cost and taught", 1)[1]
    assert "resnet-lr-linear ran 20 training jobs in the emulator and finished Completed at 2026-11-26T16:20:00Z" in (
        section
    )
    assert re.search(r"^Reviewed +state-change Completed at 2026-11-26T16:21:00Z", section, flags=re.MULTILINE)
    assert "Training jobs    20 launched, 20 completed, 0 failed" in section
    # 20 training jobs x 2,400 billable seconds x ml.g4dn.xlarge at $0.736 an hour; worst case 20 x 2 h.
    assert "Actual spend     $9.81 next to a worst case of $29.44 estimated at creation" in section
    assert "review-range-edge: Best learning_rate 0.00012 sits at the lower edge of 0.0001 .. 1.0" in section
    assert "review-wasted-trials:" in section and "16 of 20 training jobs (80%) landed in the top decade" in section
    assert "Follow-up        [HPO Guardrail] resnet-lr-linear completed: review" in section
    assert "hyper-parameter-tuning-job/resnet-lr-linear" in section


def test_the_demos_review_is_what_the_emulator_ran_and_the_audit_table_keeps(
    embedded_aws, monitor_stack, function_runner, tuning_jobs, load_event, capture_sns
):
    """The demo's ending, in process against the shared emulator (under another job name): the review it prints is
    the training jobs the emulator ran, priced, and the record the function attached it to."""
    import io
    import uuid
    from datetime import timedelta

    from hpo_guardrail.embedded.demo_clock import DemoClock
    from hpo_guardrail.embedded.demo_review import finished_at, review_one_job
    from hpo_guardrail.embedded.event_bus import deliver

    name = f"resnet-lr-{uuid.uuid4().hex[:8]}"
    event = load_event("02-classic-linear-learning-rate.json")
    event["detail"]["eventID"] = event["id"] = str(uuid.uuid4())
    event["detail"]["requestParameters"]["hyperParameterTuningJobName"] = name
    event["detail"]["responseElements"]["hyperParameterTuningJobArn"] = (
        f"arn:aws:sagemaker:us-east-1:{embedded_aws.account_id}:hyper-parameter-tuning-job/{name}"
    )
    tuning_jobs.create_for_event(event)
    runner = function_runner(monitor_stack)
    (created,) = deliver(embedded_aws, runner, event)
    out = io.StringIO()

    review = review_one_job(
        embedded_aws,
        runner,
        DemoClock(finished_at() + timedelta(minutes=1)),
        monitor_stack,
        capture_sns(monitor_stack.topic_arn),
        created.result["event_id"],
        out,
        job_name=name,
    )

    listed = embedded_aws.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=100
    )["TrainingJobSummaries"]
    billed = [
        embedded_aws.client("sagemaker").describe_training_job(TrainingJobName=s["TrainingJobName"])[
            "BillableTimeInSeconds"
        ]
        for s in listed
    ]
    (definition,) = review.definitions
    assert review.training_jobs.launched == len(listed) == 20
    assert definition.instance_hours == pytest.approx(sum(billed) / 3600, abs=0.001), "rounded as the record keeps it"
    assert f"Actual spend     ${review.spend_usd:,.2f}" in out.getvalue()
    assert review.best is not None and review.best.hyperparameters["learning_rate"] == "0.00012"
