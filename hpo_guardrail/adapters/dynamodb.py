"""The audit table in DynamoDB: one item per event id, indexes by time, account and team."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord

# Every record carries this constant so one index can list all records by time.
RECORD_TYPE = "decision"
INDEX_BY_TIME = "by-time"
INDEX_BY_ACCOUNT = "by-account"
INDEX_BY_TEAM = "by-team"


def _item(record: AuditRecord) -> dict[str, Any]:
    body = record.model_dump(mode="json", exclude={"actions"})
    item: dict[str, Any] = {
        "event_id": {"S": record.event_id},
        "record_type": {"S": RECORD_TYPE},
        "occurred_at": {"S": record.occurred_at},
        "status": {"S": record.status.value},
        "record": {"S": json.dumps(body, separators=(",", ":"))},
        "actions": {"M": {name: {"S": a.model_dump_json()} for name, a in record.actions.items()}},
    }
    # Index keys must be absent rather than empty: a record without a team stays out of by-team.
    for name in ("account", "team", "decision"):
        value = getattr(record, name)
        if value:
            item[name] = {"S": value}
    return item


def _record(item: dict[str, Any]) -> AuditRecord:
    body = json.loads(item["record"]["S"])
    actions = {
        name: ActionRecord.model_validate_json(v["S"]) for name, v in item.get("actions", {}).get("M", {}).items()
    }
    return AuditRecord.model_validate({**body, "actions": actions})


class DynamoDbAuditStore:
    """AuditStore over an injected boto3 DynamoDB client: the guardrail writes one record per event."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def begin(self, record: AuditRecord) -> AuditRecord | None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_item(record),
                ConditionExpression="attribute_not_exists(event_id)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return self.get(record.event_id)
        return None

    def get(self, event_id: str) -> AuditRecord | None:
        response = self._client.get_item(TableName=self._table, Key={"event_id": {"S": event_id}}, ConsistentRead=True)
        return _record(response["Item"]) if "Item" in response else None

    def record_action(self, event_id: str, name: str, action: ActionRecord) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"event_id": {"S": event_id}},
            UpdateExpression="SET actions.#name = :action",
            ExpressionAttributeNames={"#name": name},
            ExpressionAttributeValues={":action": {"S": action.model_dump_json()}},
            ConditionExpression="attribute_exists(event_id)",
        )


class DynamoDbAuditQuery:
    """The audit table read by time, account or team (the reports); it writes nothing."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("dynamodb:Query",)

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def query(
        self, since: str, until: str, *, account: str | None = None, team: str | None = None
    ) -> Iterator[AuditRecord]:
        """Records whose occurred_at lies in [since, until] (ISO 8601), optionally for one account or team."""
        if account:
            index, key_name, key_value = INDEX_BY_ACCOUNT, "account", account
        elif team:
            index, key_name, key_value = INDEX_BY_TEAM, "team", team
        else:
            index, key_name, key_value = INDEX_BY_TIME, "record_type", RECORD_TYPE
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=index,
            KeyConditionExpression="#key = :key AND occurred_at BETWEEN :since AND :until",
            ExpressionAttributeNames={"#key": key_name},
            ExpressionAttributeValues={":key": {"S": key_value}, ":since": {"S": since}, ":until": {"S": until}},
        )
        for page in pages:
            for item in page["Items"]:
                record = _record(item)
                if team and record.team != team:
                    continue
                yield record
