"""The one place where the embedded AWS (moto) is extended.

moto lacks a few things the guardrail's flow needs, and gets a few others wrong. Each patch below says
what real AWS does and why the flow needs it. Product code never knows about any of this: it talks to
the emulator through plain boto3 clients, exactly as it talks to AWS.

Everything happens in this process: `install()` patches moto's classes before the threaded server
starts, and the helpers below (`set_tuning_job_status`, `MAILBOX`, `ASYNC_INVOCATIONS`) read or change
the same in-memory backends the server serves.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.cloudformation import parsing as cfn_parsing
from moto.core.common_models import CloudFormationModel
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp, utcnow
from moto.events.models import EventsBackend, Rule
from moto.events.responses import EventsHandler
from moto.events.utils import EventTemplateParser
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket, s3_backends
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.models import HyperParameterTuningJob, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.scheduler.models import scheduler_backends
from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import SNSBackend, Subscription, Topic, sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn
from moto.utilities.utils import get_partition

DEFAULT_REGION = "us-east-1"

# An HTTP header the embedded event bus understands on PutEvents: a JSON list of event ids, one per
# entry. Events that CloudTrail forwards to EventBridge carry the id EventBridge gave them, and
# redeliveries (EventBridge delivers at least once) repeat it; replaying an event with its original id
# is how the emulator shows both. Real PutEvents has no such parameter, so it travels as a header.
REPLAYED_EVENT_IDS_HEADER = "x-embedded-aws-event-ids"

_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Patch moto in this process; calling it again does nothing."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _extend_sagemaker()
        _extend_sns()
        _extend_eventbridge()
        _extend_s3()
        _extend_cloudformation()
        _installed = True


# --- SageMaker: tuning job lifecycle -------------------------------------------------------------

TUNING_JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting", "DeleteFailed")
_RUNNING_STATUSES = ("InProgress", "Stopping")


def _extend_sagemaker() -> None:
    original_init = HyperParameterTuningJob.__init__

    def init_in_progress(self: HyperParameterTuningJob, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # moto keeps Tags=None for a job created without tags, and AddTags/ListTags/DeleteTags then
        # crash on None; SageMaker treats it as no tags.
        self.tags = self.tags or []
        # moto reports every job Completed at once. A real job runs for hours after the create call,
        # and the guardrail exists to act on running jobs.
        _apply_status(self, "InProgress")

    HyperParameterTuningJob.__init__ = init_in_progress  # type: ignore[method-assign]
    # moto has no StopHyperParameterTuningJob; the response class dispatches actions by method name.
    SageMakerModelBackend.stop_hyper_parameter_tuning_job = _stop_tuning_job  # type: ignore[attr-defined]
    SageMakerResponse.stop_hyper_parameter_tuning_job = _stop_tuning_job_action  # type: ignore[attr-defined]


def _stop_tuning_job(self: SageMakerModelBackend, hyper_parameter_tuning_job_name: str) -> None:
    job = _find_tuning_job(self, hyper_parameter_tuning_job_name)
    status = job.hyper_parameter_tuning_job_status
    if status != "InProgress":
        # SageMaker only models ResourceNotFound for this call; stopping a training job that is not
        # InProgress fails with ValidationException, and the tuning job API most likely does the same.
        raise ValidationError(
            message=f"The request was rejected because the hyper parameter tuning job "
            f"'{hyper_parameter_tuning_job_name}' is in status {status}."
        )
    # Real jobs stay Stopping while their training jobs get SIGTERM and 120 s to save; the emulator
    # keeps them there until a test or the demo calls set_tuning_job_status(..., "Stopped").
    _apply_status(job, "Stopping")


def _stop_tuning_job_action(self: SageMakerResponse) -> ActionResult:
    self.sagemaker_backend.stop_hyper_parameter_tuning_job(  # type: ignore[attr-defined]
        self._get_param("HyperParameterTuningJobName")
    )
    return EmptyResult()


def _find_tuning_job(backend: SageMakerModelBackend, name: str) -> HyperParameterTuningJob:
    job = backend.hyper_parameter_tuning_jobs.get(name)
    if job is None:
        raise ResourceNotFound(message=f"Could not find hyper parameter tuning job '{name}'.")
    return job


def _apply_status(job: HyperParameterTuningJob, status: str) -> None:
    job.hyper_parameter_tuning_job_status = status
    job.last_modified_time = utcnow()
    running = status in _RUNNING_STATUSES
    # moto types the end time as always set; a running job has none.
    job.hyper_parameter_tuning_end_time = None if running else utcnow()  # type: ignore[assignment]
    # Counters consistent with the status, so a Describe does not claim a finished training job
    # for a job that has only just started.
    job.training_job_status_counters = {
        "Completed": int(status == "Completed"),
        "InProgress": int(running),
        "RetryableError": 0,
        "NonRetryableError": int(status == "Failed"),
        "Stopped": int(status == "Stopped"),
    }


def set_tuning_job_status(
    name: str, status: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION
) -> None:
    """Move an emulated tuning job to `status`, e.g. Completed before it is stopped, or Stopped."""
    if status not in TUNING_JOB_STATUSES:
        raise ValueError(f"unknown tuning job status {status!r}; expected one of {TUNING_JOB_STATUSES}")
    _apply_status(_find_tuning_job(sagemaker_backends[account_id][region], name), status)


# --- SNS: publish checks and the email mailbox ---------------------------------------------------

SNS_SENDER = "no-reply@sns.amazonaws.com"
_DEFAULT_EMAIL_SUBJECT = "AWS Notification Message"
_EMAIL_FOOTER = (
    "\n\n--\n"
    "If you wish to stop receiving notifications from this topic, please click or visit the link below "
    "to unsubscribe:\n"
    "https://sns.{region}.amazonaws.com/unsubscribe.html?SubscriptionArn={subscription_arn}&Endpoint={endpoint}"
    "\n\n"
    "Please do not reply directly to this email. If you have any questions or comments regarding this "
    "email, please contact us at https://aws.amazon.com/support"
)


@dataclass(frozen=True)
class DeliveredEmail:
    """An email SNS would have sent to an `email` (or `email-json`) subscriber."""

    recipient: str
    sender: str
    subject: str
    body: str
    topic_arn: str
    message_id: str
    protocol: str

    def as_received(self) -> str:
        """The email as a mail client shows it: headers, a blank line, the body."""
        return f"From: {self.sender}\nTo: {self.recipient}\nSubject: {self.subject}\n\n{self.body}"


class Mailbox:
    """Every email the emulated SNS delivered, in order. Safe to use from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emails: list[DeliveredEmail] = []

    def deliver(self, email: DeliveredEmail) -> None:
        """Store one delivered email."""
        with self._lock:
            self._emails.append(email)

    def emails(self, *, recipient: str | None = None, topic_arn: str | None = None) -> list[DeliveredEmail]:
        """Delivered emails, oldest first, optionally only those to `recipient` or from `topic_arn`."""
        with self._lock:
            return [
                email
                for email in self._emails
                if (recipient is None or email.recipient == recipient)
                and (topic_arn is None or email.topic_arn == topic_arn)
            ]

    def clear(self) -> None:
        """Forget every delivered email."""
        with self._lock:
            self._emails.clear()


MAILBOX = Mailbox()
_EMAIL_PROTOCOLS = ("email", "email-json")


def _extend_sns() -> None:
    original_publish = Subscription.publish

    def publish_to_subscriber(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol not in _EMAIL_PROTOCOLS:
            original_publish(
                self,
                message,
                message_id,
                subject=subject,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
            return
        # moto drops messages to email subscribers; the mailbox keeps them so the demo and the tests
        # can read the email as the recipient would.
        _deliver_email(self, message, message_id, subject, message_attributes, message_structure)

    Subscription.publish = publish_to_subscriber  # type: ignore[method-assign]

    original_backend_publish = SNSBackend.publish

    def publish_checked(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        _check_subject(kwargs.get("subject"))
        if kwargs.get("message_structure") == "json":
            _check_message_structure(message)
        return original_backend_publish(self, message, arn, *args, **kwargs)

    SNSBackend.publish = publish_checked  # type: ignore[method-assign]


def _deliver_email(
    subscription: Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
    message_structure: str | None,
) -> None:
    matcher = subscription._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    if message_structure == "json":
        # moto picks the key named after the protocol (`email`), else `default`, as SNS does.
        message = subscription._parse_message_structure(message, subscription.protocol)
    topic: Topic = subscription.topic
    if subscription.protocol == "email-json":
        body = json.dumps(subscription.get_post_data(message, message_id, subject), indent=2)
    else:
        body = message + _EMAIL_FOOTER.format(
            region=topic.sns_backend.region_name,
            subscription_arn=subscription.arn,
            endpoint=subscription.endpoint,
        )
    display_name = topic.display_name or "AWS Notifications"
    MAILBOX.deliver(
        DeliveredEmail(
            recipient=subscription.endpoint,
            sender=f"{display_name} <{SNS_SENDER}>",
            subject=subject or _DEFAULT_EMAIL_SUBJECT,
            body=body,
            topic_arn=topic.arn,
            message_id=message_id,
            protocol=subscription.protocol,
        )
    )


def _check_subject(subject: str | None) -> None:
    # SNS rejects a subject that is not printable ASCII or contains line breaks (moto checks only the
    # length). An em dash or an emoji in a subject works here and fails in AWS unless this is checked.
    if subject is None:
        return
    if not subject or not all(" " <= ch <= "~" for ch in subject):
        raise InvalidParameterValue(
            "Invalid parameter: Subject (must be ASCII text without line breaks or control characters)"
        )


def _check_message_structure(message: str) -> None:
    # With MessageStructure=json SNS requires a JSON object with a `default` string entry, and string
    # values for every protocol; moto only fails later, per subscriber, and accepts non-strings.
    try:
        structured = json.loads(message)
    except json.JSONDecodeError as not_json:
        raise InvalidParameterValue(
            "Invalid parameter: Message Structure - JSON message body failed to parse"
        ) from not_json
    if not isinstance(structured, dict) or "default" not in structured:
        raise InvalidParameterValue("Invalid parameter: Message Structure - No default entry in JSON message body")
    if not all(isinstance(value, str) for value in structured.values()):
        raise InvalidParameterValue(
            "Invalid parameter: Message Structure - every protocol's message must be a JSON string"
        )


# --- EventBridge: Lambda targets and replayed event ids ------------------------------------------


@dataclass(frozen=True)
class AsyncInvocation:
    """An event EventBridge handed to a Lambda function target (an asynchronous invocation)."""

    function_arn: str
    rule_arn: str
    event_id: str
    event: dict[str, Any]


class AsyncInvocationQueue:
    """Lambda's queue of asynchronous invocations, filled by EventBridge rules with Lambda targets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[AsyncInvocation] = []

    def put(self, invocation: AsyncInvocation) -> None:
        """Queue one invocation."""
        with self._lock:
            self._pending.append(invocation)

    def take(self, function_arn: str) -> list[AsyncInvocation]:
        """Remove and return the invocations queued for one function, oldest first."""
        return self._take(lambda invocation: invocation.function_arn == function_arn)

    def take_event(self, event_id: str) -> list[AsyncInvocation]:
        """Remove and return the invocations one event caused (one per matching rule target)."""
        return self._take(lambda invocation: invocation.event_id == event_id)

    def _take(self, wanted: Callable[[AsyncInvocation], bool]) -> list[AsyncInvocation]:
        with self._lock:
            taken = [i for i in self._pending if wanted(i)]
            self._pending = [i for i in self._pending if not wanted(i)]
            return taken


ASYNC_INVOCATIONS = AsyncInvocationQueue()
_replay = threading.local()


def _extend_eventbridge() -> None:
    original_action = EventsHandler.put_events
    original_backend_put = EventsBackend.put_events
    original_send = Rule.send_to_targets

    def put_events_action(self: EventsHandler) -> str:
        header = self.headers.get(REPLAYED_EVENT_IDS_HEADER)
        _replay.event_ids = json.loads(header) if header else None
        try:
            return original_action(self)
        finally:
            _replay.event_ids = None

    def put_events_keeping_ids(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        event_ids = getattr(_replay, "event_ids", None)
        if not event_ids or len(event_ids) != len(events):
            return original_backend_put(self, events)
        _replay.event_ids = None
        entries: list[dict[str, Any]] = []
        for event, event_id in zip(events, event_ids, strict=True):
            _replay.current_event_id = event_id
            try:
                entry = original_backend_put(self, [event])[0]
            finally:
                _replay.current_event_id = None
            if "EventId" in entry:
                entry["EventId"] = event_id
            entries.append(entry)
        return entries

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        event_id = getattr(_replay, "current_event_id", None)
        if event_id:
            original_event["id"] = event_id  # put_events hands each rule its own copy
        lambda_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
        if lambda_targets and self.event_pattern.matches_event(original_event):
            for target in lambda_targets:
                ASYNC_INVOCATIONS.put(
                    AsyncInvocation(
                        function_arn=target["Arn"],
                        rule_arn=self.arn,
                        event_id=str(original_event["id"]),
                        event=_lambda_target_input(target, original_event),
                    )
                )
        # moto raises NotImplementedError (HTTP 500 on PutEvents) for a matching rule with a Lambda
        # target; the other targets (SQS, logs, buses) keep moto's own delivery.
        other_targets = [t for t in self.targets if t not in lambda_targets]
        if other_targets:
            original_send(_RuleWithTargets(self, other_targets), original_event, transform_input)  # type: ignore[arg-type]

    EventsHandler.put_events = put_events_action  # type: ignore[method-assign]
    EventsBackend.put_events = put_events_keeping_ids  # type: ignore[method-assign]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


class _RuleWithTargets:
    """A rule seen with only some of its targets, so moto's own delivery skips the others."""

    def __init__(self, rule: Rule, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


_ENVELOPE_KEYS = (
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
)


def _lambda_target_input(target: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    if "Input" in target:
        return dict(json.loads(target["Input"]))
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=copy.deepcopy(event),  # type: ignore[arg-type]
        )
    # The envelope EventBridge gives a Lambda target: moto keeps `time` as epoch seconds and adds an
    # `ingestion-time` that real events do not have.
    envelope = {key: copy.deepcopy(event[key]) for key in _ENVELOPE_KEYS if key in event}
    if isinstance(envelope.get("time"), int | float):
        envelope["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(envelope["time"]))
    return envelope


# --- CloudFormation: resource types the template uses that moto skips ----------------------------


class _ExtensionResource(CloudFormationModel):
    """Shared plumbing for the resource types added here: a physical id and no attributes."""

    def __init__(self, physical_resource_id: str) -> None:
        self.physical_resource_id = physical_resource_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        """Undo what create did (moto calls this when the stack is deleted)."""

    def is_created(self) -> bool:
        return True


class SnsSubscriptionResource(_ExtensionResource):
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
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SnsSubscriptionResource:
        properties = cloudformation_json["Properties"]
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


class SqsQueuePolicyResource(_ExtensionResource):
    """AWS::SQS::QueuePolicy, which moto skips: the dead-letter queue's policy for EventBridge."""

    def __init__(self, physical_resource_id: str, queue_urls: list[str]) -> None:
        super().__init__(physical_resource_id)
        self.queue_urls = queue_urls

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SqsQueuePolicyResource:
        properties = cloudformation_json["Properties"]
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


class LambdaEventInvokeConfigResource(_ExtensionResource):
    """AWS::Lambda::EventInvokeConfig, which moto skips: retries and the OnFailure destination."""

    def __init__(self, physical_resource_id: str, function_name: str) -> None:
        super().__init__(physical_resource_id)
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaEventInvokeConfigResource:
        properties = dict(cloudformation_json["Properties"])
        function_name = properties.pop("FunctionName")
        qualifier = properties.pop("Qualifier", "$LATEST")
        lambda_backends[account_id][region_name].put_function_event_invoke_config(function_name, properties)
        return cls(f"{function_name}${qualifier}", function_name)

    def delete(self, account_id: str, region_name: str) -> None:
        lambda_backends[account_id][region_name].delete_function_event_invoke_config(self.function_name)


# --- S3: the report bucket's properties and its TLS-only policy ----------------------------------

# What the emulator knows about every request: it stands in for S3's HTTPS endpoint, although clients
# reach it over plain HTTP on the loopback interface.
_S3_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _extend_s3() -> None:
    original_create: Callable[..., FakeBucket] = FakeBucket.create_from_cloudformation_json

    def create_bucket_with_properties(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        # moto applies only BucketEncryption and Tags from a template; versioning, the public access
        # block, ownership controls and lifecycle rules are dropped, and the report bucket has them all.
        bucket = original_create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), account_id, region_name)
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create_bucket_with_properties)  # type: ignore[method-assign, assignment, arg-type]

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        # moto ignores a bucket policy's Bool conditions and so applies the TLS-only Deny to every
        # request: each GetObject and PutObject would fail with 403. Conditions the emulator can
        # evaluate are evaluated here; a statement whose condition does not hold does not apply.
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        applicable = [
            _without_known_conditions(statement)
            for statement in (statements if isinstance(statements, list) else [statements])
            if _conditions_hold(statement.get("Condition", {})) is not False
        ]
        return IAMPolicy(json.dumps({**document, "Statement": applicable})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _s3_backend(account_id: str, region_name: str) -> Any:
    return s3_backends[account_id][get_partition(region_name)]


def _apply_bucket_properties(bucket: FakeBucket, properties: dict[str, Any], account_id: str, region: str) -> None:
    backend = _s3_backend(account_id, region)
    if "VersioningConfiguration" in properties:
        backend.put_bucket_versioning(bucket.name, properties["VersioningConfiguration"]["Status"])
    if "PublicAccessBlockConfiguration" in properties:
        flags = {k: str(v).lower() == "true" for k, v in properties["PublicAccessBlockConfiguration"].items()}
        backend.put_public_access_block(bucket.name, flags)
    if "OwnershipControls" in properties:
        backend.put_bucket_ownership_controls(
            bucket.name, properties["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        )
    if "LifecycleConfiguration" in properties:
        rules = [_lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]
        backend.put_bucket_lifecycle_configuration(bucket.name, rules)


_LIFECYCLE_PROPERTIES = {
    "Id",
    "Status",
    "Prefix",
    "ExpirationInDays",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule as the template writes it, in the API's shape (what moto's backend takes)."""
    unknown = set(rule) - _LIFECYCLE_PROPERTIES
    if unknown:
        raise NotImplementedError(f"lifecycle rule properties not emulated: {', '.join(sorted(unknown))}")
    converted: dict[str, Any] = {
        "ID": rule.get("Id"),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return converted


def _conditions_hold(condition: dict[str, Any]) -> bool | None:
    """Whether a statement's Bool conditions hold for an emulator request; None if it has none or others."""
    if set(condition) != {"Bool"}:
        return None
    for key, expected in condition["Bool"].items():
        actual = _S3_REQUEST_CONTEXT.get(key)
        allowed = [str(value).lower() for value in (expected if isinstance(expected, list) else [expected])]
        if actual not in allowed:
            return False
    return True


def _without_known_conditions(statement: dict[str, Any]) -> dict[str, Any]:
    if _conditions_hold(statement.get("Condition", {})):
        return {name: value for name, value in statement.items() if name != "Condition"}
    return statement


class S3BucketPolicyResource(_ExtensionResource):
    """AWS::S3::BucketPolicy, which moto skips: the report bucket's TLS-only policy."""

    def __init__(self, physical_resource_id: str, bucket: str) -> None:
        super().__init__(physical_resource_id)
        self.bucket = bucket

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> S3BucketPolicyResource:
        properties = cloudformation_json["Properties"]
        bucket = properties["Bucket"]
        policy = json.dumps(properties["PolicyDocument"]).encode()
        _s3_backend(account_id, region_name).put_bucket_policy(bucket, policy)
        return cls(resource_name, bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        _s3_backend(account_id, region_name).delete_bucket_policy(self.bucket)


# --- EventBridge Scheduler: the weekly report's schedule -----------------------------------------


class SchedulerScheduleResource(_ExtensionResource):
    """AWS::Scheduler::Schedule, which moto's CloudFormation skips although its Scheduler API has schedules.

    The schedule is created in the emulator's Scheduler, so GetSchedule shows what was deployed. Nothing
    fires it (moto keeps no clock): the demo and the tests invoke the reporter function themselves.
    """

    def __init__(self, physical_resource_id: str, group_name: str, arn: str) -> None:
        super().__init__(physical_resource_id)
        self.group_name = group_name
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SchedulerScheduleResource:
        properties = cloudformation_json["Properties"]
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=properties.get("Description"),
            end_date=properties.get("EndDate"),
            flexible_time_window=properties["FlexibleTimeWindow"],
            group_name=properties.get("GroupName"),
            kms_key_arn=properties.get("KmsKeyArn"),
            name=properties.get("Name") or resource_name,
            schedule_expression=properties["ScheduleExpression"],
            schedule_expression_timezone=properties.get("ScheduleExpressionTimezone"),
            start_date=properties.get("StartDate"),
            state=properties.get("State"),
            target=properties["Target"],
            action_after_completion=None,
        )
        return cls(schedule.name, schedule.group_name, schedule.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        scheduler_backends[account_id][region_name].delete_schedule(self.group_name, self.physical_resource_id)


_ADDED_RESOURCE_TYPES: tuple[type[_ExtensionResource], ...] = (
    SnsSubscriptionResource,
    SqsQueuePolicyResource,
    LambdaEventInvokeConfigResource,
    S3BucketPolicyResource,
    SchedulerScheduleResource,
)


def _extend_cloudformation() -> None:
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
