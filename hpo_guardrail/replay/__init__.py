"""`hpo-guardrail replay`: the audit trail's recorded requests judged again under a candidate policy.

`judge` evaluates a record again (the stored request, context, deployment layer and prices), `compare`
sets each replay against what was recorded and counts the changes per scope, `render` writes text or
JSON. Nothing here does I/O; the command (hpo_guardrail/cli/replay.py) reads the table and the policy.
"""
