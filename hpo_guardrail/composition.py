"""Wire the service to real boto3 clients, once per execution environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

import boto3
from botocore.config import Config

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.adapters.sagemaker import SageMakerJobController
from hpo_guardrail.adapters.securityhub import SecurityHubExporter
from hpo_guardrail.adapters.sns import SnsNotifier
from hpo_guardrail.policy_source import PolicySource
from hpo_guardrail.service import GuardrailService
from hpo_guardrail.settings import Settings

# Standard retry mode backs off on throttling; the function has 30 s in all.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=10)


def build_service(environ: Mapping[str, str] = os.environ) -> GuardrailService:
    """Read settings and create the boto3 clients the adapters use."""
    settings = Settings.from_environ(environ)
    jobs = SageMakerJobController(boto3.client("sagemaker", config=CLIENT_CONFIG))
    notifier = (
        SnsNotifier(boto3.client("sns", config=CLIENT_CONFIG), settings.notify_topic_arn)
        if settings.notify_topic_arn
        else None
    )
    policies = PolicySource(settings.policy, settings.policy_max_age_seconds)
    audit = (
        DynamoDbAuditStore(boto3.client("dynamodb", config=CLIENT_CONFIG), settings.audit_table_name)
        if settings.audit_table_name
        else None
    )
    exporter = (
        SecurityHubExporter(boto3.client("securityhub", config=CLIENT_CONFIG)) if settings.security_hub_export else None
    )
    return GuardrailService(settings, jobs=jobs, notifier=notifier, policies=policies, audit=audit, exporter=exporter)
