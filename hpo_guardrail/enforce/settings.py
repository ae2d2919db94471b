"""The guardrail function's settings, read once from its environment.

The mode and the budget cap are the base layer of the policy: the policy's `defaults` and scopes
refine them (rules/policy.py), and when neither the environment nor the policy says, the built-in
defaults apply. In the deployed function the stack parameters Mode and BudgetCapUsd set those
variables (template.yaml); the CLI reads the same variables from its caller's environment. Either way
the effective policy says which one a setting came from.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from hpo_guardrail.environment import (
    AuditTableSettings,
    OrganizationSettings,
    PriceSettings,
    RegionSettings,
    SettingsError,
    TopicSettings,
)
from rules.policy import DEFAULT_BUDGET_CAP_USD, DEFAULT_MODE, BaseLayer, Mode, Overrides

__all__ = ["STACK_PARAMETERS", "Settings", "SettingsError"]

# The base layer's settings, each with the template parameter that sets its variable in the deployed
# function (template.yaml: GUARDRAIL_MODE: !Ref Mode); a test holds the template to it.
STACK_PARAMETERS = {"mode": "Mode", "budget_cap_usd": "BudgetCapUsd"}


class Settings(TopicSettings, AuditTableSettings, PriceSettings, RegionSettings, OrganizationSettings):
    """GUARDRAIL_MODE, BUDGET_CAP_USD, GUARDRAIL_POLICY, ..., NOTIFY_TOPIC_ARN, AUDIT_TABLE_NAME, AWS_REGION,
    ORGANIZATION_ID, MEMBER_ROLE_NAME, GUARDRAIL_ACCOUNT_ID."""

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

    def base_layer(self, *, deployed: bool) -> BaseLayer:
        """The policy's lowest layer: the mode and budget cap this environment sets, each labelled with where it
        came from. `deployed`: the function's environment, set from the stack's parameters ("stack parameter
        Mode (GUARDRAIL_MODE)"); otherwise the CLI caller's own ("environment GUARDRAIL_MODE"). A variable
        that is not set is no part of the layer, so the built-in default (or the policy) shows as the origin."""
        variables = self.variables()
        given = [name for name in STACK_PARAMETERS if name in self.model_fields_set]
        origins = {
            name: f"stack parameter {STACK_PARAMETERS[name]} ({variables[name]})"
            if deployed
            else f"environment {variables[name]}"
            for name in given
        }
        return BaseLayer(overrides=Overrides(**{name: getattr(self, name) for name in given}), origins=origins)
