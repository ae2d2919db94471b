"""STS: AssumeRole checks that the role exists and that its trust policy admits the caller.

moto hands out credentials for any role ARN, existing or not, whoever asks. AWS refuses with
AccessDenied unless the role exists and a statement of its trust policy admits the caller: the caller's
ARN exactly (a role is matched by its role ARN, not the session's), the caller's account (id or root),
or, for a service, its service principal; with the statement's conditions (`aws:PrincipalOrgID` against
the organization the emulator holds, `aws:PrincipalAccount`, `aws:PrincipalArn`, `sts:ExternalId`).
The member role of an organization-wide deployment is only safe if this is true, so the emulator makes
it true.

The caller is who the request's credentials say (moto's own mapping: keys from AssumeRole belong to
the role's account, keys of an IAM user to the user's account, anything else to the account the request
names, as the account root). An AWS service assuming a role (Lambda its execution role, EventBridge a
target's role) is a request with the `x-embedded-aws-service-principal` header naming the service.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends
from moto.sts.models import STSBackend, sts_backends
from moto.sts.responses import TokenResponse

from hpo_guardrail.embedded.moto_extensions.principals import (
    ConditionContext,
    Principal,
    evaluate,
    trust_policy_of,
)

# On AssumeRole: the service principal (e.g. lambda.amazonaws.com) that assumes the role. Real
# AssumeRole has no such parameter; in AWS the service's own identity says it.
SERVICE_PRINCIPAL_HEADER = "x-embedded-aws-service-principal"
_PARTITION = "aws"
_request = threading.local()


@dataclass(frozen=True)
class AssumeRoleCall:
    """One AssumeRole request: who asked, for which role and session, and whether the trust policy admitted it."""

    caller_arn: str
    role_arn: str
    session_name: str
    admitted: bool


class AssumeRoleLog:
    """Every AssumeRole request the emulator answered (what the member account's CloudTrail would show)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[AssumeRoleCall] = []

    def record(self, call: AssumeRoleCall) -> None:
        with self._lock:
            self._calls.append(call)

    def of_role(self, role_arn: str) -> list[AssumeRoleCall]:
        """The requests for one role, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.role_arn == role_arn]

    def into_account(self, account_id: str) -> list[AssumeRoleCall]:
        """The requests for any role of one account, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.role_arn.split(":")[4:5] == [account_id]]


ASSUME_ROLE_CALLS = AssumeRoleLog()


class AccessDenied(ServiceException):
    """STS's refusal (HTTP 403), with AWS's message shape."""

    code = "AccessDenied"

    def __init__(self, message: str) -> None:
        super().__init__(message)


def extend_sts() -> None:
    original_action = TokenResponse.assume_role
    original_backend = STSBackend.assume_role

    def assume_role_action(self: TokenResponse) -> Any:
        _request.caller = caller_of(self.current_account, self.get_access_key(), self.headers)
        try:
            return original_action(self)
        finally:
            _request.caller = None

    def assume_role_if_trusted(
        self: STSBackend,
        region_name: str,
        role_session_name: str,
        role_arn: str,
        policy: str,
        duration: int,
        external_id: str,
    ) -> Any:
        caller: Principal | None = getattr(_request, "caller", None)
        # None: moto calling itself in-process (CloudFormation, tests), which no trust policy governs.
        if caller is not None:
            refusal = trust_refusal(caller, role_arn, external_id)
            ASSUME_ROLE_CALLS.record(AssumeRoleCall(caller.arn, role_arn, role_session_name, refusal is None))
            if refusal is not None:
                raise AccessDenied(
                    f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: "
                    f"{role_arn} ({refusal})"
                )
        return original_backend(self, region_name, role_session_name, role_arn, policy, duration, external_id)

    TokenResponse.assume_role = assume_role_action  # type: ignore[method-assign]
    STSBackend.assume_role = assume_role_if_trusted  # type: ignore[method-assign]


def caller_of(account_id: str, access_key: str, headers: Any) -> Principal:
    """The principal a request's credentials stand for."""
    service = headers.get(SERVICE_PRINCIPAL_HEADER)
    if service:
        return Principal.for_service(service)
    assumed = sts_backends[account_id][_PARTITION].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        return Principal(arn=assumed.role_arn, account_id=assumed.account_id)
    user = iam_backends[account_id][_PARTITION].get_user_from_access_key_id(access_key)
    if user is not None:
        return Principal(arn=user.arn, account_id=account_id)
    return Principal.account_root(account_id)


def trust_refusal(caller: Principal, role_arn: str, external_id: str | None) -> str | None:
    """Why the role's trust policy refuses the caller, or None when it admits them."""
    policy = trust_policy_of(role_arn)
    if policy is None:
        return "the role does not exist"
    extra = {"sts:ExternalId": external_id} if external_id else {}
    decision = evaluate(policy, "sts:AssumeRole", role_arn, ConditionContext(caller, extra))
    return None if decision.allowed else decision.reason
