"""Member accounts of an organization: the guardrail acts there through each account's member role.

The central function assumes `arn:<partition>:iam::<account>:role/<MEMBER_ROLE_NAME>` only when it must act in
that account (describe and stop a tuning job). The session name carries the id of the event that made it
assume the role, so the member account's CloudTrail shows why. Credentials are kept per account and used
until shortly before they expire: a burst of stops in one account assumes the role once, and a session
reused by a later event still names the event that opened it (the central audit record names each event).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hpo_guardrail.adapters.clients import FUNCTION_CLIENT_CONFIG, describe_aws_error
from hpo_guardrail.enforce.ports import AccountAccessFailed

SESSION_NAME_PREFIX = "hpo-guardrail-"
# STS AssumeRole, RoleSessionName: 2-64 characters of [\w+=,.@-].
SESSION_NAME_LIMIT = 64
_NOT_IN_SESSION_NAME = re.compile(r"[^\w+=,.@-]", flags=re.ASCII)
# The shortest session STS grants, and how long before its end a session is no longer handed out: a stop
# that starts with it must not run into the expiry.
SESSION_SECONDS = 900
REFRESH_BEFORE_SECONDS = 300


def role_session_name(event_id: str) -> str:
    """The RoleSessionName for acting on behalf of an event: the prefix and the event id, every character
    STS refuses replaced by "-", cut to STS's 64 characters."""
    return (SESSION_NAME_PREFIX + _NOT_IN_SESSION_NAME.sub("-", event_id))[:SESSION_NAME_LIMIT]


def member_role_arn(partition: str, account: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


@dataclass(frozen=True)
class _Session:
    """One assumed-role session: its boto3 session, when its credentials expire, and what it made."""

    boto_session: Any
    expires_at: float  # epoch seconds
    session_name: str
    clients: dict[tuple[str, str], Any]


class MemberSessions:
    """Sessions of the member role, one per account, from an injected STS client of the function's own session.

    `session_factory(access_key, secret_key, token)` makes the boto3 session for a set of credentials;
    `clock` gives epoch seconds (tests inject both).
    """

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("sts:AssumeRole",)

    def __init__(
        self,
        sts_client: Any,
        role_name: str,
        *,
        partition: str | None = "aws",
        session_factory: Callable[[str, str, str], Any] | None = None,
        clock: Callable[[], float] = time.time,
        client_config: Config = FUNCTION_CLIENT_CONFIG,
    ) -> None:
        self._sts = sts_client
        self._role_name = role_name
        self._partition = partition
        self._session_factory = session_factory or _boto3_session
        self._clock = clock
        self._client_config = client_config
        self._sessions: dict[str, _Session] = {}

    def role_arn(self, account: str) -> str:
        # partition None: the STS client's, asked when a member account is first called on (the client is made then).
        if self._partition is None:
            self._partition = str(self._sts.meta.partition)
        return member_role_arn(self._partition, account, self._role_name)

    def client(self, service: str, account: str, region: str, *, event_id: str) -> Any:
        """A client of `service` in `region` acting as the member role of `account`; raises AccountAccessFailed."""
        session = self._session(account, event_id)
        key = (service, region)
        if key not in session.clients:
            session.clients[key] = session.boto_session.client(service, region_name=region, config=self._client_config)
        return session.clients[key]

    def _session(self, account: str, event_id: str) -> _Session:
        cached = self._sessions.get(account)
        if cached is not None and self._clock() < cached.expires_at - REFRESH_BEFORE_SECONDS:
            return cached
        role_arn, session_name = self.role_arn(account), role_session_name(event_id)
        try:
            response = self._sts.assume_role(
                RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=SESSION_SECONDS
            )
        except (BotoCoreError, ClientError) as error:
            self._sessions.pop(account, None)
            raise AccountAccessFailed(_refusal(account, role_arn, error)) from error
        credentials = response["Credentials"]
        session = _Session(
            boto_session=self._session_factory(
                credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
            ),
            expires_at=_epoch(credentials["Expiration"]),
            session_name=session_name,
            clients={},
        )
        self._sessions[account] = session
        return session


def _refusal(account: str, role_arn: str, error: BaseException) -> str:
    reason = describe_aws_error(error)
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in (
        "AccessDenied",
        "AccessDeniedException",
    ):
        reason += " (the account has no member role, opted out of enforcement, or is outside the organization)"
    return f"cannot act in account {account}: assuming {role_arn} failed: {reason}"


def _epoch(expiration: Any) -> float:
    """AssumeRole's Expiration: a datetime from boto3, epoch seconds or ISO text from elsewhere."""
    if isinstance(expiration, int | float):
        return float(expiration)
    if isinstance(expiration, str):
        from datetime import datetime

        return datetime.fromisoformat(expiration.replace("Z", "+00:00")).timestamp()
    return float(expiration.timestamp())


def _boto3_session(access_key: str, secret_key: str, token: str) -> Any:
    import boto3

    return boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=token
    )
