"""How many real tuning configurations get a complete worst-case cost offline, from the bundled table alone.

    .venv/bin/python bench/price_coverage.py [--region us-east-1]

The configurations (tests/data/public_tuning_examples.json) are the instance types of tuning jobs in
public SageMaker examples (aws/amazon-sagemaker-examples), each with the notebook it comes from. The
target is 90%; docs/benchmarks.md keeps the figure.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from rules.prices import BundledPrices, PriceSource

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "data" / "public_tuning_examples.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    prices = BundledPrices()
    sources: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    for example in examples:
        quote = prices.quote(args.region, example["instance_type"])
        sources[quote.source.value if quote else "unknown"] += 1
        if quote is None:
            missing[example["instance_type"]] += 1
    total = len(examples)
    complete = sources[PriceSource.BUNDLED.value]
    print(f"{total} public tuning configurations, {args.region}, bundled table as of {prices.as_of}:")
    print(f"  complete (bundled price)   {complete:3} ({complete / total:.0%})")
    print(f"  estimated (another region) {sources[PriceSource.ESTIMATE.value]:3}")
    print(
        f"  unknown                    {sources['unknown']:3}: "
        + ", ".join(f"{t} x{n}" for t, n in missing.most_common())
    )


if __name__ == "__main__":
    main()
