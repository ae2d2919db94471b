"""The audit table in DynamoDB: one item per event id, indexes by time, account and team."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord, Claim, JobClaim, ReviewRecord
from hpo_guardrail.enforce.ports import AuditRecordNotFound
from hpo_guardrail.pricing.lookup import CachedPrice, PriceCacheUnavailable

# Every record carries this constant so one index can list all records by time.
RECORD_TYPE = "decision"
NOTICE_TYPE = "notice"  # "told people once" markers (a broken policy version), not decisions
# Which event judged a tuning job (enforce.audit.job_claim_key): not a decision either, and without the
# `account` attribute, so it stays out of the by-account index the reports read.
JOB_CLAIM_TYPE = "job"
INDEX_BY_TIME = "by-time"
INDEX_BY_ACCOUNT = "by-account"
INDEX_BY_TEAM = "by-team"


def _item(record: AuditRecord) -> dict[str, Any]:
    # The review is an attribute of its own, so that attaching it once is a conditional update of that attribute.
    body = record.model_dump(mode="json", exclude={"actions", "review"})
    item: dict[str, Any] = {
        "event_id": {"S": record.event_id},
        "record_type": {"S": RECORD_TYPE},
        "occurred_at": {"S": record.occurred_at},
        "status": {"S": record.status.value},
        "record": {"S": json.dumps(body, separators=(",", ":"))},
        "actions": {"M": {name: {"S": a.model_dump_json()} for name, a in record.actions.items()}},
    }
    if record.review is not None:
        item["review"] = {"S": record.review.model_dump_json()}
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
    review = item.get("review", {}).get("S")
    stored = {"review": ReviewRecord.model_validate_json(review)} if review is not None else {}
    return AuditRecord.model_validate({**body, "actions": actions, **stored})


class DynamoDbAuditStore:
    """AuditStore over an injected boto3 DynamoDB client: the guardrail writes one record per event."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def begin(self, record: AuditRecord, claim: Claim | None = None) -> AuditRecord | None:
        item = _item(record)
        if claim is not None:
            item |= {"claim_owner": {"S": claim.owner}, "claim_until": {"N": repr(claim.until)}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(event_id)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return self.get(record.event_id)
        return None

    def claim(self, event_id: str, claim: Claim, now: float) -> AuditRecord | None:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"event_id": {"S": event_id}},
                UpdateExpression="SET claim_owner = :owner, claim_until = :until",
                ConditionExpression="attribute_exists(event_id) AND "
                "(attribute_not_exists(claim_owner) OR claim_until < :now OR claim_owner = :owner)",
                ExpressionAttributeValues={
                    ":owner": {"S": claim.owner},
                    ":until": {"N": repr(claim.until)},
                    ":now": {"N": repr(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return None
        return _record(response["Attributes"])

    def release(self, event_id: str, owner: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"event_id": {"S": event_id}},
                UpdateExpression="REMOVE claim_owner, claim_until",
                ConditionExpression="claim_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise  # someone else's claim (our lease ran out): theirs to release

    def first_notice(self, key: str, now: str) -> bool:
        # A notice is its own item type, so reports (which read the "decision" items) never count it.
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"event_id": {"S": key}, "record_type": {"S": NOTICE_TYPE}, "occurred_at": {"S": now}},
                ConditionExpression="attribute_not_exists(event_id)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def claim_job(self, key: str, claim: JobClaim) -> JobClaim:
        # The first claim stays as it was written; whoever claims later (the same event delivered again, a
        # reconciliation run repeated, or another trigger) reads it back and compares.
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_job_claim_item(key, claim),
                ConditionExpression="attribute_not_exists(event_id)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            held = self.job_claim(key)
            if held is None:  # deleted in between (by hand): nobody holds it, so try once more
                return self.claim_job(key, claim)
            return held
        return claim

    def job_claim(self, key: str) -> JobClaim | None:
        response = self._client.get_item(TableName=self._table, Key={"event_id": {"S": key}}, ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            return None
        created = item.get("job_created_at", {}).get("S")
        return JobClaim(
            event_id=item["judged_by"]["S"],
            trigger=item["trigger"]["S"],
            at=item["occurred_at"]["S"],
            created_at=created,
        )

    def replace_job_claim(self, key: str, claim: JobClaim, held: JobClaim) -> JobClaim:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_job_claim_item(key, claim),
                ConditionExpression="judged_by = :held",
                ExpressionAttributeValues={":held": {"S": held.event_id}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return self.job_claim(key) or self.claim_job(key, claim)
        return claim

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

    def attach_review(self, event_id: str, review: ReviewRecord) -> ReviewRecord | None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"event_id": {"S": event_id}},
                UpdateExpression="SET review = :review",
                ConditionExpression="attribute_exists(event_id) AND attribute_not_exists(review)",
                ExpressionAttributeValues={":review": {"S": review.model_dump_json()}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Either no record, or a review is there already: a consistent read tells which.
            record = self.get(event_id)
            if record is None:
                raise AuditRecordNotFound(f"no audit record for event id {event_id}") from None
            if record.review is None:  # the condition failed on a record without a review: cannot happen
                raise
            return record.review
        return None


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


# --- the price cache --------------------------------------------------------------------------------------

_BATCH_LIMIT = 25  # BatchWriteItem takes at most 25 items
_BATCH_ATTEMPTS = 5


def _price_key(region: str, instance_type: str) -> str:
    return f"{region}#{instance_type}"


def _price_item(price: CachedPrice) -> dict[str, Any]:
    item: dict[str, Any] = {
        "price_key": {"S": _price_key(price.region, price.instance_type)},
        "region": {"S": price.region},
        "instance_type": {"S": price.instance_type},
        "fetched_at": {"S": price.fetched_at.isoformat()},
        "origin": {"S": price.origin},
        # DynamoDB's TTL deletes the item some time after this epoch second; readers check it themselves.
        "expires_at": {"N": str(int(price.expires_at.timestamp()))},
    }
    if price.usd_per_hour is not None:
        item["usd_per_hour"] = {"N": repr(price.usd_per_hour)}
    return item


def _cached_price(item: dict[str, Any]) -> CachedPrice:
    usd = item.get("usd_per_hour", {}).get("N")
    return CachedPrice(
        region=item["region"]["S"],
        instance_type=item["instance_type"]["S"],
        usd_per_hour=float(usd) if usd is not None else None,
        fetched_at=datetime.fromisoformat(item["fetched_at"]["S"]),
        expires_at=datetime.fromtimestamp(int(item["expires_at"]["N"]), UTC),
        origin=item.get("origin", {}).get("S", "AWS Price List API"),
    )


class DynamoDbPriceCache:
    """The shared price cache: one item per (region, instance type), expiring by DynamoDB TTL."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("dynamodb:GetItem", "dynamodb:BatchWriteItem")

    def __init__(self, client: Any, table_name: str, *, write_attempts: int = _BATCH_ATTEMPTS) -> None:
        self._client = client
        self._table = table_name
        self._write_attempts = write_attempts

    def get(self, region: str, instance_type: str) -> CachedPrice | None:
        try:
            response = self._client.get_item(
                TableName=self._table, Key={"price_key": {"S": _price_key(region, instance_type)}}
            )
            return _cached_price(response["Item"]) if "Item" in response else None
        except (BotoCoreError, ClientError, KeyError, ValueError) as error:
            raise PriceCacheUnavailable(str(error)) from error

    def put(self, prices: list[CachedPrice]) -> None:
        requests = [{"PutRequest": {"Item": _price_item(price)}} for price in prices]
        try:
            for start in range(0, len(requests), _BATCH_LIMIT):
                pending = {self._table: requests[start : start + _BATCH_LIMIT]}
                for attempt in range(self._write_attempts):
                    if attempt:
                        time.sleep(0.05 * 2**attempt)  # DynamoDB asks for backoff before unprocessed items
                    pending = self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                    if not pending:
                        break
                else:
                    raise PriceCacheUnavailable(f"{len(pending[self._table])} price(s) left unprocessed")
        except (BotoCoreError, ClientError) as error:
            raise PriceCacheUnavailable(str(error)) from error


def _job_claim_item(key: str, claim: JobClaim) -> dict[str, Any]:
    """A job's claim as the audit table keeps it: an item of its own type, keyed by the job (job_claim_key)."""
    item = {
        "event_id": {"S": key},
        "record_type": {"S": JOB_CLAIM_TYPE},
        "occurred_at": {"S": claim.at},
        "judged_by": {"S": claim.event_id},
        "trigger": {"S": claim.trigger},
    }
    if claim.created_at:
        item["job_created_at"] = {"S": claim.created_at}
    return item
