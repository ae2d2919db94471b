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
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> SchedulerScheduleResource:
        # moto's create_schedule is annotated str for members that are optional in the API (None works).
        template: Any = properties
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=template.get("Description"),
            end_date=template.get("EndDate"),
            flexible_time_window=template["FlexibleTimeWindow"],
            group_name=template.get("GroupName"),
            kms_key_arn=template.get("KmsKeyArn"),
            name=template.get("Name") or resource_name,
            schedule_expression=template["ScheduleExpression"],
            schedule_expression_timezone=template.get("ScheduleExpressionTimezone"),
            start_date=template.get("StartDate"),
            state=template.get("State"),
            target=template["Target"],
            action_after_completion=None,
        )
        return cls(schedule.name, schedule.group_name, schedule.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        scheduler_backends[account_id][region_name].delete_schedule(self.group_name, self.physical_resource_id)
