"""The review as a whole: JSON for the audit record, stable text, the catalogue and its documentation."""

from __future__ import annotations

import json
from pathlib import Path

from hpo_guardrail.enforce.evidence import evidence_in_words
from hpo_guardrail.tools.reference_docs import render_rules_markdown
from hpo_guardrail.tools.review_docs import render_review_rules_markdown
from rules.findings import Severity
from rules.review import REVIEW_RULES, TuningJobReview, review_rule
from tests.builders import continuous, tuning_request
from tests.unit.review_builders import description, review, summary

ROOT = Path(__file__).resolve().parents[2]


def eventful_review() -> TuningJobReview:
    """A linear learning rate whose best sits at the lower edge, with failures, early stopping and spot."""
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    request["TrainingJobDefinition"]["EnableManagedSpotTraining"] = True
    summaries = [summary(i, {"learning_rate": str(0.1 + 0.09 * i)}, 0.5 + i / 100) for i in range(1, 9)]
    summaries += [
        summary(9, {"learning_rate": "0.00011"}, 0.1),
        summary(10, {"learning_rate": "0.5"}, None, status="Failed", failure_reason="AlgorithmError: boom"),
        summary(11, {"learning_rate": "0.7"}, 0.9, status="Stopped"),
    ]
    return review(summaries, describe=description(request, early_stopping="Auto"), worst_case_usd=40)


def test_the_review_is_json_for_the_audit_record_and_reads_back_equal():
    result = eventful_review()
    dumped = json.loads(json.dumps(result.model_dump(mode="json")))
    assert dumped["spend"]["upper_bound"] is True and dumped["best"]["name"] == "job-009"
    assert dumped["best"]["hyperparameters"] == {"learning_rate": "0.00011"}
    assert {f["rule"] for f in dumped["findings"]} >= {"review-spend", "review-range-edge", "review-wasted-trials"}
    assert TuningJobReview.model_validate(dumped) == result


def test_text_is_stable_and_ordered_by_severity():
    first, second = eventful_review(), eventful_review()
    assert first.lines() == second.lines()
    ranks = [f.severity.rank for f in first.findings]
    assert ranks == sorted(ranks, reverse=True)
    text = "\n".join(first.lines())
    assert text.startswith("Review of tuning job churn-tuning (Completed, us-east-1)")
    assert "best: job-009 validation:loss 0.1 (Minimize), training job 9 of 11; learning_rate=0.00011" in text
    assert "actual spend: $2.53 over 11 instance-hours (an upper bound: managed spot" in text


def test_a_clean_job_has_nothing_to_say():
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")])
    summaries = [summary(i, {"learning_rate": "0.003"}, 0.3 if i == 6 else 0.5) for i in range(1, 11)]
    result = review(summaries, describe=description(request))
    assert not result.has_something_to_say
    assert {f.severity for f in result.findings} == {Severity.INFO}
    assert result.rule_ids == ("review-budget-fit", "review-spend")


def test_every_finding_belongs_to_the_catalogue_and_links_its_section():
    for finding in eventful_review().findings:
        rule = review_rule(finding.rule)
        assert finding.doc == f"docs/rules.md#{rule.id}"


def test_evidence_reads_as_words_without_raw_keys():
    for finding in eventful_review().findings:
        words = evidence_in_words(finding.evidence)
        assert words and "_" not in words.replace("job-0", ""), (finding.rule, words)


def test_the_rules_page_documents_every_review_rule():
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "## Review rules (after the job finishes)" in page
    # Generated after the creation rules (hpo-guardrail docs --write renders both).
    assert page.startswith(render_rules_markdown().split("<a id=", 1)[0])
    assert page.endswith("\n\n" + render_review_rules_markdown())
    for rule in REVIEW_RULES:
        assert f'<a id="{rule.id}"></a>' in page and f"### {rule.id}" in page
        assert rule.severity and rule.checks and "Advice" in rule.example
