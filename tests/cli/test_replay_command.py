"""`hpo-guardrail replay` without AWS: its options, and every usage, policy and AWS error as one line and exit 2.

The replay itself runs against the emulator in tests/integration/test_replay_in_emulator.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery, _item
from hpo_guardrail.cli import build_parser, replay
from hpo_guardrail.cli.replay import run_replay
from hpo_guardrail.linting.prices import PRICES_CHOICES
from hpo_guardrail.replay import render
from tests.cli.conftest import run_cli
from tests.unit.test_replay_judge import costly_linear, record_of

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
POLICY = "version: 1\nscopes:\n  - name: nlp\n    match: {teams: [nlp]}\n    mode: enforce\n"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region, no credentials, no shared AWS files: what a fresh laptop or CI runner has."""
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def replay_with(*argv: str, environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    args = build_parser().parse_args(["replay", *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_replay(args, stdout=stdout, stderr=stderr, environ=environ or {}, now=NOW)
    return code, stdout.getvalue(), stderr.getvalue()


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    assert stderr.startswith("hpo-guardrail replay: error: ")
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    for fragment in fragments:
        assert fragment in stderr


def test_the_parsers_choices_are_the_renderers_and_the_price_options():
    assert replay.FORMATS == render.FORMATS
    assert (replay.RECORDED, *PRICES_CHOICES) == replay.PRICES_CHOICES
    args = build_parser().parse_args(["replay", "--policy", "p.yaml"])
    assert (args.since, args.prices, args.format, args.mode, args.table) == ("30d", "recorded", "text", None, None)


def test_the_policy_is_required(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["replay", "--since", "30d"])
    assert exit_info.value.code == 2
    assert "--policy" in capsys.readouterr().err


def test_without_a_table_it_says_where_the_table_comes_from(policy_file):
    code, out, err = replay_with("--policy", str(policy_file))
    assert (code, out) == (2, "")
    assert_one_error_line(err, "give --table or set AUDIT_TABLE_NAME")


def test_the_table_comes_from_audit_table_name(policy_file, no_aws):
    # It gets as far as asking AWS for that table: no region here, which it says in one line.
    code, _, err = replay_with("--policy", str(policy_file), environ={"AUDIT_TABLE_NAME": "audit-from-env"})
    assert code == 2
    assert_one_error_line(err, "no AWS region for the audit table")


def test_a_period_it_cannot_read_is_a_usage_error(policy_file):
    code, _, err = replay_with("--policy", str(policy_file), "--table", "t", "--since", "last tuesday")
    assert code == 2
    assert_one_error_line(err, "--since 'last tuesday'")


def test_an_invalid_candidate_names_its_file_and_field(tmp_path, no_aws):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndefaults:\n  budget_cap_usd: -5\n", encoding="utf-8")
    code, _, err = replay_with("--policy", str(bad), "--table", "t", "--region", "us-east-1")
    assert code == 2
    assert_one_error_line(err, str(bad), "budget_cap_usd")


def test_a_missing_candidate_file_is_one_line(tmp_path, no_aws):
    code, _, err = replay_with("--policy", str(tmp_path / "absent.yaml"), "--table", "t", "--region", "us-east-1")
    assert code == 2
    assert_one_error_line(err, "absent.yaml", "cannot read the file")


def test_an_ssm_candidate_without_a_region_is_one_line(no_aws):
    code, _, err = replay_with("--policy", "ssm:/hpo-guardrail/candidate", "--table", "t")
    assert code == 2
    assert_one_error_line(err, "no AWS region to read ssm:/hpo-guardrail/candidate")


def test_an_unknown_profile_is_one_line(policy_file, no_aws):
    code, _, err = replay_with("--policy", str(policy_file), "--table", "t", "--profile", "nobody")
    assert code == 2
    assert_one_error_line(err, "nobody")


def test_access_denied_is_one_line_naming_the_table(policy_file, monkeypatch, no_aws):
    client = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y").client(
        "dynamodb", region_name="eu-west-1"
    )
    stubber = Stubber(client)
    stubber.add_client_error(
        "query", service_error_code="AccessDeniedException", service_message="not authorized to perform: dynamodb:Query"
    )
    stubber.activate()
    monkeypatch.setattr("hpo_guardrail.adapters.clients.cli_client", lambda *a, **k: client)
    code, out, err = replay_with("--policy", str(policy_file), "--table", "audit", "--region", "eu-west-1")
    assert (code, out) == (2, "")
    assert_one_error_line(err, "cannot read the audit table audit in eu-west-1", "AccessDeniedException")


def test_the_audit_query_reads_every_page():
    """The table is read page by page (a month of a busy account is more than one 1 MB page)."""
    client = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y").client(
        "dynamodb", region_name="us-east-1"
    )
    first, second = record_of(costly_linear("page-one")), record_of(costly_linear("page-two"))
    with Stubber(client) as stubber:
        stubber.add_response("query", {"Items": [_item(first)], "LastEvaluatedKey": {"event_id": {"S": "x"}}})
        stubber.add_response("query", {"Items": [_item(second)]})
        records = list(DynamoDbAuditQuery(client, "audit").query("2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z"))
    assert [r.job_name for r in records] == ["page-one", "page-two"]
    assert records[0].request == first.request, "the stored request reads back from the item"


def test_the_console_script_exits_2_with_one_line(tmp_path, policy_file):
    result = run_cli("replay", "--policy", str(policy_file), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_error_line(result.stderr, "give --table or set AUDIT_TABLE_NAME")
