"""`lint` on SageMaker Python SDK code: a `.py` script or an `.ipynb` notebook, one report per tuner found.

Each tuner becomes the request the SDK would send (linting/sdk_reader.py) and is evaluated by the guardrail's own
Evaluator, so its findings, cost and decision are those of the equivalent request. A tuner whose request needs a
value the code does not give (an instance type from a function call) is skipped, naming each unknown value.

`--fix` turns each automatic fix's JSON Patch operation into an edit of the argument the member came from: the
argument's literal replaced, or a keyword argument added to the call, at the positions libcst gives; every other
character of the file stays as it was. In a notebook only the cell's source changes (the notebook's JSON is
edited value by value, linting/layout.py). An operation on a value reached through a variable, or on a member
with no argument to edit, is listed as needing a human, as is a round of edits whose code would not compile
(nothing of that round is written). Files are read and written with newline="", so line breaks stay as written.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst

from hpo_guardrail.enforce.evaluator import Evaluator
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.fixing import MAX_ROUNDS, fix_label, keep_line_breaks
from hpo_guardrail.linting.inputs import assessed_report, with_team
from hpo_guardrail.linting.results import AppliedFix, FixReport, InputKind, JobReport
from hpo_guardrail.linting.sdk_reader import (
    Anchor,
    Known,
    SdkReadError,
    SdkRequest,
    Unit,
    find_tuners,
    mask_magics,
    read_notebook,
    read_script,
    sdk_request,
)
from hpo_guardrail.linting.source_lines import SourceLines
from rules.findings import Finding, PatchOperation
from rules.models import CallContext
from rules.parsing import InvalidRequest, read_request

__all__ = ["SdkReadError", "fix_sdk_file", "lint_sdk_text", "read_sdk_file"]

_JOB_NAME_LIMIT = 32  # HyperParameterTuningJobName: at most 32 characters


@dataclass(frozen=True)
class _Read:
    units: list[Unit]
    notes: list[str]
    notebook: bool


def _read(path: str, text: str) -> _Read:
    if path.lower().endswith(".ipynb"):
        units, notes = read_notebook(text)
        return _Read(units, notes, True)
    return _Read(read_script(text), [], False)


def _job_name(path: str, index: int) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in Path(path).stem).strip("-") or "sdk"
    suffix = f"-{index}" if index else ""
    return (stem[: _JOB_NAME_LIMIT - len(suffix)] + suffix).strip("-") or "sdk"


def lint_sdk_text(
    path: str,
    text: str,
    evaluator: Evaluator,
    *,
    region: str | None = None,
    account: str | None = None,
    principal: str | None = None,
    team: str | None = None,
) -> list[JobReport]:
    """One report per tuner in the file (a skipped report when there is none)."""
    kind = InputKind.NOTEBOOK if path.lower().endswith(".ipynb") else InputKind.SDK_CODE
    if "HyperparameterTuner" not in text:
        # Every form the reader recognises names the class (the call, `.create`, the import an alias comes from):
        # a file without the name has no tuner, and is not parsed (the pre-commit hook runs on every .py file).
        reason = "no HyperparameterTuner(...) or HyperparameterTuner.create(...) call found"
        return [JobReport(path=path, status=Status.SKIPPED, kind=kind, reason=reason)]
    try:
        read = _read(path, text)
    except SdkReadError as error:
        return [JobReport(path=path, status=Status.ERROR, kind=kind, reason=str(error))]
    tuners = find_tuners(read.units)
    if not tuners:
        reason = "no HyperparameterTuner(...) or HyperparameterTuner.create(...) call found"
        notes = f" ({'; '.join(read.notes)})" if read.notes else ""
        return [JobReport(path=path, status=Status.SKIPPED, kind=kind, reason=reason + notes)]
    reports = []
    for index, found in enumerate(tuners):
        request = sdk_request(found, _job_name(path, index))
        report = _evaluate(path, kind, request, evaluator, region, account, principal, team, text)
        report.notes = [*read.notes, *request.notes]
        reports.append(report)
    return reports


def _evaluate(
    path: str,
    kind: InputKind,
    request: SdkRequest,
    evaluator: Evaluator,
    region: str | None,
    account: str | None,
    principal: str | None,
    team: str | None,
    text: str,
) -> JobReport:
    where = request.tuner.unit.where(request.tuner.call)
    if request.unknowns:
        return JobReport(
            path=path,
            status=Status.SKIPPED,
            kind=kind,
            reason=f"the tuner at {where} is not evaluated: " + "; ".join(request.unknowns),
            where=where,
            unknowns=list(request.unknowns),
        )
    try:
        parsed = with_team(read_request(request.document), team, evaluator.document().team_tag_key)
    except InvalidRequest as error:
        at = f" at {error.path}" if error.path else ""
        return JobReport(
            path=path,
            status=Status.ERROR,
            kind=kind,
            reason=f"the tuner at {where} gives an invalid request{at}: {error.reason}",
            where=where,
        )
    report = assessed_report(
        path,
        kind,
        parsed,
        CallContext(event_id=f"lint-{parsed.job_name}"),
        evaluator,
        request.document,
        region=region,
        account=account,
        principal=principal,
        where=where,
    )
    locate_sdk_findings(report, request, text)
    return report


def _finding_anchor(finding: Finding, request: SdkRequest) -> Anchor:
    if finding.patch:
        anchor = request.anchor_of(finding.patch[0].path)
        if anchor is not None:
            return anchor
    if finding.parameter:
        for pointer, anchor in request.anchors.items():
            if anchor.parameter is None and pointer.rsplit("/", 2)[-2].endswith("Ranges"):
                name = _range_name(request.document, pointer)
                if name == finding.parameter:
                    return anchor
    return Anchor(request.tuner)


def _range_name(document: dict[str, Any], pointer: str) -> str | None:
    node: Any = document
    for part in pointer.strip("/").split("/"):
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node.get("Name") if isinstance(node, dict) else None


def _anchor_node(anchor: Anchor) -> cst.CSTNode:
    if anchor.parameter is not None and anchor.parameter in anchor.owner.arg_nodes:
        return anchor.owner.arg_nodes[anchor.parameter]
    return anchor.owner.call


def locate_sdk_findings(report: JobReport, request: SdkRequest, text: str) -> None:
    """Line (and cell) of each finding: the argument its patch names, else the range or the tuner call."""
    if report.evaluation is None:
        return
    notebook_lines = SourceLines(text) if report.kind is InputKind.NOTEBOOK else None

    def place(findings: tuple[Finding, ...]) -> tuple[list[int | None], list[int | None], list[int | None]]:
        lines: list[int | None] = []
        cells: list[int | None] = []
        file_lines: list[int | None] = []
        for finding in findings:
            anchor = _finding_anchor(finding, request)
            unit = anchor.owner.unit
            line = unit.positions[_anchor_node(anchor)].start.line
            lines.append(line)
            cells.append(unit.cell)
            file_lines.append(_notebook_line(notebook_lines, unit, line) if notebook_lines else line)
        return lines, cells, file_lines

    report.finding_lines, report.finding_cells, report.finding_file_lines = place(report.evaluation.findings)
    suppressed = tuple(s.finding for s in report.evaluation.suppressed)
    report.suppressed_lines, report.suppressed_cells, report.suppressed_file_lines = place(suppressed)


def _notebook_line(lines: SourceLines, unit: Unit, line: int) -> int | None:
    """The line of the notebook's JSON text that holds line `line` of the cell (its source array's item)."""
    assert unit.cell is not None
    found = lines.line_of(["cells", str(unit.cell - 1), "source", str(line - 1)], prefer_name=False)
    return found


# --- --fix ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceEdit:
    """Replace [start, end) of a unit's text with `text`."""

    unit: Unit
    start: int
    end: int
    text: str


class NeedsHuman(ValueError):
    """An operation that cannot be made by editing one argument, or edits whose code would not compile."""


def _python_literal(value: Any, parameter: str) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if parameter in ("min_value", "max_value"):
            return value  # a range bound, as the request's text: a number literal in the code
        return json.dumps(value)
    raise NeedsHuman(f"the value {value!r} has no Python literal the linter writes")


def _span(unit: Unit, node: cst.CSTNode) -> tuple[int, int]:
    where = unit.positions[node]
    return unit.offset(where.start.line, where.start.column), unit.offset(where.end.line, where.end.column)


def edit_for(operation: PatchOperation, anchor: Anchor | None) -> SourceEdit:
    """The source edit that makes `operation`; raises NeedsHuman saying why there is none."""
    if anchor is None or anchor.parameter is None:
        raise NeedsHuman("no SDK argument holds this member")
    owner, parameter = anchor.owner, anchor.parameter
    unit = owner.unit
    arg = owner.arg_nodes.get(parameter)
    if operation.op == "remove":
        if arg is None:
            raise NeedsHuman(f"{parameter} is not an argument of the {owner.cls} call")
        return _removal(unit, owner.call, arg)
    literal = _python_literal(operation.value, parameter)
    if arg is not None:
        value = owner.args.get(parameter)
        if isinstance(value, Known) and value.name is not None:
            raise NeedsHuman(
                f"{parameter} comes from the name {value.name!r} ({unit.where(arg)}): change it there, or pass "
                f"{parameter}={literal}"
            )
        if not isinstance(value, Known) or value.node is None or not _is_literal(arg.value):
            raise NeedsHuman(f"{parameter} is not a literal ({unit.where(arg)})")
        start, end = _span(unit, arg.value)
        return SourceEdit(unit, start, end, literal)
    if owner.splat:
        raise NeedsHuman(f"the {owner.cls} call passes *args or **kwargs, which may set {parameter}")
    return _addition(unit, owner.call, f"{parameter}={literal}")


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Integer | cst.Float | cst.SimpleString):
        return True
    if isinstance(node, cst.UnaryOperation):
        return _is_literal(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _is_literal(node.left) and _is_literal(node.right)
    return isinstance(node, cst.Name) and node.value in ("True", "False", "None")


def _addition(unit: Unit, call: cst.Call, argument: str) -> SourceEdit:
    """A keyword argument added after the call's last argument, on the same line (so a notebook cell keeps its
    number of lines)."""
    if not call.args:
        start, end = _span(unit, call)
        text = unit.masked[start:end]
        at = start + text.rindex(")")
        return SourceEdit(unit, at, at, argument)
    last = call.args[-1]
    _, value_end = _span(unit, last.value)
    if isinstance(last.comma, cst.Comma):
        # `x=1,` then the closing parenthesis: the new argument goes after the comma, with its own comma.
        comma = unit.masked.index(",", value_end)
        return SourceEdit(unit, comma + 1, comma + 1, f" {argument},")
    return SourceEdit(unit, value_end, value_end, f", {argument}")


def _removal(unit: Unit, call: cst.Call, arg: cst.Arg) -> SourceEdit:
    """The argument cut out with its comma and a comment on the same line after it (which belongs to it); a
    comment line above the next argument belongs to that argument, and stays. An argument alone on its lines
    takes its lines with it."""
    text = unit.masked
    index = next(i for i, a in enumerate(call.args) if a is arg)
    start, _ = _span(unit, arg)
    _, value_end = _span(unit, arg.value)
    if isinstance(arg.comma, cst.Comma):
        end = text.index(",", value_end) + 1
    elif index > 0:
        _, previous_value_end = _span(unit, call.args[index - 1].value)
        if "#" not in text[previous_value_end:start]:
            # `f(a=1, b=2)`: the comma before the last argument goes with it.
            return SourceEdit(unit, previous_value_end, value_end, "")
        end = value_end  # a comment before it stays; the previous comma becomes a (valid) trailing comma
    else:
        end = value_end
    while end < len(text) and text[end] in " \t":
        end += 1
    if end < len(text) and text[end] == "#":
        end = _line_end(text, end)
    if end == len(text) or text[end] in "\r\n":
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t"):
            # Something else before it on its line: the line break stays, and the blanks before it go.
            while start > line_start and text[start - 1] in " \t":
                start -= 1
            return SourceEdit(unit, start, end, "")
        # The argument's own lines: removed whole, with the line break.
        if text.startswith("\r\n", end):
            end += 2
        elif end < len(text):
            end += 1
        return SourceEdit(unit, line_start, end, "")
    return SourceEdit(unit, start, end, "")


def _line_end(text: str, at: int) -> int:
    """The offset of the line break (or the end of the text) at or after `at`."""
    ends = [i for i in (text.find("\r", at), text.find("\n", at)) if i >= 0]
    return min(ends) if ends else len(text)


def apply_edits(edits: list[SourceEdit]) -> dict[Unit, str]:
    """Each edited unit's new text (edits are made on the text as written; the masked copy has the same
    offsets). The same edit asked for twice (two tuners sharing one range object) is made once. Raises
    NeedsHuman when two edits overlap, or when an edited unit would not compile."""
    by_unit: dict[Unit, list[SourceEdit]] = {}
    for edit in dict.fromkeys(edits):
        by_unit.setdefault(edit.unit, []).append(edit)
    result = {}
    for unit, unit_edits in by_unit.items():
        text = unit.text
        ordered = sorted(unit_edits, key=lambda e: (e.start, e.end), reverse=True)
        limit = len(text) + 1
        for edit in ordered:
            if edit.end > limit:
                raise NeedsHuman("two fixes edit the same argument")
            text = text[: edit.start] + edit.text + text[edit.end :]
            limit = edit.start
        _compiles(unit, text)
        result[unit] = text
    return result


def _compiles(unit: Unit, text: str) -> None:
    """Raises NeedsHuman when the edited code is not Python (a notebook cell's magics masked as the reader
    masks them; a cell may `await` at the top, as IPython allows)."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if unit.cell is not None else 0
    try:
        # A BOM is read as U+FEFF, which compile() refuses in a str (Python skips it when it reads the file).
        compile(mask_magics(text.removeprefix("\ufeff")), "<fixed>", "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        where = f"cell {unit.cell}, " if unit.cell is not None else ""
        at = f" ({where}line {line})" if line else ""
        message = getattr(error, "msg", None) or str(error)
        raise NeedsHuman(f"the fixed code would not compile{at}: {message}; nothing was written") from None


def _write_units(path: str, text: str, read: _Read, changed: dict[Unit, str]) -> str:
    """The file's new text with the edited units."""
    if not read.notebook:
        (unit,) = read.units
        return changed.get(unit, text)
    return keep_line_breaks(text, _notebook_text(text, changed))


def _notebook_text(text: str, changed: dict[Unit, str]) -> str:
    from hpo_guardrail.linting.layout import LayoutError, edit_text

    before = json.loads(text)
    after = json.loads(text)
    for unit, source in changed.items():
        assert unit.cell is not None
        cell = after["cells"][unit.cell - 1]
        lines = source.splitlines(keepends=True)
        cell["source"] = lines if isinstance(cell["source"], list) else source
    try:
        return edit_text(text, before, after, yaml_text=False, read_back=json.loads)
    except LayoutError:
        import nbformat

        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
        for unit, source in changed.items():
            assert unit.cell is not None
            notebook.cells[unit.cell - 1].source = source
        return str(nbformat.writes(notebook))  # type: ignore[no-untyped-call]


def fix_sdk_file(
    path: str,
    text: str,
    evaluator: Evaluator,
    *,
    region: str | None = None,
    account: str | None = None,
    principal: str | None = None,
    team: str | None = None,
) -> list[JobReport]:
    """Lint, apply every automatic fix that maps onto an argument, write the file in place, lint again."""
    current = text
    applied: dict[int, list[AppliedFix]] = {}
    not_applied: dict[int, dict[str, str]] = {}
    for _ in range(MAX_ROUNDS):
        reports = lint_sdk_text(
            path, current, evaluator, region=region, account=account, principal=principal, team=team
        )
        try:
            read = _read(path, current)
        except SdkReadError:
            break
        tuners = find_tuners(read.units)
        edits: list[SourceEdit] = []
        planned: list[tuple[int, str, AppliedFix]] = []  # applied only once the round's edits are made
        for index, (report, found) in enumerate(zip(reports, tuners, strict=False)):
            if report.evaluation is None:
                continue
            request = sdk_request(found, _job_name(path, index))
            for fix in (f for f in report.evaluation.fixes if f.automatic):
                answered = tuple(report.evaluation.findings[i] for i in fix.findings)
                label = fix_label(answered[0])
                try:
                    fix_edits = [
                        edit_for(op, request.anchor_of(op.path) if op.op != "remove" else request.anchors.get(op.path))
                        for op in fix.patch
                    ]
                except NeedsHuman as why:
                    not_applied.setdefault(index, {})[label] = str(why)
                    continue
                edits += fix_edits
                planned.append((index, label, AppliedFix(fix, answered)))
        if not edits:
            break
        try:
            changed = apply_edits(edits)
        except NeedsHuman as why:
            for index, label, _fix in planned:
                not_applied.setdefault(index, {})[label] = str(why)
            break
        current = _write_units(path, current, read, changed)
        for index, label, done in planned:
            applied.setdefault(index, []).append(done)
            not_applied.get(index, {}).pop(label, None)
    if current != text:
        try:
            # newline="": written as the text has its line breaks (a CRLF file stays CRLF).
            with open(path, "w", encoding="utf-8", newline="") as file:
                file.write(current)
        except OSError as error:
            return [
                JobReport(
                    path=path, status=Status.ERROR, reason=f"cannot write the fixed file: {error.strerror or error}"
                )
            ]
    reports = lint_sdk_text(path, current, evaluator, region=region, account=account, principal=principal, team=team)
    for index, report in enumerate(reports):
        if report.status is not Status.EVALUATED:
            continue
        remaining = {fix_label(f) for f in report.findings}
        report.fix = FixReport(
            output=path if current != text and applied.get(index) else None,
            applied=applied.get(index, []),
            not_applied={k: v for k, v in not_applied.get(index, {}).items() if k in remaining},
        )
    return reports


def read_sdk_file(path: str) -> str:
    """The file's text; raises SdkReadError naming the problem."""
    from rules.limits import FILE_MAX_CHARACTERS

    try:
        if os.path.getsize(path) > 4 * FILE_MAX_CHARACTERS:
            raise SdkReadError(f"too large: more than {FILE_MAX_CHARACTERS:,} characters")
        # newline="": the text as written, so --fix keeps a CRLF file's line breaks.
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except FileNotFoundError:
        raise SdkReadError("no such file") from None
    except UnicodeDecodeError:
        raise SdkReadError("not UTF-8 text") from None
    except OSError as error:
        raise SdkReadError(f"cannot read: {error.strerror or error}") from None
