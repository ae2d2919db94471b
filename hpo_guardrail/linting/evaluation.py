"""The CLI's evaluator: the deployed function's (settings, policy source, base layer), with the CLI's AWS access.

The function reads an `ssm:/name` policy with its own role in its own region. The CLI reads it as the
user's `--profile` in `--region` (else the profile's or the environment's region; with none, the command
fails with one line and exit 2 rather than guess), like every other AWS call the CLI makes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hpo_guardrail.enforce.evaluator import Evaluator, utc_now
from hpo_guardrail.enforce.policy_source import PolicySource, is_ssm
from hpo_guardrail.enforce.settings import Settings
from rules.assessment import DEFAULT_REGION
from rules.prices import PriceBook

if TYPE_CHECKING:
    from hpo_guardrail.linting.prices import CliPrices


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


@dataclass(frozen=True)
class AccountEvaluation:
    """What `scan` and `review` judge jobs of an account with: the prices --prices chose, the AWS session of
    --profile, the region (--region, else the profile's, else DEFAULT_REGION) and the evaluator."""

    prices: CliPrices
    aws: Any
    region: str
    evaluator: Evaluator


def account_evaluation(
    *,
    policy: str | None,
    prices: str,
    profile: str | None,
    region: str | None,
    open_session: Callable[..., Any],
    environ: Mapping[str, str] = os.environ,
    pricing_client: Any = None,
    clock: Callable[[], datetime] = utc_now,
) -> AccountEvaluation:
    """Prices, session, region and evaluator for a command that reads an account's jobs; raises ValueError or
    AwsCallFailed (one line each) for bad options, settings or a policy that cannot be read."""
    # Imported here: lint builds its evaluator without a session and needs none of it.
    from hpo_guardrail.linting.prices import cli_prices

    chosen = cli_prices(prices, profile=profile, environ=environ, pricing_client=pricing_client, clock=clock)
    aws = open_session(profile, region)
    where = region or aws.region_name or DEFAULT_REGION
    # An ssm: policy is read as the same profile, in that region.
    evaluator = cli_evaluator(
        policy=policy, environ=environ, prices=chosen.book, aws_session=aws, region=where, clock=clock
    )
    evaluator.document()  # a policy that cannot be read fails here, naming the file and the field
    return AccountEvaluation(chosen, aws, where, evaluator)
