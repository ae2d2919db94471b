"""What `lint --fix` on requests (linting/autofix.py) and on SDK code (linting/sdk_lint.py) share: how many rounds
of fixes run, how a fix is named in a report, and the line breaks an edited file keeps. Light on purpose: SDK
linting (run by the pre-commit hook on every .py file) imports it without autofix's botocore client and request
shapes, and request linting without libcst."""

from __future__ import annotations

import re

from rules.findings import Finding

MAX_ROUNDS = 4  # a fix can reveal another (a smaller MaxNumberOfTrainingJobs that no longer fits the Grid)


def fix_label(finding: Finding) -> str:
    """How a fix is named in a report (`not_applied`'s keys): the finding's rule, definition and parameter."""
    return " ".join(part for part in (finding.rule, finding.definition, finding.parameter) if part)


def keep_line_breaks(original: str | None, edited: str) -> str:
    """`edited` with the original's line breaks: when every line of the original ends in CRLF, a line the edit
    added (which the editors end with LF) ends in CRLF too. The lines already there keep their bytes."""
    if not original or "\r\n" not in original or original.count("\n") != original.count("\r\n"):
        return edited
    return re.sub(r"(?<!\r)\n", "\r\n", edited)
