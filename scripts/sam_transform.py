"""Print the CloudFormation template the SAM transform makes of template.yaml, offline.

`make checkov` scans it besides template.yaml: the transform writes the functions' IAM roles, the
schedules' execution roles and the event invoke configs, which the SAM template only implies.

Usage: .venv/bin/python scripts/sam_transform.py [template.yaml] > build/template.transformed.json
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# Stand-ins for what `sam package` and the CloudFormation service supply; the output is only scanned.
PLACEHOLDER_CODE_URI = "s3://placeholder-artifacts/code.zip"
PSEUDO_PARAMETERS = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}


class _NoManagedPolicies:
    """The template names no managed policy, so the translator has none to look up."""

    def load(self) -> dict[str, str]:
        return {}


def transformed(template_path: Path, pseudo: dict[str, str] | None = None) -> dict[str, Any]:
    """The template as CloudFormation receives it after the SAM transform; `pseudo` overrides the region,
    account or partition the transform is told (the tests render it for other regions)."""
    parameters = {**PSEUDO_PARAMETERS, **{k: v for k, v in (pseudo or {}).items() if k in PSEUDO_PARAMETERS}}
    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = PLACEHOLDER_CODE_URI
    # The translator reads the region from boto3's default session even when AWS::Region is given: set it for
    # the transform, then put back what was there.
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = parameters["AWS::Region"]
    try:
        result: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved
    return result


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path("template.yaml")
    json.dump(transformed(path), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
