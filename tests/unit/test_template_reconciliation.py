"""template.yaml's reconciliation: off by default, on with ReconcileSchedule, least privilege either way.

Rendered through the SAM transform with its conditions decided (tests/unit/test_template_organization.py), so
each test sees the resources a deployment gets.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from hpo_guardrail.composition import RECONCILE_ADAPTERS, required_permissions
from hpo_guardrail.enforce.reconcile import RATE_EXPRESSION
from tests.unit.test_template_organization import ORGANIZATION, TRANSFORMED, _Deployment

RECONCILE_RESOURCES = {"ReconcileFunction", "ReconcilePolicy", "ReconcileFunctionLogGroup"}
SCHEDULE = "rate(1 hour)"

OFF = _Deployment({})
SINGLE = _Deployment({"ReconcileSchedule": SCHEDULE})
ORG = _Deployment({"ReconcileSchedule": SCHEDULE, "OrganizationId": ORGANIZATION})


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _policy_statements(deployment: _Deployment) -> list[dict[str, Any]]:
    return deployment.resources["ReconcilePolicy"]["Properties"]["PolicyDocument"]["Statement"]


def _schedules(deployment: _Deployment) -> dict[str, dict[str, Any]]:
    return deployment.of_type("AWS::Scheduler::Schedule")


def test_the_reconciliation_is_off_by_default_and_the_docs_say_how_to_turn_it_on():
    parameter = TRANSFORMED["Parameters"]["ReconcileSchedule"]
    assert parameter["Default"] == ""
    assert not RECONCILE_RESOURCES & set(OFF.resources)
    assert "ReconcileFunctionName" not in OFF.outputs
    assert all("reconcile" not in str(s["Name"]) for s in _schedules(OFF).values())


def test_with_a_schedule_the_function_runs_on_eventbridge_scheduler_with_the_scheduled_runs_queues():
    assert set(SINGLE.resources) >= RECONCILE_RESOURCES
    (schedule,) = [s for s in _schedules(SINGLE).values() if "reconcile" in str(s["Name"])]
    assert schedule["ScheduleExpression"] == {"Ref": "ReconcileSchedule"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["ReconcileFunction", "Arn"]}
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["UndeliveredScheduledRunQueue", "Arn"]}
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    (config,) = [
        c for c in SINGLE.of_type("AWS::Lambda::EventInvokeConfig").values()
        if c["FunctionName"] == {"Ref": "ReconcileFunction"}
    ]  # fmt: skip
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure["Destination"] == {"Fn::GetAtt": ["FailedScheduledRunQueue", "Arn"]}


def test_the_schedule_parameter_takes_the_rate_expressions_the_function_can_derive_a_window_from():
    pattern = TRANSFORMED["Parameters"]["ReconcileSchedule"]["AllowedPattern"]
    assert pattern == "^$|" + RATE_EXPRESSION.pattern
    assert re.match(pattern, "rate(30 minutes)") and not re.match(pattern, "cron(0 * * * ? *)")


def test_it_runs_as_the_guardrail_functions_role_which_the_member_roles_trust():
    function = SINGLE.resources["ReconcileFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["GuardrailFunctionRole", "Arn"]}
    assert SINGLE.resources["ReconcilePolicy"]["Properties"]["Roles"] == [{"Ref": "GuardrailFunctionRole"}]
    assert not any(name.startswith("ReconcileFunctionRole") for name in SINGLE.resources)


def test_it_has_the_guardrail_functions_settings_and_its_own_schedule_and_regions():
    guardrail = SINGLE.function_variables()
    variables = ORG.resources["ReconcileFunction"]["Properties"]["Environment"]["Variables"]
    own = {"RECONCILE_SCHEDULE", "RECONCILE_REGIONS"}
    # All the guardrail's settings, its service name too: the alarms on StopsFailed, PolicyErrors and the price
    # lookups watch the metrics of service hpo-guardrail, wherever the stop or lookup ran.
    assert {k: v for k, v in variables.items() if k not in own} == ORG.function_variables()
    assert set(guardrail) | own == set(variables)
    assert variables["RECONCILE_SCHEDULE"] == {"Ref": "ReconcileSchedule"}
    assert variables["RECONCILE_REGIONS"] == {"Fn::Join": [",", {"Ref": "ReconcileRegions"}]}


@pytest.mark.parametrize("deployment", [SINGLE, ORG], ids=["single-account", "organization"])
def test_the_policy_grants_exactly_what_the_reconciliation_adds_and_lists_accounts_only_in_an_organization(
    deployment,
):
    declared = {action for adapter in RECONCILE_ADAPTERS for action in adapter.PERMISSIONS}  # type: ignore[attr-defined]
    # Lambda's on-failure destination, sent to as the function's role: SAM grants it only to roles it creates.
    (on_failure,) = [s for s in _policy_statements(deployment) if s["Sid"] == "KeepFailedRuns"]
    assert (on_failure["Action"], on_failure["Resource"]) == (
        "sqs:SendMessage",
        {"Fn::GetAtt": ["FailedScheduledRunQueue", "Arn"]},
    )
    statements = [s for s in _policy_statements(deployment) if s is not on_failure]
    granted = {action for statement in statements for action in _actions(statement)}
    if deployment is ORG:
        assert granted == declared
    else:
        assert granted == declared - {"organizations:ListAccounts"}
    for statement in statements:
        if statement["Resource"] == "*":
            # IAM has no resource type for these two: "*" or nothing.
            assert _actions(statement) <= {"sagemaker:ListHyperParameterTuningJobs", "organizations:ListAccounts"}
        else:
            assert statement["Resource"] == {
                "Fn::Sub": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:hyper-parameter-tuning-job/*"
            }


def test_the_shared_role_with_the_policy_grants_exactly_what_the_reconciliation_functions_adapters_declare():
    everything = _Deployment(
        {
            "ReconcileSchedule": SCHEDULE,
            "OrganizationId": ORGANIZATION,
            "PolicyParameterName": "/hpo-guardrail/policy",
            "SecurityHubExport": "Enabled",
        }
    )
    statements = everything.function_statements() + _policy_statements(everything)
    granted = {action for statement in statements for action in _actions(statement)}
    # sqs:SendMessage: each function's on-failure destination (SAM's for the guardrail, KeepFailedRuns here).
    assert granted - {"sqs:SendMessage"} == required_permissions("ReconcileFunction")


@pytest.mark.parametrize(
    ("deployment", "regions"),
    [(OFF, "${AWS::Region}"), (SINGLE, "*"), (ORG, "*")],
    ids=["single-account", "single-account-reconciling", "organization"],
)
def test_the_function_may_stop_jobs_in_every_region_the_reconciliation_judges(deployment, regions):
    """A single-account stack reconciling ReconcileRegions judges jobs there, and in enforce mode stops them."""
    (statement,) = [s for s in deployment.function_statements() if s.get("Sid") == "DescribeAndStopTuningJobs"]
    assert "sagemaker:StopHyperParameterTuningJob" in statement["Action"]
    jobs = f"arn:${{AWS::Partition}}:sagemaker:{regions}:${{AWS::AccountId}}:hyper-parameter-tuning-job/*"
    assert statement["Resource"] == {"Fn::Sub": jobs}
