"""The "Review rules" section of docs/rules.md, from the review catalogue (rules.review.REVIEW_RULES).

`render_rules_markdown` (reference_docs.py) appends it after the creation rules, so the page stays generated
from code in full.
"""

from __future__ import annotations

from rules.review import REVIEW_RULES, ReviewSettings

REVIEW_SECTION_TITLE = "Review rules (after the job finishes)"


def render_review_rules_markdown() -> str:
    """The review rules: what each checks, its severity, an example of its evidence and advice, its settings."""
    settings = ReviewSettings.model_fields
    lines = [
        f"## {REVIEW_SECTION_TITLE}",
        "",
        "When a tuning job reaches Completed, Stopped or Failed, the review reads its training jobs "
        "(ListTrainingJobsForHyperParameterTuningJob: tuned hyperparameters, final objective values, status) and "
        "their billable time (DescribeTrainingJob) and reports what the job actually cost and taught. Each point "
        "is a finding with a rule id, a severity, evidence and advice, like the creation rules above. Info "
        "findings give context (the spend, where the best came); from low on, the review has something to say. "
        "The review judges a job that already ran: it never stops anything. Run it yourself on any finished job, "
        "with your own credentials: `hpo-guardrail review JOB_NAME [--region R]` (docs/cli.md).",
        "",
        "| id | title | severity |",
        "| --- | --- | --- |",
        *[f"| [`{rule.id}`](#{rule.id}) | {rule.title} | {rule.severity} |" for rule in REVIEW_RULES],
    ]
    for rule in REVIEW_RULES:
        lines += [
            "",
            f'<a id="{rule.id}"></a>',
            f"### {rule.id}",
            "",
            f"**{rule.title}.** Severity: {rule.severity}.",
            "",
            f"**Checks.** {rule.checks}",
            "",
            f"**Example.** {rule.example}",
        ]
    lines += [
        "",
        "Review settings (the wide-range ratios follow the policy's `log-scale` settings):",
        "",
        "| setting | default | meaning |",
        "| --- | --- | --- |",
        *[
            f"| `{name}` | `{field.default}` | {field.description or _SAME_AS_LOG_SCALE.get(name, '')} |"
            for name, field in settings.items()
        ],
    ]
    return "\n".join(lines) + "\n"


_SAME_AS_LOG_SCALE = {
    "wide_ratio": "MaxValue/MinValue from which a range is wide: the `log-scale` rule's `min_ratio`",
    "hinted_wide_ratio": "the same for log-natured names: the `log-scale` rule's `hinted_min_ratio`",
    "high_failed_share": "failed share from which failures are a high finding",
}
