"""AWS Region billing codes: the prefix a region's usage types carry in the Price List ("USE1-Train:...").

Kept apart from the Price List adapter so that the CLI can name the known regions in its help
without importing the adapter's models.
"""

from __future__ import annotations

from collections.abc import Mapping

# Usage-type region prefixes, as AWS documents them in "AWS Region billing codes" (Global Infrastructure
# guide) and in the region list of "Understanding your AWS billing and usage reports for Amazon S3".
# Ireland is the odd one out: plain "EU". A region missing here is refused rather than guessed.
REGION_PREFIXES: Mapping[str, str] = {
    "us-east-1": "USE1",
    "us-east-2": "USE2",
    "us-west-1": "USW1",
    "us-west-2": "USW2",
    "eu-west-1": "EU",
    "eu-west-2": "EUW2",
    "eu-central-1": "EUC1",
    "ap-northeast-1": "APN1",
    "ap-southeast-1": "APS1",
    "ap-southeast-2": "APS2",
    "ap-south-1": "APS3",
}


class UnknownRegion(ValueError):
    """A region whose usage-type prefix is not in REGION_PREFIXES."""


def region_prefix(region: str) -> str:
    """The usage-type prefix of a region (us-east-1 -> USE1, eu-west-1 -> EU)."""
    try:
        return REGION_PREFIXES[region]
    except KeyError:
        known = ", ".join(sorted(REGION_PREFIXES))
        raise UnknownRegion(f"no usage-type prefix is known for {region} (known: {known})") from None
