"""Settings read once from environment variables, composed from small parts.

Each function's settings model inherits the parts it needs (the alert topic, the audit table, the
region), and each field names its variable as its alias, so `from_environ` needs no table of names
and an error always names the variable a deployer must fix. Models can still be built by field name
(tests, the CLI). An empty variable counts as unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from rules.assessment import DEFAULT_REGION


class SettingsError(ValueError):
    """A function's environment is misconfigured: a deployment error, named by its variable."""


class EnvironmentSettings(BaseModel):
    """Base of every settings model: fields aliased to their environment variables."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)
    # Names the settings in error messages ("invalid guardrail settings: ...").
    settings_name: ClassVar[str] = "function"

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Field name -> environment variable."""
        return {
            name: str(field.validation_alias)
            for name, field in cls.model_fields.items()
            if isinstance(field.validation_alias, str)
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """Read the model's variables; an invalid value raises SettingsError naming the variable."""
        variables = cls.variables()
        values = {var: environ[var] for var in variables.values() if environ.get(var, "").strip()}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(f"{variables.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors())
            raise SettingsError(f"invalid {cls.settings_name} settings: {problems}") from None


class TopicSettings(EnvironmentSettings):
    """Where alerts and summaries are published."""

    notify_topic_arn: str | None = Field(default=None, validation_alias="NOTIFY_TOPIC_ARN")


class AuditTableSettings(EnvironmentSettings):
    """The DynamoDB audit table (optional for the guardrail, required for the reporter)."""

    audit_table_name: str | None = Field(default=None, validation_alias="AUDIT_TABLE_NAME")


class RegionSettings(EnvironmentSettings):
    """The function's own region, which Lambda sets."""

    aws_region: str | None = Field(default=None, validation_alias="AWS_REGION")
    aws_default_region: str | None = Field(default=None, validation_alias="AWS_DEFAULT_REGION")

    @property
    def region(self) -> str:
        return self.aws_region or self.aws_default_region or DEFAULT_REGION


DEFAULT_MEMBER_ROLE_NAME = "HpoGuardrailMember"


class OrganizationSettings(EnvironmentSettings):
    """Which accounts the guardrail watches: its own (no organization), or every account of an organization,
    where it acts through each member account's role."""

    organization_id: str | None = Field(
        default=None,
        pattern=r"^o-[a-z0-9]{10,32}$",
        validation_alias="ORGANIZATION_ID",
        description="the AWS Organization whose accounts forward their events; unset: this account only",
    )
    member_role_name: str = Field(
        default=DEFAULT_MEMBER_ROLE_NAME,
        pattern=r"^[\w+=,.@-]{1,64}$",
        validation_alias="MEMBER_ROLE_NAME",
        description="the role the guardrail assumes in a member account to describe and stop its tuning jobs",
    )
    # Declared after organization_id: its check reads that value. Lambda does not say which account a function
    # runs in, so the template passes it (AWS::AccountId).
    account_id: str | None = Field(
        default=None,
        pattern=r"^\d{12}$",
        validation_alias="GUARDRAIL_ACCOUNT_ID",
        validate_default=True,
        description="the account the guardrail runs in; its jobs are acted on with the function's own session",
    )

    @field_validator("account_id")
    @classmethod
    def _known_with_an_organization(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("organization_id"):
            raise ValueError("required with ORGANIZATION_ID: the guardrail must know which account is its own")
        return value

    @property
    def watches_organization(self) -> bool:
        return self.organization_id is not None


class PriceSettings(EnvironmentSettings):
    """Where prices come from at run time: the shared price cache and the Price List API."""

    price_cache_table_name: str | None = Field(default=None, validation_alias="PRICE_CACHE_TABLE_NAME")
    price_cache_days: int = Field(default=7, ge=1, le=90, validation_alias="PRICE_CACHE_DAYS")
    live_prices: bool = Field(
        default=False, validation_alias="LIVE_PRICES", description="ask the AWS Price List API for missing prices"
    )
    price_lookup_budget_seconds: float = Field(default=2.0, gt=0, le=10, validation_alias="PRICE_LOOKUP_BUDGET_SECONDS")

    @property
    def price_cache_ttl_seconds(self) -> int:
        """How long an answer of the Price List API is kept."""
        return self.price_cache_days * 24 * 3600
