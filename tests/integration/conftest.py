"""Fixtures for integration tests: the handler and adapters against the embedded AWS.

`embedded_aws`, `deploy_stack`, `function_runner`, `capture_sns` and `tuning_jobs` come from
tests/conftest.py. Mark tests that use these fixtures `@pytest.mark.emulator`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hpo_guardrail.embedded.deployment import DeployedStack
    from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
    from hpo_guardrail.embedded.sns_capture import SnsCapture

ALERT_EMAIL = "ml-platform@example.com"


@pytest.fixture(scope="session")
def deployed_stack(deploy_stack: Callable[..., DeployedStack]) -> DeployedStack:
    """template.yaml deployed once for the session: monitor mode, $1000 cap, alerts to ALERT_EMAIL."""
    return deploy_stack(mode="monitor", budget_cap_usd=1000, notification_email=ALERT_EMAIL)


@pytest.fixture
def sns_capture(capture_sns: Callable[[str], SnsCapture], deployed_stack: DeployedStack) -> SnsCapture:
    """A queue subscribed to the deployed topic for this test: .receive() notifications, .emails() mail."""
    return capture_sns(deployed_stack.topic_arn)


@pytest.fixture(scope="session")
def invoke(
    function_runner: Callable[[DeployedStack], FunctionRunner], deployed_stack: DeployedStack
) -> Callable[..., Any]:
    """Run the deployed handler on an event as Lambda would: invoke(event, stack=None) -> its result.

    The handler's own exception is raised here; its logs are printed (pytest shows them on failure).
    """

    def run(event: dict[str, Any], *, stack: DeployedStack | None = None) -> Any:
        invocation = function_runner(stack or deployed_stack).run(event)
        _show_logs(invocation)
        if invocation.exception is not None:
            raise invocation.exception
        if invocation.error is not None:
            pytest.fail(f"the function failed: {invocation.error.error_type}: {invocation.error.error_message}")
        return invocation.result

    return run


@pytest.fixture(scope="session")
def deliver(
    embedded_aws: Any,
    function_runner: Callable[[DeployedStack], FunctionRunner],
    deployed_stack: DeployedStack,
) -> Callable[..., list[Invocation]]:
    """Put an event on the bus: deliver(event, stack=None) -> the invocations the deployed rule made."""
    from hpo_guardrail.embedded.event_bus import deliver as deliver_through_rule

    def run(event: dict[str, Any], *, stack: DeployedStack | None = None) -> list[Invocation]:
        invocations = deliver_through_rule(embedded_aws, function_runner(stack or deployed_stack), event)
        for invocation in invocations:
            _show_logs(invocation)
        return invocations

    return run


def _show_logs(invocation: Invocation) -> None:
    sys.stdout.write(invocation.logs)
