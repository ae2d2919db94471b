"""The domain core of HPO Guardrail: typed tuning requests, the checks, the cost model and the decision.

Pure Python over pydantic models. Nothing here imports boto3 or does I/O besides reading the
package's own data files, so the Lambda, the CLI and the reports share one engine.
"""
