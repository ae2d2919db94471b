"""docs/operations.md stays true to the template and the CLI: every alarm listed, every redrive option
it names exists, the deploy permissions cover every resource type the stack creates."""

from __future__ import annotations

import json
import re
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.adapters.sqs import EVENTBRIDGE_DEAD_LETTER, LAMBDA_ON_FAILURE, UNRECOGNISED, read_dead_letter
from hpo_guardrail.cli import build_parser
from tests.unit.test_template_names import _rendered

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return DOC.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_every_alarm_of_the_template_is_in_the_table_with_what_to_do():
    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    alarms = {name for name, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    rows = {match.group(1): match.group(0) for match in re.finditer(r"^\| `(\w+Alarm)` \|.*$", DOC, re.MULTILINE)}
    assert set(rows) == alarms
    assert all(row.count("|") == 5 and not row.endswith("|  |") for row in rows.values())
    # With the default parameters; the reconciliation's two come with ReconcileSchedule.
    by_default = {name for name in alarms if template["Resources"][name]["Condition"] == "CreatesAlarms"}
    assert f"{len(by_default)} standard-resolution alarms" in DOC
    assert f"{len(alarms)} with `ReconcileSchedule`" in DOC


def test_the_deploy_permissions_name_every_resource_type_the_stack_creates():
    permissions = _section("Permissions to deploy")
    for resource_type in {r["Type"] for r in _rendered()["Resources"].values()}:
        service_and_kind = resource_type.split("::", 1)[1]  # e.g. Lambda::Permission
        kind = service_and_kind.split("::")[1]
        assert f"`{resource_type}`" in permissions or f"`{kind}`" in permissions, resource_type


def test_the_redrive_options_the_doc_names_exist():
    (redrive,) = [action.choices["redrive"] for action in build_parser()._actions if getattr(action, "choices", None)]
    options = {option for action in redrive._actions for option in action.option_strings}
    named = set(re.findall(r"hpo-guardrail redrive[^\n`]*", DOC))
    used = {flag for line in named for flag in re.findall(r"--[a-z-]+", line)}
    used |= set(re.findall(r"`(--[a-z-]+)", _section("Dead-lettered events: `hpo-guardrail redrive`")))
    assert used and used <= options


def _message(body, attributes=None):
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": body, "Attributes": {"SentTimestamp": "0"}}
    if attributes:
        message["MessageAttributes"] = {k: {"StringValue": v, "DataType": "String"} for k, v in attributes.items()}
    return message


EVENT = {
    "id": "eb-1",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.sagemaker",
    "detail": {"eventID": "ct-1", "requestParameters": {"hyperParameterTuningJobName": "job-a"}},
}


def test_an_eventbridge_dead_letter_is_read_with_its_target_and_reason():
    letter = read_dead_letter(
        _message(
            json.dumps(EVENT),
            {
                "TARGET_ARN": "arn:aws:lambda:us-east-1:1:function:guardrail",
                "ERROR_CODE": "NO_PERMISSIONS",
                "ERROR_MESSAGE": "denied",
                "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
                "RETRY_ATTEMPTS": "0",
            },
        )
    )
    assert (letter.kind, letter.event, letter.event_id, letter.job_name) == (
        EVENTBRIDGE_DEAD_LETTER,
        EVENT,
        "ct-1",
        "job-a",
    )
    assert letter.function_arn == "arn:aws:lambda:us-east-1:1:function:guardrail"
    assert letter.reason == "NO_PERMISSIONS: denied (MaximumRetryAttempts, 0 retries)" and not letter.problem


def test_a_lambda_on_failure_record_gives_its_request_payload_and_the_unqualified_function():
    record = {
        "requestContext": {
            "functionArn": "arn:aws:lambda:us-east-1:1:function:guardrail:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": EVENT,
        "responsePayload": {"errorType": "PolicyError", "errorMessage": "bad policy"},
    }
    letter = read_dead_letter(_message(json.dumps(record)))
    assert (letter.kind, letter.event) == (LAMBDA_ON_FAILURE, EVENT)
    assert letter.function_arn == "arn:aws:lambda:us-east-1:1:function:guardrail"
    assert letter.reason == "RetriesExhausted, PolicyError: bad policy, after 3 attempts"


def test_messages_without_an_event_say_why_they_cannot_be_sent():
    assert read_dead_letter(_message("{oops")).problem == "the message body is not JSON"
    other = read_dead_letter(_message(json.dumps({"hello": "world"})))
    assert other.kind == UNRECOGNISED and other.event is None and "neither" in other.problem
    record = {"requestContext": {}, "requestPayload": {"not": "an event"}}
    assert "requestPayload" in read_dead_letter(_message(json.dumps(record))).problem
