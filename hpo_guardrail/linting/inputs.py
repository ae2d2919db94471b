"""`hpo-guardrail lint`: tuning requests, CloudTrail records, EventBridge events and Describe responses.

Each input is recognised by its shape, read with the same parser as the Lambda (rules.parsing) and
evaluated with the same policy and settings (the guardrail's Evaluator). Inputs of failed calls or other APIs are
skipped with the reason, as the Lambda skips them; unreadable or malformed inputs are errors that name
the file and the field.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from hpo_guardrail.enforce.evaluator import Evaluator
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.json_patch import PatchError, split_pointer
from hpo_guardrail.linting.results import InputKind, JobReport, fail_on_level
from hpo_guardrail.linting.source_lines import YAML_SUFFIXES, SourceLines, UnreadableDocument, parse_document
from rules.events import read_event
from rules.findings import Finding
from rules.limits import FILE_MAX_CHARACTERS
from rules.models import CallContext, TuningJobCall, TuningRequest
from rules.parsing import InvalidRequest, SkippedCall, read_cloudtrail_record, read_request

STDIN = "-"
STDIN_NAME = "<stdin>"  # how reports name standard input
# Where the request sits inside each kind of input, for finding the line of a member.
REQUEST_LOCATION: dict[InputKind, tuple[str, ...]] = {
    InputKind.CREATE_REQUEST: (),
    InputKind.DESCRIBE_RESPONSE: (),
    InputKind.CLOUDTRAIL_RECORD: ("requestParameters",),
    InputKind.EVENTBRIDGE_EVENT: ("detail", "requestParameters"),
}


class UsageError(ValueError):
    """Options that do not fit together (exit code 2)."""


# The creator's ARN as CloudTrail records it (userIdentity.arn): an assumed-role session, an IAM user or role,
# a federated user. The function matches principal patterns on it and on the session issuer's role ARN.
_PRINCIPAL = re.compile(r"arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>\S+)")
_ASSUMED_ROLE = re.compile(r"assumed-role/(?P<role>[\w+=,.@-]+)/(?P<session>[\w+=,.@-]+)")


def principal_context(arn: str) -> dict[str, str | None]:
    """The CallContext members a creator's ARN gives, as the function reads them from a CloudTrail record.

    An assumed-role session (arn:aws:sts::123456789012:assumed-role/DataScientist/alice) also gives its role
    (arn:aws:iam::123456789012:role/DataScientist: the session issuer; a role's path is not in the session ARN,
    so pass a role with a path as its IAM ARN); any ARN gives its account. Raises UsageError for anything else.
    """
    found = _PRINCIPAL.fullmatch(arn.strip())
    if found is None:
        raise UsageError(
            f"--principal {arn!r} is not an IAM or STS ARN (for example arn:aws:sts::123456789012:assumed-role/"
            "DataScientist/alice or arn:aws:iam::123456789012:role/DataScientist)"
        )
    partition, account, resource = found["partition"], found["account"], found["resource"]
    session = _ASSUMED_ROLE.fullmatch(resource) if found["service"] == "sts" else None
    if session is not None:
        role = f"arn:{partition}:iam::{account}:role/{session['role']}"
        return {"principal_arn": found.group(), "principal_type": "AssumedRole", "role_arn": role, "account": account}
    if found["service"] == "iam" and resource.startswith("role/"):
        return {"principal_arn": found.group(), "principal_type": "Role", "role_arn": found.group(), "account": account}
    kind = "IAMUser" if resource.startswith("user/") else None
    return {"principal_arn": found.group(), "principal_type": kind, "role_arn": None, "account": account}


def with_team(request: TuningRequest, team: str | None, team_tag_key: str) -> TuningRequest:
    """The request as the function sees it once tagged with the team (--team); raises InvalidRequest when the
    request's own team tag says otherwise (the function would go by the tag)."""
    if team is None:
        return request
    tagged = request.tags.get(team_tag_key)
    if tagged is not None and tagged != team:
        raise InvalidRequest(
            f"the request is tagged {team_tag_key}={tagged}, but --team says {team}; the guardrail goes by the tag"
        )
    return request.model_copy(update={"tags": {**request.tags, team_tag_key: team}})


@dataclass(frozen=True)
class LintOptions:
    """The options of `hpo-guardrail lint`."""

    paths: Sequence[str]
    policy: str | None = None
    region: str | None = None
    account: str | None = None
    principal: str | None = None
    team: str | None = None
    profile: str | None = None
    output_format: str = "text"
    fail_on: str = "info"
    fix: bool = False
    output: str | None = None
    color: str = "auto"
    docs_url: str | None = None
    prices: str = "auto"


def expand_paths(patterns: Sequence[str]) -> tuple[list[str], list[JobReport]]:
    """Files named or matched by glob patterns (`**` recurses), in order; patterns matching nothing are errors."""
    paths: list[str] = []
    unmatched: list[JobReport] = []
    for pattern in patterns:
        # The shell expands unquoted globs; quoted ones (and pre-commit on Windows) reach us as patterns.
        if pattern != STDIN and any(char in pattern for char in "*?["):
            matches = sorted(m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m))
            if not matches:
                unmatched.append(JobReport(path=pattern, status=Status.ERROR, reason="no file matches this pattern"))
            paths.extend(matches)
        else:
            paths.append(pattern)
    return list(dict.fromkeys(paths)), unmatched


SDK_SUFFIXES = (".py", ".ipynb")  # SageMaker Python SDK code and notebooks: linting/sdk_lint.py


def is_sdk_input(path: str) -> bool:
    """Whether `path` is SageMaker Python SDK code or a notebook (by its suffix), not a request."""
    return path != STDIN and path.lower().endswith(SDK_SUFFIXES)


def read_input(path: str, stdin: TextIO) -> tuple[str, Any]:
    """The text and the parsed document of one input; raises UnreadableDocument naming the problem."""
    if path == STDIN:
        try:
            text = stdin.read(FILE_MAX_CHARACTERS + 1)
        except UnicodeDecodeError:
            raise UnreadableDocument("not UTF-8 text") from None
    else:
        try:
            text = _read_file(path)
        except FileNotFoundError:
            raise UnreadableDocument("no such file") from None
        except IsADirectoryError:
            raise UnreadableDocument("is a directory (pass files, or a glob such as 'configs/**/*.json')") from None
        except UnicodeDecodeError:
            raise UnreadableDocument("not UTF-8 text") from None
        except OSError as error:
            raise UnreadableDocument(f"cannot read: {error.strerror or error}") from None
    return text, parse_document(text, yaml_allowed=not is_json_input(path, text))


def _read_file(path: str) -> str:
    """The file's text as written (a CRLF file keeps its CRs through --fix, which edits this text), read with two
    system calls rather than through a text file object (a tenth of a file's lint time)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        # UTF-8 takes at most 4 bytes a character: a larger file is over the limit before it is read.
        size = os.fstat(descriptor).st_size
        if size > 4 * FILE_MAX_CHARACTERS:
            raise UnreadableDocument(f"too large: more than {FILE_MAX_CHARACTERS:,} characters")
        parts = [os.read(descriptor, size + 1)]  # the whole of a regular file; then the empty read at its end
        read = len(parts[0])
        while parts[-1]:
            if read > 4 * FILE_MAX_CHARACTERS:  # a pipe or a device says nothing of its size: count as it comes
                raise UnreadableDocument(f"too large: more than {FILE_MAX_CHARACTERS:,} characters")
            parts.append(os.read(descriptor, max(size, 1 << 16)))
            read += len(parts[-1])
    finally:
        os.close(descriptor)
    return b"".join(parts).decode("utf-8")  # raises UnicodeDecodeError as a text file would


def is_json_input(path: str, text: str) -> bool:
    """Whether `read_input` reads this input as JSON (else as YAML): by the file's name; stdin, which has no name
    to go by, is JSON unless it plainly is not."""
    if path == STDIN:
        return text.lstrip().startswith(("{", "["))
    return not path.lower().endswith(YAML_SUFFIXES)


def recognise(document: Any) -> InputKind:
    """Which kind of input a document is, by its top-level keys; raises InvalidRequest otherwise."""
    if not isinstance(document, Mapping):
        raise InvalidRequest(f"expected an object at the top, got {type(document).__name__}")
    keys = {str(key).lower() for key in document}
    if "detail-type" in keys or {"source", "detail"} <= keys:
        return InputKind.EVENTBRIDGE_EVENT
    if "eventname" in keys or "eventsource" in keys:
        return InputKind.CLOUDTRAIL_RECORD
    if "records" in keys:
        raise InvalidRequest(
            "a CloudTrail log file: lint one record at a time "
            "(for example: jq '.Records[0]' FILE | hpo-guardrail lint -)"
        )
    if "hyperparametertuningjobstatus" in keys or "hyperparametertuningjobarn" in keys:
        return InputKind.DESCRIBE_RESPONSE
    if "hyperparametertuningjobconfig" in keys or "hyperparametertuningjobname" in keys:
        return InputKind.CREATE_REQUEST
    shown = ", ".join(sorted(str(key) for key in document)[:8]) or "none"
    raise InvalidRequest(
        "not a CreateHyperParameterTuningJob request, CloudTrail record, EventBridge event or "
        f"DescribeHyperParameterTuningJob response (top-level keys: {shown})"
    )


def _read_call(kind: InputKind, document: Mapping[str, Any]) -> TuningJobCall | SkippedCall | Mapping[str, Any]:
    """The CloudTrail call of an event or record, or the request mapping of a request or Describe response."""
    if kind is InputKind.EVENTBRIDGE_EVENT:
        return read_event(document)
    if kind is InputKind.CLOUDTRAIL_RECORD:
        try:
            return read_cloudtrail_record(document)
        except InvalidRequest as error:
            # rules.parsing names fields from the event's `detail`; this record is the detail itself.
            path = "" if error.path == "detail" else error.path.removeprefix("detail.")
            raise InvalidRequest(error.reason, path) from None
    return document


def lint_document(
    path: str,
    text: str,
    document: Any,
    evaluator: Evaluator,
    *,
    region: str | None = None,
    account: str | None = None,
    principal: str | None = None,
    team: str | None = None,
    json_text: bool = False,
) -> JobReport:
    """Evaluate one parsed input; malformed inputs become error reports naming the field.

    `region`, `account`, `principal` (the creator's ARN) and `team` (the value of the policy's team tag) say
    where and by whom the job is created, as a CloudTrail record would; a record's own values are kept
    unless they are given. `json_text`: `text` was read as JSON (is_json_input), which finds lines faster.
    """
    kind: InputKind | None = None
    try:
        kind = recognise(document)
        found = _read_call(kind, document)
        if isinstance(found, SkippedCall):
            return JobReport(path=path, status=Status.SKIPPED, kind=kind, reason=found.reason)
        if isinstance(found, TuningJobCall):
            request, context = found.request, found.context
            request_document = _request_parameters(kind, document)
        else:
            request = read_request(found)
            context = CallContext(event_id=f"lint-{request.job_name}")
            request_document = dict(found)
        request = with_team(request, team, evaluator.document().team_tag_key)
    except InvalidRequest as error:
        where = f" at {error.path}" if error.path else ""
        what = f"invalid {kind.value}" if kind else "unrecognised input"
        return JobReport(path=path, status=Status.ERROR, kind=kind, reason=f"{what}{where}: {error.reason}")
    report = assessed_report(
        path, kind, request, context, evaluator, request_document, region=region, account=account, principal=principal
    )
    locate_findings(report, text, REQUEST_LOCATION[kind], json_text=json_text)
    return report


def _request_parameters(kind: InputKind, document: Mapping[str, Any]) -> dict[str, Any]:
    record = document["detail"] if kind is InputKind.EVENTBRIDGE_EVENT else document
    # The parser took the record in either casing of its keys, the capitalised one first when both are there
    # (rules/parsing.py, _both_casings): the same member here, so that what is fixed is what was evaluated.
    parameters = record["RequestParameters"] if "RequestParameters" in record else record["requestParameters"]
    return dict(parameters)


def finding_lines(findings: Sequence[Finding], lines: SourceLines, location: Sequence[str]) -> list[int | None]:
    """The line of each finding: the member its patch names, else the range's Name, else unknown."""
    found: list[int | None] = []
    for finding in findings:
        line = None
        if finding.patch:
            try:
                line = lines.line_of([*location, *split_pointer(finding.patch[0].path)])
            except PatchError:
                line = None
        if line is None and finding.parameter:
            line = lines.line_of_range(finding.parameter, within=location)
        found.append(line)
    return found


def locate_findings(report: JobReport, text: str, location: Sequence[str], *, json_text: bool = False) -> None:
    """Set the lines of the report's findings, and of those an exemption set aside, in `text` (`json_text`: text
    the json module read)."""
    if report.evaluation is None:
        return
    suppressed = [s.finding for s in report.evaluation.suppressed]
    if not report.evaluation.findings and not suppressed:
        report.finding_lines, report.suppressed_lines = [], []
        return  # nothing to point at: the text need not be composed (the larger part of a clean file's cost)
    lines = SourceLines(text, json_text=json_text)
    report.finding_lines = finding_lines(report.evaluation.findings, lines, location)
    report.suppressed_lines = finding_lines(suppressed, lines, location)


def check_usage(options: LintOptions) -> None:
    """Raise UsageError when the options do not fit together."""
    fail_on_level(options.fail_on)
    if options.output is not None and not options.fix:
        raise UsageError("--output names where --fix writes the corrected request; add --fix")
    if options.output is not None and len(options.paths) != 1:
        raise UsageError("--output needs exactly one input (without it, --fix corrects each file in place)")
    if options.output is not None and any(is_sdk_input(path) for path in options.paths):
        raise UsageError("--output writes a request; --fix edits SDK code and notebooks in place")
    if options.principal is not None:
        principal_context(options.principal)
    if options.team is not None and not options.team.strip():
        raise UsageError("--team needs a team name (the value of the policy's team tag)")
    if options.fix and STDIN in options.paths and options.output is None:
        raise UsageError("--fix on stdin needs --output FILE (or --output - for stdout)")


def assessed_report(
    path: str,
    kind: InputKind,
    request: TuningRequest,
    context: CallContext,
    evaluator: Evaluator,
    request_document: dict[str, Any],
    *,
    region: str | None,
    account: str | None,
    principal: str | None,
    where: str | None = None,
) -> JobReport:
    """The evaluated report of one request, as the guardrail would judge it: `region`, `account` and `principal`
    (the creator's ARN, and its account) given on the command line win over the input's own context."""
    given = principal_context(principal) if principal else {}
    update = given | {"region": region or context.region, "account": account or given.get("account") or context.account}
    if any(getattr(context, name) != value for name, value in update.items()):  # else the copy would be the same
        context = context.model_copy(update=update)
    assessment = evaluator.assess(request, context)
    return JobReport(
        path=path,
        status=Status.EVALUATED,
        kind=kind,
        context=assessment.context,
        region=assessment.region,
        evaluation=assessment.evaluation,
        decision=assessment.decision,
        team=assessment.team,
        request=request_document,
        where=where,
    )
