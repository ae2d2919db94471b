"""Fixtures shared by every test layer.

The emulator fixtures import the embedded AWS (moto) only when a test asks for them, so unit test runs
neither pay for nor need it. One emulator server serves the whole session; every deployed stack gets
a unique name, so tests share the server without sharing resources.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = REPO_ROOT / "events"

# `functions.guardrail.app` and `tests.builders` import from the repository root, however pytest was run.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if TYPE_CHECKING:
    from hpo_guardrail.embedded.deployment import DeployedStack
    from hpo_guardrail.embedded.emulator import EmbeddedAws
    from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
    from hpo_guardrail.embedded.organization import EmulatedOrganization
    from hpo_guardrail.embedded.sns_capture import SnsCapture
    from hpo_guardrail.embedded.tuning_jobs import EmulatedTuningJobs


@pytest.fixture(scope="session")
def events_dir() -> Path:
    """The sample events directory (events/)."""
    return EVENTS_DIR


@pytest.fixture(scope="session")
def load_event() -> Callable[[str], dict[str, Any]]:
    """Read a sample event by file name, e.g. load_event("04-costly-misconfigured.json")."""

    def load(name: str) -> dict[str, Any]:
        return dict(json.loads((EVENTS_DIR / name).read_text(encoding="utf-8")))

    return load


@pytest.fixture(scope="session")
def embedded_aws() -> Iterator[EmbeddedAws]:
    """The embedded AWS, running for the whole session, with plain boto3 pointed at it."""
    from hpo_guardrail.embedded.emulator import EmbeddedAws

    with EmbeddedAws() as aws, aws.environment():
        yield aws


@pytest.fixture(scope="session")
def deploy_stack(embedded_aws: EmbeddedAws) -> Callable[..., DeployedStack]:
    """Deploy template.yaml into the emulator; returns a DeployedStack.

    deploy_stack(mode="monitor", budget_cap_usd=1000, notification_email="", policy_parameter_name="",
    security_hub_export=False, artifact_dir=None): each call
    creates a new stack with a unique name, from the repository's code (or a built artifact directory).
    """
    from hpo_guardrail.embedded.deployment import StackParameters, deploy_template

    def deploy(
        mode: str = "monitor",
        budget_cap_usd: float = 1000,
        notification_email: str = "",
        policy_parameter_name: str = "",
        security_hub_export: bool = False,
        artifact_dir: Path | None = None,
    ) -> DeployedStack:
        parameters = StackParameters(
            mode=mode,
            budget_cap_usd=budget_cap_usd,
            notification_email=notification_email,
            policy_parameter_name=policy_parameter_name,
            security_hub_export=security_hub_export,
        )
        return deploy_template(embedded_aws, parameters, artifact_dir=artifact_dir)

    return deploy


@pytest.fixture(scope="session")
def function_runner(
    embedded_aws: EmbeddedAws, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[DeployedStack], FunctionRunner]:
    """The warm execution environment of a stack's function: one runner per stack for the session."""
    from hpo_guardrail.embedded.lambda_runtime import FunctionRunner

    runners: dict[str, FunctionRunner] = {}
    code_root = tmp_path_factory.mktemp("lambda-code")

    def runner_for(stack: DeployedStack) -> FunctionRunner:
        if stack.stack_name not in runners:
            runners[stack.stack_name] = FunctionRunner.for_stack(embedded_aws, stack, code_root)
        return runners[stack.stack_name]

    return runner_for


@pytest.fixture
def capture_sns(embedded_aws: EmbeddedAws) -> Callable[[str], SnsCapture]:
    """Subscribe a new queue to a topic: capture_sns(topic_arn) sees only what is published afterwards."""
    from hpo_guardrail.embedded.sns_capture import SnsCapture

    def capture(topic_arn: str) -> SnsCapture:
        return SnsCapture(embedded_aws, topic_arn)

    return capture


@pytest.fixture(scope="session")
def tuning_jobs(embedded_aws: EmbeddedAws) -> EmulatedTuningJobs:
    """The emulator's tuning jobs: create_for_event(event), status(name), set_status(name, status)."""
    from hpo_guardrail.embedded.tuning_jobs import EmulatedTuningJobs

    return EmulatedTuningJobs(embedded_aws)


@pytest.fixture(scope="session")
def emulated_organization(embedded_aws: EmbeddedAws) -> EmulatedOrganization:
    """An organization in the session's emulator: a management account (a fresh id), OU Platform with the
    tooling account, OU Workloads with accounts workload-b and workload-c, and an empty OU Onboarding.
    Tests that change it (move accounts, add StackSets) should build their own with build_organization."""
    from hpo_guardrail.embedded.organization import build_organization

    return build_organization(
        embedded_aws,
        organizational_units=("Platform", "Workloads", "Onboarding"),
        accounts={"tooling": "Platform", "workload-b": "Workloads", "workload-c": "Workloads"},
    )
