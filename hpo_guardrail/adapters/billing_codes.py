"""AWS Region billing codes: the prefix a region's usage types carry in the Price List ("USE1-Train:...").

Where a region's code is documented here, the Price List adapter accepts exactly that prefix; for any
other region it accepts any billing-code-shaped prefix and relies on the product's regionCode instead.
"""

from __future__ import annotations

from collections.abc import Mapping

# Usage-type region prefixes, as AWS documents them in "AWS Region billing codes" (Global Infrastructure
# guide) and in the region list of "Understanding your AWS billing and usage reports for Amazon S3".
# Ireland is the odd one out: plain "EU". A region missing here is read by its products' regionCode.
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
