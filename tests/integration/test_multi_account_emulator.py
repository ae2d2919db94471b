"""The embedded AWS with several accounts: what an organization-wide deployment relies on.

moto serves every account from one server; these tests hold the emulator to AWS where the accounts
meet: clients per account, an organization, forwarding from bus to bus (envelope kept, one hop), the
receiving bus's policy, AssumeRole's trust policy, and StackSets' automatic deployment to OUs.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from hpo_guardrail.embedded.moto_extensions import FORWARDING
from hpo_guardrail.embedded.organization import (
    MANAGEMENT,
    EmulatedOrganization,
    build_organization,
    move_account,
    unused_account_id,
)

pytestmark = pytest.mark.emulator

HOME = "us-east-1"
OTHER_REGION = "us-west-2"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_role(aws: Any, account: str, name: str, trust_policy: str) -> str:
    return str(
        aws.client("iam", account=account).create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"][
            "Arn"
        ]
    )


def queue(aws: Any, account: str, region: str = HOME) -> tuple[Any, str, str]:
    """An SQS queue in an account and region: (client, url, arn)."""
    sqs = aws.in_account(account, region=region).client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    )
    return list(messages)


def bodies(sqs: Any, url: str) -> list[dict[str, Any]]:
    return [json.loads(message["Body"]) for message in received(sqs, url)]


class Bus:
    """A custom bus in one account with a rule that copies every event of `source` to a queue."""

    def __init__(
        self, aws: Any, account: str, source: str, *, region: str = HOME, policy: dict[str, Any] | None = None
    ):
        self.events = aws.in_account(account, region=region).client("events")
        self.name = unique("bus")
        self.arn = self.events.create_event_bus(Name=self.name)["EventBusArn"]
        if policy is not None:
            self.events.put_permission(EventBusName=self.name, Policy=json.dumps(policy))
        self.sqs, self.queue_url, queue_arn = queue(aws, account, region)
        self.events.put_rule(Name=unique("copy"), EventBusName=self.name, EventPattern=json.dumps({"source": [source]}))
        rule = self.events.list_rules(EventBusName=self.name)["Rules"][0]["Name"]
        self.events.put_targets(Rule=rule, EventBusName=self.name, Targets=[{"Id": "copy", "Arn": queue_arn}])

    def received(self) -> list[dict[str, Any]]:
        return bodies(self.sqs, self.queue_url)


def organization_policy(bus_name_arn_pattern: str, organization_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationForwarders",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus_name_arn_pattern,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            }
        ],
    }


def central_bus(aws: Any, org: EmulatedOrganization, source: str) -> Bus:
    """The tooling account's central bus, admitting only principals of the organization."""
    tooling = org.account_id("tooling")
    arn_pattern = f"arn:aws:events:{HOME}:{tooling}:event-bus/*"
    return Bus(aws, tooling, source, policy=organization_policy(arn_pattern, org.organization_id))


class Forwarder:
    """A rule on an account's default bus forwarding `source` events to a bus, with a role and a DLQ."""

    def __init__(self, aws: Any, account: str, source: str, target_bus_arn: str, *, region: str = HOME):
        self.role_arn = create_role(
            aws, account, unique(f"forwarder-{region}"), trust({"Service": "events.amazonaws.com"})
        )
        self.dlq, self.dlq_url, dlq_arn = queue(aws, account, region)
        self.events = aws.in_account(account, region=region).client("events")
        name = unique("forward")
        self.rule_arn = self.events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
        self.events.put_targets(
            Rule=name,
            Targets=[
                {
                    "Id": "central",
                    "Arn": target_bus_arn,
                    "RoleArn": self.role_arn,
                    "RetryPolicy": {"MaximumRetryAttempts": 3},
                    "DeadLetterConfig": {"Arn": dlq_arn},
                }
            ],
        )

    def put(self, source: str, detail: dict[str, Any], **entry: Any) -> str:
        answer = self.events.put_events(
            Entries=[
                {"Source": source, "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail), **entry}
            ]
        )
        assert answer["FailedEntryCount"] == 0, answer
        return str(answer["Entries"][0]["EventId"])

    def dead_letters(self) -> list[dict[str, Any]]:
        return received(self.dlq, self.dlq_url)


# --- clients per account, and the organization ---------------------------------------------------------


def test_a_client_for_another_account_acts_in_that_account(embedded_aws, emulated_organization) -> None:
    workload_b = emulated_organization.account_id("workload-b")
    name = unique("only-in-b")
    embedded_aws.client("sqs", account=workload_b).create_queue(QueueName=name)

    assert embedded_aws.client("sts", account=workload_b).get_caller_identity()["Account"] == workload_b
    assert embedded_aws.in_account(workload_b).client("sts").get_caller_identity()["Account"] == workload_b
    in_b = embedded_aws.client("sqs", account=workload_b).list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    in_default = embedded_aws.client("sqs").list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert len(in_b) == 1
    assert in_default == []


def test_the_environment_of_another_account_points_plain_boto3_there(embedded_aws, emulated_organization) -> None:
    workload_c = emulated_organization.account_id("workload-c")

    with embedded_aws.in_account(workload_c, region=OTHER_REGION).environment():
        identity = boto3.client("sts").get_caller_identity()
        region = boto3.session.Session().region_name

    assert identity["Account"] == workload_c
    assert region == OTHER_REGION
    assert boto3.client("sts").get_caller_identity()["Account"] == embedded_aws.account_id


def test_an_account_id_that_is_not_twelve_digits_is_refused(embedded_aws) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        embedded_aws.in_account("2222")


def test_the_organization_has_the_accounts_in_their_ous(embedded_aws, emulated_organization) -> None:
    org = emulated_organization
    organizations = embedded_aws.client("organizations", account=org.management_account_id)
    workloads = organizations.list_accounts_for_parent(ParentId=org.ou_id("Workloads"))["Accounts"]
    member_view = embedded_aws.client("organizations", account=org.account_id("workload-b"))

    assert {a["Id"] for a in workloads} == {org.account_id("workload-b"), org.account_id("workload-c")}
    assert member_view.describe_organization()["Organization"]["Id"] == org.organization_id
    assert org.accounts[MANAGEMENT] == org.management_account_id
    with pytest.raises(KeyError, match="no account named 'workload-z'"):
        org.account_id("workload-z")


# --- forwarding from bus to bus ------------------------------------------------------------------------


def test_a_forwarded_event_keeps_its_id_account_region_time_and_resources(embedded_aws, emulated_organization) -> None:
    source = unique("test.forwarding")
    central = central_bus(embedded_aws, emulated_organization, source)
    workload_b = emulated_organization.account_id("workload-b")
    forwarder = Forwarder(embedded_aws, workload_b, source, central.arn)
    time = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)
    resources = [f"arn:aws:sagemaker:{HOME}:{workload_b}:hyper-parameter-tuning-job/job-1"]

    event_id = forwarder.put(source, {"n": 1}, Time=time, Resources=resources)

    [event] = central.received()
    assert event["id"] == event_id
    assert event["account"] == workload_b
    assert event["region"] == HOME
    assert event["time"] == "2024-05-01T12:30:05Z"
    assert event["resources"] == resources
    assert event["detail"] == {"n": 1}
    assert FORWARDING.invocations(forwarder.rule_arn) == 1
    assert FORWARDING.failed_invocations(forwarder.rule_arn) == 0


def test_an_event_forwarded_from_another_region_keeps_its_region(embedded_aws, emulated_organization) -> None:
    source = unique("test.forwarding")
    central = central_bus(embedded_aws, emulated_organization, source)
    workload_b = emulated_organization.account_id("workload-b")
    forwarder = Forwarder(embedded_aws, workload_b, source, central.arn, region=OTHER_REGION)

    event_id = forwarder.put(source, {"n": 2})

    [event] = central.received()
    assert (event["id"], event["account"], event["region"]) == (event_id, workload_b, OTHER_REGION)


def test_an_event_that_arrived_from_another_bus_goes_no_further(embedded_aws, emulated_organization) -> None:
    # Given: B forwards to the central bus, and a rule on the central bus forwards to C's bus.
    org = emulated_organization
    source = unique("test.hops")
    central = central_bus(embedded_aws, org, source)
    workload_c = org.account_id("workload-c")
    third = Bus(
        embedded_aws,
        workload_c,
        source,
        policy=organization_policy(f"arn:aws:events:{HOME}:{workload_c}:event-bus/*", org.organization_id),
    )
    onward_role = create_role(
        embedded_aws, org.account_id("tooling"), unique("onward"), trust({"Service": "events.amazonaws.com"})
    )
    onward_rule = unique("onward")
    onward_rule_arn = central.events.put_rule(
        Name=onward_rule, EventBusName=central.name, EventPattern=json.dumps({"source": [source]})
    )["RuleArn"]
    central.events.put_targets(
        Rule=onward_rule,
        EventBusName=central.name,
        Targets=[{"Id": "third", "Arn": third.arn, "RoleArn": onward_role}],
    )
    forwarder = Forwarder(embedded_aws, org.account_id("workload-b"), source, central.arn)

    # When: an event from B reaches the central bus; then one is put on the central bus directly.
    forwarded_id = forwarder.put(source, {"from": "b"})
    direct = central.events.put_events(
        Entries=[{"Source": source, "DetailType": "d", "Detail": "{}", "EventBusName": central.name}]
    )["Entries"][0]["EventId"]

    # Then: the forwarded one stops at the central bus; the central bus's own event is forwarded once.
    assert {e["id"] for e in central.received()} == {forwarded_id, direct}
    assert [e["id"] for e in third.received()] == [direct]
    outcomes = {(a.event_id, a.outcome) for a in FORWARDING.for_rule(onward_rule_arn)}
    assert outcomes == {(forwarded_id, "not-forwarded"), (direct, "delivered")}


# --- the receiving bus's policy ------------------------------------------------------------------------


def test_forwarding_from_an_account_outside_the_organization_is_dead_lettered(
    embedded_aws, emulated_organization
) -> None:
    source = unique("test.policy")
    central = central_bus(embedded_aws, emulated_organization, source)
    outsider = Forwarder(embedded_aws, unused_account_id(), source, central.arn)

    event_id = outsider.put(source, {"from": "outside"})

    assert central.received() == []
    [dead_letter] = outsider.dead_letters()
    assert json.loads(dead_letter["Body"])["id"] == event_id
    attributes = {k: v["StringValue"] for k, v in dead_letter["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"] == outsider.rule_arn
    assert "aws:PrincipalOrgID" in attributes["ERROR_MESSAGE"]
    assert FORWARDING.failed_invocations(outsider.rule_arn) == 1
    assert FORWARDING.invocations(outsider.rule_arn) == 0


def test_forwarding_to_a_bus_without_a_policy_is_refused_across_accounts(embedded_aws, emulated_organization) -> None:
    source = unique("test.policy")
    no_policy = Bus(embedded_aws, emulated_organization.account_id("tooling"), source)
    forwarder = Forwarder(embedded_aws, emulated_organization.account_id("workload-b"), source, no_policy.arn)

    forwarder.put(source, {})

    assert no_policy.received() == []
    [attempt] = FORWARDING.for_rule(forwarder.rule_arn)
    assert (attempt.outcome, attempt.error_code) == ("dead-lettered", "NO_PERMISSIONS")
    assert "no resource policy" in attempt.reason


def test_a_policy_naming_the_sending_rule_admits_only_that_rule(embedded_aws, emulated_organization) -> None:
    org = emulated_organization
    source = unique("test.policy")
    tooling = org.account_id("tooling")
    workload_b = org.account_id("workload-b")
    allowed = Forwarder(embedded_aws, workload_b, source, f"arn:aws:events:{HOME}:{tooling}:event-bus/placeholder")
    policy = organization_policy(f"arn:aws:events:{HOME}:{tooling}:event-bus/*", org.organization_id)
    policy["Statement"][0]["Condition"]["ArnEquals"] = {"aws:SourceArn": allowed.rule_arn}
    central = Bus(embedded_aws, tooling, source, policy=policy)
    for forwarder in (allowed, other := Forwarder(embedded_aws, workload_b, source, central.arn)):
        forwarder.events.put_targets(
            Rule=forwarder.rule_arn.split("/")[-1],
            Targets=[{"Id": "central", "Arn": central.arn, "RoleArn": forwarder.role_arn}],
        )

    allowed.put(source, {})  # both rules match: the event reaches the bus once, through `allowed`

    assert len(central.received()) == 1
    assert FORWARDING.invocations(allowed.rule_arn) == 1
    assert [a.outcome for a in FORWARDING.for_rule(other.rule_arn)] == ["dropped"]


def test_a_forwarding_role_that_does_not_exist_is_no_permission(embedded_aws, emulated_organization) -> None:
    source = unique("test.policy")
    central = central_bus(embedded_aws, emulated_organization, source)
    workload_b = emulated_organization.account_id("workload-b")
    forwarder = Forwarder(embedded_aws, workload_b, source, central.arn)
    embedded_aws.client("iam", account=workload_b).delete_role(RoleName=forwarder.role_arn.split("/")[-1])

    forwarder.put(source, {})

    assert central.received() == []
    [attempt] = FORWARDING.for_rule(forwarder.rule_arn)
    assert (attempt.outcome, attempt.error_code) == ("dead-lettered", "NO_PERMISSIONS")


def test_put_events_on_another_accounts_bus_is_decided_by_its_policy(embedded_aws, emulated_organization) -> None:
    source = unique("test.direct")
    central = central_bus(embedded_aws, emulated_organization, source)
    workload_b = emulated_organization.account_id("workload-b")
    entry = {"Source": source, "DetailType": "d", "Detail": "{}", "EventBusName": central.arn}

    answer = embedded_aws.client("events", account=workload_b).put_events(Entries=[entry])
    with pytest.raises(ClientError) as refused:
        embedded_aws.client("events", account=unused_account_id()).put_events(Entries=[entry])

    [event] = central.received()
    assert event["id"] == answer["Entries"][0]["EventId"]
    assert event["account"] == workload_b
    assert error_code(refused) == "AccessDeniedException"
    assert "aws:PrincipalOrgID" in str(refused.value)


# --- AssumeRole and trust policies ---------------------------------------------------------------------


@pytest.fixture
def central_function_credentials(embedded_aws, emulated_organization) -> tuple[str, dict[str, Any]]:
    """A role in the tooling account as the central function runs under it: (role ARN, credentials)."""
    tooling = emulated_organization.account_id("tooling")
    role_arn = create_role(embedded_aws, tooling, unique("central-fn"), trust({"Service": "lambda.amazonaws.com"}))
    return role_arn, embedded_aws.in_account(tooling).assume_role_as_service(role_arn)


def member_role(aws: Any, org: EmulatedOrganization, account: str, trusted_role_arn: str) -> str:
    """A member role trusting exactly one role ARN, within the organization."""
    condition = {"StringEquals": {"aws:PrincipalOrgID": org.organization_id}}
    return create_role(aws, account, unique("member"), trust({"AWS": trusted_role_arn}, condition))


def test_the_trusted_role_gets_credentials_that_act_in_the_member_account(
    embedded_aws, emulated_organization, central_function_credentials
) -> None:
    central_role, credentials = central_function_credentials
    workload_b = emulated_organization.account_id("workload-b")
    role_arn = member_role(embedded_aws, emulated_organization, workload_b, central_role)
    marker = unique("b-queue")
    embedded_aws.client("sqs", account=workload_b).create_queue(QueueName=marker)

    sts = embedded_aws.client("sts", credentials=credentials)
    assert sts.get_caller_identity()["Arn"].startswith(f"arn:aws:sts::{emulated_organization.account_id('tooling')}")
    member = sts.assume_role(RoleArn=role_arn, RoleSessionName="hpo-guardrail-event-1")["Credentials"]

    identity = embedded_aws.client("sts", credentials=member).get_caller_identity()
    assert identity["Account"] == workload_b
    assert identity["Arn"].endswith("/hpo-guardrail-event-1")
    queues = embedded_aws.client("sqs", credentials=member).list_queues(QueueNamePrefix=marker).get("QueueUrls", [])
    assert len(queues) == 1


def test_an_untrusted_caller_is_denied(embedded_aws, emulated_organization, central_function_credentials) -> None:
    central_role, _ = central_function_credentials
    workload_b = emulated_organization.account_id("workload-b")
    role_arn = member_role(embedded_aws, emulated_organization, workload_b, central_role)
    # The tooling account's root is not the central function's role, and another member's role neither.
    other_role = create_role(embedded_aws, workload_b, unique("other"), trust({"Service": "lambda.amazonaws.com"}))
    other_credentials = embedded_aws.in_account(workload_b).assume_role_as_service(other_role)

    for sts in (
        embedded_aws.client("sts", account=emulated_organization.account_id("tooling")),
        embedded_aws.client("sts", credentials=other_credentials),
    ):
        with pytest.raises(ClientError) as denied:
            sts.assume_role(RoleArn=role_arn, RoleSessionName="session")
        assert error_code(denied) == "AccessDenied"
        assert role_arn in str(denied.value)


def test_a_role_that_does_not_exist_cannot_be_assumed(embedded_aws, emulated_organization) -> None:
    missing = f"arn:aws:iam::{emulated_organization.account_id('workload-c')}:role/HpoGuardrailMember"

    with pytest.raises(ClientError) as denied:
        embedded_aws.client("sts").assume_role(RoleArn=missing, RoleSessionName="session")

    assert error_code(denied) == "AccessDenied"
    assert "does not exist" in str(denied.value)


def test_a_caller_outside_the_organization_is_denied_by_the_org_condition(embedded_aws, emulated_organization) -> None:
    org = emulated_organization
    # Trusts any principal of any account, but only within the organization.
    role_arn = create_role(
        embedded_aws,
        org.account_id("workload-c"),
        unique("org-only"),
        trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": org.organization_id}}),
    )

    inside = embedded_aws.client("sts", account=org.account_id("workload-b"))
    inside.assume_role(RoleArn=role_arn, RoleSessionName="inside")
    with pytest.raises(ClientError) as denied:
        embedded_aws.client("sts", account=unused_account_id()).assume_role(RoleArn=role_arn, RoleSessionName="out")

    assert error_code(denied) == "AccessDenied"
    assert "aws:PrincipalOrgID" in str(denied.value)


def test_an_account_principal_admits_that_account_and_a_service_only_its_service(
    embedded_aws, emulated_organization
) -> None:
    org = emulated_organization
    tooling, workload_b = org.account_id("tooling"), org.account_id("workload-b")
    by_account = create_role(embedded_aws, workload_b, unique("by-account"), trust({"AWS": tooling}))
    by_lambda = create_role(embedded_aws, workload_b, unique("by-lambda"), trust({"Service": "lambda.amazonaws.com"}))

    embedded_aws.client("sts", account=tooling).assume_role(RoleArn=by_account, RoleSessionName="session")
    embedded_aws.in_account(workload_b).assume_role_as_service(by_lambda)
    with pytest.raises(ClientError):
        embedded_aws.in_account(workload_b).assume_role_as_service(by_lambda, service="events.amazonaws.com")
    with pytest.raises(ClientError):
        embedded_aws.client("sts", account=workload_b).assume_role(RoleArn=by_lambda, RoleSessionName="session")


def test_an_external_id_condition_is_evaluated(embedded_aws, emulated_organization) -> None:
    tooling = emulated_organization.account_id("tooling")
    role_arn = create_role(
        embedded_aws,
        emulated_organization.account_id("workload-b"),
        unique("external"),
        trust({"AWS": tooling}, {"StringEquals": {"sts:ExternalId": "agreed"}}),
    )
    sts = embedded_aws.client("sts", account=tooling)

    sts.assume_role(RoleArn=role_arn, RoleSessionName="session", ExternalId="agreed")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role_arn, RoleSessionName="session")


# --- StackSets -----------------------------------------------------------------------------------------

MEMBER_TEMPLATE = json.dumps(
    {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"QueueName": {"Type": "String"}},
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "QueueName"}}}},
    }
)


def stackset(aws: Any, org: EmulatedOrganization, queue_name: str, *, auto: bool) -> tuple[Any, str]:
    cloudformation = aws.client("cloudformation", account=org.management_account_id)
    name = unique("member")
    cloudformation.create_stack_set(
        StackSetName=name,
        TemplateBody=MEMBER_TEMPLATE,
        Parameters=[{"ParameterKey": "QueueName", "ParameterValue": queue_name}],
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": auto, "RetainStacksOnAccountRemoval": False},
    )
    return cloudformation, name


def instances(cloudformation: Any, name: str) -> set[tuple[str, str]]:
    summaries = cloudformation.list_stack_instances(StackSetName=name)["Summaries"]
    return {(s["Account"], s["Region"]) for s in summaries}


def has_queue(aws: Any, account: str, region: str, name: str) -> bool:
    urls = aws.in_account(account, region=region).client("sqs").list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    return bool(urls)


@pytest.fixture
def own_organization(embedded_aws) -> EmulatedOrganization:
    """An organization of its own, for tests that move accounts."""
    return build_organization(
        embedded_aws,
        organizational_units=("Workloads", "Onboarding"),
        accounts={"workload-b": "Workloads", "newcomer": "Onboarding"},
    )


def test_a_service_managed_stackset_deploys_to_every_account_of_the_ou_in_every_region(
    embedded_aws, own_organization
) -> None:
    org = own_organization
    queue_name = unique("marker")
    cloudformation, name = stackset(embedded_aws, org, queue_name, auto=False)

    cloudformation.create_stack_instances(
        StackSetName=name,
        DeploymentTargets={"OrganizationalUnitIds": [org.root_id]},
        Regions=[HOME, OTHER_REGION],
    )

    members = {org.account_id("workload-b"), org.account_id("newcomer")}
    assert instances(cloudformation, name) == {(a, r) for a in members for r in (HOME, OTHER_REGION)}
    assert all(has_queue(embedded_aws, a, r, queue_name) for a in members for r in (HOME, OTHER_REGION))
    # Nested OUs are included; the management account never is.
    assert not has_queue(embedded_aws, org.management_account_id, HOME, queue_name)


def test_automatic_deployment_follows_an_account_into_and_out_of_a_target_ou(embedded_aws, own_organization) -> None:
    org = own_organization
    newcomer = org.account_id("newcomer")
    queue_name = unique("marker")
    cloudformation, name = stackset(embedded_aws, org, queue_name, auto=True)
    cloudformation.create_stack_instances(
        StackSetName=name,
        DeploymentTargets={"OrganizationalUnitIds": [org.ou_id("Workloads")]},
        Regions=[HOME, OTHER_REGION],
    )
    assert not has_queue(embedded_aws, newcomer, HOME, queue_name)

    auto = cloudformation.describe_stack_set(StackSetName=name)["StackSet"]["AutoDeployment"]
    assert auto == {"Enabled": True, "RetainStacksOnAccountRemoval": False}

    move_account(embedded_aws, org, "newcomer", "Workloads")

    assert (newcomer, OTHER_REGION) in instances(cloudformation, name)
    assert has_queue(embedded_aws, newcomer, OTHER_REGION, queue_name)

    move_account(embedded_aws, org, "newcomer", "Onboarding")

    assert all(account != newcomer for account, _ in instances(cloudformation, name))
    assert not has_queue(embedded_aws, newcomer, HOME, queue_name)


def test_without_automatic_deployment_a_moved_account_gets_nothing(embedded_aws, own_organization) -> None:
    org = own_organization
    queue_name = unique("marker")
    cloudformation, name = stackset(embedded_aws, org, queue_name, auto=False)
    cloudformation.create_stack_instances(
        StackSetName=name, DeploymentTargets={"OrganizationalUnitIds": [org.ou_id("Workloads")]}, Regions=[HOME]
    )

    move_account(embedded_aws, org, "newcomer", "Workloads")

    assert instances(cloudformation, name) == {(org.account_id("workload-b"), HOME)}


def test_a_bus_policy_from_a_template_is_held_and_evaluated(embedded_aws, emulated_organization) -> None:
    # Given: a stack in the tooling account with two buses, one with an AWS::Events::EventBusPolicy in its
    # Statement form, one with the bus's own Policy property, both admitting the organization only.
    org = emulated_organization
    tooling = org.account_id("tooling")
    names = {"statement": unique("bus-a"), "property": unique("bus-b")}
    org_condition = {"StringEquals": {"aws:PrincipalOrgID": org.organization_id}}
    template = {
        "Resources": {
            "ByStatement": {"Type": "AWS::Events::EventBus", "Properties": {"Name": names["statement"]}},
            "ByStatementPolicy": {
                "Type": "AWS::Events::EventBusPolicy",
                "Properties": {
                    "EventBusName": {"Ref": "ByStatement"},
                    "StatementId": "OrganizationForwarders",
                    "Statement": {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "events:PutEvents",
                        "Condition": org_condition,
                    },
                },
            },
            "ByProperty": {
                "Type": "AWS::Events::EventBus",
                "Properties": {
                    "Name": names["property"],
                    "Policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "OrganizationForwarders",
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "events:PutEvents",
                                "Resource": f"arn:aws:events:{HOME}:{tooling}:event-bus/{names['property']}",
                                "Condition": org_condition,
                            }
                        ],
                    },
                },
            },
        }
    }
    template["Outputs"] = {"BusName": {"Value": {"Ref": "ByStatement"}}}
    cloudformation = embedded_aws.client("cloudformation", account=tooling)
    stack_name = unique("central-bus")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    events = embedded_aws.client("events", account=tooling)

    [output] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["Outputs"]
    assert output["OutputValue"] == names["statement"]  # !Ref of a bus is its name

    for name in names.values():
        policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
        assert policy["Statement"][0]["Condition"] == org_condition
        bus_arn = f"arn:aws:events:{HOME}:{tooling}:event-bus/{name}"
        entry = {"Source": "test.cfn", "DetailType": "d", "Detail": "{}", "EventBusName": bus_arn}
        embedded_aws.client("events", account=org.account_id("workload-b")).put_events(Entries=[entry])
        with pytest.raises(ClientError) as refused:
            embedded_aws.client("events", account=unused_account_id()).put_events(Entries=[entry])
        assert error_code(refused) == "AccessDeniedException"


def test_a_policy_the_emulator_cannot_evaluate_refuses_rather_than_admits(embedded_aws, emulated_organization) -> None:
    tooling = emulated_organization.account_id("tooling")
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": tooling},
        "Action": "sts:AssumeRole",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    }
    role_arn = create_role(
        embedded_aws,
        emulated_organization.account_id("workload-b"),
        unique("unknown-operator"),
        json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )

    with pytest.raises(ClientError) as denied:
        embedded_aws.client("sts", account=tooling).assume_role(RoleArn=role_arn, RoleSessionName="session")

    assert "cannot evaluate the condition operator DateGreaterThan" in str(denied.value)
