"""The one place AWS sessions and clients are made (boto3 for the CLI, botocore for the functions), with the retry
and timeout settings of each caller.

The Lambda has 30 s in all, so its clients give up sooner than the CLI's, which a person waits on and
which may page through a whole account. Standard retry mode backs off on throttling in both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# The deployed functions: a few quick attempts, well inside the function's timeout.
FUNCTION_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=10)
# A read the guardrail makes on its way to a decision (the price cache): fails fast, the bundled table is behind it.
QUICK_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=1)
# The CLI (lint, scan, report, prices) and batch work (the weekly price refresh): more patience.
CLI_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class AwsCallFailed(Exception):
    """AWS could not be asked or refused: no such profile, no region, no credentials or network, throttled past
    the retries, access denied. The message is one line (`describe_aws_error`): what failed and what to do."""


def describe_aws_error(error: BaseException) -> str:
    """One line saying what went wrong with an AWS call, with the fix when it is a matter of configuration."""
    from botocore.exceptions import NoCredentialsError, NoRegionError, PartialCredentialsError, ProfileNotFound

    if isinstance(error, AwsCallFailed):
        return str(error)
    if isinstance(error, NoRegionError):
        return "no AWS region: give --region, or set AWS_REGION (or a region in the AWS profile)"
    if isinstance(error, ProfileNotFound):
        profile = error.kwargs.get("profile", "?")
        return (
            f"the AWS profile {profile!r} does not exist (named by --profile or AWS_PROFILE; profiles live in "
            "~/.aws/config, or where AWS_CONFIG_FILE points)"
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return "no AWS credentials: give --profile, set AWS_PROFILE or AWS_ACCESS_KEY_ID, or log in (aws sso login)"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Unknown"), (details.get("Message") or "").strip()
        operation = getattr(error, "operation_name", None) or "the call"
        return " ".join(f"AWS refused {operation}: {code}{f': {message}' if message else ''}".split())
    return " ".join(str(error).split()) or type(error).__name__


@contextmanager
def aws_call() -> Iterator[None]:
    """Raise botocore's errors in the block as AwsCallFailed, so that code outside adapters/ needs no botocore."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise AwsCallFailed(describe_aws_error(error)) from error


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session for a named profile and region (None: the environment's); raises AwsCallFailed."""
    # Imported here: the composition root imports this module, and `lint` must not pay for boto3.
    import boto3

    with aws_call():
        return boto3.session.Session(profile_name=profile, region_name=region)


def _function_session() -> Any:
    """The deployed function's session: botocore's own, since the functions need its clients and nothing of boto3's
    (resources, S3 transfers); importing boto3 as well would cost about 40 ms of every cold start."""
    import botocore.session

    return botocore.session.Session()


class FunctionClients:
    """A deployed function's clients, all from one botocore session, each made once.

    One botocore session, because a session's loader reads botocore's endpoint rules, retry settings and each service's
    model once and keeps them: every client after the first costs only its own model (a session per client read
    them all again, about 40 ms each at a cold start). Making clients from one session is not thread-safe, so a
    lock guards it (the clients themselves are). `lazy` hands out a client that is made when first used, for the
    services only some events call (the Price List API, SageMaker in another region).
    """

    def __init__(self, make_session: Callable[[], Any] | None = None) -> None:
        self._make_session = make_session
        self._session: Any = None
        self._clients: dict[tuple[str, str | None, Config], Any] = {}
        self._promised: list[tuple[str, Config, str | None]] = []
        self._lock = threading.Lock()

    def client(self, service: str, *, config: Config = FUNCTION_CLIENT_CONFIG, region: str | None = None) -> Any:
        """The client of `service` in `region` (None: the function's) with `config`, made on the first call."""
        key = (service, region, config)  # a Config compares and hashes by identity; the key keeps it alive
        with self._lock:
            if key not in self._clients:
                if self._session is None:
                    self._session = (self._make_session or _function_session)()
                self._clients[key] = self._session.create_client(service, config=config, region_name=region)
            return self._clients[key]

    def lazy(self, service: str, *, config: Config = FUNCTION_CLIENT_CONFIG, region: str | None = None) -> Any:
        """A stand-in that makes the client on its first attribute access (`client.meta`, `client.describe_...`)."""
        with self._lock:
            self._promised.append((service, config, region))
        return _LazyClient(lambda: self.client(service, config=config, region=region))

    def make_all(self) -> list[str]:
        """Make every client promised by `lazy` now (before a SnapStart snapshot); the services made, sorted."""
        with self._lock:
            promised = list(self._promised)
        for service, config, region in promised:
            self.client(service, config=config, region=region)
        return self.made()

    def made(self) -> list[str]:
        """The services whose clients exist, for logs and tests."""
        with self._lock:
            return sorted({service for service, _, _ in self._clients})


class _LazyClient:
    """A boto3 client made when first used; behaves as the client from then on."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes the stand-in lacks: everything of the client's.
        return getattr(self._make(), name)


def cli_client(service: str, *, aws_session: Any = None, region: str | None = None) -> Any:
    """A client for the CLI, from a session (profile) when given, in `region` when given; raises AwsCallFailed."""
    source = aws_session if aws_session is not None else session()
    with aws_call():
        return source.client(service, region_name=region, config=CLI_CLIENT_CONFIG)


def cli_parameter_store(*, aws_session: Any = None, profile: str | None = None, region: str | None = None) -> Any:
    """The SSM reader of an `ssm:/name` policy for the CLI: as the profile (or `aws_session`), in the region
    (None: the profile's or environment's; none at all is an error); raises AwsCallFailed."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from hpo_guardrail.adapters.ssm import SsmParameters

    source = aws_session if aws_session is not None else session(profile, region)
    return SsmParameters(SSMProvider(boto3_client=cli_client("ssm", aws_session=source, region=region)))
