"""Prices at run time: the lookup chain (memory, cache, the Price List API, the bundled table, an
estimate) that the deployed guardrail and the CLI evaluate with, and the caches behind it."""
