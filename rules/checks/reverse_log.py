"""reverse-log: a continuous range packed close to 1 (momentum, beta) searched on a linear (or Auto) scale."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from rules.findings import Finding, Severity, set_member
from rules.models import ParameterRange, RangeKind, ScalingType, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


class ReverseLogSettings(RuleSettings):
    min_value_at_least: float = Field(
        default=0.5, ge=0, lt=1, description="flag only ranges whose MinValue is at least this (and MaxValue < 1)"
    )
    min_distance_ratio: float = Field(
        default=10.0,
        gt=1,
        description="(1 - MinValue) / (1 - MaxValue) from which to flag: 10 means the distance to 1 spans a decade",
    )


def _percent(probability: float) -> str:
    """Like '99.7%', without rounding a probability short of certainty up to '100.0%'."""
    text = f"{probability:.1%}"
    return ">99.9%" if text == "100.0%" else text


def _at_least_one(share: float, trials: int) -> float:
    return 1.0 - (1.0 - share) ** trials


def packed_close_to_one(r: ParameterRange, settings: ReverseLogSettings) -> bool:
    """A continuous range inside [min_value_at_least, 1) whose distance to 1 spans `min_distance_ratio`."""
    if r.kind is not RangeKind.CONTINUOUS or r.scaling not in (ScalingType.LINEAR, ScalingType.AUTO):
        return False
    if not settings.min_value_at_least <= r.min_value < r.max_value < 1:
        return False
    ratio = (1 - r.min_value) / (1 - r.max_value)
    # 1 - 0.9 and 1 - 0.99 are not exact in binary: a ratio of exactly the threshold must count.
    return ratio >= settings.min_distance_ratio or math.isclose(ratio, settings.min_distance_ratio, rel_tol=1e-9)


def check(request: TuningRequest, context: EvaluationContext[ReverseLogSettings]) -> Iterator[Finding]:
    """Flag Linear/Auto continuous ranges in [0.5, 1) whose distance to 1 spans a decade or more."""
    trials = context.cost.job_count
    for definition, r in request.ranges():
        if not packed_close_to_one(r, context.settings):
            continue
        far, near = 1 - r.min_value, 1 - r.max_value  # distances to 1 at both ends
        ratio = far / near
        decades = math.log10(ratio)
        # The part closest to 1: values whose distance to 1 is within ten times MaxValue's.
        part_low = 1 - 10 * near
        linear_share = (10 * near - near) / (far - near)
        reverse_log_share = 1 / decades
        hit_linear, hit_reverse = _at_least_one(linear_share, trials), _at_least_one(reverse_log_share, trials)
        scale = "a linear" if r.scaling is ScalingType.LINEAR else "an Auto (starts linear)"
        odds = ""
        if hit_linear < 0.95:
            odds = (
                f" With {trials} trials the chance of trying anything there is {_percent(hit_linear)} linear versus "
                f"{_percent(hit_reverse)} reverse-log."
            )
        message = (
            f"'{r.name}' ({r.min_text} .. {r.max_text}) lies close to 1 on {scale} scale: its distance to 1 "
            f"spans {decades:.1f} decades ({far:g} down to {near:g}), and a linear scale puts {linear_share:.1%} of "
            f"the trials in {part_low:g} .. {r.max_value:g}, the part closest to 1, against {reverse_log_share:.0%} "
            f"on a reverse-log scale.{odds}"
        )
        yield RULE.finding(
            severity=Severity.MEDIUM if r.scaling is ScalingType.LINEAR else Severity.LOW,
            parameter=r.name,
            definition=definition.name,
            message=message,
            fix=(
                f"Set ScalingType to ReverseLogarithmic for '{r.name}' (the range is already inside 0 <= x < 1, "
                "as ReverseLogarithmic requires)."
            ),
            patch=(set_member(r.pointer, "ScalingType", ScalingType.REVERSE_LOGARITHMIC.value),),
            evidence={
                "min_value": r.min_value,
                "max_value": r.max_value,
                "scaling_type": r.scaling.value,
                "distance_ratio": round(ratio, 6),
                "distance_decades": round(decades, 3),
                "threshold_ratio": context.settings.min_distance_ratio,
                "closest_part_low": round(part_low, 12),
                "closest_part_share_linear": round(linear_share, 4),
                "closest_part_share_reverse_log": round(reverse_log_share, 4),
                "trials": trials,
                "p_any_trial_in_closest_part_linear": round(hit_linear, 4),
                "p_any_trial_in_closest_part_reverse_log": round(hit_reverse, 4),
            },
        )


RULE = Rule(
    id="reverse-log",
    title="Range close to 1 on a linear scale",
    check=check,
    category=Category.TUNING,
    settings=ReverseLogSettings,
    doc=RuleDoc(
        checks=(
            "A continuous range with ScalingType Linear or Auto, MinValue at least `min_value_at_least` (0.5) and "
            "MaxValue below 1, whose distance to 1 spans `min_distance_ratio` (10), i.e. (1 - MinValue) / "
            "(1 - MaxValue) >= 10. Medium for Linear, low for Auto. Ranges reaching 1 or beyond are left alone "
            "(ReverseLogarithmic cannot take them), and so are ranges already on a log scale (positive-min judges "
            "those)."
        ),
        why=(
            "Momentum, Adam's betas and decay rates matter most close to 1: 0.99 and 0.999 behave very "
            "differently, 0.90 and 0.909 hardly. On a linear scale momentum 0.9 .. 0.999 puts only about 9% of "
            "the trials in 0.99 .. 0.999; ReverseLogarithmic spreads them evenly over the distance to 1 (50% there). "
            "SageMaker documents ReverseLogarithmic for exactly this, for continuous ranges inside 0 <= x < 1. Auto "
            "starts out linear."
        ),
        example=(
            "ContinuousParameterRanges: [{Name: momentum, MinValue: '0.9', MaxValue: '0.999', ScalingType: Linear}]"
        ),
        fix="Set ScalingType to ReverseLogarithmic.",
    ),
)
