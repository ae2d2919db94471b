"""The embedded default: an emulated AWS (moto on 127.0.0.1) with template.yaml deployed into it.

Not part of the Lambda artifact. Modules:

- `moto_extensions`: the one place where the emulator is extended (what moto lacks, and why).
- `emulator`: `EmbeddedAws`, the running server, its clients and the environment for plain boto3.
- `deployment`: `deploy_template`, what `sam package` + `sam deploy` do, into the emulator.
- `lambda_runtime`: `FunctionRunner`, the deployed function's handler run in-process as Lambda runs it.
- `event_bus`: CloudTrail events put on the default bus and delivered through the deployed rule.
- `sns_capture`: what the deployed topic published, as a subscribed queue and the email mailbox see it.
- `tuning_jobs`: tuning jobs created in the emulator from the CloudTrail events that describe them.
- `demo`: `hpo-guardrail demo`.
"""
