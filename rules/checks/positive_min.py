"""positive-min: scaling types whose domain the range leaves (log needs x > 0, reverse-log 0 <= x < 1)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.findings import Finding, PatchOperation, Severity, set_member
from rules.models import ParameterRange, RangeKind, ScalingType, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


class PositiveMinSettings(RuleSettings):
    proposed_decades: int = Field(
        default=4, ge=1, le=12, description="the proposed MinValue lies this many decades below MaxValue"
    )


def proposed_minimum(r: ParameterRange, decades: int = 4) -> float | None:
    """A positive MinValue that makes a log scale possible, or None when MaxValue is not positive."""
    if r.max_value <= 0:
        return None
    if r.kind is RangeKind.INTEGER:
        return 1.0 if r.max_value > 1 else None
    return float(f"{r.max_value / 10**decades:.1g}")


def _minimum_text(r: ParameterRange, value: float) -> str:
    return str(int(value)) if r.kind is RangeKind.INTEGER else f"{value:g}"


def _log_fix(r: ParameterRange, decades: int) -> tuple[str, float | None, tuple[PatchOperation, ...]]:
    proposal = proposed_minimum(r, decades)
    if proposal is None:
        fix = f"'{r.name}' has no positive values; use ScalingType Linear."
        return fix, None, (set_member(r.pointer, "ScalingType", ScalingType.LINEAR.value),)
    text = _minimum_text(r, proposal)
    return (
        f"Set MinValue of '{r.name}' to a positive value such as {text} and ScalingType to Logarithmic.",
        proposal,
        (
            PatchOperation(op="replace", path=f"{r.pointer}/MinValue", value=text),
            set_member(r.pointer, "ScalingType", ScalingType.LOGARITHMIC.value),
        ),
    )


def _finding(r: ParameterRange, definition: str | None, severity: Severity, message: str, decades: int) -> Finding:
    fix, proposal, patch = _log_fix(r, decades)
    return RULE.finding(
        severity=severity,
        parameter=r.name,
        definition=definition,
        message=message,
        fix=fix,
        patch=patch,
        evidence={
            "min_value": r.min_value,
            "max_value": r.max_value,
            "scaling_type": r.scaling.value,
            "range_kind": r.kind.value,
            "proposed_min_value": proposal,
        },
    )


def _reverse_log_finding(r: ParameterRange, definition: str | None) -> Finding | None:
    linear = (set_member(r.pointer, "ScalingType", ScalingType.LINEAR.value),)
    if r.kind is RangeKind.INTEGER:
        problem = "ReverseLogarithmic works only on continuous ranges, and this one is an integer range"
        fix = f"Use ScalingType Linear or Logarithmic for '{r.name}'."
    elif r.min_value < 0 or r.max_value >= 1:
        problem = (
            f"ReverseLogarithmic needs the whole range inside 0 <= x < 1, and this one is {r.min_text} .. {r.max_text}"
        )
        fix = f"Keep '{r.name}' inside 0 <= x < 1 (for example MaxValue 0.999) or use ScalingType Linear."
    else:
        return None
    return RULE.finding(
        severity=Severity.HIGH,
        parameter=r.name,
        definition=definition,
        message=f"'{r.name}': {problem}; SageMaker refuses it.",
        fix=fix,
        patch=linear,
        evidence={
            "min_value": r.min_value,
            "max_value": r.max_value,
            "scaling_type": r.scaling.value,
            "range_kind": r.kind.value,
        },
    )


def check(request: TuningRequest, context: EvaluationContext[PositiveMinSettings]) -> Iterator[Finding]:
    """Logarithmic with MinValue <= 0, ReverseLogarithmic out of its domain, log-natured ranges from 0."""
    decades = context.settings.proposed_decades
    for definition, r in request.ranges():
        if r.scaling is ScalingType.LOGARITHMIC and r.min_value <= 0:
            yield _finding(
                r,
                definition.name,
                Severity.HIGH,
                f"'{r.name}' uses Logarithmic scaling with MinValue {r.min_text}: a log scale works only when "
                "every value is above 0, so SageMaker refuses this range.",
                decades,
            )
        elif r.scaling is ScalingType.REVERSE_LOGARITHMIC:
            finding = _reverse_log_finding(r, definition.name)
            if finding is not None:
                yield finding
        elif r.min_value <= 0 < r.max_value and context.policy.is_log_natured_name(r.name):
            yield _finding(
                r,
                definition.name,
                Severity.MEDIUM,
                f"'{r.name}' usually needs a log scale, but its range starts at {r.min_text}, so it can never "
                f"be searched on one: under {r.scaling.value} scaling most trials go to the largest values "
                f"up to {r.max_text}.",
                decades,
            )


RULE = Rule(
    id="positive-min",
    title="Minimum outside the scaling type's domain",
    check=check,
    category=Category.MISCONFIGURATION,
    settings=PositiveMinSettings,
    doc=RuleDoc(
        checks=(
            "Logarithmic with MinValue <= 0; ReverseLogarithmic on an integer range or outside 0 <= x < 1; and a "
            "parameter whose name suggests a log scale (learning rate and kin) starting at 0 or below under "
            "Auto or Linear."
        ),
        why=(
            "A log scale works only when every value is above 0 and SageMaker refuses such a request; a "
            "learning rate searched from 0 can never be searched on a log scale, so most trials go to the "
            "largest values."
        ),
        example="ContinuousParameterRanges: [{Name: learning_rate, MinValue: '0', MaxValue: '0.1', ScalingType: Auto}]",
        fix=(
            "Set MinValue to a positive value (by default four decades below MaxValue, 1 for integer ranges) and "
            "ScalingType to Logarithmic; for ReverseLogarithmic keep the range inside 0 <= x < 1 or use Linear."
        ),
    ),
)
