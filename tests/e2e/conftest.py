"""Fixtures for end-to-end tests: template.yaml deployed into the embedded AWS, events in at the bus."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hpo_guardrail.embedded.deployment import DeployedStack
    from hpo_guardrail.embedded.emulator import EmbeddedAws
    from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation

ALERT_EMAIL = "ml-platform@example.com"


@pytest.fixture(scope="session")
def monitor_stack(deploy_stack: Callable[..., DeployedStack]) -> DeployedStack:
    """The template in monitor mode, $1000 cap, alerts emailed to ALERT_EMAIL."""
    return deploy_stack(mode="monitor", budget_cap_usd=1000, notification_email=ALERT_EMAIL)


@pytest.fixture(scope="session")
def enforce_stack(deploy_stack: Callable[..., DeployedStack]) -> DeployedStack:
    """The template in enforce mode, $1000 cap, alerts emailed to ALERT_EMAIL."""
    return deploy_stack(mode="enforce", budget_cap_usd=1000, notification_email=ALERT_EMAIL)


@pytest.fixture(scope="session")
def put_on_bus(
    embedded_aws: EmbeddedAws, function_runner: Callable[[DeployedStack], FunctionRunner]
) -> Callable[[dict[str, Any], DeployedStack], list[Invocation]]:
    """Put an event on the default bus; returns the invocations of the stack's function it caused."""
    from hpo_guardrail.embedded.event_bus import deliver

    def put(event: dict[str, Any], stack: DeployedStack) -> list[Invocation]:
        invocations = deliver(embedded_aws, function_runner(stack), event)
        for invocation in invocations:
            sys.stdout.write(invocation.logs)  # shown by pytest when the test fails
        return invocations

    return put
