"""What the first event would otherwise pay, done ahead of it: Lambda SnapStart's before-snapshot hook runs this.

With SnapStart (template.yaml, SnapStart parameter) Lambda runs the function's initialisation once, when a version
is published, and starts every later execution environment from a snapshot of that memory. Whatever is warm in
the snapshot costs the restored environments nothing: so, before the snapshot, read the policy, judge a sample
CloudTrail event end to end in memory (parse, policy, rules, cost from the bundled table, decision, alert text),
and make the AWS clients the service holds (composition.warm_up, which also builds the models left to their first
use: the Stop button's, the Price List API's). Nothing is sent, written or counted: no AWS call but the policy's own
read (SSM, when the policy lives there; re-read after restore once older than its max age), no log line, no metric.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_guardrail.enforce.alerts import compose_alert
from hpo_guardrail.observability import silenced
from rules.assessment import assess, region_of
from rules.events import read_event
from rules.models import TuningJobCall
from rules.prices import BundledPrices

if TYPE_CHECKING:
    from hpo_guardrail.enforce.service import GuardrailService

# A CreateHyperParameterTuningJob record as EventBridge delivers it (events/02-classic-linear-learning-rate.json,
# trimmed): a linear learning rate, so the rules find something and the alert is composed too.
SAMPLE_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "00000000-0000-4000-8000-000000000000",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.sagemaker",
    "account": "123456789012",
    "time": "2026-11-26T09:30:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/DataScientist/warm-up",
            "accountId": "123456789012",
        },
        "eventTime": "2026-11-26T09:30:00Z",
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": "CreateHyperParameterTuningJob",
        "awsRegion": "us-east-1",
        "requestParameters": {
            "hyperParameterTuningJobName": "warm-up",
            "hyperParameterTuningJobConfig": {
                "strategy": "Random",
                "hyperParameterTuningJobObjective": {"type": "Maximize", "metricName": "validation:auc"},
                "resourceLimits": {"maxParallelTrainingJobs": 2, "maxNumberOfTrainingJobs": 20},
                "parameterRanges": {
                    "continuousParameterRanges": [
                        {"name": "learning_rate", "minValue": "0.0001", "maxValue": "1.0", "scalingType": "Linear"}
                    ],
                    "integerParameterRanges": [{"name": "epochs", "minValue": "1", "maxValue": "50"}],
                    "categoricalParameterRanges": [{"name": "optimizer", "values": ["sgd", "adam"]}],
                },
            },
            "trainingJobDefinition": {
                "algorithmSpecification": {
                    "trainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:latest",
                    "trainingInputMode": "File",
                },
                "roleArn": "arn:aws:iam::123456789012:role/SageMakerExecution",
                "outputDataConfig": {"s3OutputPath": "s3://ml-artifacts/tuning/"},
                "resourceConfig": {"instanceType": "ml.g4dn.xlarge", "instanceCount": 1, "volumeSizeInGB": 50},
                "stoppingCondition": {"maxRuntimeInSeconds": 7200},
                "staticHyperParameters": {"batch_size": "64"},
            },
        },
        "responseElements": {
            "hyperParameterTuningJobArn": (
                "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/warm-up"
            )
        },
        "eventID": "00000000-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012",
    },
}


def judge_sample(service: GuardrailService) -> TuningJobCall:
    """Judge SAMPLE_EVENT as the service would, in memory only; returns the call it read. A policy that cannot be
    read is handled as on any event (the last good one or the packaged default), so it never fails a publish."""
    with silenced():
        call = read_event(SAMPLE_EVENT)
        if not isinstance(call, TuningJobCall):
            raise AssertionError(f"the warm-up event was not read as a tuning job call: {call!r}")
        evaluator = service.evaluator
        document = evaluator.policies.current().document
        evaluation, decision = assess(
            call.request,
            document,
            today=evaluator.today(),
            context=call.context,
            base=evaluator.base,
            prices=BundledPrices(),
        )
        compose_alert(call.context, evaluation, decision, None, region_of(call.context), options=service.alert_options)
    return call
