"""The CLI's evaluator: the deployed function's (settings, policy source, base layer), with the CLI's AWS access.

The function reads an `ssm:/name` policy with its own role in its own region. The CLI reads it as the
user's `--profile` in `--region` (else the profile's or the environment's region; with none, the command
fails with one line and exit 2 rather than guess), like every other AWS call the CLI makes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hpo_guardrail.enforce.evaluator import Evaluator, utc_now
from hpo_guardrail.enforce.policy_source import PolicySource, is_ssm
from hpo_guardrail.enforce.settings import Settings
from rules.prices import PriceBook


def cli_evaluator(
    *,
    policy: str | None,
    environ: Mapping[str, str] = os.environ,
    prices: PriceBook | None = None,
    profile: str | None = None,
    region: str | None = None,
    aws_session: Any = None,
    clock: Callable[[], datetime] = utc_now,
) -> Evaluator:
    """The evaluator `lint`, `scan` and `prices show` use; `policy` (--policy) overrides GUARDRAIL_POLICY.

    Raises SettingsError (a ValueError) for bad settings and AwsCallFailed when an SSM policy's reader cannot be
    made (no such profile, no region).
    """
    settings = Settings.from_environ(environ)
    spec = policy or settings.policy
    ssm = None
    if is_ssm(spec):
        # Imported here: a policy file or the default policy needs no boto3.
        from hpo_guardrail.adapters.clients import cli_parameter_store

        ssm = cli_parameter_store(aws_session=aws_session, profile=profile, region=region)
    source = PolicySource(spec, settings.policy_max_age_seconds, ssm=ssm)
    return Evaluator(source, settings.base_layer(deployed=False), prices, clock=clock)


def check_profile(profile: str | None) -> None:
    """Raise AwsCallFailed when --profile names a profile that does not exist (before any work is done)."""
    if profile:
        from hpo_guardrail.adapters.clients import session

        session(profile)
