"""Alerts routed to the owning team by SNS subscription filter policies, on the deployed template."""

from __future__ import annotations

import json
import uuid

import pytest

from hpo_guardrail.embedded.deployment import StackParameters, deploy_template
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
from hpo_guardrail.embedded.sns_capture import SnsCapture
from tests.builders import cloudtrail_event, continuous, tuning_request

pytestmark = pytest.mark.emulator

TEAM_EMAIL = "nlp-team@example.com"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def tagged_event(name: str, team: str | None) -> dict:
    """A cheap job with a linear learning rate over four decades: one alert, no stop."""
    request = tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        tags={"team": team} if team is not None else None,
    )
    return cloudtrail_event(request)


@pytest.fixture(scope="module")
def team_filtered_stack(embedded_aws):
    """The template with NotificationEmail for the nlp team only (AlertEmailTeams=nlp,vision)."""
    parameters = StackParameters(notification_email=TEAM_EMAIL, alert_email_teams=("nlp", "vision"))
    return deploy_template(embedded_aws, parameters)


@pytest.fixture(scope="module")
def team_stack_runner(embedded_aws, team_filtered_stack, tmp_path_factory):
    return FunctionRunner.for_stack(embedded_aws, team_filtered_stack, tmp_path_factory.mktemp("team-code"))


def email_subscription(embedded_aws, topic_arn: str, endpoint: str) -> dict:
    sns = embedded_aws.client("sns")
    (subscription,) = [
        s for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"] if s["Endpoint"] == endpoint
    ]
    return sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]


def test_alert_email_teams_puts_a_team_filter_policy_on_the_email_subscription(embedded_aws, team_filtered_stack):
    attributes = email_subscription(embedded_aws, team_filtered_stack.topic_arn, TEAM_EMAIL)
    assert json.loads(attributes["FilterPolicy"]) == {"team": ["nlp", "vision"]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"


def test_without_alert_email_teams_the_email_subscription_takes_every_message(embedded_aws, monitor_stack):
    from tests.e2e.conftest import ALERT_EMAIL

    attributes = email_subscription(embedded_aws, monitor_stack.topic_arn, ALERT_EMAIL)
    assert "FilterPolicy" not in attributes


def test_the_team_email_receives_its_teams_alerts_only(embedded_aws, team_filtered_stack, team_stack_runner):
    from hpo_guardrail.embedded.event_bus import deliver

    capture = SnsCapture(embedded_aws, team_filtered_stack.topic_arn)
    jobs = {team: unique(f"route-{team or 'untagged'}") for team in ("nlp", "search", None)}
    for team, job in jobs.items():
        (invocation,) = deliver(embedded_aws, team_stack_runner, tagged_event(job, team))
        assert invocation.succeeded, invocation.logs

    published = {n.message_attributes["team"]: n for n in capture.receive()}
    assert set(published) == {"nlp", "search", "none"}, "the unfiltered queue receives every alert"
    emailed = [e for e in capture.emails(TEAM_EMAIL) if e.message_id in {n.message_id for n in published.values()}]
    assert [e.message_id for e in emailed] == [published["nlp"].message_id]
    assert jobs["nlp"] in emailed[0].subject


def test_a_team_queue_with_a_filter_policy_receives_exactly_its_teams_alert(
    embedded_aws, monitor_stack, put_on_bus, capture_sns
):
    team_queue = SnsCapture(embedded_aws, monitor_stack.topic_arn, filter_policy={"team": ["nlp"]})
    everything = capture_sns(monitor_stack.topic_arn)
    nlp_job, other_job = unique("nlp-job"), unique("other-job")

    put_on_bus(tagged_event(nlp_job, "nlp"), monitor_stack)
    put_on_bus(tagged_event(other_job, "nlp-research"), monitor_stack)

    (received,) = team_queue.receive()
    assert nlp_job in (received.subject or "")
    assert received.message_attributes["team"] == "nlp"
    assert received.message_attributes["account"] == "123456789012"
    assert received.message_attributes["principal"].endswith(":assumed-role/DataScientist/alice")
    assert received.message_attributes["role"] == "DataScientist"
    assert len(everything.receive()) == 2


@pytest.mark.parametrize(
    ("data_type", "value", "delivered"),
    [
        ("String", "nlp", True),
        ("String", '["nlp"]', False),  # a String is one value, compared as it is
        ("String", '"xnlpx"', False),
        ("String", "NLP", False),  # case-sensitive
        ("String.Array", '["search", "nlp"]', True),  # an array matches on any element
    ],
)
def test_the_emulator_compares_string_attributes_as_aws_does(embedded_aws, data_type, value, delivered):
    sns = embedded_aws.client("sns")
    topic_arn = sns.create_topic(Name=unique("filter-check"))["TopicArn"]
    queue = SnsCapture(embedded_aws, topic_arn, filter_policy={"team": ["nlp"]})
    sns.publish(
        TopicArn=topic_arn,
        Message="m",
        MessageAttributes={"team": {"DataType": data_type, "StringValue": value}},
    )
    assert len(queue.receive()) == (1 if delivered else 0)
