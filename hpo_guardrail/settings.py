"""Settings read once from the environment into a typed model."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rules.policy import Mode


class SettingsError(ValueError):
    """The function's environment is misconfigured (a deployment error, not an event error)."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: Mode = Mode.MONITOR
    notify_topic_arn: str | None = None
    budget_cap_usd: float = Field(default=1000.0, ge=0)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_case_insensitive(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read GUARDRAIL_MODE, NOTIFY_TOPIC_ARN and BUDGET_CAP_USD; empty values mean the default."""
        names = {"mode": "GUARDRAIL_MODE", "notify_topic_arn": "NOTIFY_TOPIC_ARN", "budget_cap_usd": "BUDGET_CAP_USD"}
        values = {field: environ[var] for field, var in names.items() if environ.get(var, "").strip()}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(f"{names.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors())
            raise SettingsError(f"invalid guardrail settings: {problems}") from None
