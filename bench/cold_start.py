"""The Lambda functions' cold start: the deployed artifact, imported in a fresh interpreter, against the floor.

    .venv/bin/python bench/cold_start.py          (after `make bench` or `python -c 'import harness; ...'` built it)

Each figure is the median of fresh interpreters (`python -I -S -B`: only the `sam build` artifact and the Lambda
runtime's own packages, no .pyc written) with the environment template.yaml gives the function, and the variables
Lambda sets (LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME), so Powertools traces through X-Ray as deployed. The
floor (harness.FLOOR_WORK: `import boto3` and one client) runs in the same environment, in the same run.

- cold start: importing the handler module, which reads its settings and makes its clients (what Lambda's
  init phase does before the first event); goal <= 1.10x the floor, and peak RSS <= 80 MiB.
- the same with tracing disabled: the difference is what tracing costs at a cold start.
- the first event's own work after the cold start, in memory: judging a sample CloudTrail event (parse, policy,
  rules, cost, decision, alert text), which is what SnapStart's warm-up moves before the snapshot.
- a state change's first review: importing the review (models, rules) that the CloudTrail path leaves out.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness import ROOT, Figure, Floors, build_artifact, fresh, lambda_like, paired, table

RUNS = 7
# What Lambda sets in every execution environment (Powertools traces only where LAMBDA_TASK_ROOT is set).
LAMBDA_VARIABLES = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "hpo-guardrail-GuardrailFunction",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
}
# Values for the variables template.yaml sets from its resources and parameters (the defaults of a single-account
# stack); a variable the template adds and this table lacks stops the benchmark, so the two stay in step.
SAMPLE_VALUES = {
    "GUARDRAIL_MODE": "enforce",
    "BUDGET_CAP_USD": "500",
    "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:hpo-guardrail-alerts",
    "GUARDRAIL_POLICY": "",
    "GUARDRAIL_POLICY_MAX_AGE": "300",
    "AUDIT_TABLE_NAME": "hpo-guardrail-audit",
    "SECURITY_HUB_EXPORT": "false",
    "PRICE_CACHE_TABLE_NAME": "hpo-guardrail-prices",
    "PRICE_CACHE_DAYS": "7",
    "GUARDRAIL_ACCOUNT_ID": "123456789012",
    "ORGANIZATION_ID": "",
    "MEMBER_ROLE_NAME": "HpoGuardrailMember",
    "STOP_BUTTON_FUNCTION_NAME": "hpo-guardrail-StopButtonFunction",
}


def deployed_environment(function: str = "GuardrailFunction") -> dict[str, str]:
    """The function's environment as template.yaml sets it (Globals included), with SAMPLE_VALUES for intrinsics."""
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    variables: dict[str, Any] = {}
    variables.update(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    variables.update(template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {}))
    env = dict(LAMBDA_VARIABLES)
    for name, value in variables.items():
        if isinstance(value, str | int | float):
            env[name] = str(value)
        elif name in SAMPLE_VALUES:
            env[name] = SAMPLE_VALUES[name]
        else:
            raise SystemExit(f"bench/cold_start.py: give {name} (template.yaml, {function}) a value in SAMPLE_VALUES")
    return env


HANDLER = "import functions.guardrail.app"
FIRST_EVENT = """
import functions.guardrail.app as app
from hpo_guardrail.enforce.warm_up import judge_sample
_start = time.perf_counter()
judge_sample(app.SERVICE)
"""
FIRST_REVIEW = """
import functions.guardrail.app
_start = time.perf_counter()
import hpo_guardrail.enforce.review_job, rules.review_inputs, rules.review_pace
"""


def figures(floors: Floors) -> list[Figure]:
    environment = lambda_like("GuardrailFunction")
    deployed = deployed_environment()
    # The cold start and its floor alternate, run by run (harness.paired); the other figures use the run's floor.
    traced, floor = paired(HANDLER, environment, runs=RUNS, env=deployed)
    untraced = fresh(HANDLER, environment, runs=RUNS, env={**deployed, "POWERTOOLS_TRACE_DISABLED": "true"})
    first_event = fresh(FIRST_EVENT, environment, runs=RUNS, env=deployed)
    first_review = fresh(FIRST_REVIEW, environment, runs=RUNS, env=deployed)
    stop_button = fresh(
        "import functions.stop_button.app",
        lambda_like("StopButtonFunction"),
        runs=RUNS,
        env=deployed_environment("StopButtonFunction"),
    )
    return [
        Figure("guardrail cold start (import handler, settings, clients; traced)", traced.seconds, "s",
               floor=floor.seconds, goal_ratio=1.10),
        Figure("peak RSS after the cold start", traced.rss_mib, "MiB", floor=floor.rss_mib, goal=80.0),
        Figure("the same cold start, tracing disabled", untraced.seconds, "s", floor=floors.lambda_like.seconds),
        Figure("Stop button function cold start (traced)", stop_button.seconds, "s", floor=floors.lambda_like.seconds),
        Figure("first event after a cold start: judged in memory", first_event.seconds * 1000, "ms"),
        Figure("first state change after a cold start: importing the review", first_review.seconds * 1000, "ms"),
    ]  # fmt: skip


def main() -> None:
    if "--no-build" not in sys.argv:
        build_artifact()
    floors = Floors.measure(RUNS)
    print(table(figures(floors)))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
