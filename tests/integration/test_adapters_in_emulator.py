"""The boto3 adapters against the emulator's SageMaker and SNS."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.stub import Stubber

from hpo_guardrail.adapters.clients import AwsCallFailed
from hpo_guardrail.adapters.sagemaker import SageMakerJobController, TuningJobReader
from hpo_guardrail.adapters.sns import SnsNotifier
from hpo_guardrail.adapters.sts import caller_account
from hpo_guardrail.enforce.ports import Alert, JobNotFound, JobNotStoppable, NotificationFailed
from tests.builders import ACCOUNT, cloudtrail_event, tuning_request

pytestmark = pytest.mark.emulator


@pytest.fixture
def controller(embedded_aws):
    return SageMakerJobController(embedded_aws.client("sagemaker"))


@pytest.fixture
def running_job(tuning_jobs):
    return tuning_jobs.create_for_event(cloudtrail_event(tuning_request(f"adapter-{uuid.uuid4().hex[:8]}")))


def test_status_and_stop_of_a_running_job(controller, running_job, tuning_jobs):
    assert controller.status(running_job) == "InProgress"
    controller.stop(running_job)
    assert tuning_jobs.status(running_job) == "Stopping"


def test_stopping_a_completed_job_is_refused(controller, running_job, tuning_jobs):
    tuning_jobs.set_status(running_job, "Completed")
    with pytest.raises(JobNotStoppable):
        controller.stop(running_job)


def test_unknown_job_is_not_found(controller):
    with pytest.raises(JobNotFound):
        controller.status("no-such-job")
    with pytest.raises(JobNotFound):
        controller.stop("no-such-job")


def test_reader_lists_only_in_progress_jobs_and_reads_the_tags_describe_leaves_out(embedded_aws, tuning_jobs):
    prefix = f"reader-{uuid.uuid4().hex[:8]}"
    running = tuning_jobs.create_for_event(cloudtrail_event(tuning_request(f"{prefix}-a", tags={"team": "research"})))
    ended = tuning_jobs.create_for_event(cloudtrail_event(tuning_request(f"{prefix}-b")))
    tuning_jobs.set_status(ended, "Completed")
    reader = TuningJobReader(embedded_aws.client("sagemaker"))

    ((name, arn),) = reader.in_progress(prefix)

    assert name == running and arn.endswith(f":hyper-parameter-tuning-job/{running}")
    assert reader.describe(running)["HyperParameterTuningJobStatus"] == "InProgress"
    assert {"Key": "team", "Value": "research"} in reader.tags(arn)
    with pytest.raises(JobNotFound):
        reader.describe(f"{prefix}-gone")


def test_caller_account_and_a_refusal_raised_without_botocore_types(embedded_aws):
    assert caller_account(embedded_aws.client("sts")) == ACCOUNT
    client = embedded_aws.client("sagemaker")
    with Stubber(client) as stubber:
        stubber.add_client_error("list_hyper_parameter_tuning_jobs", "AccessDeniedException", "not authorized")
        with pytest.raises(AwsCallFailed, match="AccessDeniedException"):
            list(TuningJobReader(client).in_progress())


ALERT = Alert(
    subject="[HPO Guardrail] job needs attention (worst case $29): log-scale",
    chatbot={"version": "1.0", "source": "custom", "content": {"title": "t", "description": "d"}},
    email="plain text body\n",
    attributes={"severity": "high", "action": "notify", "rules": ["log-scale", "budget-cap"]},
)


def test_publish_sends_chatbot_json_by_default_and_text_by_email(embedded_aws, deployed_stack, sns_capture):
    notifier = SnsNotifier(embedded_aws.client("sns"), deployed_stack.topic_arn)

    message_id = notifier.publish(ALERT)

    (notification,) = sns_capture.receive()
    assert notification.message_id == message_id
    assert json.loads(notification.message) == ALERT.chatbot
    assert notification.subject == ALERT.subject
    attributes = notification.message_attributes
    assert (attributes["severity"], attributes["action"]) == ("high", "notify")
    assert json.loads(attributes["rules"]) == ["log-scale", "budget-cap"]
    assert notification.envelope["MessageAttributes"]["rules"]["Type"] == "String.Array"
    (email,) = [e for e in sns_capture.emails() if e.message_id == message_id]
    assert email.body.startswith("plain text body")


def test_publish_to_a_missing_topic_raises_notification_failed(embedded_aws):
    notifier = SnsNotifier(embedded_aws.client("sns"), "arn:aws:sns:us-east-1:123456789012:nowhere")
    with pytest.raises(NotificationFailed):
        notifier.publish(ALERT)


def test_the_price_cache_keeps_a_price_and_the_fact_that_there_is_none(embedded_aws, deployed_stack):
    from datetime import UTC, datetime, timedelta

    from hpo_guardrail.adapters.dynamodb import DynamoDbPriceCache
    from hpo_guardrail.pricing.lookup import CachedPrice

    cache = DynamoDbPriceCache(embedded_aws.client("dynamodb"), deployed_stack.outputs["PriceCacheTableName"])
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    answers = [
        CachedPrice(
            region="us-west-2",
            instance_type=f"ml.test{i}.xlarge",
            usd_per_hour=None if i % 2 else 1.25 * (i + 1),
            fetched_at=now,
            expires_at=now + timedelta(days=7),
        )
        for i in range(30)  # more than one BatchWriteItem holds
    ]
    cache.put(answers)
    assert cache.get("us-west-2", "ml.test0.xlarge") == answers[0]
    assert cache.get("us-west-2", "ml.test1.xlarge").usd_per_hour is None
    assert cache.get("us-west-2", "ml.test29.xlarge") == answers[29]
    assert cache.get("eu-west-1", "ml.test0.xlarge") is None


def test_the_price_list_api_gives_one_types_on_demand_training_price(embedded_aws):
    from hpo_guardrail.adapters.pricing import PriceListApi

    api = PriceListApi(embedded_aws.client("pricing"))
    assert api.training_price("us-east-1", "ml.p4d.24xlarge") == 25.251
    # ml.m5.large also has SpotTraining and Hosting products at other prices: only on-demand training counts.
    assert api.training_price("us-east-1", "ml.m5.large") == 0.115
    assert api.training_price("us-east-1", "ml.p5en.48xlarge") is None


def test_the_deployed_price_refresh_fills_the_price_cache(embedded_aws, deployed_stack, tmp_path):
    from hpo_guardrail.adapters.dynamodb import DynamoDbPriceCache
    from hpo_guardrail.embedded.lambda_runtime import FunctionRunner

    refresher = FunctionRunner.for_stack(
        embedded_aws, deployed_stack, tmp_path, function_name=deployed_stack.outputs["PriceRefreshFunctionName"]
    )
    invocation = refresher.run({"regions": ["us-east-1"]})
    assert invocation.succeeded, invocation.error
    (region,) = invocation.result["regions"]
    assert region["region"] == "us-east-1" and region["error"] is None and region["priced"] > 10
    cache = DynamoDbPriceCache(embedded_aws.client("dynamodb"), deployed_stack.outputs["PriceCacheTableName"])
    assert cache.get("us-east-1", "ml.p4d.24xlarge").usd_per_hour == 25.251
    assert cache.get("us-east-1", "ml.p5en.48xlarge").usd_per_hour is None, "listed nowhere: stored as none"
