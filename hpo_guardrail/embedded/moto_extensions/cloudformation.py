"""CloudFormation: resource types the template uses that moto skips, and AWS::NoValue in lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.cloudformation import parsing as cfn_parsing
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn

from hpo_guardrail.embedded.moto_extensions.bus_policy import EventBusPolicyResource
from hpo_guardrail.embedded.moto_extensions.cfn_resource import ExtensionResource
from hpo_guardrail.embedded.moto_extensions.cloudwatch import CloudWatchAlarmResource
from hpo_guardrail.embedded.moto_extensions.lambda_versions import LambdaAliasResource, LambdaVersionResource
from hpo_guardrail.embedded.moto_extensions.s3 import S3BucketPolicyResource
from hpo_guardrail.embedded.moto_extensions.scheduler import SchedulerScheduleResource


class SnsSubscriptionResource(ExtensionResource):
    """AWS::SNS::Subscription, which moto skips: the template's email subscription needs it.

    moto confirms every subscription at once, so the email subscriber receives alerts without the
    confirmation click a real address needs.
    """

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.physical_resource_id

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> SnsSubscriptionResource:
        topic_arn = properties["TopicArn"]
        backend = sns_backends[account_id][parse_arn(topic_arn).region or region_name]
        subscription = backend.subscribe(topic_arn, properties["Endpoint"], properties["Protocol"])
        for name in ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery", "RedrivePolicy"):
            if name in properties:
                value = properties[name]
                value = json.dumps(value) if isinstance(value, dict) else value
                backend.set_subscription_attributes(subscription.arn, name, value)
        return cls(subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sns_backends[account_id][parse_arn(self.physical_resource_id).region or region_name]
        backend.unsubscribe(self.physical_resource_id)


class SqsQueuePolicyResource(ExtensionResource):
    """AWS::SQS::QueuePolicy, which moto skips: the dead-letter queue's policy for EventBridge."""

    def __init__(self, physical_resource_id: str, queue_urls: list[str]) -> None:
        super().__init__(physical_resource_id)
        self.queue_urls = queue_urls

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> SqsQueuePolicyResource:
        queue_urls = list(properties["Queues"])
        policy = json.dumps(properties["PolicyDocument"])
        for url in queue_urls:
            sqs_backends[account_id][region_name].set_queue_attributes(_queue_name(url), {"Policy": policy})
        return cls(resource_name, queue_urls)

    def delete(self, account_id: str, region_name: str) -> None:
        for url in self.queue_urls:
            sqs_backends[account_id][region_name].set_queue_attributes(_queue_name(url), {"Policy": ""})


def _queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


class LambdaEventInvokeConfigResource(ExtensionResource):
    """AWS::Lambda::EventInvokeConfig, which moto skips: retries and the OnFailure destination."""

    def __init__(self, physical_resource_id: str, function_name: str) -> None:
        super().__init__(physical_resource_id)
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> LambdaEventInvokeConfigResource:
        properties = dict(properties)
        function_name = properties.pop("FunctionName")
        qualifier = properties.pop("Qualifier", "$LATEST")
        lambda_backends[account_id][region_name].put_function_event_invoke_config(function_name, properties)
        return cls(f"{function_name}${qualifier}", function_name)

    def delete(self, account_id: str, region_name: str) -> None:
        lambda_backends[account_id][region_name].delete_function_event_invoke_config(self.function_name)


_ADDED_RESOURCE_TYPES: tuple[type[ExtensionResource], ...] = (
    SnsSubscriptionResource,
    SqsQueuePolicyResource,
    LambdaEventInvokeConfigResource,
    S3BucketPolicyResource,
    SchedulerScheduleResource,
    CloudWatchAlarmResource,
    EventBusPolicyResource,
    LambdaVersionResource,
    LambdaAliasResource,
)


def extend_cloudformation() -> None:
    original_lookup: Callable[[str], Any] = cfn_parsing.resource_class_from_type
    added = {resource.cloudformation_type(): resource for resource in _ADDED_RESOURCE_TYPES}

    def resource_class_from_type(resource_type: str) -> Any:
        return added.get(resource_type) or original_lookup(resource_type)

    cfn_parsing.resource_class_from_type = resource_class_from_type

    # `!If [cond, item, !Ref AWS::NoValue]` inside a list removes the item in CloudFormation; moto
    # resolves it to None and keeps it, which breaks a role whose policy list has a conditional entry.
    # clean_json calls itself through the module global, so every level of the walk gets this.
    original_clean: Callable[[Any, Any], Any] = cfn_parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        cleaned = original_clean(resource_json, resources_map)
        return [item for item in cleaned if item is not None] if isinstance(cleaned, list) else cleaned

    cfn_parsing.clean_json = clean_json


def creates_resource_type(resource_type: str) -> bool:
    """Whether the emulator's CloudFormation creates resources of this type (it skips unknown ones)."""
    if resource_type in cfn_parsing.NULL_MODELS:
        return False
    return resource_type.startswith("Custom::") or cfn_parsing.resource_class_from_type(resource_type) is not None
