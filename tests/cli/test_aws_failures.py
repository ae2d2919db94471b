"""Every AWS call of the CLI honours --region and --profile, and an AWS failure ends with one line and exit 2.

Exit 1 means "findings" to CI: a missing region, a profile that does not exist, a denied or missing SSM
parameter must never look like that, nor end in a traceback.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from hpo_guardrail.adapters import clients
from hpo_guardrail.cli import main
from tests.builders import ACCOUNT, REGION
from tests.cli.conftest import CliRun, clean_request, run_cli, write_json

POLICY = "version: 1\ndefaults: {budget_cap_usd: 2}\n"
# The commands, each with the AWS it needs: an ssm: policy for lint, scan and prices show, a table for report.
COMMANDS = {
    "lint": ("lint", "tuning.json", "--prices", "bundled", "--policy", "ssm:/hpo/policy"),
    "scan": ("scan", "--prices", "bundled", "--policy", "ssm:/hpo/policy"),
    "report": ("report", "--table", "audit", "--since", "7d"),
    "prices": ("prices", "show", "ml.m5.large", "--prices", "bundled", "--policy", "ssm:/hpo/policy"),
}


def _one_line_error(run: CliRun, command: str) -> str:
    assert run.returncode == 2, f"{command}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("hpo-guardrail "), lines[0]
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_json(tmp_path / "tuning.json", clean_request("clean-job"))
    return tmp_path


# scan is left out: it scans the profile's region, else us-east-1 (documented), and reads its ssm: policy there.
@pytest.mark.parametrize("command", ["lint", "report", "prices"])
def test_no_region_anywhere_is_one_line_and_exit_2(command, workdir):
    # Credentials but no region (and nowhere to connect to: the call must not even be tried).
    env = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    args = COMMANDS[command]

    line = _one_line_error(run_cli(*args, cwd=workdir, env=env), command)

    assert "no AWS region: give --region, or set AWS_REGION" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_profile_that_does_not_exist_is_one_line_and_exit_2(command, workdir):
    run = run_cli(*COMMANDS[command], "--region", REGION, cwd=workdir, env={"AWS_PROFILE": "no-such-profile"})

    line = _one_line_error(run, command)

    assert "the AWS profile 'no-such-profile' does not exist" in line


def test_without_aws_a_missing_profile_does_not_break_a_plain_lint(workdir):
    # AWS_PROFILE used to crash the import of the Powertools Tracer (X-Ray makes a client when imported).
    run = run_cli("lint", "tuning.json", cwd=workdir, env={"AWS_PROFILE": "no-such-profile"})

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_an_explicit_profile_that_does_not_exist_is_refused_even_for_bundled_prices(workdir):
    run = run_cli("lint", "tuning.json", "--prices", "bundled", "--profile", "typo", cwd=workdir)

    assert "the AWS profile 'typo' does not exist" in _one_line_error(run, "lint")


@pytest.mark.emulator
@pytest.mark.parametrize("command", ["lint", "scan", "prices"])
def test_a_missing_ssm_parameter_is_one_line_and_exit_2(command, workdir, embedded_aws):
    missing = f"/hpo/missing-{uuid.uuid4().hex[:8]}"
    args = [missing if a == "ssm:/hpo/policy" else a for a in COMMANDS[command]]
    args = [f"ssm:{a}" if a == missing else a for a in args]

    run = run_cli(*args, "--region", REGION, cwd=workdir, env=embedded_aws.environment_variables())

    line = _one_line_error(run, command)
    assert f"ssm:{missing}" in line and "ParameterNotFound" in line


@pytest.mark.emulator
def test_a_missing_audit_table_is_one_line_and_exit_2(workdir, embedded_aws):
    run = run_cli(*COMMANDS["report"], "--region", REGION, cwd=workdir, env=embedded_aws.environment_variables())

    line = _one_line_error(run, "report")
    assert "AWS refused Query: ResourceNotFoundException" in line


@pytest.mark.emulator
def test_the_ssm_policy_is_read_in_the_region_given_and_applies(workdir, embedded_aws):
    # The parameter exists in eu-west-1 only: lint must read it there (--region), not where AWS_REGION points.
    name = f"/hpo/policy-{uuid.uuid4().hex[:8]}"
    client = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    ).client("ssm", endpoint_url=embedded_aws.endpoint_url)
    client.put_parameter(Name=name, Value=POLICY, Type="String")
    env = embedded_aws.environment_variables() | {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    there = run_cli(
        "lint",
        "tuning.json",
        "--policy",
        f"ssm:{name}",
        "--region",
        "eu-west-1",
        "--format",
        "json",
        cwd=workdir,
        env=env,
    )
    here = run_cli("lint", "tuning.json", "--policy", f"ssm:{name}", "--format", "json", cwd=workdir, env=env)

    assert there.returncode in (0, 1), there.stderr
    assert there.json()[0]["cost"]["budget_cap_usd"] == 2.0
    assert "ParameterNotFound" in _one_line_error(here, "lint")


# --- denied: botocore's Stubber in place of the client the command makes ------------------------------------


def _stubbed(service: str, operation: str, code: str, message: str):
    client = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION
    ).client(service)
    stubber = Stubber(client)
    stubber.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=400)
    stubber.activate()
    return client


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("HPO_GUARDRAIL_CACHE_DIR", str(tmp_path / "cache"))
    for variable in ("GUARDRAIL_POLICY", "GUARDRAIL_MODE", "BUDGET_CAP_USD", "AUDIT_TABLE_NAME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    write_json(tmp_path / "tuning.json", clean_request("clean-job"))


def _run_main(argv: list[str], capsys) -> tuple[int, str]:
    status = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err


@pytest.mark.parametrize("command", ["lint", "prices"])
def test_a_denied_ssm_parameter_is_one_line_and_exit_2(command, no_aws, monkeypatch, capsys):
    denied = _stubbed(
        "ssm",
        "get_parameter",
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: ssm:GetParameter",
    )
    made: list[tuple[str, str | None]] = []

    def cli_client(service, *, aws_session=None, region=None):
        made.append((service, region))
        return denied

    monkeypatch.setattr(clients, "cli_client", cli_client)

    status, err = _run_main([*COMMANDS[command], "--region", "eu-west-1"], capsys)

    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "AccessDeniedException" in err and "ssm:GetParameter" in err
    assert made == [("ssm", "eu-west-1")], "the parameter is read in --region"


def test_a_denied_scan_is_one_line_and_exit_2(no_aws, monkeypatch, capsys):
    def cli_client(service, *, aws_session=None, region=None):
        if service == "sagemaker":
            return _stubbed("sagemaker", "list_hyper_parameter_tuning_jobs", "AccessDeniedException", "no")
        return _stubbed("sts", "get_caller_identity", "AccessDenied", "not allowed")

    monkeypatch.setattr("hpo_guardrail.linting.scan.cli_client", cli_client)

    status, err = _run_main(["scan", "--prices", "bundled", "--region", REGION], capsys)

    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "AWS refused GetCallerIdentity: AccessDenied: not allowed" in err


def test_a_denied_report_is_one_line_and_exit_2(no_aws, monkeypatch, capsys):
    denied = _stubbed("dynamodb", "query", "AccessDeniedException", "not authorized to perform: dynamodb:Query")
    monkeypatch.setattr(clients, "cli_client", lambda service, *, aws_session=None, region=None: denied)

    status, err = _run_main([*COMMANDS["report"], "--region", REGION], capsys)

    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "AWS refused Query: AccessDeniedException: not authorized to perform: dynamodb:Query" in err
