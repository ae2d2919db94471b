"""--prices auto|live|bundled for lint (and scan): where prices come from, and which AWS calls that costs.

`live` runs in-process with a Price List client double that answers GetProducts as the API does
(PriceList items as JSON strings), so each test counts the calls; `auto` and `bundled` run the command in
a subprocess with a clean environment and look at which modules it loaded.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.cli import build_parser
from hpo_guardrail.cli.lint import run_lint
from hpo_guardrail.cli.options import PRICES_CHOICES
from hpo_guardrail.linting import prices as linting_prices
from hpo_guardrail.linting.inputs import LintOptions
from tests.builders import continuous, training_definition, tuning_request
from tests.cli.conftest import write_json
from tests.integration.test_price_refresh import price_item

LIVE_PRICES = {("us-west-2", "ml.g5.xlarge"): "1.6240000000", ("us-west-2", "ml.p4d.24xlarge"): "37.6880000000"}


class PricingClientDouble:
    """Answers GetProducts for one (region, instance type) from LIVE_PRICES; records every request."""

    def __init__(self, prices: dict[tuple[str, str], str] | None = None, *, fail: bool = False) -> None:
        self.prices = LIVE_PRICES if prices is None else prices
        self.fail = fail
        self.requests: list[tuple[str, str]] = []

    def get_products(self, **request: Any) -> dict[str, Any]:
        filters = {f["Field"]: f["Value"] for f in request["Filters"]}
        # The type is named by its usage type (USW2-Train:ml.x) where the region's prefix is known, else by name.
        instance_type = filters["usagetype"].partition(":")[2] if "usagetype" in filters else filters["instanceName"]
        asked = (filters["regionCode"], instance_type)
        self.requests.append(asked)
        if self.fail:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://api.pricing.us-east-1.amazonaws.com")
        usd = self.prices.get(asked)
        return {"FormatVersion": "aws_v1", "PriceList": [price_item(asked[1], usd, region=asked[0])] if usd else []}


def sweep(name: str, instance_type: str) -> dict[str, Any]:
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
        max_jobs=10,
        definition=training_definition(instance_type, 1, 3600),
    )


def lint_in_process(
    *paths: Path, prices: str, cache: Path, client: Any, env: dict[str, str] | None = None, region: str = "us-west-2"
) -> tuple[int, list[dict[str, Any]], str]:
    options = LintOptions(paths=[str(p) for p in paths], region=region, output_format="json", prices=prices)
    stdout, stderr = io.StringIO(), io.StringIO()
    environ = {"HPO_GUARDRAIL_CACHE_DIR": str(cache), "HOME": str(cache / "home")} | (env or {})
    status = run_lint(
        options, stdin=io.StringIO(), stdout=stdout, stderr=stderr, environ=environ, pricing_client=client
    )
    return status, json.loads(stdout.getvalue()), stderr.getvalue()


def test_the_parser_offers_exactly_the_choices_the_price_books_know():
    assert PRICES_CHOICES == linting_prices.PRICES_CHOICES
    for command in ("lint", "scan"):
        assert build_parser().parse_args([command, *(["x.json"] if command == "lint" else [])]).prices == "auto"


def test_live_asks_the_api_once_per_region_and_type_and_the_next_run_answers_from_the_local_cache(tmp_path):
    files = [
        write_json(tmp_path / "a.json", sweep("a-g5", "ml.g5.xlarge")),
        write_json(tmp_path / "b.json", sweep("b-p4d", "ml.p4d.24xlarge")),
        write_json(tmp_path / "c.json", sweep("c-g5", "ml.g5.xlarge")),
    ]
    cache = tmp_path / "cache"
    first_client = PricingClientDouble()

    status, reports, stderr = lint_in_process(*files, prices="live", cache=cache, client=first_client)

    assert status == 0 and stderr == ""
    assert first_client.requests == [("us-west-2", "ml.g5.xlarge"), ("us-west-2", "ml.p4d.24xlarge")]
    first = [r["cost"]["prices"] for r in reports]
    assert [p["source"] for (p,) in first] == ["live", "live", "cache"]
    assert first[1][0] | {"as_of": None} == {
        "instance_type": "ml.p4d.24xlarge",
        "usd_per_hour": 37.688,
        "source": "live",
        "as_of": None,
        "origin": "AWS Price List API",
        "from_region": None,
    }
    assert reports[1]["cost"]["price_basis"] == "complete"
    assert reports[1]["cost"]["worst_case_usd"] == pytest.approx(37.688 * 10)
    assert (cache / "prices.json").is_file()

    second_client = PricingClientDouble()
    status, reports, stderr = lint_in_process(*files, prices="live", cache=cache, client=second_client)

    assert status == 0 and stderr == ""
    assert second_client.requests == [], "a fresh cached price needs no API call"
    assert [r["cost"]["prices"][0]["source"] for r in reports] == ["cache", "cache", "cache"]
    assert reports[1]["cost"]["worst_case_usd"] == pytest.approx(37.688 * 10)


def test_bundled_makes_no_aws_call_even_with_credentials(tmp_path):
    path = write_json(tmp_path / "a.json", sweep("a-g5", "ml.g5.xlarge"))
    client = PricingClientDouble()

    status, (report,), _ = lint_in_process(
        path, prices="bundled", cache=tmp_path / "cache", client=client, env={"AWS_ACCESS_KEY_ID": "AKIA"}
    )

    # The estimate is a finding (information): the worst case rests on another region's price.
    assert status == 1 and client.requests == []
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("unknown-price", "info")]
    assert not (tmp_path / "cache").exists(), "bundled neither reads nor writes the cache"
    (price,) = report["cost"]["prices"]
    # us-west-2 has no bundled ml.g5.xlarge price: the us-east-1 one, labelled an estimate.
    assert (price["source"], price["from_region"]) == ("estimate", "us-east-1")
    assert report["cost"]["price_basis"] == "estimated"


def test_live_goes_on_with_the_bundled_table_when_the_api_cannot_be_asked_and_says_so(tmp_path):
    path = write_json(tmp_path / "a.json", sweep("a-m5", "ml.m5.xlarge"))
    client = PricingClientDouble(fail=True)

    status, (report,), stderr = lint_in_process(
        path, prices="live", cache=tmp_path / "cache", client=client, region="us-east-1"
    )

    assert status == 0
    assert client.requests == [("us-east-1", "ml.m5.xlarge")]
    assert report["cost"]["prices"][0]["source"] == "bundled"
    assert stderr.startswith("hpo-guardrail lint: warning: the AWS Price List API could not be asked")
    # auto falls back quietly: each price line already says where its price came from.
    status, _, stderr = lint_in_process(
        path, prices="auto", cache=tmp_path / "cache", client=client, env={"AWS_PROFILE": "ml"}, region="us-east-1"
    )
    assert status == 0 and stderr == ""


def test_a_corrupt_cache_file_is_a_warning_not_a_failure(tmp_path):
    path = write_json(tmp_path / "a.json", sweep("a-g5", "ml.g5.xlarge"))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "prices.json").write_text("{half a file", encoding="utf-8")

    status, (report,), stderr = lint_in_process(path, prices="live", cache=cache, client=PricingClientDouble())

    assert status == 0
    assert report["cost"]["prices"][0]["source"] == "live"
    assert stderr.count("could not be read") == 1 and "treated as empty" in stderr
    assert json.loads((cache / "prices.json").read_text(encoding="utf-8"))["version"] == 1


# --- which modules a run loads --------------------------------------------------------------------------

PROBE = """
import sys
from hpo_guardrail.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "boto3": "boto3" in sys.modules}), file=sys.stderr)
""".replace("import sys", "import json, sys", 1)


def probe_lint(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Run `hpo-guardrail lint ARGS` in a fresh interpreter with only `env`; what it loaded, and its stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, "lint", *args],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home")} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(completed.stderr.strip().splitlines()[-1]), completed.stdout


def test_auto_without_credentials_is_bundled_and_never_imports_boto3(tmp_path):
    write_json(tmp_path / "a.json", sweep("a-g5", "ml.g5.xlarge"))
    cache = tmp_path / "cache"

    loaded, stdout = probe_lint(tmp_path, "a.json", "--format", "json", env={"HPO_GUARDRAIL_CACHE_DIR": str(cache)})

    assert loaded == {"status": 0, "boto3": False}
    (report,) = json.loads(stdout)
    assert report["cost"]["prices"][0]["source"] == "bundled"
    assert not cache.exists()


def test_bundled_never_imports_boto3_even_with_credentials(tmp_path):
    write_json(tmp_path / "a.json", sweep("a-g5", "ml.g5.xlarge"))
    credentials = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}

    loaded, _ = probe_lint(tmp_path, "a.json", "--prices", "bundled", env=credentials)

    assert loaded == {"status": 0, "boto3": False}


def test_auto_with_a_warm_cache_answers_without_making_a_client(tmp_path):
    write_json(tmp_path / "a.json", sweep("a-p4d", "ml.p4d.24xlarge"))
    cache = tmp_path / "cache"
    lint_in_process(tmp_path / "a.json", prices="live", cache=cache, client=PricingClientDouble())
    # A laptop with an AWS config: auto means live; the cache is warm, so no client is made, boto3 stays unloaded.
    (tmp_path / "home" / ".aws").mkdir(parents=True)
    (tmp_path / "home" / ".aws" / "config").write_text("[default]\nregion = us-west-2\n", encoding="utf-8")
    env = {"HPO_GUARDRAIL_CACHE_DIR": str(cache), "AWS_EC2_METADATA_DISABLED": "true"}

    loaded, stdout = probe_lint(tmp_path, "a.json", "--region", "us-west-2", env=env)

    assert loaded == {"status": 0, "boto3": False}
    assert "price ml.p4d.24xlarge $37.688/h, cached from the AWS Price List API (fetched" in stdout
