"""Stand-ins for STS and SageMaker clients of several accounts (unit tests of the organization-wide path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

HOME = "111111111111"
MEMBER_B = "222222222222"
MEMBER_C = "333333333333"
HOME_REGION = "us-east-1"
ORGANIZATION = "o-abcdefghij"


@dataclass
class FakeSageMakerClient:
    """The two SageMaker calls the job controller makes, for the jobs of one account and region."""

    account: str
    region: str
    statuses: dict[str, str] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    refuse_stop: str | None = None  # an error code StopHyperParameterTuningJob answers with

    def describe_hyper_parameter_tuning_job(self, HyperParameterTuningJobName: str) -> dict[str, Any]:  # noqa: N803
        if HyperParameterTuningJobName not in self.statuses:
            raise _error("ResourceNotFound", "DescribeHyperParameterTuningJob")
        return {"HyperParameterTuningJobStatus": self.statuses[HyperParameterTuningJobName]}

    def stop_hyper_parameter_tuning_job(self, HyperParameterTuningJobName: str) -> None:  # noqa: N803
        if self.refuse_stop:
            raise _error(self.refuse_stop, "StopHyperParameterTuningJob")
        self.stopped.append(HyperParameterTuningJobName)
        self.statuses[HyperParameterTuningJobName] = "Stopping"


@dataclass
class Accounts:
    """Every account's and region's SageMaker, and a clock the STS fake reads to date its credentials."""

    now: float = 1_800_000_000.0
    clients: dict[tuple[str, str], FakeSageMakerClient] = field(default_factory=dict)

    def sagemaker(self, account: str, region: str) -> FakeSageMakerClient:
        return self.clients.setdefault((account, region), FakeSageMakerClient(account, region))

    def clock(self) -> float:
        return self.now


@dataclass
class FakeStsClient:
    """AssumeRole into `<account>:role/<name>`: refused for the accounts in `refusing`."""

    accounts: Accounts
    refusing: set[str] = field(default_factory=set)
    session_seconds: int = 900
    calls: list[dict[str, Any]] = field(default_factory=list)

    def assume_role(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        account = arguments["RoleArn"].split(":")[4]
        if account in self.refusing:
            raise _error(
                "AccessDenied",
                "AssumeRole",
                f"User: arn:aws:sts::{HOME}:assumed-role/guardrail/fn is not authorized to perform: "
                f"sts:AssumeRole on resource: {arguments['RoleArn']}",
            )
        expires = datetime.fromtimestamp(self.accounts.now + self.session_seconds, UTC)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{account}",
                "SecretAccessKey": "secret",
                "SessionToken": f"token-{len(self.calls)}",
                "Expiration": expires,
            }
        }


@dataclass
class FakeAssumedSession:
    """What boto3.session.Session(credentials) is: clients of the credentials' account."""

    accounts: Accounts
    account: str
    token: str
    made: list[tuple[str, str]] = field(default_factory=list)

    def client(self, service: str, region_name: str, config: Any = None) -> FakeSageMakerClient:
        assert service == "sagemaker"
        self.made.append((service, region_name))
        return self.accounts.sagemaker(self.account, region_name)


@dataclass
class SessionFactory:
    accounts: Accounts
    sessions: list[FakeAssumedSession] = field(default_factory=list)

    def __call__(self, access_key: str, secret_key: str, token: str) -> FakeAssumedSession:
        session = FakeAssumedSession(self.accounts, access_key.removeprefix("ASIA"), token)
        self.sessions.append(session)
        return session


def _error(code: str, operation: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message or code}}, operation)
