"""One alert that says what to do: next steps per action, evidence in words, the policy's contact for an
exemption, platform-only advice kept for the platform team, and "at least" whenever the cost is a lower bound."""

from __future__ import annotations

import re
from datetime import date

from hpo_guardrail.enforce.alerts import SUBJECT_LIMIT, AlertOptions, compose_alert
from hpo_guardrail.enforce.outcome import StopOutcome, StopResult
from rules.decision import Action, decide
from rules.models import CallContext
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode, Policy, PolicyDocument, Subject, UnknownPrice
from tests.builders import PRINCIPAL, cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.rules_harness import run_engine

STOPPED = StopOutcome(result=StopResult.STOPPED, status_before="InProgress")
CONTACT = "ml-platform@example.com"
# The region, account and creator the guardrail saw, so the same scopes apply to the file (no team tag here).
LINT = f"hpo-guardrail lint --fix --region us-east-1 --account 123456789012 --principal {PRINCIPAL}"


def costly_misconfigured(name: str = "resnet-sweep", policy: Policy | None = None):
    raw = tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-1")["detail"])
    return call.context, run_engine(raw, policy or Policy(budget_cap_usd=1000, contact=CONTACT))


def steps_of(email: str) -> str:
    return email.split("What to do next:\n", 1)[1].split("\n\n", 1)[0]


def test_after_a_stop_the_alert_says_fix_lint_resubmit_under_a_new_name_read_the_docs_and_whom_to_ask():
    context, evaluation = costly_misconfigured()
    options = AlertOptions(policy_spec="ssm:/hpo-guardrail/policy", docs_url="https://docs.example.com/hpo/")

    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1", options=options)

    steps = steps_of(alert.email)
    assert f"{LINT} --policy ssm:/hpo-guardrail/policy REQUEST.json" in steps
    assert (
        "aws sagemaker describe-hyper-parameter-tuning-job --region us-east-1 "
        "--hyper-parameter-tuning-job-name resnet-sweep > resnet-sweep.json && "
        f"{LINT} --policy ssm:/hpo-guardrail/policy resnet-sweep.json" in steps
    )
    assert "Resubmit under a new name: tuning job names cannot be reused, so resnet-sweep stays taken" in steps
    assert "log-scale: https://docs.example.com/hpo/docs/rules.md#log-scale" in steps
    assert f"ask {CONTACT} for an exemption" in steps and "log-scale, budget-cap" in steps
    assert f"Policy contact: {CONTACT}" in alert.email
    assert "   Docs: https://docs.example.com/hpo/docs/rules.md#budget-cap" in alert.email
    chat = alert.chatbot["content"]["nextSteps"]
    assert any(step.startswith("Set ScalingType to Logarithmic") for step in chat), chat
    assert any(f"`{LINT} --policy ssm:/hpo-guardrail/policy REQUEST.json`" in step for step in chat)
    assert any("Resubmit under a new name: `resnet-sweep` cannot be reused" in step for step in chat)
    assert any("Exemption: ask ml-platform@\u2060example.com" in step for step in chat)


def test_a_policy_file_inside_the_function_is_not_offered_to_lint():
    context, evaluation = costly_misconfigured()
    options = AlertOptions(policy_spec="/var/task/policy.yaml")
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1", options=options)
    assert f"{LINT} REQUEST.json" in alert.email and "/var/task" not in alert.email


def test_a_policy_without_a_contact_says_so():
    context, evaluation = costly_misconfigured(policy=Policy(budget_cap_usd=1000))
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1")
    assert "ask the team that owns the guardrail's policy (the policy names no contact)" in alert.email
    assert any("no contact given" in step for step in alert.chatbot["content"]["nextSteps"])


def test_the_contact_comes_from_the_policy_document():
    document = PolicyDocument(contact="#ml-platform on Slack")
    policy = document.resolve(Subject(job_name="j"), date(2026, 11, 26))
    assert policy.contact == "#ml-platform on Slack"
    assert PolicyDocument().resolve(Subject(job_name="j"), date(2026, 11, 26)).contact is None


def test_in_monitor_mode_the_alert_says_what_enforce_mode_would_do_and_how_to_fix():
    context, evaluation = costly_misconfigured()

    alert = compose_alert(context, evaluation, decide(evaluation, Mode.MONITOR), None, "us-east-1")

    steps = steps_of(alert.email)
    assert "In enforce mode it would have been stopped: it is costly and misconfigured" in steps
    assert f"{LINT} REQUEST.json" in steps
    assert "new name" not in steps, "a job that runs on needs no new name"
    assert "In enforce mode it would have been stopped" in alert.chatbot["content"]["nextSteps"][0]


def test_a_notification_about_a_cheap_job_says_enforce_mode_would_not_stop_it_either():
    raw = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    call = read_cloudtrail_record(cloudtrail_event(raw)["detail"])
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    alert = compose_alert(call.context, evaluation, decide(evaluation, Mode.MONITOR), None, "us-east-1")
    assert "enforce mode would not stop it either" in steps_of(alert.email)


def test_a_failed_stop_tells_the_owner_how_to_stop_the_job():
    context, evaluation = costly_misconfigured()
    failed = StopOutcome(result=StopResult.FAILED, detail="AccessDenied")
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), failed, "us-east-1")
    command = "aws sagemaker stop-hyper-parameter-tuning-job --region us-east-1 "
    command += "--hyper-parameter-tuning-job-name resnet-sweep"
    assert command in steps_of(alert.email)
    assert any(command in step for step in alert.chatbot["content"]["nextSteps"])


def test_commands_quote_what_came_with_the_event():
    raw = tuning_request("bad name; rm -rf ~", continuous_ranges=[continuous("learning_rate", "0.0001", "1.0")])
    context = CallContext(event_id="e", account="1234$(id)", region="us-east-1")
    evaluation = run_engine(raw, Policy(budget_cap_usd=1))
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1; reboot")
    steps = steps_of(alert.email)
    assert "--region 'us-east-1; reboot' --account '1234$(id)' REQUEST.json" in steps
    assert "describe-hyper-parameter-tuning-job" not in steps, "an invalid job name goes into no command"


def test_evidence_reads_as_words_not_key_value_pairs():
    context, evaluation = costly_misconfigured()
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1")
    evidence = [line for line in alert.email.splitlines() if line.startswith("   Evidence: ")]
    assert evidence and not any(re.search(r"\w=\S", line) for line in evidence), evidence
    assert "   Evidence: worst case $3,825 against a $1,000 cap; 100 training jobs (MaxNumberOfTrainingJobs)" in (
        alert.email
    )


def unpriced(instance_type: str, unknown_price: UnknownPrice, *, also: str | None = None):
    definitions = [training_definition(instance_type, 1, 3600, DefinitionName="a")]
    if also:
        definitions.append(training_definition(also, 1, 3600, DefinitionName="b"))
    raw = tuning_request(max_jobs=10, definitions=definitions)
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000, unknown_price=unknown_price))
    return evaluation, compose_alert(CallContext(event_id="e"), evaluation, decide(evaluation), None, "us-east-1")


def test_platform_advice_on_an_unknown_price_goes_to_the_platform_part_of_the_email_only():
    evaluation, alert = unpriced("ml.p5en.48xlarge", UnknownPrice.ASSUME_COSTLY)

    (finding,) = [f for f in evaluation.findings if f.rule == "unknown-price"]
    assert "PriceRefreshFunction" in str(finding.platform_note)
    assert "PriceRefreshFunction" not in finding.fix and "platform team" not in finding.fix
    platform_part = alert.email.split("For the platform team (nothing the job's owner can do):\n", 1)[1]
    assert "unknown-price: Price ml.p5en.48xlarge in us-east-1: invoke the stack's PriceRefreshFunction" in (
        platform_part
    )
    owner_part = alert.email.split("For the platform team", 1)[0]
    assert "PriceRefreshFunction" not in owner_part
    chat = alert.chatbot["content"]
    assert not any("PriceRefreshFunction" in step or "platform" in step for step in chat["nextSteps"])
    assert "PriceRefreshFunction" not in chat["description"]


def test_an_alert_without_platform_advice_has_no_platform_part():
    context, evaluation = costly_misconfigured()
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1")
    assert "For the platform team" not in alert.email


def test_the_subject_says_at_least_when_one_price_is_missing():
    _, alert = unpriced("ml.p5en.48xlarge", UnknownPrice.LOWER_BOUND, also="ml.p3.2xlarge")
    assert "(worst case at least $38)" in alert.subject
    assert (
        "Worst-case cost: at least $38.25 (cap $1,000.00, from the policy; no price known for ml.p5en.48xlarge)"
        in alert.email
    )
    assert "*Worst-case cost:* at least $38.25" in alert.chatbot["content"]["description"]


def test_a_lower_bound_of_nothing_is_an_unknown_worst_case_not_0_dollars():
    _, alert = unpriced("ml.p5en.48xlarge", UnknownPrice.ASSUME_COSTLY)
    assert "(worst case unknown)" in alert.subject and "$0" not in alert.subject
    assert (
        "Worst-case cost: unknown (cap $1,000.00, from the policy; no price known for ml.p5en.48xlarge)" in alert.email
    )


def test_a_long_subject_cuts_the_job_name_never_the_worst_case():
    ranges = {"ContinuousParameterRanges": [continuous("learning_rate", "0.0001", "1.0", "Linear")]}
    raw = tuning_request(
        "x" * 32,
        max_jobs=750,
        definitions=[
            training_definition("ml.p3.16xlarge", 100, 2_419_200, DefinitionName="a", HyperParameterRanges=ranges),
            training_definition("ml.p5en.48xlarge", 1, 3600, DefinitionName="b", HyperParameterRanges=ranges),
        ],
    )
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000, unknown_price=UnknownPrice.LOWER_BOUND))
    failed = StopOutcome(result=StopResult.FAILED, detail="throttled")
    alert = compose_alert(CallContext(event_id="e"), evaluation, decide(evaluation, Mode.ENFORCE), failed, "us-east-1")
    assert len(alert.subject) <= SUBJECT_LIMIT
    worst = f"${evaluation.cost.worst_case_usd:,.0f}"
    assert f"stop attempted (worst case at least {worst})" in alert.subject, alert.subject


def test_the_lint_command_names_the_team_so_team_scopes_apply_to_the_file():
    raw = tuning_request(
        "nlp-sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        tags={"team": "nlp"},
    )
    call = read_cloudtrail_record(cloudtrail_event(raw)["detail"])
    evaluation = run_engine(raw)
    alert = compose_alert(call.context, evaluation, decide(evaluation), None, "us-east-1", team="nlp")
    assert f"{LINT} --team nlp REQUEST.json" in alert.email


def test_a_scan_alert_about_a_costly_misconfigured_job_does_not_say_it_is_neither():
    raw = tuning_request(
        "big-sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )
    call = read_cloudtrail_record(cloudtrail_event(raw)["detail"])
    evaluation = run_engine(raw)
    decision = decide(evaluation, Mode.ENFORCE)
    assert decision.costly and decision.misconfigured
    found_by_scan = decision.model_copy(update={"action": Action.NOTIFY})  # as scan --notify sends it
    alert = compose_alert(call.context, evaluation, found_by_scan, None, "us-east-1")
    assert "not both costly and misconfigured" not in alert.email
    assert "a scan of running jobs, which never stops one" in alert.email
