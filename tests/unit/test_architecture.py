"""Structural promises: a pure core, folders whose imports follow the architecture, least privilege
matching the code, the exact event pattern."""

from __future__ import annotations

import ast
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.adapters import dynamodb
from hpo_guardrail.composition import FUNCTION_ADAPTERS, required_permissions
from rules.checks import all_rules

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = {"boto3", "botocore", "aws_lambda_powertools", "hpo_guardrail", "requests", "urllib3"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from package import module` imports the module too.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imported_modules(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imports(path)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _product_modules() -> dict[str, Path]:
    """The shipped code: rules/, hpo_guardrail/ and functions/."""
    return {
        _module_name(path): path
        for folder in ("rules", "hpo_guardrail", "functions")
        for path in (ROOT / folder).rglob("*.py")
        if ".venv" not in path.parts
    }


def _layer(module: str) -> str:
    """The architecture's folder a module belongs to: rules, functions, or a folder of hpo_guardrail."""
    parts = module.split(".")
    if parts[0] != "hpo_guardrail" or len(parts) == 1:
        return parts[0]
    return parts[1]


def _violations(allowed: dict[str, set[str]], modules: dict[str, Path] | None = None) -> dict[str, list[str]]:
    """Imports of project modules that leave the layers `allowed` gives a module's layer (default: all)."""
    modules = modules if modules is not None else _product_modules()
    found: dict[str, list[str]] = {}
    for module, path in modules.items():
        permitted = allowed.get(_layer(module))
        if permitted is None:
            continue
        bad = sorted(
            name for name in _imports(path) if name in modules and name != module and _layer(name) not in permitted
        )
        if bad:
            found[module] = bad
    return found


# Which folders each folder may import (its own included). Nothing imports cli; reporting reads
# enforce only through the package's public surface (hpo_guardrail.enforce), and enforce never
# reads reporting; only adapters and embedded talk to AWS.
ALLOWED_IMPORTS = {
    "rules": {"rules"},
    "enforce": {"rules", "enforce", "observability", "environment"},
    "reporting": {"rules", "reporting", "enforce", "observability", "environment"},  # enforce: its __init__ only
    "adapters": {"rules", "adapters", "enforce", "pricing"},
    "pricing": {"rules", "pricing", "observability", "environment"},
    "replay": {"rules", "replay", "enforce"},  # enforce: the audit record it judges again
    "linting": {"rules", "linting", "enforce", "adapters", "composition", "pricing"},
    "tools": {"rules", "tools", "adapters", "composition"},  # composition: docs/permissions.md
    "composition": {"rules", "composition", "enforce", "adapters", "reporting", "pricing", "environment"}
    | {"observability", "snapstart"},  # the Lambda entry points' warm-up: registered with SnapStart, logged
    "functions": {"functions", "composition", "observability"},
}
AWS_SDK = {"boto3", "botocore"}


def test_folders_import_only_what_the_architecture_allows():
    assert _violations(ALLOWED_IMPORTS) == {}


def test_reporting_reads_enforce_only_through_its_public_surface():
    modules = _product_modules()
    internal = {
        module: sorted(name for name in _imports(path) if name in modules and name.startswith("hpo_guardrail.enforce."))
        for module, path in modules.items()
        if _layer(module) == "reporting"
    }
    assert {m: names for m, names in internal.items() if names} == {}


def test_nothing_imports_the_cli():
    modules = _product_modules()
    importers = {
        module: sorted(name for name in _imports(path) if name.startswith("hpo_guardrail.cli"))
        for module, path in modules.items()
        if _layer(module) != "cli"
    }
    assert {m: names for m, names in importers.items() if names} == {}


def test_only_adapters_and_the_emulator_import_the_aws_sdk():
    modules = _product_modules()
    offenders = {
        module: sorted(_imported_modules(path) & AWS_SDK)
        for module, path in modules.items()
        if _layer(module) not in ("adapters", "embedded")
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_no_import_circles():
    modules = _product_modules()
    graph = {module: {name for name in _imports(path) if name in modules} for module, path in modules.items()}
    assert _cycles(graph) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_fences_see_a_forbidden_import(tmp_path):
    """The checks above are not vacuous: an import they forbid is found (in a probe outside the tree)."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    probe = tmp_path / "zz_fence_probe.py"
    probe.write_text("from hpo_guardrail.reporting.figures import compute_figures\nimport boto3\n")
    modules = {**_product_modules(), "hpo_guardrail.enforce.zz_fence_probe": probe}
    assert _violations(ALLOWED_IMPORTS, modules)["hpo_guardrail.enforce.zz_fence_probe"] == [
        "hpo_guardrail.reporting.figures"
    ]
    assert _imported_modules(probe) & AWS_SDK == {"boto3"}


def test_rules_core_imports_no_aws_sdk_and_no_application_code():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & FORBIDDEN_IN_CORE)
        for path in (ROOT / "rules").rglob("*.py")
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
    assert _granted_actions() == required_permissions("GuardrailFunction")


def test_every_function_the_composition_wires_is_in_the_template():
    assert set(FUNCTION_ADAPTERS) <= set(_template()["Resources"])


# Actions IAM cannot scope to a resource: granting them needs "*" (the template says so next to them).
UNSCOPABLE_ACTIONS = {"pricing:GetProducts"}


def test_no_statement_grants_every_resource():
    for statement in _statements():
        if statement["Resource"] == "*":
            actions = statement["Action"]
            assert set([actions] if isinstance(actions, str) else actions) <= UNSCOPABLE_ACTIONS, statement


def _function_statements(name: str) -> list[dict]:
    function = _template()["Resources"][name]["Properties"]
    return [statement for policy in function["Policies"] if "Statement" in policy for statement in policy["Statement"]]


def test_price_refresher_grants_exactly_what_its_adapters_declare_and_scopes_the_cache():
    statements = _function_statements("PriceRefreshFunction")
    granted = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert granted == required_permissions("PriceRefreshFunction")
    by_sid = {s["Sid"]: s["Resource"] for s in statements}
    assert by_sid == {"CachePrices": {"Fn::GetAtt": ["PriceCacheTable", "Arn"]}, "ReadPriceList": "*"}


def test_the_price_cache_expires_by_ttl_and_the_guardrail_reads_it_live():
    template = _template()
    table = template["Resources"]["PriceCacheTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    variables = _function()["Environment"]["Variables"]
    assert variables["PRICE_CACHE_TABLE_NAME"] == {"Ref": "PriceCacheTable"} and variables["LIVE_PRICES"] == "true"
    (event,) = template["Resources"]["PriceRefreshFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "ScheduleV2"


def test_policy_parameter_is_readable_only_when_configured():
    (policy,) = [p for p in _function()["Policies"] if "Fn::If" in p and p["Fn::If"][0] == "HasPolicyParameter"]
    condition, statement, otherwise = policy["Fn::If"]
    assert condition == "HasPolicyParameter" and otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Statement"][0]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${PolicyParameterName}"
    }


def test_sagemaker_permissions_are_scoped_to_this_accounts_tuning_jobs():
    """This region's jobs for a single account; with an organization, this account's other regions forward their
    events to the central bus too, and the reconciliation judges the jobs of every region in ReconcileRegions, so
    then its jobs in every region (other accounts' jobs go through their role)."""
    (statement,) = [s for s in _statements() if s["Sid"] == "DescribeAndStopTuningJobs"]
    jobs = "${AWS::AccountId}:hyper-parameter-tuning-job/*"
    assert statement["Resource"] == {
        "Fn::If": [
            "ActsInEveryRegion",
            {"Fn::Sub": f"arn:${{AWS::Partition}}:sagemaker:*:{jobs}"},
            {"Fn::Sub": f"arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:{jobs}"},
        ]
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
    assert granted == required_permissions("ReporterFunction")


def test_reporter_statements_name_their_resources():
    by_sid = {statement["Sid"]: statement["Resource"] for statement in _reporter_statements()}
    assert all(resource != "*" for resource in by_sid.values()), by_sid
    assert by_sid["ReadDecisions"] == [{"Fn::GetAtt": ["AuditTable", "Arn"]}, {"Fn::Sub": "${AuditTable.Arn}/index/*"}]
    assert by_sid["WriteReports"] == {"Fn::Sub": "${ReportBucket.Arn}/reports/*"}
    assert by_sid["PublishSummaries"] == {"Ref": "NotificationTopic"}


def test_reporter_is_built_like_the_guardrail_and_runs_weekly():
    reporter, guardrail = _reporter(), _template()["Resources"]["GuardrailFunction"]
    assert reporter["Metadata"]["BuildMethod"] == guardrail["Metadata"]["BuildMethod"] == "makefile"
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
