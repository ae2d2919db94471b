"""positive-min: scaling types whose domain the range leaves (log needs x > 0, reverse-log 0 <= x < 1)."""

from __future__ import annotations

from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import ParameterRange, RangeKind, ScalingType, TuningRequest
from rules.rule import EvaluationContext, Rule

# Proposed minimum for a continuous range: four decades below its maximum.
PROPOSED_DECADES = 4


def proposed_minimum(r: ParameterRange) -> float | None:
    """A positive MinValue that makes a log scale possible, or None when MaxValue is not positive."""
    if r.max_value <= 0:
        return None
    if r.kind is RangeKind.INTEGER:
        return 1.0 if r.max_value > 1 else None
    return float(f"{r.max_value / 10**PROPOSED_DECADES:.1g}")


def _log_fix(r: ParameterRange) -> tuple[str, float | None]:
    proposal = proposed_minimum(r)
    if proposal is None:
        return (f"'{r.name}' has no positive values; use ScalingType Linear.", None)
    return (
        f"Set MinValue of '{r.name}' to a positive value such as {proposal:g} and ScalingType to Logarithmic.",
        proposal,
    )


def _finding(r: ParameterRange, definition: str | None, severity: Severity, message: str) -> Finding:
    fix, proposal = _log_fix(r)
    return Finding(
        rule=RULE.id,
        severity=severity,
        parameter=r.name,
        definition=definition,
        message=message,
        fix=fix,
        evidence={
            "min_value": r.min_value,
            "max_value": r.max_value,
            "scaling_type": r.scaling.value,
            "range_kind": r.kind.value,
            "proposed_min_value": proposal,
        },
    )


def _reverse_log_finding(r: ParameterRange, definition: str | None) -> Finding | None:
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
    return Finding(
        rule=RULE.id,
        severity=Severity.HIGH,
        parameter=r.name,
        definition=definition,
        message=f"'{r.name}': {problem}; SageMaker refuses it.",
        fix=fix,
        evidence={
            "min_value": r.min_value,
            "max_value": r.max_value,
            "scaling_type": r.scaling.value,
            "range_kind": r.kind.value,
        },
    )


def check(request: TuningRequest, context: EvaluationContext) -> Iterator[Finding]:
    """Logarithmic with MinValue <= 0, ReverseLogarithmic out of its domain, log-natured ranges from 0."""
    for definition, r in request.ranges():
        if r.scaling is ScalingType.LOGARITHMIC and r.min_value <= 0:
            yield _finding(
                r,
                definition.name,
                Severity.HIGH,
                f"'{r.name}' uses Logarithmic scaling with MinValue {r.min_text}: a log scale works only when "
                "every value is above 0, so SageMaker refuses this range.",
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
            )


RULE = Rule(id="positive-min", title="Minimum outside the scaling type's domain", check=check)
