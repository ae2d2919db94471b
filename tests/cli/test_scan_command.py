"""`hpo-guardrail scan` against the embedded AWS: InProgress jobs evaluated, alerts through the deployed topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.builders import ACCOUNT, REGION, cloudtrail_event, continuous, training_definition, tuning_request
from tests.cli.conftest import clean_request, misconfigured_request, run_cli

pytestmark = pytest.mark.emulator


@pytest.fixture
def prefix() -> str:
    """A name prefix of this test's own jobs: the emulator is shared with every other test in the session."""
    return f"scan{uuid.uuid4().hex[:6]}"


def _scan(embedded_aws, tmp_path, *args, env=None):
    return run_cli("scan", *args, cwd=tmp_path, env=embedded_aws.environment_variables() | dict(env or {}))


def test_scan_evaluates_in_progress_jobs_with_their_tags_and_leaves_ended_ones_out(
    embedded_aws, tuning_jobs, tmp_path, prefix
):
    misconfigured = tuning_jobs.create_for_event(
        cloudtrail_event(misconfigured_request(f"{prefix}-lr", tags={"team": "research"}))
    )
    clean = tuning_jobs.create_for_event(cloudtrail_event(clean_request(f"{prefix}-clean")))
    finished = tuning_jobs.create_for_event(cloudtrail_event(misconfigured_request(f"{prefix}-done")))
    tuning_jobs.set_status(finished, "Completed")
    (tmp_path / "policy.yaml").write_text(
        "scopes:\n  - name: research\n    match: {teams: [research]}\n    budget_cap_usd: 2\n", encoding="utf-8"
    )

    run = _scan(embedded_aws, tmp_path, "--name-contains", prefix, "--format", "json", "--policy", "policy.yaml")
    only_clean = _scan(embedded_aws, tmp_path, "--name-contains", clean)

    assert run.returncode == 1, run.stderr
    reports = {report["job_name"]: report for report in run.json()}
    assert set(reports) == {misconfigured, clean}, "Completed jobs are not listed"
    scanned = reports[misconfigured]
    assert scanned["kind"] == "tuning-job" and scanned["status"] == "evaluated"
    assert scanned["path"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{misconfigured}"
    assert scanned["account"] == ACCOUNT and scanned["region"] == REGION
    assert scanned["scope"] == "research", "tags come from ListTags, since Describe returns none"
    assert {f["rule"] for f in scanned["findings"]} >= {"log-scale", "positive-min", "budget-cap"}
    assert reports[clean]["findings"] == [] and reports[clean]["decision"]["action"] == "none"
    assert only_clean.returncode == 0, only_clean.stdout + only_clean.stderr
    assert only_clean.stdout.rstrip().endswith("1 job: 1 evaluated, 0 findings, 0 skipped, 0 errors")
    assert only_clean.stderr == "", "no progress bar when stderr is not a terminal"


def test_scan_notify_sends_alerts_through_the_deployed_topic(
    embedded_aws, deploy_stack, capture_sns, tuning_jobs, tmp_path, prefix
):
    stack = deploy_stack(mode="monitor")
    capture = capture_sns(stack.topic_arn)
    misconfigured = tuning_jobs.create_for_event(cloudtrail_event(misconfigured_request(f"{prefix}-lr")))
    tuning_jobs.create_for_event(cloudtrail_event(clean_request(f"{prefix}-clean")))
    costly = tuning_jobs.create_for_event(
        cloudtrail_event(
            tuning_request(
                f"{prefix}-big",
                continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
                max_jobs=100,
                definition=training_definition("ml.p3.2xlarge", 1, 36_000),
                tags={"team": "nlp"},
            )
        )
    )

    run = _scan(
        embedded_aws,
        tmp_path,
        "--name-contains",
        prefix,
        "--notify",
        env={"NOTIFY_TOPIC_ARN": stack.topic_arn, "GUARDRAIL_MODE": "enforce", "BUDGET_CAP_USD": "1000"},
    )

    assert run.returncode == 1, run.stderr
    assert run.stdout.count("alert sent: SNS message") == 2
    notifications = {n.message_json()["metadata"]["threadId"].rsplit("/", 1)[-1]: n for n in capture.receive()}
    assert set(notifications) == {misconfigured, costly}, "one alert per job with findings, none for the clean one"
    alert = notifications[costly]
    today = datetime.now(UTC).date().isoformat()
    assert alert.message_json()["id"] == f"scan-{costly}-{today}"
    assert alert.subject.startswith(f"[HPO Guardrail] {costly} needs attention (worst case $")
    # Enforce mode would stop this costly misconfigured job; scan reports it and leaves stopping to the function.
    unwrapped = " ".join(run.stdout.split())
    assert "the guardrail would stop (mode enforce, from the environment GUARDRAIL_MODE)" in unwrapped
    assert alert.message_attributes["action"] == "notify"
    assert alert.message_attributes["team"] == "nlp", "scan's alert reaches the team's subscription as the function's"
    assert "found by scan, which does not stop jobs" in alert.message_json()["content"]["description"]
    assert tuning_jobs.status(costly) == "InProgress"


def test_scan_without_a_topic_for_notify_is_a_usage_error(embedded_aws, tmp_path):
    run = _scan(embedded_aws, tmp_path, "--notify")

    assert run.returncode == 2 and "--notify needs --topic-arn or NOTIFY_TOPIC_ARN" in run.stderr


def _price_list_calls(instance_type: str) -> int:
    """GetProducts calls the emulated Price List received for one instance type (other tests share it)."""
    from hpo_guardrail.embedded.moto_extensions import PRICE_LIST_CALLS

    def names_it(f: dict) -> bool:
        # By name, or by usage type (USE1-Train:ml.x) where the region's billing prefix is documented.
        return (f["Field"] == "instanceName" and f["Value"] == instance_type) or (
            f["Field"] == "usagetype" and f["Value"].endswith(f"-Train:{instance_type}")
        )

    return sum(1 for call in PRICE_LIST_CALLS.calls() if any(names_it(f) for f in call.filters))


def test_scan_prices_live_once_then_from_the_local_cache_and_bundled_asks_nothing(
    embedded_aws, tuning_jobs, tmp_path, prefix
):
    job = tuning_jobs.create_for_event(
        cloudtrail_event(clean_request(f"{prefix}-g5", definition=training_definition("ml.g5.2xlarge", 1, 3600)))
    )
    before = _price_list_calls("ml.g5.2xlarge")

    bundled = _scan(embedded_aws, tmp_path, "--name-contains", job, "--format", "json", "--prices", "bundled")
    assert _price_list_calls("ml.g5.2xlarge") == before, "bundled asks the Price List nothing"
    first = _scan(embedded_aws, tmp_path, "--name-contains", job, "--format", "json", "--prices", "live")
    assert _price_list_calls("ml.g5.2xlarge") == before + 1
    second = _scan(embedded_aws, tmp_path, "--name-contains", job, "--format", "json")  # auto: credentials, so live
    assert _price_list_calls("ml.g5.2xlarge") == before + 1, "the second scan answers from the local cache"

    sources = []
    for run in (bundled, first, second):
        assert run.returncode == 0 and run.stderr == "", run.stderr
        (report,) = run.json()
        (price,) = report["cost"]["prices"]
        assert (price["instance_type"], price["usd_per_hour"]) == ("ml.g5.2xlarge", 1.515)
        sources.append(price["source"])
    assert sources == ["bundled", "live", "cache"]


def test_scan_goes_on_with_the_bundled_table_when_the_price_list_cannot_be_asked(
    embedded_aws, tuning_jobs, tmp_path, prefix
):
    job = tuning_jobs.create_for_event(cloudtrail_event(clean_request(f"{prefix}-priced")))
    nowhere = {"AWS_ENDPOINT_URL_PRICING": "http://127.0.0.1:9"}  # SageMaker and STS still reach the emulator

    live = _scan(embedded_aws, tmp_path, "--name-contains", job, "--format", "json", "--prices", "live", env=nowhere)
    auto = _scan(embedded_aws, tmp_path, "--name-contains", job, "--format", "json", env=nowhere)

    assert live.returncode == auto.returncode == 0, live.stderr + auto.stderr
    for run in (live, auto):
        (report,) = run.json()
        assert [(p["instance_type"], p["source"]) for p in report["cost"]["prices"]] == [("ml.m5.xlarge", "bundled")]
    assert live.stderr.count("hpo-guardrail scan: warning: the AWS Price List API could not be asked") == 1
    assert auto.stderr == "", "auto falls back quietly; the price lines say where prices came from"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "--accounts", "111111111111"), "give --org or --accounts, not both"),
        (("--regions", "eu-west-1"), "--regions goes with --org or --accounts"),
        (("--accounts", "1234"), "--accounts: '1234' is not a 12-digit AWS account id"),
        (("--org", "--regions", "europe"), "--regions: 'europe' is not an AWS region name"),
        (("--org", "--member-role-name", "no spaces"), "--member-role-name: 'no spaces' is not an IAM role name"),
    ],
)
def test_scan_across_accounts_refuses_bad_usage_before_asking_aws(tmp_path, args, message):
    run = run_cli("scan", *args, cwd=tmp_path)

    assert run.returncode == 2
    assert run.stderr.startswith(f"hpo-guardrail scan: error: {message}") and run.stderr.count("\n") == 1
    assert run.stdout == ""


def test_the_scan_default_member_role_is_the_stacks():
    from hpo_guardrail.cli.scan import DEFAULT_MEMBER_ROLE_NAME
    from hpo_guardrail.environment import DEFAULT_MEMBER_ROLE_NAME as SETTINGS_DEFAULT
    from hpo_guardrail.linting.scan import DEFAULT_MEMBER_ROLE_NAME as SCAN_DEFAULT

    assert DEFAULT_MEMBER_ROLE_NAME == SETTINGS_DEFAULT == SCAN_DEFAULT == "HpoGuardrailMember"
