"""Structural promises: a pure core, least privilege matching the code, the exact event pattern."""

from __future__ import annotations

import ast
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.adapters import dynamodb, s3, sagemaker, securityhub, sns
from hpo_guardrail.enforce import policy_source
from rules.checks import all_rules

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = {"boto3", "botocore", "aws_lambda_powertools", "hpo_guardrail", "requests", "urllib3"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_rules_core_imports_no_aws_sdk_and_no_application_code():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & FORBIDDEN_IN_CORE)
        for path in (ROOT / "rules").rglob("*.py")
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_only_adapters_and_the_emulator_import_the_aws_sdk():
    # Everything else reaches AWS through adapters/, so botocore's errors never leak into the CLI or the service.
    allowed = (ROOT / "hpo_guardrail" / "adapters", ROOT / "hpo_guardrail" / "embedded")
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & {"boto3", "botocore"})
        for path in (ROOT / "hpo_guardrail").rglob("*.py")
        if not any(path.is_relative_to(folder) for folder in allowed)
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_the_forbidden_import_check_can_see_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import boto3\nfrom botocore.config import Config\n")
    assert _imported_modules(probe) >= {"boto3", "botocore"}


def _template() -> dict:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


def _function() -> dict:
    return _template()["Resources"]["GuardrailFunction"]["Properties"]


def _statements() -> list[dict]:
    """Every statement of the function's policies, including those behind a condition (Fn::If)."""
    statements = []
    for policy in _function()["Policies"]:
        if "Fn::If" in policy:
            _, policy, _ = policy["Fn::If"]
        statements.extend(policy["Statement"])
    return statements


def _granted_actions() -> set[str]:
    actions: set[str] = set()
    for statement in _statements():
        granted = statement["Action"]
        actions.update([granted] if isinstance(granted, str) else granted)
    return actions


def test_template_grants_exactly_what_the_adapters_declare():
    declared = (
        set(sagemaker.PERMISSIONS)
        | set(sns.PERMISSIONS)
        | set(policy_source.PERMISSIONS)
        | set(dynamodb.PERMISSIONS)
        | set(securityhub.PERMISSIONS)
    )
    assert _granted_actions() == declared


def test_no_statement_grants_every_resource():
    for statement in _statements():
        assert statement["Resource"] != "*", statement


def test_policy_parameter_is_readable_only_when_configured():
    (policy,) = [p for p in _function()["Policies"] if "Fn::If" in p and p["Fn::If"][0] == "HasPolicyParameter"]
    condition, statement, otherwise = policy["Fn::If"]
    assert condition == "HasPolicyParameter" and otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Statement"][0]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${PolicyParameterName}"
    }


def test_sagemaker_permissions_are_scoped_to_this_accounts_tuning_jobs():
    (statement,) = [s for s in _statements() if s["Sid"] == "DescribeAndStopTuningJobs"]
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:hyper-parameter-tuning-job/*"
    }


def test_rule_pattern_is_exactly_create_tuning_job_calls_via_cloudtrail():
    event = _function()["Events"]["TuningJobCreated"]
    assert event["Type"] == "EventBridgeRule"
    assert event["Properties"]["Pattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["CreateHyperParameterTuningJob"]},
    }
    assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert "DeadLetterConfig" in event["Properties"]


def test_function_environment_uses_the_documented_setting_names():
    variables = _function()["Environment"]["Variables"]
    assert {"GUARDRAIL_MODE", "NOTIFY_TOPIC_ARN", "BUDGET_CAP_USD"} <= set(variables)


def test_security_hub_import_is_granted_only_when_enabled():
    (policy,) = [p for p in _function()["Policies"] if "Fn::If" in p and p["Fn::If"][0] == "ExportsToSecurityHub"]
    _, statement, otherwise = policy["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Statement"][0]["Action"] == "securityhub:BatchImportFindings"
    assert _template()["Parameters"]["SecurityHubExport"]["Default"] == "Disabled"


def test_audit_table_keeps_history_encrypted():
    table = _template()["Resources"]["AuditTable"]
    assert table["DeletionPolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "event_id", "KeyType": "HASH"}]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert {index["IndexName"] for index in properties["GlobalSecondaryIndexes"]} == {
        dynamodb.INDEX_BY_TIME,
        dynamodb.INDEX_BY_ACCOUNT,
        dynamodb.INDEX_BY_TEAM,
    }
    assert _function()["Environment"]["Variables"]["AUDIT_TABLE_NAME"] == {"Ref": "AuditTable"}


def test_topic_is_encrypted_and_parameters_exist():
    template = _template()
    assert "KmsMasterKeyId" in template["Resources"]["NotificationTopic"]["Properties"]
    assert {"Mode", "BudgetCapUsd", "NotificationEmail"} <= set(template["Parameters"])
    assert template["Parameters"]["Mode"]["AllowedValues"] == ["monitor", "enforce"]


def test_rule_ids_are_stable_and_unique():
    ids = [rule.id for rule in all_rules()]
    assert {"log-scale", "positive-min", "budget-cap", "unknown-price"} <= set(ids)
    assert len(ids) == len(set(ids))


# --- the weekly reporter ------------------------------------------------------------------------


def _reporter() -> dict:
    return _template()["Resources"]["ReporterFunction"]


def _reporter_statements() -> list[dict]:
    return [statement for policy in _reporter()["Properties"]["Policies"] for statement in policy["Statement"]]


def test_reporter_grants_exactly_what_its_adapters_declare():
    granted: set[str] = set()
    for statement in _reporter_statements():
        action = statement["Action"]
        granted.update([action] if isinstance(action, str) else action)
    assert granted == set(dynamodb.REPORT_PERMISSIONS) | set(s3.PERMISSIONS) | set(sns.PERMISSIONS)


def test_reporter_statements_name_their_resources():
    by_sid = {statement["Sid"]: statement["Resource"] for statement in _reporter_statements()}
    assert all(resource != "*" for resource in by_sid.values()), by_sid
    assert by_sid["ReadDecisions"] == [{"Fn::GetAtt": ["AuditTable", "Arn"]}, {"Fn::Sub": "${AuditTable.Arn}/index/*"}]
    assert by_sid["WriteReports"] == {"Fn::Sub": "${ReportBucket.Arn}/reports/*"}
    assert by_sid["PublishSummaries"] == {"Ref": "NotificationTopic"}


def test_reporter_is_built_like_the_guardrail_and_runs_weekly():
    reporter, guardrail = _reporter(), _template()["Resources"]["GuardrailFunction"]
    assert reporter["Metadata"] == guardrail["Metadata"] == {"BuildMethod": "makefile"}
    assert reporter["Properties"]["CodeUri"] == guardrail["Properties"]["CodeUri"]
    assert reporter["Properties"]["Handler"] == "functions.reporter.app.lambda_handler"
    (event,) = reporter["Properties"]["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "cron(0 7 ? * MON *)"
    variables = reporter["Properties"]["Environment"]["Variables"]
    assert variables["AUDIT_TABLE_NAME"] == {"Ref": "AuditTable"}
    assert variables["REPORT_BUCKET_NAME"] == {"Ref": "ReportBucket"}
    assert variables["NOTIFY_TOPIC_ARN"] == {"Ref": "NotificationTopic"}
    assert "build-ReporterFunction:" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_report_bucket_is_encrypted_versioned_private_and_tls_only():
    resources = _template()["Resources"]
    bucket = resources["ReportBucket"]["Properties"]
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert any("ExpirationInDays" in rule for rule in bucket["LifecycleConfiguration"]["Rules"])
    (deny,) = resources["ReportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert "ReportBucketName" in _template()["Outputs"]
