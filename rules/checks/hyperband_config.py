"""hyperband-config: HyperbandStrategyConfig without Hyperband, inconsistent resources, or no MaxResource."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.findings import Evidence, Finding, PatchOperation, Severity
from rules.models import Strategy, TrainingDefinition, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

STRATEGY_CONFIG = "/HyperParameterTuningJobConfig/StrategyConfig"
MAX_RESOURCE = f"{STRATEGY_CONFIG}/HyperbandStrategyConfig/MaxResource"
# StaticHyperParameters keys SageMaker reads MaxResource from when it is not given (API reference).
EPOCH_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")


class HyperbandConfigSettings(RuleSettings):
    max_resource_limit: int = Field(
        default=20_000, ge=1, description="the largest MaxResource SageMaker accepts (20,000 epochs)"
    )
    report_inferred_max_resource: bool = Field(
        default=True,
        description="report (info) that MaxResource will be inferred from StaticHyperParameters such as epochs",
    )


def _epoch_key(definition: TrainingDefinition) -> str | None:
    return next((k for k in EPOCH_KEYS if k in definition.static_hyperparameter_names), None)


def _without_hyperband(request: TuningRequest) -> Finding:
    return RULE.finding(
        severity=Severity.LOW,
        message=(
            f"StrategyConfig.HyperbandStrategyConfig is set, but Strategy is {request.strategy.value}: the "
            "configuration applies only to Hyperband (whether SageMaker refuses or ignores it is not documented)."
        ),
        fix="Remove StrategyConfig, or set Strategy to Hyperband if that is what you meant.",
        patch=(PatchOperation(op="remove", path=STRATEGY_CONFIG),),
        evidence={
            "strategy": request.strategy.value,
            "min_resource": request.hyperband_min_resource,
            "max_resource": request.hyperband_max_resource,
        },
    )


def _missing_max_resource(request: TuningRequest, settings: HyperbandConfigSettings) -> Iterator[Finding]:
    where = "no HyperbandStrategyConfig" if not request.has_hyperband_config else "no MaxResource"
    keys = ", ".join(EPOCH_KEYS)
    inferable: list[tuple[TrainingDefinition, str]] = []
    for definition in request.definitions:
        key = _epoch_key(definition)
        if key is None:
            yield RULE.finding(
                severity=Severity.HIGH,
                definition=definition.name,
                message=(
                    f"Strategy Hyperband with {where}: SageMaker then reads MaxResource from StaticHyperParameters "
                    f"({keys}), and {definition.label} has none of them, so SageMaker refuses the request."
                ),
                fix=(
                    "Set StrategyConfig.HyperbandStrategyConfig.MaxResource to the most epochs a training job may "
                    "run (at most 20,000), or add an epochs static hyperparameter."
                ),
                evidence={"strategy": request.strategy.value, "has_hyperband_config": request.has_hyperband_config},
            )
        else:
            inferable.append((definition, key))
    if settings.report_inferred_max_resource and inferable and len(inferable) == len(request.definitions):
        used = ", ".join(sorted({key for _, key in inferable}))
        yield RULE.finding(
            severity=Severity.INFO,
            message=(
                f"Strategy Hyperband with {where}: SageMaker will take MaxResource from StaticHyperParameters '{used}'."
            ),
            fix="Nothing is required; set HyperbandStrategyConfig.MaxResource to make the budget per job explicit.",
            evidence={"strategy": request.strategy.value, "inferred_from": used},
        )


def _resources(request: TuningRequest, settings: HyperbandConfigSettings) -> Iterator[Finding]:
    low, high = request.hyperband_min_resource, request.hyperband_max_resource
    evidence: Evidence = {
        "min_resource": low,
        "max_resource": high,
        "max_resource_limit": settings.max_resource_limit,
    }
    if high is not None and high > settings.max_resource_limit:
        fits = low is None or low <= settings.max_resource_limit
        yield RULE.finding(
            severity=Severity.HIGH,
            message=(
                f"HyperbandStrategyConfig.MaxResource is {high:,}, above the {settings.max_resource_limit:,} "
                "epochs SageMaker accepts."
            ),
            fix=f"Set MaxResource to {settings.max_resource_limit:,} or less.",
            patch=(PatchOperation(op="replace", path=MAX_RESOURCE, value=settings.max_resource_limit),) if fits else (),
            evidence=evidence,
        )
    if low is not None and high is not None and low > high:
        yield RULE.finding(
            severity=Severity.MEDIUM,
            message=(
                f"HyperbandStrategyConfig.MinResource ({low}) is greater than MaxResource ({high}): no training job "
                "can run the minimum it is promised (SageMaker most likely refuses this; inferred, not documented)."
            ),
            fix="Make MinResource at most MaxResource (MinResource is the epochs a job runs before it may be stopped).",
            evidence=evidence,
        )


def check(request: TuningRequest, context: EvaluationContext[HyperbandConfigSettings]) -> Iterator[Finding]:
    """A Hyperband configuration that does not fit the strategy, or that SageMaker cannot complete."""
    if request.strategy is not Strategy.HYPERBAND:
        if request.has_hyperband_config:
            yield _without_hyperband(request)
        return
    yield from _resources(request, context.settings)
    if request.hyperband_max_resource is None:
        yield from _missing_max_resource(request, context.settings)


RULE = Rule(
    id="hyperband-config",
    title="Hyperband configuration that does not fit",
    check=check,
    category=Category.TUNING,
    settings=HyperbandConfigSettings,
    doc=RuleDoc(
        checks=(
            "StrategyConfig.HyperbandStrategyConfig with a Strategy other than Hyperband (low); MaxResource above "
            "`max_resource_limit` (20,000; high); MinResource greater than MaxResource (medium); Hyperband without "
            "MaxResource: high for each training job definition whose StaticHyperParameters hold none of epochs, "
            "numepochs, n-epochs, n_epochs, num_epochs (matched exactly), otherwise info naming the key used "
            "(`report_inferred_max_resource` turns that off)."
        ),
        why=(
            "The API reference: HyperbandStrategyConfig should be provided only with Hyperband; without MaxResource "
            "SageMaker infers it from those static hyperparameters and raises a validation error when it cannot; "
            "the maximum is 20,000 epochs. What SageMaker does with a HyperbandStrategyConfig under another "
            "strategy, and with MinResource above MaxResource, is not documented: refusal is inferred."
        ),
        example="Strategy: Hyperband, StrategyConfig: {HyperbandStrategyConfig: {MinResource: 50, MaxResource: 10}}",
        fix=(
            "Remove StrategyConfig when the strategy is not Hyperband; otherwise give MinResource <= MaxResource "
            "<= 20,000 (in epochs, or whatever unit the training job reports its metric in)."
        ),
    ),
)
