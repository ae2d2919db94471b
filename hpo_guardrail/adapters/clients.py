"""The one place boto3 sessions and clients are made, with the retry and timeout settings of each caller.

The Lambda has 30 s in all, so its clients give up sooner than the CLI's, which a person waits on and
which may page through a whole account. Standard retry mode backs off on throttling in both.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    """AWS could not be asked or refused: no such profile, no credentials or network, throttled past the
    retries, access denied. The message is botocore's, which names the operation and the error code."""


@contextmanager
def aws_call() -> Iterator[None]:
    """Raise botocore's errors in the block as AwsCallFailed, so that code outside adapters/ needs no botocore."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise AwsCallFailed(str(error)) from error


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session for a named profile and region (None: the environment's); raises AwsCallFailed."""
    # Imported here: the composition root imports this module, and `lint` must not pay for boto3.
    import boto3

    with aws_call():
        return boto3.session.Session(profile_name=profile, region_name=region)


def function_client(service: str, *, config: Config = FUNCTION_CLIENT_CONFIG, region: str | None = None) -> Any:
    """A client for the deployed functions: the function's own credentials (and region, unless given)."""
    return session().client(service, config=config, region_name=region)


def cli_client(service: str, *, aws_session: Any = None, region: str | None = None) -> Any:
    """A client for the CLI, from a session (profile) when given, in `region` when given; raises AwsCallFailed."""
    source = aws_session if aws_session is not None else session()
    with aws_call():
        return source.client(service, region_name=region, config=CLI_CLIENT_CONFIG)
