"""A policy in SSM, read through Powertools Parameters by the deployed function."""

from __future__ import annotations

import uuid

import pytest

from hpo_guardrail.adapters.ssm import SsmParameters
from hpo_guardrail.enforce.policy_source import PolicySource
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

POLICY = """
scopes:
  - name: vision
    match: {teams: [vision]}
    mode: enforce
    budget_cap_usd: 10
exemptions:
  - name: lr-study
    match: {job_names: ["lr-study-*"]}
    rules: [log-scale]
    reason: studies linear scaling on purpose
    owner: ml-platform@example.com
    expires: 2099-12-31
"""


def test_policy_source_reads_ssm_through_powertools(embedded_aws):
    name = f"/hpo-guardrail/{uuid.uuid4().hex[:8]}/policy"
    embedded_aws.client("ssm").put_parameter(Name=name, Value=POLICY, Type="String")
    document = PolicySource(f"ssm:{name}", max_age_seconds=0, ssm=SsmParameters()).document()
    assert [s.name for s in document.scopes] == ["vision"]


def test_an_ssm_policy_reaches_the_lambda_and_its_scope_shows_in_the_alert(
    embedded_aws, deploy_stack, function_runner, tuning_jobs, capture_sns
):
    name = f"/hpo-guardrail/{uuid.uuid4().hex[:8]}/policy"
    embedded_aws.client("ssm").put_parameter(Name=name, Value=POLICY, Type="String")
    stack = deploy_stack(mode="monitor", budget_cap_usd=1000, policy_parameter_name=name)
    capture = capture_sns(stack.topic_arn)
    request = tuning_request(
        f"vision-{uuid.uuid4().hex[:6]}",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        definition=training_definition("ml.g5.xlarge", 1, 3600),
        tags={"team": "vision"},
    )
    event = cloudtrail_event(request)
    job = tuning_jobs.create_for_event(event)

    result = function_runner(stack).invoke(event)

    assert result["policy_scope"] == "vision" and result["mode"] == "enforce"
    assert result["decision"] == "stop" and tuning_jobs.status(job) == "Stopping"
    (notification,) = capture.receive()
    assert "*Policy scope:* defaults < vision" in notification.message_json()["content"]["description"]


def test_an_exempted_job_is_recorded_but_not_alerted(embedded_aws, deploy_stack, function_runner, capture_sns):
    name = f"/hpo-guardrail/{uuid.uuid4().hex[:8]}/policy"
    embedded_aws.client("ssm").put_parameter(Name=name, Value=POLICY, Type="String")
    stack = deploy_stack(mode="enforce", budget_cap_usd=1000, policy_parameter_name=name)
    capture = capture_sns(stack.topic_arn)
    event = cloudtrail_event(
        tuning_request("lr-study-linear", continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    )

    result = function_runner(stack).invoke(event)

    assert result["decision"] == "none" and result["findings"] == []
    assert [(s["rule"], s["exemption"]) for s in result["suppressed"]] == [("log-scale", "lr-study")]
    assert capture.receive() == []


def test_an_unreadable_ssm_policy_does_not_stop_the_guardrail_and_the_platform_hears_once(
    deploy_stack, function_runner, tuning_jobs, capture_sns
):
    name = f"/hpo-guardrail/{uuid.uuid4().hex[:8]}/missing-policy"  # never written: GetParameter fails
    stack = deploy_stack(mode="enforce", budget_cap_usd=1000, policy_parameter_name=name)
    capture = capture_sns(stack.topic_arn)
    events = [
        cloudtrail_event(
            tuning_request(
                f"no-policy-{uuid.uuid4().hex[:6]}",
                continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
                max_jobs=100,
                definition=training_definition("ml.p3.2xlarge", 1, 36_000),
            )
        )
        for _ in range(2)
    ]
    results = []
    for event in events:
        tuning_jobs.create_for_event(event)
        invocation = function_runner(stack).run(event)
        assert invocation.succeeded, invocation.error
        results.append(invocation.result)

    assert [r["decision"] for r in results] == ["stop", "stop"], "evaluated with the packaged default policy"
    notifications = capture.receive()
    platform = [n for n in notifications if n.message_attributes.get("audience") == "platform"]
    assert len(platform) == 1 and "Policy error" in platform[0].subject
    assert len(notifications) == 3, "two job alerts and one platform alert"
