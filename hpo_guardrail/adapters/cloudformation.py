"""CloudFormation: a deployed stack's outputs (the names and URLs of what it created)."""

from __future__ import annotations

from typing import Any, ClassVar

from hpo_guardrail.adapters.clients import aws_call


class StackOutputs:
    """Reads a stack's outputs over an injected boto3 CloudFormation client; raises AwsCallFailed."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("cloudformation:DescribeStacks",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def of(self, stack_name: str) -> dict[str, str]:
        """OutputKey -> OutputValue of the stack (a name or stack id)."""
        with aws_call():
            (stack,) = self._client.describe_stacks(StackName=stack_name)["Stacks"]
        return {output["OutputKey"]: str(output["OutputValue"]) for output in stack.get("Outputs", [])}
