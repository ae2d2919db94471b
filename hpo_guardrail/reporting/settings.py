"""The reporter function's settings, read once from its environment."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from hpo_guardrail.environment import AuditTableSettings, RegionSettings, TopicSettings


class ReporterSettings(TopicSettings, AuditTableSettings, RegionSettings):
    """AUDIT_TABLE_NAME and REPORT_BUCKET_NAME (both required), NOTIFY_TOPIC_ARN, AWS_REGION."""

    settings_name: ClassVar[str] = "reporter"

    audit_table_name: str = Field(min_length=1, validation_alias="AUDIT_TABLE_NAME")
    report_bucket_name: str = Field(min_length=1, validation_alias="REPORT_BUCKET_NAME")
