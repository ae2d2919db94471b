"""The one place boto3 sessions and clients are made, with the retry and timeout settings of each caller.

The Lambda has 30 s in all, so its clients give up sooner than the CLI's, which a person waits on and
which may page through a whole account. Standard retry mode backs off on throttling in both.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config

# The deployed functions: a few quick attempts, well inside the function's timeout.
FUNCTION_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=10)
# The CLI (lint, scan, report, prices): more patience, since nobody is waiting on a timeout.
CLI_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session for a named profile and region (None: the environment's)."""
    # Imported here: the composition root imports this module, and `lint` must not pay for boto3.
    import boto3

    return boto3.session.Session(profile_name=profile, region_name=region)


def function_client(service: str) -> Any:
    """A client for the deployed functions: the function's own credentials and region."""
    return session().client(service, config=FUNCTION_CLIENT_CONFIG)


def cli_client(service: str, *, aws_session: Any = None, region: str | None = None) -> Any:
    """A client for the CLI, from a session (profile) when given, in `region` when given."""
    source = aws_session if aws_session is not None else session()
    return source.client(service, region_name=region, config=CLI_CLIENT_CONFIG)
