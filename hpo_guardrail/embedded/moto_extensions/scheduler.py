"""EventBridge Scheduler: the weekly report's schedule from the template."""

from __future__ import annotations

from typing import Any

from moto.scheduler.models import scheduler_backends

from hpo_guardrail.embedded.moto_extensions.cfn_resource import ExtensionResource


class SchedulerScheduleResource(ExtensionResource):
    """AWS::Scheduler::Schedule, which moto's CloudFormation skips although its Scheduler API has schedules.

    The schedule is created in the emulator's Scheduler, so GetSchedule shows what was deployed. Nothing
    fires it (moto keeps no clock): the demo and the tests invoke the reporter function themselves.
    """

    def __init__(self, physical_resource_id: str, group_name: str, arn: str) -> None:
        super().__init__(physical_resource_id)
        self.group_name = group_name
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SchedulerScheduleResource:
        properties = cloudformation_json["Properties"]
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=properties.get("Description"),
            end_date=properties.get("EndDate"),
            flexible_time_window=properties["FlexibleTimeWindow"],
            group_name=properties.get("GroupName"),
            kms_key_arn=properties.get("KmsKeyArn"),
            name=properties.get("Name") or resource_name,
            schedule_expression=properties["ScheduleExpression"],
            schedule_expression_timezone=properties.get("ScheduleExpressionTimezone"),
            start_date=properties.get("StartDate"),
            state=properties.get("State"),
            target=properties["Target"],
            action_after_completion=None,
        )
        return cls(schedule.name, schedule.group_name, schedule.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        scheduler_backends[account_id][region_name].delete_schedule(self.group_name, self.physical_resource_id)
