"""SSM Parameter Store: the policy text, through Powertools Parameters (cached for a max age)."""

from __future__ import annotations

from typing import Any, ClassVar


class SsmParameters:
    """Reads String parameters; a value younger than `max_age` seconds comes from Powertools' cache."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("ssm:GetParameter",)

    def __init__(self, provider: Any = None) -> None:
        if provider is None:
            # Imported here: only a deployment whose policy lives in SSM pays for it.
            from aws_lambda_powertools.utilities.parameters import SSMProvider

            provider = SSMProvider()
        self._provider = provider

    def get(self, name: str, max_age: int) -> str:
        """The parameter's value; raises what boto3 raises when it cannot be read."""
        return str(self._provider.get(name, max_age=max_age))
