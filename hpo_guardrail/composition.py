"""Wire the service to real boto3 clients, once per execution environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hpo_guardrail.adapters.clients import function_client
from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.adapters.sagemaker import SageMakerJobController
from hpo_guardrail.adapters.securityhub import SecurityHubExporter
from hpo_guardrail.adapters.sns import SnsNotifier
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings

if TYPE_CHECKING:
    from hpo_guardrail.reporting.weekly import WeeklyReporter


def build_service(environ: Mapping[str, str] = os.environ) -> GuardrailService:
    """Read settings and create the boto3 clients the adapters use."""
    settings = Settings.from_environ(environ)
    jobs = SageMakerJobController(function_client("sagemaker"))
    notifier = SnsNotifier(function_client("sns"), settings.notify_topic_arn) if settings.notify_topic_arn else None
    policies = PolicySource(settings.policy, settings.policy_max_age_seconds)
    audit = (
        DynamoDbAuditStore(function_client("dynamodb"), settings.audit_table_name)
        if settings.audit_table_name
        else None
    )
    exporter = SecurityHubExporter(function_client("securityhub")) if settings.security_hub_export else None
    return GuardrailService(settings, jobs=jobs, notifier=notifier, policies=policies, audit=audit, exporter=exporter)


def build_weekly_reporter(environ: Mapping[str, str] = os.environ) -> WeeklyReporter:
    """Read the reporter's settings and create its clients: the audit table, the report bucket, the topic."""
    # Imported here: the guardrail function imports this module too, and its cold start needs none of it.
    from hpo_guardrail.adapters.s3 import S3ReportArchive
    from hpo_guardrail.reporting.settings import ReporterSettings
    from hpo_guardrail.reporting.weekly import WeeklyReporter

    settings = ReporterSettings.from_environ(environ)
    audit = DynamoDbAuditStore(function_client("dynamodb"), settings.audit_table_name)
    archive = S3ReportArchive(function_client("s3"), settings.report_bucket_name)
    notifier = SnsNotifier(function_client("sns"), settings.notify_topic_arn) if settings.notify_topic_arn else None
    return WeeklyReporter(audit, archive, notifier, region=settings.region)
