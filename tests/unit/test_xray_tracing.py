"""X-Ray traces without the X-Ray SDK: segment documents over UDP to a daemon, as Powertools' Tracer drives them."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import botocore.session
import pytest
from aws_lambda_powertools import Tracer
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber

from hpo_guardrail.adapters import xray
from hpo_guardrail.adapters.xray import (
    MAX_DOCUMENT_BYTES,
    PROTOCOL_HEADER,
    TraceContext,
    XRayDaemonProvider,
    daemon_address,
)

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
FUNCTION_SEGMENT = "53995c3f42cd8ad8"


class Daemon:
    """A UDP socket where the X-Ray daemon would listen; reads what arrived."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"

    def received(self) -> list[dict]:
        documents = []
        while True:
            try:
                datagram = self.socket.recv(70_000)
            except TimeoutError:
                return documents
            header, _, body = datagram.partition(b"\n")
            assert header + b"\n" == PROTOCOL_HEADER
            assert len(datagram) <= MAX_DOCUMENT_BYTES
            documents.append(json.loads(body))


@pytest.fixture(autouse=True)
def botocore_as_it_was(monkeypatch):
    """Each test patches botocore and Powertools' shared Tracer configuration; put both back after it."""
    from botocore.client import BaseClient

    monkeypatch.setattr(BaseClient, "_make_api_call", BaseClient._make_api_call)
    monkeypatch.setattr(xray, "_botocore_provider", getattr(xray, "_botocore_provider", None), raising=False)
    yield
    Tracer._reset_config()


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    listening = Daemon()
    yield listening
    listening.socket.close()


def environ(daemon: Daemon, sampled: str = "1") -> dict[str, str]:
    return {
        "_X_AMZN_TRACE_ID": f"Root={ROOT};Parent={FUNCTION_SEGMENT};Sampled={sampled};Lineage=a87bd80c:0",
        "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
    }


def test_nested_subsegments_are_sent_each_under_its_parent(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    with provider.in_subsegment("## lambda_handler") as handler:
        handler.put_annotation("ColdStart", True)
        handler.put_annotation("not a valid key!", "dropped")
        with provider.in_subsegment("## evaluate") as inner:
            provider.put_metadata("decision", {"action": "notify"}, namespace="hpo-guardrail")
    inner_doc, handler_doc = daemon.received()  # sent as each ends: the inner one first
    assert handler_doc["name"] == "## lambda_handler" and handler_doc["type"] == "subsegment"
    assert handler_doc["trace_id"] == ROOT and handler_doc["parent_id"] == FUNCTION_SEGMENT
    assert handler_doc["annotations"] == {"ColdStart": True}
    assert inner_doc["parent_id"] == handler.id == handler_doc["id"] and inner_doc["id"] == inner.id
    assert inner_doc["metadata"] == {"hpo-guardrail": {"decision": {"action": "notify"}}}
    assert handler_doc["start_time"] <= inner_doc["start_time"] <= inner_doc["end_time"] <= handler_doc["end_time"]
    assert len(handler_doc["id"]) == 16 and int(handler_doc["id"], 16) >= 0


@pytest.mark.parametrize("header", ["", "Root=;Sampled=1", f"Root={ROOT};Parent={FUNCTION_SEGMENT};Sampled=0"])
def test_nothing_is_sent_outside_a_sampled_invocation(daemon, header):
    provider = XRayDaemonProvider({"_X_AMZN_TRACE_ID": header, "AWS_XRAY_DAEMON_ADDRESS": daemon.address})
    with provider.in_subsegment("## lambda_handler") as handler:
        handler.put_annotation("Service", "hpo-guardrail")
    assert daemon.received() == []


def test_an_error_is_recorded_as_a_fault_with_its_stack_and_raised(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    with pytest.raises(KeyError), provider.in_subsegment("## handle"):
        {}["missing"]
    (document,) = daemon.received()
    assert document["fault"] is True
    (exception,) = document["cause"]["exceptions"]
    assert exception["type"] == "KeyError" and exception["remote"] is False
    assert exception["stack"][-1]["label"] == "test_an_error_is_recorded_as_a_fault_with_its_stack_and_raised"


def test_a_document_over_64_kb_keeps_its_timing_and_drops_its_metadata(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    with provider.in_subsegment("## lambda_handler") as handler:
        handler.put_metadata("lambda_handler response", "x" * 100_000)
        handler.put_annotation("ColdStart", False)
    (document,) = daemon.received()
    assert document["annotations"] == {"ColdStart": False}
    assert "over X-Ray's 64 KB" in document["metadata"]["default"]["truncated"]


def test_an_unreachable_daemon_never_fails_the_function():
    provider = XRayDaemonProvider({"_X_AMZN_TRACE_ID": f"Root={ROOT};Sampled=1", "AWS_XRAY_DAEMON_ADDRESS": "bad"})
    with provider.in_subsegment("## lambda_handler") as handler:
        pass
    assert provider.send(handler) is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("127.0.0.1", 2000)),
        ("169.254.79.129:2000", ("169.254.79.129", 2000)),
        ("tcp:127.0.0.1:2000 udp:127.0.0.2:2001", ("127.0.0.2", 2001)),
    ],
)
def test_the_daemon_address_forms(value, expected):
    assert daemon_address(value) == expected


@pytest.mark.parametrize(
    "header",
    [
        f"Sampled=1;Parent={FUNCTION_SEGMENT};Root={ROOT}",
        f"Root={ROOT}; Parent={FUNCTION_SEGMENT}; Sampled=1; Lineage=a87bd80c:0",
    ],
)
def test_the_trace_header_in_any_order_and_spacing(header):
    assert TraceContext.from_header(header) == TraceContext(ROOT, FUNCTION_SEGMENT, True)


def test_a_document_at_the_datagram_limit_loses_its_stacks_before_its_error(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    with pytest.raises(ValueError), provider.in_subsegment("## handle") as handler:
        handler.put_metadata("response", "x" * 40_000)
        for _ in range(40):
            handler.add_exception(ValueError("y" * 2_000), remote=True)
        raise ValueError("the one that left")
    (document,) = daemon.received()
    assert document["fault"] is True and document["cause"]["exceptions"][0]["type"] == "ValueError"
    assert "truncated" in document["metadata"]["default"]


def test_tasks_running_side_by_side_each_parent_their_own_subsegments(daemon):
    provider = XRayDaemonProvider(environ(daemon))

    async def task(name: str) -> str:
        with provider.in_subsegment(name) as outer:
            await asyncio.sleep(0)
            with provider.in_subsegment(f"{name} inner"):
                await asyncio.sleep(0)
            return outer.id

    async def both() -> list[str]:
        return list(await asyncio.gather(task("a"), task("b")))

    ids = dict(zip(("a", "b"), asyncio.run(both()), strict=True))
    documents = {d["name"]: d for d in daemon.received()}
    assert documents["a inner"]["parent_id"] == ids["a"] and documents["b inner"]["parent_id"] == ids["b"]


def client_with_stubs(service: str) -> tuple[object, Stubber]:
    client = botocore.session.Session().create_client(
        service, region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)


def test_every_aws_call_is_a_subsegment_of_the_traced_method_that_made_it(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    provider.patch(["botocore"])
    client, stubs = client_with_stubs("dynamodb")
    metadata = {"RequestId": "req-1", "HTTPStatusCode": 200, "RetryAttempts": 1}
    stubs.add_response("get_item", {"ResponseMetadata": metadata}, {"TableName": "audit", "Key": {"pk": {"S": "x"}}})
    stubs.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
    with stubs, provider.in_subsegment("## record") as method:
        client.get_item(TableName="audit", Key={"pk": {"S": "x"}})
        with pytest.raises(ClientError):
            client.put_item(TableName="audit", Item={"pk": {"S": "x"}})
    get, put, recorded = daemon.received()
    assert get["name"] == "DynamoDB" and get["namespace"] == "aws" and get["parent_id"] == method.id
    assert get["aws"] == {
        "operation": "GetItem", "region": "eu-west-1", "table_name": "audit", "request_id": "req-1", "retries": 1
    }  # fmt: skip
    assert get["http"] == {"response": {"status": 200}} and not {"error", "fault", "throttle"} & set(get)
    assert put["aws"]["operation"] == "PutItem" and put["throttle"] is True and put["error"] is True
    assert "fault" not in put, "a throttled call is the service's answer, not a fault of this code"
    assert put["cause"]["exceptions"][0]["remote"] is True
    assert recorded["name"] == "## record" and "fault" not in recorded, "the method caught the error"


def test_a_server_error_is_a_fault(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    provider.patch(["botocore"])
    client, stubs = client_with_stubs("sns")
    stubs.add_client_error("publish", "InternalError", http_status_code=500)
    with stubs, pytest.raises(ClientError):
        client.publish(TopicArn="arn:aws:sns:eu-west-1:123456789012:t", Message="m")
    (document,) = daemon.received()
    assert document["name"] == "SNS" and document["fault"] is True and document["parent_id"] == FUNCTION_SEGMENT


def test_a_call_refused_before_it_was_sent_is_this_codes_fault_not_the_services(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    provider.patch(["botocore"])
    client, _ = client_with_stubs("sns")
    with pytest.raises(ParamValidationError):
        client.publish(Message=1)
    (document,) = daemon.received()
    assert document["fault"] is True and document["cause"]["exceptions"][0]["remote"] is False
    assert "http" not in document


def test_only_botocore_is_traced():
    with pytest.raises(ValueError, match="requests"):
        XRayDaemonProvider({}).patch(["botocore", "requests"])


def test_powertools_tracer_drives_it_as_the_functions_do(daemon):
    provider = XRayDaemonProvider(environ(daemon))
    tracer = Tracer(service="hpo-guardrail", provider=provider, patch_modules=("botocore",), disabled=False)
    client, stubs = client_with_stubs("sns")
    stubs.add_response("publish", {"MessageId": "m-1"})

    @tracer.capture_lambda_handler
    def lambda_handler(event, context):
        return {"published": client.publish(TopicArn="arn:aws:sns:eu-west-1:123456789012:t", Message="m")["MessageId"]}

    with stubs:
        assert lambda_handler({}, None) == {"published": "m-1"}
    publish, handler = daemon.received()
    assert handler["name"] == "## lambda_handler" and handler["parent_id"] == FUNCTION_SEGMENT
    assert (
        set(handler["annotations"]) == {"ColdStart", "Service"} and handler["annotations"]["Service"] == "hpo-guardrail"
    )
    assert handler["metadata"]["hpo-guardrail"]["lambda_handler response"] == {"published": "m-1"}
    assert (
        publish["name"] == "SNS" and publish["parent_id"] == handler["id"] and publish["aws"]["operation"] == "Publish"
    )
