"""A live tuning job read back from SageMaker (Describe, then ListTags) as the create call that made it.

`scan`, the scheduled reconciliation (and any later trigger that only knows a job exists) see a job through
DescribeHyperParameterTuningJob, which holds the request's configuration in the API's PascalCase but no tags
(ListTags has them) and no caller. This is the one conversion from what they read to the `TuningJobCall` the
evaluator and the guardrail's action path take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rules.models import CallContext, TuningJobCall
from rules.parsing import read_request

# The members of the CreateHyperParameterTuningJob request (botocore sagemaker 2017-07-24 service-2.json,
# CreateHyperParameterTuningJobRequest) that a Describe response also carries; Tags come from ListTags. The rest
# of a Describe response (status, counters, times, best training job) is about the run, not the request.
REQUEST_MEMBERS = (
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobConfig",
    "TrainingJobDefinition",
    "TrainingJobDefinitions",
    "WarmStartConfig",
    "Autotune",
)


@dataclass(frozen=True)
class DescribedJob:
    """One tuning job as SageMaker describes it, with its tags, and the account and region it lives in."""

    account: str
    region: str
    description: Mapping[str, Any]
    tags: Sequence[Mapping[str, str]] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return str(self.description.get("HyperParameterTuningJobName", ""))

    @property
    def arn(self) -> str | None:
        arn = self.description.get("HyperParameterTuningJobArn")
        return str(arn) if arn else None

    @property
    def status(self) -> str | None:
        status = self.description.get("HyperParameterTuningJobStatus")
        return str(status) if status else None

    @property
    def created_at(self) -> str | None:
        """CreationTime as ISO 8601 (boto3 gives a datetime); the call's time, as far as Describe says."""
        created = self.description.get("CreationTime")
        if isinstance(created, datetime):
            return created.isoformat().replace("+00:00", "Z")
        return str(created) if isinstance(created, str) and created else None

    def request_parameters(self) -> dict[str, Any]:
        """The create request this job was made with, as far as Describe and ListTags give it back (PascalCase,
        JSON-ready): what the audit record keeps for `hpo-guardrail replay`."""
        request = {key: self.description[key] for key in REQUEST_MEMBERS if key in self.description}
        if self.tags:
            request["Tags"] = [dict(tag) for tag in self.tags]
        return request

    def call(self, event_id: str) -> TuningJobCall:
        """The create call as the evaluator takes it, under `event_id`; raises InvalidRequest naming the field.

        The caller is unknown (Describe does not say who created a job), so principal and role scopes do not
        apply; account, region and team scopes do."""
        request = read_request(self.request_parameters())
        context = CallContext(
            event_id=event_id, event_time=self.created_at, account=self.account, region=self.region, job_arn=self.arn
        )
        return TuningJobCall(context=context, request=request)
