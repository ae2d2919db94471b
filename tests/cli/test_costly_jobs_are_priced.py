"""Never a silent $0: offline, where the bundled table has no price for the large accelerator types, enforce
mode still stops a costly linear learning-rate sweep on each of them in every region (the policy's default
unknown_price treats them as costly), and still only notifies a small job on a cheap, priced CPU type."""

from __future__ import annotations

import pytest

from tests.builders import continuous, training_definition, tuning_request
from tests.cli.conftest import write_json

ACCELERATED = ("ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.trn1.32xlarge", "ml.g6e.12xlarge")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def sweep(instance_type: str, count: int, jobs: int, hours: int) -> dict:
    return tuning_request(
        f"sweep-{instance_type.replace('.', '-')}"[:32],
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=jobs,
        max_parallel=2,
        definition=training_definition(instance_type, count, hours * 3600),
    )


@pytest.mark.parametrize("region", REGIONS)
def test_enforce_mode_stops_a_costly_linear_sweep_on_every_large_accelerator(lint, tmp_path, region):
    paths = [write_json(tmp_path / f"{t}.json", sweep(t, 2, 40, 24)) for t in ACCELERATED]
    run = lint(*map(str, paths), "--region", region, "--format", "json", env={"GUARDRAIL_MODE": "enforce"})
    reports = run.json()
    decisions = {r["job_name"]: (r["decision"]["action"], r["decision"]["costly"]) for r in reports}
    assert set(decisions.values()) == {("stop", True)}, decisions
    for report in reports:
        assert "treated as costly" in report["decision"]["reason"], report["decision"]


def test_a_small_job_on_a_cheap_priced_cpu_type_is_only_notified(lint, tmp_path):
    path = write_json(tmp_path / "small.json", sweep("ml.m5.xlarge", 1, 10, 1))
    run = lint(str(path), "--format", "json", env={"GUARDRAIL_MODE": "enforce"})
    (report,) = run.json()
    assert report["decision"]["action"] == "notify" and report["decision"]["costly"] is False
    assert report["cost"]["complete"] is True and report["cost"]["worst_case_usd"] == pytest.approx(2.3)
