"""`hpo-guardrail prices show TYPE`: the price, its source and age, or what the policy makes of none."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.cli import build_parser
from hpo_guardrail.cli import prices as prices_command
from tests.cli.conftest import run_cli
from tests.cli.test_prices_option import PricingClientDouble

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
BUNDLED_ORIGIN = "public AWS SageMaker pricing page figures, as collected in the project's domain notes"


def show(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *arguments: str,
    client: Any = None,
    now: datetime = NOW,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """`hpo-guardrail prices show ARGUMENTS` in-process, with the test's cache directory and clock."""
    args = build_parser().parse_args(["prices", "show", *arguments])
    environ = {"HPO_GUARDRAIL_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path / "home")} | (env or {})
    status = prices_command.run(args, pricing_client=client, now=now, environ=environ)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_bundled_price_with_its_source_and_age(capsys, tmp_path):
    status, out, err = show(capsys, tmp_path, "ml.m5.xlarge", "--region", "us-east-1", "--prices", "bundled")

    assert status == 0 and err == ""
    assert out == (
        f"ml.m5.xlarge in us-east-1: $0.23/h, bundled price table (as of 2026-11-26, 3 days ago; {BUNDLED_ORIGIN})\n"
    )


def test_an_estimate_from_another_region_says_whose_price_it_is(capsys, tmp_path):
    # ap-southeast-7 (Thailand) is not in the bundled table; no other ap-* region has the type, so us-east-1's.
    status, out, _ = show(capsys, tmp_path, "ml.g5.xlarge", "--region", "ap-southeast-7", "--prices", "bundled")

    assert status == 0
    assert out.startswith(
        "ml.g5.xlarge in ap-southeast-7: $1.408/h, estimate: the us-east-1 price ("
    ) and out.rstrip().endswith("as of 2026-11-26, 3 days ago)")

    status, out, _ = show(
        capsys, tmp_path, "ml.g5.xlarge", "--region", "ap-southeast-7", "--prices", "bundled", "--format", "json"
    )
    assert status == 0
    assert json.loads(out) == {
        "instance_type": "ml.g5.xlarge",
        "usd_per_hour": 1.408,
        "source": "estimate",
        "as_of": "2026-11-26",
        "origin": BUNDLED_ORIGIN,
        "from_region": "us-east-1",
        "region": "ap-southeast-7",
        "prices": "bundled",
    }


def test_an_unknown_accelerated_type_is_treated_as_costly_by_the_default_policy(capsys, tmp_path):
    status, out, _ = show(capsys, tmp_path, "ml.p6-b300.48xlarge", "--region", "us-east-1", "--prices", "bundled")

    assert status == 1
    first, second = out.splitlines()
    assert first == (
        "ml.p6-b300.48xlarge in us-east-1: no price known; neither the bundled table (as of 2026-11-26) nor "
        "another region in it has one (--prices live asks the AWS Price List API too)."
    )
    assert second == (
        "The policy's default unknown_price is by-family (costly for accelerated types): ml.p6-b300.48xlarge is "
        "an accelerated type, so a job on it counts as costly: the budget cap applies as if the job were over it."
    )

    status, out, _ = show(capsys, tmp_path, "ml.p6-b300.48xlarge", "--prices", "bundled", "--format", "json")
    assert status == 1
    shown = json.loads(out)
    assert shown["usd_per_hour"] is None and shown["source"] == "unknown" and shown["region"] == "us-east-1"
    assert (shown["unknown_price"], shown["accelerated"], shown["treated_as"]) == ("by-family", True, "costly")


def test_the_policy_decides_what_an_unknown_price_means(capsys, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults:\n  unknown_price: lower-bound\n", encoding="utf-8")

    status, out, _ = show(capsys, tmp_path, "ml.p6-b300.48xlarge", "--prices", "bundled", "--policy", str(policy))

    assert status == 1
    assert out.splitlines()[1] == (
        "The policy's default unknown_price is lower-bound, so a job on it counts it as $0/h and its worst case "
        "is only a lower bound."
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("defaults:\n  unknown_price: maybe\n", encoding="utf-8")
    status, _, err = show(capsys, tmp_path, "ml.p6-b300.48xlarge", "--prices", "bundled", "--policy", str(broken))
    assert status == 2 and "broken.yaml" in err


def test_live_then_cached_with_the_age_of_the_answer(capsys, tmp_path):
    client = PricingClientDouble()
    arguments = ("ml.p4d.24xlarge", "--region", "us-west-2", "--prices", "live")

    status, out, _ = show(capsys, tmp_path, *arguments, client=client)
    assert status == 0
    assert out == (
        "ml.p4d.24xlarge in us-west-2: $37.688/h, live from the AWS Price List API (2026-11-29T10:00:00Z, just now)\n"
    )

    status, out, _ = show(capsys, tmp_path, *arguments, client=client, now=NOW + timedelta(days=1))
    assert status == 0 and client.requests == [("us-west-2", "ml.p4d.24xlarge")]
    assert out == (
        "ml.p4d.24xlarge in us-west-2: $37.688/h, cached from the AWS Price List API "
        "(fetched 2026-11-29T10:00:00Z, 1 day ago)\n"
    )


def test_live_without_an_api_price_says_every_source_was_asked(capsys, tmp_path):
    client = PricingClientDouble({})

    status, out, err = show(capsys, tmp_path, "ml.trn2.48xlarge", "--prices", "live", client=client)

    assert status == 1 and err == ""
    assert out.startswith(
        "ml.trn2.48xlarge in us-east-1: no price known; neither the local price cache, the AWS Price List API, "
        "the bundled table (as of 2026-11-26) nor another region has one."
    )


def test_the_region_defaults_to_the_environments(capsys, tmp_path):
    status, out, _ = show(
        capsys, tmp_path, "ml.m5.large", "--prices", "bundled", env={"AWS_DEFAULT_REGION": "eu-west-1"}
    )
    assert status == 0 and out.startswith("ml.m5.large in eu-west-1: $0.115/h, estimate: the us-east-1 price")


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("p4d.24xlarge",), "they start with 'ml.': ml.p4d.24xlarge"),
        (("ml.m5.large", "--prices", "sometimes"), "invalid choice: 'sometimes'"),
        ((), "the following arguments are required: TYPE"),
    ],
)
def test_usage_errors_exit_2(capsys, tmp_path, arguments, said):
    with pytest.raises(SystemExit) as exit_info:
        show(capsys, tmp_path, *arguments)
    assert exit_info.value.code == 2
    assert said in capsys.readouterr().err


def test_prices_show_as_installed(tmp_path):
    known = run_cli("prices", "show", "ml.m5.xlarge", cwd=tmp_path)
    unknown = run_cli("prices", "show", "ml.p6-b300.48xlarge", "--region", "eu-west-1", cwd=tmp_path)

    # No credentials in the test's environment: auto means the bundled table.
    assert known.returncode == 0 and known.stdout.startswith("ml.m5.xlarge in us-east-1: $0.23/h, bundled price")
    assert unknown.returncode == 1 and "counts as costly" in unknown.stdout
    assert known.stderr == unknown.stderr == ""
