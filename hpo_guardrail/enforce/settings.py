"""The guardrail function's settings, read once from its environment.

The mode and the budget cap are the base layer of the policy: the policy's `defaults` and scopes
refine them (rules/policy.py), and when neither the environment nor the policy says, the built-in
defaults apply.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from hpo_guardrail.environment import (
    AuditTableSettings,
    PriceSettings,
    RegionSettings,
    SettingsError,
    TopicSettings,
)
from rules.policy import DEFAULT_BUDGET_CAP_USD, DEFAULT_MODE, Mode, Overrides

__all__ = ["Settings", "SettingsError"]


class Settings(TopicSettings, AuditTableSettings, PriceSettings, RegionSettings):
    """GUARDRAIL_MODE, BUDGET_CAP_USD, GUARDRAIL_POLICY, ..., NOTIFY_TOPIC_ARN, AUDIT_TABLE_NAME, AWS_REGION."""

    settings_name: ClassVar[str] = "guardrail"

    mode: Mode = Field(default=DEFAULT_MODE, validation_alias="GUARDRAIL_MODE")
    budget_cap_usd: float = Field(default=DEFAULT_BUDGET_CAP_USD, ge=0, validation_alias="BUDGET_CAP_USD")
    policy: str | None = Field(
        default=None, validation_alias="GUARDRAIL_POLICY", description="a policy file path or ssm:/parameter/name"
    )
    policy_max_age_seconds: int = Field(
        default=300, ge=0, validation_alias="GUARDRAIL_POLICY_MAX_AGE", description="how long an SSM policy is cached"
    )
    stop_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        validation_alias="STOP_ATTEMPTS",
        description="how many deliveries try a failing stop before the alert says it failed (1 + Lambda's retries)",
    )
    security_hub_export: bool = Field(
        default=False, validation_alias="SECURITY_HUB_EXPORT", description="also import findings into Security Hub"
    )

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_case_insensitive(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def base_layer(self) -> Overrides:
        """The policy's lowest layer: what the deployment sets for every job."""
        return Overrides(mode=self.mode, budget_cap_usd=self.budget_cap_usd)
