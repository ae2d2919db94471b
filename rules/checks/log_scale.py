"""log-scale: a wide positive range searched on a linear (or Auto) scale wastes the budget."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from rules.cost import over_cap
from rules.findings import Finding, Severity, set_member
from rules.models import ParameterRange, ScalingType, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


class LogScaleSettings(RuleSettings):
    min_ratio: float = Field(default=100.0, gt=1, description="MaxValue/MinValue from which to flag a range")
    hinted_min_ratio: float = Field(
        default=10.0, gt=1, description="the same for parameters whose name suggests a log scale (learning rate...)"
    )
    costly_usd: float | None = Field(
        default=None, ge=0, description="worst case above which severity goes up a level; default: the budget cap"
    )


def _linear_share(r: ParameterRange, low: float, high: float) -> float:
    return (high - low) / (r.max_value - r.min_value)


def _log_share(r: ParameterRange, low: float, high: float) -> float:
    # Differences of logs: a quotient of two finite doubles can overflow to inf (1e300 / 1e-300).
    return (math.log(high) - math.log(low)) / (math.log(r.max_value) - math.log(r.min_value))


def _at_least_one(share: float, trials: int) -> float:
    return 1.0 - (1.0 - share) ** trials


def _percent(probability: float) -> str:
    """Like '99.7%', without rounding a probability short of certainty up to '100.0%'."""
    text = f"{probability:.1%}"
    # The bottom decade is always a strict part of the range, so certainty is only ever rounding.
    return ">99.9%" if text == "100.0%" else text


def _severity(r: ParameterRange, decades: float, hinted: bool, costly: bool) -> Severity:
    """Linear is worse than Auto; more decades, a name that says log, and a big budget make it worse."""
    severity = Severity.HIGH if r.scaling is ScalingType.LINEAR else Severity.MEDIUM
    steps = (1 if decades >= 6 else 0) + (1 if costly else 0) - (1 if decades < 3 and not hinted else 0)
    return severity.raised(max(-1, min(steps, 1)))


def check(request: TuningRequest, context: EvaluationContext[LogScaleSettings]) -> Iterator[Finding]:
    """Flag ranges with MinValue > 0 and a wide MaxValue/MinValue under Linear or Auto."""
    settings = context.settings
    trials = context.cost.job_count
    costly_usd = settings.costly_usd if settings.costly_usd is not None else context.policy.budget_cap_usd
    costly = over_cap(context.cost.worst_case_usd, costly_usd)
    for definition, r in request.ranges():
        if r.scaling not in (ScalingType.LINEAR, ScalingType.AUTO) or r.min_value <= 0:
            continue
        hinted = context.policy.is_log_natured_name(r.name)
        threshold = settings.hinted_min_ratio if hinted else settings.min_ratio
        ratio = r.ratio
        if ratio is None or ratio < threshold:
            continue
        decades = math.log10(r.max_value) - math.log10(r.min_value)
        top_low, bottom_high = r.max_value / 10, r.min_value * 10
        top_share = _linear_share(r, max(top_low, r.min_value), r.max_value)
        bottom_linear = _linear_share(r, r.min_value, min(bottom_high, r.max_value))
        bottom_log = _log_share(r, r.min_value, min(bottom_high, r.max_value))
        hit_linear, hit_log = _at_least_one(bottom_linear, trials), _at_least_one(bottom_log, trials)
        scale = "a linear" if r.scaling is ScalingType.LINEAR else "an Auto (starts linear)"
        message = (
            f"'{r.name}' spans {decades:.1f} orders of magnitude ({r.min_text} .. {r.max_text}) on {scale} "
            f"scale: about {top_share:.0%} of trials land in the top decade ({top_low:g} .. {r.max_value:g}). "
            f"With {trials} trials the chance of trying anything in {r.min_value:g} .. {bottom_high:g} is "
            f"{_percent(hit_linear)} on a linear scale versus {_percent(hit_log)} on a log scale."
        )
        yield RULE.finding(
            severity=_severity(r, decades, hinted, costly),
            parameter=r.name,
            definition=definition.name,
            message=message,
            fix=f"Set ScalingType to Logarithmic for '{r.name}' (its MinValue {r.min_text} is already above 0).",
            patch=(set_member(r.pointer, "ScalingType", ScalingType.LOGARITHMIC.value),),
            evidence={
                "min_value": r.min_value,
                "max_value": r.max_value,
                "scaling_type": r.scaling.value,
                "range_kind": r.kind.value,
                "ratio": round(ratio, 6),
                "decades": round(decades, 3),
                "threshold_ratio": threshold,
                "name_suggests_log": hinted,
                "top_decade_share_linear": round(top_share, 4),
                "bottom_decade_share_linear": round(bottom_linear, 6),
                "bottom_decade_share_log": round(bottom_log, 4),
                "trials": trials,
                "p_any_trial_in_bottom_decade_linear": round(hit_linear, 4),
                "p_any_trial_in_bottom_decade_log": round(hit_log, 4),
            },
        )


RULE = Rule(
    id="log-scale",
    title="Wide positive range on a linear scale",
    check=check,
    category=Category.MISCONFIGURATION,
    settings=LogScaleSettings,
    doc=RuleDoc(
        checks=(
            "A continuous or integer range with MinValue > 0 whose MaxValue/MinValue reaches `min_ratio` (100), "
            "or `hinted_min_ratio` (10) when the name suggests a log scale (learning rate, eta, alpha, lambda, "
            "weight decay, regularisation, epsilon, C; batch size, number of estimators, hidden units), searched "
            "with ScalingType Linear or Auto. Severity is "
            "high for Linear and medium for Auto, one level higher from six decades or when the worst case "
            "reaches the budget cap, one lower below three decades without a name hint."
        ),
        why=(
            "On a linear scale the top decade takes 90% of the samples: a learning rate searched over "
            "0.0001 .. 1.0 spends about 90% of its trials between 0.1 and 1.0, and with 20 trials the chance of "
            "trying anything below 0.001 is 1.8% (99.7% on a log scale). Auto starts out linear."
        ),
        example=(
            "ContinuousParameterRanges: "
            "[{Name: learning_rate, MinValue: '0.0001', MaxValue: '1.0', ScalingType: Linear}]"
        ),
        fix="Set ScalingType to Logarithmic (the MinValue is already above 0).",
    ),
)
