"""The organization set-up shared by the end-to-end tests and `demo --org`: events moved to a member account,
the monitor scopes, the StackSet inputs it reads from org/stacksets/, and what it refuses."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from hpo_guardrail.embedded import org_deployment
from hpo_guardrail.embedded.org_deployment import call_in, deploy_guardrail_organization, monitor_scopes
from hpo_guardrail.embedded.organization import EmulatedOrganization
from rules.events import read_event
from rules.policy import PolicyDocument
from tests.builders import cloudtrail_event, continuous, tuning_request

ACCOUNT = "210987654321"


def test_a_call_moved_to_a_member_account_names_it_in_the_envelope_the_record_the_caller_and_the_jobs_arn():
    lr = continuous("lr", "0.001", "0.1", "Logarithmic")
    event = cloudtrail_event(tuning_request("Lr-Sweep", continuous_ranges=[lr]))
    original = copy.deepcopy(event)

    moved = call_in(event, ACCOUNT, "eu-west-1")

    assert event == original, "the given event is not changed"
    detail = moved["detail"]
    assert (moved["account"], moved["region"]) == (ACCOUNT, "eu-west-1")
    assert (detail["recipientAccountId"], detail["awsRegion"], detail["userIdentity"]["accountId"]) == (
        ACCOUNT,
        "eu-west-1",
        ACCOUNT,
    )
    role = original["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"].rsplit("/", 1)[-1]
    assert detail["userIdentity"]["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/")
    assert detail["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role/{role}"
    arn = detail["responseElements"]["hyperParameterTuningJobArn"]
    assert arn == f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:hyper-parameter-tuning-job/lr-sweep"
    call = read_event(moved)
    assert (call.context.account, call.context.region) == (ACCOUNT, "eu-west-1")


def test_monitor_scopes_is_a_policy_that_sets_each_named_account_to_monitor():
    text = monitor_scopes({"workload-c": ACCOUNT})

    document = PolicyDocument.model_validate(yaml.safe_load(text))

    (scope,) = document.scopes
    assert scope.name == "workload-c-monitor" and scope.mode == "monitor"
    assert ACCOUNT in json.dumps(scope.match.model_dump(mode="json"))


@pytest.mark.parametrize("template", ["member-roles", "member-forwarder"])
def test_the_stack_set_inputs_are_the_shipped_ones_without_call_as(template):
    stack_set = org_deployment._stack_set_input(template, "stack-set")
    instances = org_deployment._stack_set_input(template, "instances")

    assert "CallAs" not in stack_set and "CallAs" not in instances
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED" and stack_set["AutoDeployment"]["Enabled"] is True
    assert instances["StackSetName"] == stack_set["StackSetName"]


def test_a_stack_set_parameter_the_template_does_not_take_is_refused():
    with pytest.raises(ValueError, match="has no parameters \\['Unknown'\\]"):
        org_deployment._create_stack_set(None, "member-forwarder", {"Unknown": "x"})  # type: ignore[arg-type]


ORG = EmulatedOrganization("o-abcdefghij", "r-abcd", "999999999999", {"tooling": "111111111111"}, {"W": "ou-1"})


def test_deploying_without_an_ou_to_cover_or_with_the_home_region_unwatched_is_refused():
    with pytest.raises(ValueError, match="at least one OU"):
        deploy_guardrail_organization(None, ORG, enforced_ous=())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="home region us-east-1 must be one of"):
        deploy_guardrail_organization(None, ORG, enforced_ous=("W",), regions=("eu-west-1",))  # type: ignore[arg-type]
