"""Numbers in a request are read as SageMaker reads them: ASCII digits, finite as a float, within the API's bounds.

Each rejection names the field, and no number, however large, makes the handler or the engine raise.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.parsing import InvalidRequest, parse_number, read_cloudtrail_record, read_request
from rules.policy import Mode
from tests.builders import cloudtrail_event, continuous, integer, training_definition, tuning_request
from tests.unit.fakes import FakeJobs, FakeNotifier
from tests.unit.rules_harness import run_engine

# The API model's `integer` shapes are 32-bit (botocore's sagemaker service-2.json).
INT32_MAX = 2**31 - 1


def _strict_loads(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "text, why",
    [
        ("1e400", "finite"),
        ("-1e400", "finite"),
        ("1_000", "not a number"),
        ("\u0661\u0660", "not a number"),  # Arabic-Indic digits: Python's Decimal accepts them, SageMaker does not
        ("\uff11\uff10", "not a number"),  # full-width digits
        ("0x10", "not a number"),
        ("NaN", "not a finite number"),
        ("Infinity", "not a finite number"),
        ("1" * 300, "256"),  # ParameterValue is at most 256 characters
        ("1e-400", "too small"),
    ],
)
def test_numbers_sagemaker_would_not_read_are_rejected_naming_the_field(text, why):
    with pytest.raises(InvalidRequest) as raised:
        parse_number(text, "HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue")
    assert why in raised.value.reason
    assert raised.value.path.endswith("ContinuousParameterRanges[0].MinValue")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**400, True])
def test_non_finite_or_oversized_json_numbers_are_rejected(value):
    with pytest.raises(InvalidRequest):
        parse_number(value, "MinValue")


@pytest.mark.parametrize("text, expected", [("1e-05", 1e-05), ("0.0001", 0.0001), (" 10 ", 10.0), ("-3", -3.0)])
def test_ordinary_numbers_still_parse(text, expected):
    assert parse_number(text, "MinValue") == expected


def test_a_huge_ratio_is_described_with_finite_figures():
    evaluation = run_engine(
        tuning_request(continuous_ranges=[continuous("learning_rate", "1e-300", "1e300", "Linear")])
    )
    text = " ".join(f.message for f in evaluation.findings)
    assert "inf" not in text and "nan" not in text
    _strict_loads(json.dumps([f.evidence for f in evaluation.findings]))


@pytest.mark.parametrize(
    "request_, path",
    [
        (tuning_request(max_parallel=-1), "MaxParallelTrainingJobs"),
        (tuning_request(max_parallel=2**70), "MaxParallelTrainingJobs"),
        (tuning_request(max_jobs=10**400), "MaxNumberOfTrainingJobs"),
        (tuning_request(max_jobs="1_000"), "MaxNumberOfTrainingJobs"),  # type: ignore[arg-type]
        (tuning_request(max_jobs="\u0661\u0660"), "MaxNumberOfTrainingJobs"),  # type: ignore[arg-type]
        (tuning_request(max_jobs=True), "MaxNumberOfTrainingJobs"),  # type: ignore[arg-type]
        (tuning_request(max_runtime_seconds=10**20), "ResourceLimits.MaxRuntimeInSeconds"),
        (tuning_request(definition=training_definition(max_runtime_seconds=-5)), "StoppingCondition"),
        (tuning_request(definition=training_definition(instance_count=10**400)), "InstanceCount"),
        (tuning_request(definition=training_definition(instance_count=INT32_MAX + 1)), "InstanceCount"),
    ],
)
def test_counts_and_durations_are_bounded_as_the_api_model_bounds_them(request_, path):
    with pytest.raises(InvalidRequest) as raised:
        read_request(request_)
    assert path in raised.value.path


def test_integer_strings_of_ascii_digits_are_still_accepted():
    request = read_request(tuning_request(max_jobs="20", max_parallel=2))  # type: ignore[arg-type]
    assert request.max_training_jobs == 20


def _service(mode: Mode = Mode.ENFORCE, name: str = "j") -> tuple[GuardrailService, FakeJobs, FakeNotifier]:
    jobs, notifier = FakeJobs({name: "InProgress"}), FakeNotifier()
    clock = lambda: datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # noqa: E731
    return GuardrailService(Settings(mode=mode, budget_cap_usd=1000), jobs, notifier, clock=clock), jobs, notifier


@pytest.mark.parametrize(
    "request_",
    [
        tuning_request("j", max_jobs=10**400),
        tuning_request("j", definition=training_definition(instance_count=10**400)),
        tuning_request("j", strategy="Grid", max_jobs=None, integer_ranges=[integer("n", "0", "1" + "0" * 300)]),
        tuning_request(
            "j",
            strategy="Grid",
            max_jobs=None,
            integer_ranges=[integer(f"n{i}", "0", "1e300") for i in range(30)],
        ),
        tuning_request("j", continuous_ranges=[continuous("learning_rate", "1e-5", "1e400", "Logarithmic")]),
    ],
)
def test_no_number_makes_the_handler_raise(request_):
    svc, _, notifier = _service()
    outcome = svc.handle(cloudtrail_event(request_))
    assert outcome.status in ("rejected", "evaluated")
    for alert in notifier.sent:
        _strict_loads(json.dumps(alert.chatbot))
        assert "inf orders" not in alert.email and "nan%" not in alert.email


def test_an_event_time_without_a_time_zone_is_read_as_utc_and_the_stop_is_costed():
    svc, jobs, _ = _service()
    event = cloudtrail_event(
        tuning_request(
            "j",
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        )
    )
    event["detail"]["eventTime"] = "2026-11-26T09:30:00"
    outcome = svc.handle(event)
    assert jobs.stopped == ["j"]
    assert outcome.status == "evaluated"
    call = read_cloudtrail_record(event["detail"])
    assert not isinstance(call, type(None))
    assert call.context.event_time == "2026-11-26T09:30:00Z"  # type: ignore[union-attr]


def test_an_event_time_in_another_offset_is_normalised_to_utc():
    event = cloudtrail_event()
    event["detail"]["eventTime"] = "2026-11-26T11:30:00+02:00"
    call = read_cloudtrail_record(event["detail"])
    assert call.context.event_time == "2026-11-26T09:30:00Z"  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-40T00:00:00Z", 12345])
def test_an_unreadable_event_time_is_rejected_naming_the_field(value):
    event = cloudtrail_event()
    event["detail"]["eventTime"] = value
    with pytest.raises(InvalidRequest) as raised:
        read_cloudtrail_record(event["detail"])
    assert "eventTime" in raised.value.path


def test_the_bounds_are_those_of_botocores_api_model():
    import botocore.session

    from rules import parsing

    model = botocore.session.get_session().get_service_model("sagemaker")
    limits = model.shape_for("ResourceLimits").members
    assert limits["MaxRuntimeInSeconds"].metadata["min"] == parsing.TUNING_RUNTIME_MIN_SECONDS
    assert limits["MaxRuntimeInSeconds"].metadata["max"] == parsing.TUNING_RUNTIME_MAX_SECONDS
    for shape in ("MaxParallelTrainingJobs", "MaxNumberOfTrainingJobs"):
        assert limits[shape].type_name == "integer" and limits[shape].metadata["min"] == 1
        assert "max" not in limits[shape].metadata  # so the 32-bit integer's bound applies
    assert model.shape_for("StoppingCondition").members["MaxRuntimeInSeconds"].metadata == {"min": 1}
    assert model.shape_for("ContinuousParameterRange").members["MinValue"].metadata["max"] == (
        parsing.PARAMETER_VALUE_MAX_LENGTH
    )
    assert parsing.INT32_MAX == 2**31 - 1
