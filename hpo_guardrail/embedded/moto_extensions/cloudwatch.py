"""CloudWatch: the template's metric alarms."""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from hpo_guardrail.embedded.moto_extensions.cfn_resource import ExtensionResource


class CloudWatchAlarmResource(ExtensionResource):
    """AWS::CloudWatch::Alarm, which moto's CloudFormation skips although its CloudWatch API has alarms.

    The alarm is created in the emulator's CloudWatch, so DescribeAlarms shows what was deployed, named
    as CloudFormation names an alarm without AlarmName (stack name, logical id, a random suffix). Nothing
    evaluates it: moto keeps no clock, so an alarm never fires here.
    """

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    def __init__(self, physical_resource_id: str, arn: str) -> None:
        super().__init__(physical_resource_id)
        self.arn = arn

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> CloudWatchAlarmResource:
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=properties.get("AlarmName") or resource_name,
            namespace=properties.get("Namespace", ""),
            metric_name=properties.get("MetricName", ""),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(properties.get("Period", 60)),
            threshold=float(properties.get("Threshold", 0)),
            statistic=properties.get("Statistic", ""),
            description=properties.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in properties.get("Dimensions", [])],
            alarm_actions=list(properties.get("AlarmActions", [])),
            datapoints_to_alarm=properties.get("DatapointsToAlarm"),
            ok_actions=list(properties.get("OKActions", [])),
            insufficient_data_actions=list(properties.get("InsufficientDataActions", [])),
            unit=properties.get("Unit"),
            actions_enabled=properties.get("ActionsEnabled", True) not in (False, "false"),
            treat_missing_data=properties.get("TreatMissingData"),
        )
        return cls(alarm.name, alarm.alarm_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])
