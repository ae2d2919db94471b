"""required-tags: tag keys the policy requires, missing from the tuning job's Tags."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.findings import Finding, Severity
from rules.models import TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


class RequiredTagsSettings(RuleSettings):
    keys: tuple[str, ...] = Field(
        default=(), description="tag keys every tuning job must carry (case-sensitive, as in AWS); empty: no check"
    )
    require_values: bool = Field(
        default=True, description="a required tag whose value is empty or blank counts as missing"
    )


def check(request: TuningRequest, context: EvaluationContext[RequiredTagsSettings]) -> Iterator[Finding]:
    """One finding naming every required key that is absent (or, with require_values, blank)."""
    settings = context.settings
    absent = [key for key in settings.keys if key not in request.tags]
    present = [key for key in settings.keys if key in request.tags]
    blank = [key for key in present if settings.require_values and not request.tags[key].strip()]
    missing = list(dict.fromkeys(absent + blank))
    if not missing:
        return
    listed = ", ".join(f"'{key}'" for key in missing)
    blank_note = f" ({', '.join(repr(k) for k in blank)} present but empty)" if blank else ""
    yield RULE.finding(
        severity=Severity.LOW,
        message=(
            f"The tuning job lacks the tag{'s' if len(missing) > 1 else ''} the policy requires: {listed}{blank_note}. "
            "Tags are copied onto every training job it launches, which is how their cost is attributed."
        ),
        fix=(
            f"Add {listed} to Tags with real values. On a running job, AddTags reaches only the training jobs "
            "launched afterwards."
        ),
        evidence={
            "missing": ", ".join(missing),
            "missing_count": len(missing),
            "required": ", ".join(settings.keys),
            "present": ", ".join(sorted(request.tags)),
        },
    )


RULE = Rule(
    id="required-tags",
    title="Required tags missing",
    check=check,
    category=Category.HYGIENE,
    settings=RequiredTagsSettings,
    doc=RuleDoc(
        checks=(
            "Tag keys listed in `keys` (none by default, so the rule reports nothing until the policy names some) "
            "that the request's Tags lack; with `require_values` (on) a required tag with an empty value counts as "
            "missing. One low finding listing them all; no patch, since the values need a person."
        ),
        why=(
            "SageMaker copies the tuning job's tags onto every training job it launches, so tags such as team or "
            "cost-center are how the spend is attributed and how policy scopes find the job. Tags added later with "
            "AddTags reach only the training jobs launched afterwards."
        ),
        example="keys: [team, cost-center] with Tags: [{Key: team, Value: nlp}]",
        fix="Add the missing tags with their values to the request (or AddTags on the tuning job at once).",
    ),
)
