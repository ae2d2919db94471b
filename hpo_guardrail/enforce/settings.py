"""Settings read once from the environment into a typed model."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rules.policy import Mode

ENVIRONMENT_NAMES = {
    "mode": "GUARDRAIL_MODE",
    "notify_topic_arn": "NOTIFY_TOPIC_ARN",
    "budget_cap_usd": "BUDGET_CAP_USD",
    "policy": "GUARDRAIL_POLICY",
    "policy_max_age_seconds": "GUARDRAIL_POLICY_MAX_AGE",
    "audit_table_name": "AUDIT_TABLE_NAME",
    "security_hub_export": "SECURITY_HUB_EXPORT",
}


class SettingsError(ValueError):
    """The function's environment is misconfigured (a deployment error, not an event error)."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: Mode = Mode.MONITOR
    notify_topic_arn: str | None = None
    budget_cap_usd: float = Field(default=1000.0, ge=0)
    policy: str | None = Field(default=None, description="a policy file path or ssm:/parameter/name")
    policy_max_age_seconds: int = Field(default=300, ge=0, description="how long a policy from SSM is cached")
    audit_table_name: str | None = Field(default=None, description="the DynamoDB audit table")
    security_hub_export: bool = Field(default=False, description="also import findings into Security Hub")

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_case_insensitive(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read the GUARDRAIL_*, NOTIFY_TOPIC_ARN and BUDGET_CAP_USD variables; empty means the default."""
        values = {field: environ[var] for field, var in ENVIRONMENT_NAMES.items() if environ.get(var, "").strip()}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{ENVIRONMENT_NAMES.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors()
            )
            raise SettingsError(f"invalid guardrail settings: {problems}") from None
