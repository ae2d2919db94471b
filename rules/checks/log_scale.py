"""log-scale: a wide positive range searched on a linear (or Auto) scale wastes the budget."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import ParameterRange, ScalingType, TuningRequest
from rules.rule import EvaluationContext, Rule


def _linear_share(r: ParameterRange, low: float, high: float) -> float:
    return (high - low) / (r.max_value - r.min_value)


def _log_share(r: ParameterRange, low: float, high: float) -> float:
    return math.log(high / low) / math.log(r.max_value / r.min_value)


def _at_least_one(share: float, trials: int) -> float:
    return 1.0 - (1.0 - share) ** trials


def _percent(probability: float) -> str:
    """Like '99.7%', without rounding a probability short of certainty up to '100.0%'."""
    text = f"{probability:.1%}"
    # The bottom decade is always a strict part of the range, so certainty is only ever rounding.
    return ">99.9%" if text == "100.0%" else text


def check(request: TuningRequest, context: EvaluationContext) -> Iterator[Finding]:
    """Flag ranges with MinValue > 0 and MaxValue/MinValue >= the policy ratio under Linear or Auto."""
    threshold = context.policy.log_scale_min_ratio
    trials = context.cost.job_count
    for definition, r in request.ranges():
        if r.scaling not in (ScalingType.LINEAR, ScalingType.AUTO) or r.min_value <= 0:
            continue
        ratio = r.max_value / r.min_value
        if ratio < threshold:
            continue
        decades = math.log10(ratio)
        top_low = r.max_value / 10
        bottom_high = r.min_value * 10
        top_share = _linear_share(r, top_low, r.max_value)
        bottom_linear = _linear_share(r, r.min_value, bottom_high)
        bottom_log = _log_share(r, r.min_value, bottom_high)
        hit_linear = _at_least_one(bottom_linear, trials)
        hit_log = _at_least_one(bottom_log, trials)
        scale = "a linear" if r.scaling is ScalingType.LINEAR else "an Auto (starts linear)"
        message = (
            f"'{r.name}' spans {decades:.1f} orders of magnitude ({r.min_text} .. {r.max_text}) on {scale} "
            f"scale: about {top_share:.0%} of trials land in the top decade ({top_low:g} .. {r.max_value:g}). "
            f"With {trials} trials the chance of trying anything in {r.min_value:g} .. {bottom_high:g} is "
            f"{_percent(hit_linear)} on a linear scale versus {_percent(hit_log)} on a log scale."
        )
        yield Finding(
            rule=RULE.id,
            severity=Severity.HIGH if r.scaling is ScalingType.LINEAR else Severity.MEDIUM,
            parameter=r.name,
            definition=definition.name,
            message=message,
            fix=f"Set ScalingType to Logarithmic for '{r.name}' (its MinValue {r.min_text} is already above 0).",
            evidence={
                "min_value": r.min_value,
                "max_value": r.max_value,
                "scaling_type": r.scaling.value,
                "ratio": round(ratio, 6),
                "decades": round(decades, 3),
                "threshold_ratio": threshold,
                "top_decade_share_linear": round(top_share, 4),
                "bottom_decade_share_linear": round(bottom_linear, 6),
                "bottom_decade_share_log": round(bottom_log, 4),
                "trials": trials,
                "p_any_trial_in_bottom_decade_linear": round(hit_linear, 4),
                "p_any_trial_in_bottom_decade_log": round(hit_log, 4),
            },
        )


RULE = Rule(id="log-scale", title="Wide positive range on a linear scale", check=check)
