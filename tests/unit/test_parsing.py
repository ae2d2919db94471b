"""Parsing: CloudTrail (lowerCamelCase) and API/Describe (PascalCase) requests into a TuningRequest."""

from __future__ import annotations

import pytest

from rules.models import RangeKind, ScalingType, Strategy, TuningJobCall
from rules.parsing import InvalidRequest, SkippedCall, read_cloudtrail_record, read_request
from tests.builders import (
    PRINCIPAL,
    ROLE,
    categorical,
    cloudtrail_casing,
    cloudtrail_event,
    continuous,
    integer,
    training_definition,
    tuning_request,
)


def classic_request() -> dict:
    return tuning_request(
        "classic",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        integer_ranges=[integer("num_layers", "2", "8", None)],
        categorical_ranges=[categorical("optimizer", "adam", "sgd")],
        tags={"team": "vision"},
    )


def test_both_key_casings_give_the_same_request():
    pascal = read_request(classic_request())
    camel = read_request(cloudtrail_casing(classic_request()))
    assert pascal == camel
    assert pascal.job_name == "classic"
    assert pascal.tags == {"team": "vision"}


def test_ranges_are_typed_and_keep_their_text():
    request = read_request(classic_request())
    (definition,) = request.definitions
    lr, layers = definition.ranges
    assert (lr.kind, lr.min_value, lr.max_value, lr.scaling) == (RangeKind.CONTINUOUS, 0.0001, 1.0, ScalingType.LINEAR)
    assert (lr.min_text, lr.max_text) == ("0.0001", "1.0")
    assert layers.kind is RangeKind.INTEGER
    assert layers.scaling is ScalingType.AUTO and layers.scaling_given is False
    assert definition.categorical[0].values == ("adam", "sgd")


@pytest.mark.parametrize("text, value", [("1e-05", 1e-5), ("0.00001", 1e-5), ("1E-5", 1e-5), (" 2.5 ", 2.5), (3, 3.0)])
def test_min_and_max_values_parse_exactly_including_scientific_notation(text, value):
    request = read_request(tuning_request(continuous_ranges=[continuous("lr", text, "10", "Linear")]))
    assert request.definitions[0].ranges[0].min_value == value


@pytest.mark.parametrize("bad", ["NaN", "nan", "inf", "-Infinity", "abc", "", "0x10", True])
def test_non_finite_or_non_numeric_values_are_rejected_with_the_field_path(bad):
    with pytest.raises(InvalidRequest) as caught:
        read_request(tuning_request(continuous_ranges=[continuous("lr", bad, "1", "Linear")]))
    assert caught.value.path == "HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue"


def test_integer_range_must_hold_whole_numbers():
    with pytest.raises(InvalidRequest, match="not a whole number"):
        read_request(tuning_request(integer_ranges=[integer("batch", "16.5", "64")]))
    request = read_request(tuning_request(integer_ranges=[integer("batch", "16.0", "64")]))
    assert request.definitions[0].ranges[0].min_value == 16


def test_min_above_max_is_rejected():
    with pytest.raises(InvalidRequest, match="greater than MaxValue"):
        read_request(tuning_request(continuous_ranges=[continuous("lr", "1", "0.1", "Linear")]))


def test_unknown_scaling_type_is_rejected_and_casing_of_known_ones_is_forgiven():
    with pytest.raises(InvalidRequest, match="unknown ScalingType"):
        read_request(tuning_request(continuous_ranges=[continuous("lr", "0.1", "1", "Exponential")]))
    request = read_request(tuning_request(continuous_ranges=[continuous("lr", "0.1", "1", "logarithmic")]))
    assert request.definitions[0].ranges[0].scaling is ScalingType.LOGARITHMIC


def test_unknown_keys_are_ignored():
    raw = classic_request()
    raw["SomeFutureMember"] = {"Anything": 1}
    raw["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"][0]["NewField"] = "x"
    assert read_request(raw) == read_request(classic_request())


def test_missing_resource_limits_names_the_field():
    raw = classic_request()
    del raw["HyperParameterTuningJobConfig"]["ResourceLimits"]
    with pytest.raises(InvalidRequest) as caught:
        read_request(raw)
    assert caught.value.path == "HyperParameterTuningJobConfig.ResourceLimits"


def test_request_without_any_training_definition_is_rejected():
    raw = classic_request()
    del raw["TrainingJobDefinition"]
    with pytest.raises(InvalidRequest, match="neither TrainingJobDefinition nor TrainingJobDefinitions"):
        read_request(raw)


def test_multi_algorithm_definitions_carry_their_own_ranges_and_compute():
    xgb = training_definition(
        "ml.m5.4xlarge",
        DefinitionName="xgb",
        HyperParameterRanges={"ContinuousParameterRanges": [continuous("alpha", "0.01", "10", "Auto")]},
    )
    mlp = training_definition(DefinitionName="mlp", HyperParameterRanges={"IntegerParameterRanges": []})
    del mlp["ResourceConfig"]
    mlp["HyperParameterTuningResourceConfig"] = {
        "AllocationStrategy": "Prioritized",
        "InstanceConfigs": [
            {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
            {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        ],
    }
    request = read_request(cloudtrail_casing(tuning_request(definitions=[xgb, mlp])))
    first, second = request.definitions
    assert first.name == "xgb" and first.ranges[0].name == "alpha"
    assert [[a.instance_type for a in alt] for alt in second.compute] == [["ml.g5.xlarge"], ["ml.g5.2xlarge"]]
    assert second.compute[1][0].instance_count == 2


def test_instance_groups_are_one_allocation_used_together():
    definition = training_definition()
    definition["ResourceConfig"] = {
        "InstanceGroups": [
            {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "InstanceGroupName": "cpu"},
            {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "InstanceGroupName": "gpu"},
        ],
        "VolumeSizeInGB": 30,
    }
    (alternative,) = read_request(tuning_request(definition=definition)).definitions[0].compute
    assert [(a.instance_type, a.instance_count) for a in alternative] == [("ml.c5.xlarge", 2), ("ml.g5.xlarge", 1)]


def test_describe_response_reads_like_a_request():
    describe = {
        **classic_request(),
        "HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/classic",
        "HyperParameterTuningJobStatus": "InProgress",
        "TrainingJobStatusCounters": {"Completed": 1},
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    request = read_request(describe)
    assert request.strategy is Strategy.BAYESIAN and request.max_training_jobs == 20


def test_cloudtrail_record_gives_call_context_and_request():
    event = cloudtrail_event(classic_request(), event_id="evt-1")
    call = read_cloudtrail_record(event["detail"])
    assert isinstance(call, TuningJobCall)
    assert call.context.event_id == "evt-1"
    assert call.context.account == "123456789012" and call.context.region == "us-east-1"
    assert call.context.principal_arn == PRINCIPAL and call.context.role_arn == ROLE
    assert call.context.job_arn.endswith("hyper-parameter-tuning-job/classic")
    assert call.request == read_request(classic_request())


def test_failed_call_is_skipped_with_its_error():
    event = cloudtrail_event(error_code="ValidationException", error_message="MinValue must be > 0")
    skipped = read_cloudtrail_record(event["detail"])
    assert isinstance(skipped, SkippedCall)
    assert skipped.kind == "failed-call"
    assert "ValidationException: MinValue must be > 0" in skipped.reason


def test_other_api_calls_are_skipped_as_unrelated():
    event = cloudtrail_event(event_name="CreateTrainingJob")
    skipped = read_cloudtrail_record(event["detail"])
    assert isinstance(skipped, SkippedCall) and skipped.kind == "unrelated"


def test_record_without_request_parameters_is_invalid():
    event = cloudtrail_event()
    del event["detail"]["requestParameters"]
    with pytest.raises(InvalidRequest) as caught:
        read_cloudtrail_record(event["detail"])
    assert caught.value.path == "detail.requestParameters"


def test_bad_value_inside_a_cloudtrail_record_names_the_full_path():
    event = cloudtrail_event(tuning_request(continuous_ranges=[continuous("lr", "NaN", "1")]))
    with pytest.raises(InvalidRequest) as caught:
        read_cloudtrail_record(event["detail"])
    assert caught.value.path == (
        "detail.requestParameters.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue"
    )
