"""The deployed functions' clients: one botocore session, each client made once, some only when first used."""

from __future__ import annotations

import threading
import time

import pytest

from hpo_guardrail.adapters.clients import FUNCTION_CLIENT_CONFIG, QUICK_CLIENT_CONFIG, FunctionClients
from hpo_guardrail.composition import build_service


class CountingSession:
    """Stands in for botocore's Session: counts what is made."""

    def __init__(self, delay: float = 0.0) -> None:
        self.made: list[tuple[str, str | None, object]] = []
        self.delay = delay

    def create_client(self, service: str, *, config: object, region_name: str | None) -> object:
        self.made.append((service, region_name, config))
        time.sleep(self.delay)  # botocore takes milliseconds: long enough for another thread to come in
        return Client(service, region_name)


class Client:
    def __init__(self, service: str, region: str | None) -> None:
        self.service, self.region = service, region

    def describe_hyper_parameter_tuning_job(self, **kwargs: object) -> dict:
        return {"service": self.service, "region": self.region, **kwargs}


def factory(delay: float = 0.0) -> tuple[FunctionClients, list[CountingSession]]:
    sessions: list[CountingSession] = []

    def make() -> CountingSession:
        sessions.append(CountingSession(delay))
        return sessions[-1]

    return FunctionClients(make), sessions


def test_every_client_comes_from_one_session_and_is_made_once():
    clients, sessions = factory()
    sns = clients.client("sns")
    assert clients.client("sns") is sns
    clients.client("dynamodb")
    clients.client("dynamodb", config=QUICK_CLIENT_CONFIG)  # another configuration is another client
    clients.client("sagemaker", region="eu-west-1")
    (session,) = sessions
    assert [(s, r) for s, r, _ in session.made] == [
        ("sns", None),
        ("dynamodb", None),
        ("dynamodb", None),
        ("sagemaker", "eu-west-1"),
    ]
    assert session.made[1][2] is FUNCTION_CLIENT_CONFIG and session.made[2][2] is QUICK_CLIENT_CONFIG


def test_a_lazy_client_is_made_on_first_use_and_then_behaves_as_the_client():
    clients, sessions = factory()
    lazy = clients.lazy("pricing", region="us-east-1")
    assert sessions == [] and clients.made() == []
    answer = lazy.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="job")
    assert answer == {"service": "pricing", "region": "us-east-1", "HyperParameterTuningJobName": "job"}
    assert lazy.region == "us-east-1"
    assert clients.made() == ["pricing"] and len(sessions[0].made) == 1


def test_make_all_makes_the_promised_clients_once():
    clients, sessions = factory()
    lazy = clients.lazy("sts")
    clients.lazy("pricing", region="us-east-1")
    assert clients.make_all() == ["pricing", "sts"]
    lazy.service  # noqa: B018 - first use after make_all: nothing new is made
    assert len(sessions[0].made) == 2


def test_clients_made_from_many_threads_at_once_are_made_once():
    clients, sessions = factory(delay=0.05)
    barrier = threading.Barrier(8)
    got: list[object] = []

    def take() -> None:
        barrier.wait()
        got.append(clients.client("sagemaker", region="us-west-2"))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in got}) == 1 and len(sessions[0].made) == 1


DEPLOYED = {
    "AWS_REGION": "us-east-1",
    "GUARDRAIL_MODE": "enforce",
    "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    "AUDIT_TABLE_NAME": "audit",
    "PRICE_CACHE_TABLE_NAME": "prices",
    "LIVE_PRICES": "true",
    "GUARDRAIL_ACCOUNT_ID": "123456789012",
}


def test_the_guardrail_makes_at_start_only_the_clients_every_event_calls():
    clients, sessions = factory()
    build_service(DEPLOYED, clients)
    # The topic, the audit table and the price cache (its quick configuration); SageMaker, the Price List API
    # and STS wait for the event that needs them.
    assert sorted((s, r) for s, r, _ in sessions[0].made) == [("dynamodb", None), ("dynamodb", None), ("sns", None)]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, []),
        ({"ORGANIZATION_ID": "o-abc123def4", "MEMBER_ROLE_NAME": "HpoGuardrailMember"}, []),
        ({"SECURITY_HUB_EXPORT": "true"}, ["securityhub"]),
    ],
)
def test_optional_clients_are_made_when_configured_and_sts_only_when_a_member_is_called(extra, expected):
    clients, sessions = factory()
    build_service({**DEPLOYED, **extra}, clients)
    assert sorted({s for s, _, _ in sessions[0].made} - {"dynamodb", "sns"}) == expected
