"""The readable report of `lint` and `scan`: one block per input, a table of findings, a summary line.

Lines carry their styles (`Styled`); rich writes the colours, only on a terminal and never when
NO_COLOR is set (https://no-color.org). Without colour the plain text is written as it is, and rich is not
loaded. Names and
messages come from the inputs, so every line is made safe for a terminal first: a control character (an
escape sequence that would set the title or hide text) is shown as its picture, never sent.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from hpo_guardrail.enforce.escaping import terminal_text
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.results import InputKind, JobReport
from hpo_guardrail.pricing.describe import price_line
from rules.decision import Action
from rules.findings import Finding, Severity

if TYPE_CHECKING:
    from rich.text import Text

_SEVERITY_STYLES: Mapping[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_PATH, _DIM, _OK, _ATTENTION = "bold", "dim", "green", "yellow"
# rich.control.STRIP_CONTROL_CODES: what rich drops from each piece of text as it builds a Text (a test compares).
RICH_STRIPPED = (7, 8, 11, 12, 13)
_RICH_STRIP = dict.fromkeys(RICH_STRIPPED)


@dataclass(frozen=True)
class Styled:
    """A line with styled parts, as rich's Text.assemble (or Text(text, style) with `style`) would make it; made
    into a Text only for a coloured report, so that a plain one never loads rich."""

    parts: tuple[str | tuple[str, str], ...]
    style: str | None = None  # the style of the whole line (then `parts` is one text)
    rstripped: bool = False  # trailing whitespace removed, as Text.rstrip does

    @classmethod
    def whole(cls, text: str, style: str) -> Styled:
        return cls((text,), style)

    @property
    def plain(self) -> str:
        """The text rich's Text would hold: its control codes stripped from each part."""
        # Stripping each part, or the parts joined, is the same: translate works character by character.
        text = "".join([part if isinstance(part, str) else part[0] for part in self.parts])
        if not text.isprintable():  # printable text holds none of the control codes rich strips
            text = text.translate(_RICH_STRIP)
        return text.rstrip() if self.rstripped else text

    def rich(self) -> Text:
        from rich.text import Text  # imported here: only a coloured report needs rich

        if self.style is not None:
            whole = self.parts[0]
            assert isinstance(whole, str)
            return Text(whole, self.style)
        text = Text.assemble(*self.parts)
        if self.rstripped:
            text.rstrip()
        return text


type Line = str | Styled


def use_colour(stream: TextIO, choice: str = "auto", environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to colour output on `stream`: --color always/never, else only on a terminal without NO_COLOR."""
    if choice != "auto":
        return choice == "always"
    return not environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def _width(colour: bool) -> int:
    # On a terminal fit its width; in a file or pipe use a fixed width so output is reproducible.
    columns = shutil.get_terminal_size((100, 24)).columns if colour else 100
    return max(60, min(columns, 120))


def _wrap(text: str, indent: str, width: int) -> list[str]:
    return wrap(text, width, indent, indent) or [indent]


_WORD_PARTS = textwrap.TextWrapper.wordsep_re  # how textwrap (break_on_hyphens) cuts a word at its hyphens


def wrap(text: str, width: int, initial_indent: str, subsequent_indent: str) -> list[str]:
    """What `textwrap.wrap(text, width, initial_indent=..., subsequent_indent=...)` gives, found faster for the
    text a report wraps: printable (no tab, line break or other whitespace than the space) and without a word or
    run of spaces longer than a line. Other text is wrapped by textwrap itself.

    textwrap cuts the text into pieces (runs of spaces, and words cut after their hyphens by its pattern, which
    looks no further than the word), fills each line with as many pieces as fit, drops a run of spaces at the end
    of a line and, after the first line, at its start. Here each line ends at the last place a piece ends that
    fits, found from the line's last character: only the word there is cut by the pattern.
    """
    if not text.isprintable():
        return textwrap.wrap(text, width=width, initial_indent=initial_indent, subsequent_indent=subsequent_indent)
    if len(initial_indent) + len(text) <= width and text and text[-1] != " ":
        return [initial_indent + text]  # one line: nothing is dropped
    room = width - max(len(initial_indent), len(subsequent_indent))
    if max(map(len, text.split(" "))) > room or " " * (room + 1) in text:  # textwrap breaks such a piece: let it
        return textwrap.wrap(text, width=width, initial_indent=initial_indent, subsequent_indent=subsequent_indent)
    lines: list[str] = []
    start, end = 0, len(text)
    while start < end:
        indent = subsequent_indent if lines else initial_indent
        if lines:
            while start < end and text[start] == " ":  # the run of spaces that would open the line
                start += 1
            if start == end:
                break
        limit = start + width - len(indent)
        stop = end if limit >= end else _last_break(text, start, limit)
        if stop <= start:  # no piece fits (the checks above rule it out): textwrap's way
            return textwrap.wrap(text, width=width, initial_indent=initial_indent, subsequent_indent=subsequent_indent)
        line = text[start:stop].rstrip(" ")  # the run of spaces that would end it
        if line:
            lines.append(indent + line)
        start = stop
    return lines


def _last_break(text: str, start: int, limit: int) -> int:
    """The last place after `start`, and at most `limit`, where one of textwrap's pieces of `text` ends."""
    if (text[limit - 1] == " ") != (text[limit] == " "):
        return limit  # a word or a run of spaces ends here
    if text[limit] == " ":  # inside a run of spaces, which does not fit whole: the line ends where it starts
        run = limit - 1
        while text[run - 1] == " ":
            run -= 1
        return run
    # Inside a word: at its start, or after the last of its hyphens where textwrap cuts it that fits.
    word_start = text.rfind(" ", 0, limit) + 1
    word_end = text.find(" ", limit)
    word = text[word_start : word_end if word_end >= 0 else len(text)]
    best = word_start
    if "-" in word:
        offset = word_start
        for piece in _WORD_PARTS.split(word):
            offset += len(piece)
            if offset > limit:
                break
            best = offset
    return best


def _operation(op: Mapping[str, object]) -> str:
    value = "" if op["op"] == "remove" else f" = {json.dumps(op.get('value'))}"
    return f"{op['op']} {op['path']}{value}"


def _finding_lines(
    finding: Finding, line: int | None, width: int, offer_fix: bool, fix: str, automatic: bool, cell: int | None = None
) -> list[Line]:
    severity = (f"{finding.severity.value.upper():<9}", _SEVERITY_STYLES[finding.severity])
    where = " / ".join(part for part in (finding.definition, finding.parameter) if part) or "-"
    at = f"line {line}" if line else ""
    if cell is not None:
        at = f"cell {cell}, {at}" if at else f"cell {cell}"
    head = Styled(("  ", severity, f"{finding.rule:<18} {where:<28} ", (at, _DIM)), rstripped=True)
    lines: list[Line] = [head]
    lines += _wrap(finding.message, " " * 6, width)
    # The reconciled fix (rules/fixes.py), which may answer several findings at once.
    lines += _wrap(f"fix: {fix}{' (automatic with --fix)' if automatic and offer_fix else ''}", " " * 6, width)
    return lines


def _price_lines(report: JobReport, width: int, now: datetime) -> list[Line]:
    """One line per instance type under the cost line: its price, where that came from, and how old it is."""
    assert report.evaluation is not None
    cost = report.evaluation.cost
    texts = [price_line(quote, now) for quote in cost.quotes]
    texts += [f"{instance_type}: unknown, no source has one" for instance_type in cost.unpriced_instance_types]
    lines: list[Line] = []
    for text in texts:
        wrapped = wrap(f"price {text}", width, "  ", " " * 6)
        lines += [Styled.whole(line, _DIM) for line in wrapped]
    return lines


def _evaluated(report: JobReport, width: int, now: datetime) -> list[Line]:
    assert report.evaluation is not None and report.decision is not None
    evaluation, decision, cost = report.evaluation, report.decision, report.evaluation.cost
    job = evaluation.request.job_name
    kind = report.kind.value if report.kind else "?"
    at = f", tuner at {report.where}" if report.where else ""
    lines: list[Line] = [Styled(((report.path, _PATH), f": {job} ({kind}{at}, {cost.region})"))]
    fixing = report.fix is not None
    # A live job cannot be patched: --fix works on files, so scan does not offer it.
    offer_fix = not fixing and report.kind is not InputKind.TUNING_JOB
    if report.fix is not None:
        lines += _fix_lines(report, width)
    if not evaluation.findings:
        lines.append(Styled(("  ", ("no findings" + (" left" if fixing else ""), _OK))))
    fixes = {position: fix for fix in evaluation.fixes for position in fix.findings}
    for index, finding in enumerate(evaluation.findings):
        fix, first = fixes[index], evaluation.findings[min(fixes[index].findings)]
        text = fix.text if first is finding else f"the fix of {first.rule} above answers this too"
        lines += _finding_lines(
            finding, report.line_of(index), width, offer_fix, text, fix.automatic, report.cell_of(index)
        )
    at_least = "" if cost.complete else "at least "
    # "would": lint and scan report the function's decision; neither stops a job itself.
    # Each setting says where it came from (a policy scope, the policy defaults, the environment, built in).
    verdict = "do nothing" if decision.action is Action.NONE else f"{decision.action.value} ({decision.mode_words})"
    lines += wrap(
        f"worst case {at_least}${cost.worst_case_usd:,.2f} ({evaluation.policy.explain('budget_cap_usd')}); "
        f"the guardrail would {verdict}: {decision.reason}",
        width,
        "  ",
        " " * 6,
    )
    lines += _price_lines(report, width, now)
    for suppressed in evaluation.suppressed:
        what = f"{suppressed.finding.rule} {suppressed.finding.parameter or ''}".rstrip()
        lines.append(Styled.whole(f"  set aside by exemption {suppressed.exemption}: {what}", _DIM))
    scopes = " < ".join(("defaults", *evaluation.policy.scopes))
    lines.append(Styled.whole(f"  policy {evaluation.policy_version}, scope {scopes}", _DIM))
    if report.notification:
        lines.append(f"  alert sent: SNS message {report.notification}")
    return lines


def _fix_lines(report: JobReport, width: int) -> list[Line]:
    fix = report.fix
    assert fix is not None
    lines: list[Line] = []
    if fix.applied:
        lines.append(Styled.whole(f"  fixed ({len(fix.applied)}), written to {fix.output}:", _OK))
        for applied in fix.applied:
            label = ", ".join(" ".join(p for p in (f.rule, f.parameter) if p) for f in applied.findings)
            lines.append(f"      {label}:")
            lines += [f"        {_operation(op.as_json())}" for op in applied.fix.patch]
    elif fix.output:
        lines.append(f"  no finding to fix; request written to {fix.output} in the API's casing and types")
    else:
        lines.append("  nothing to fix automatically")
    for label, why in fix.not_applied.items():
        lines += _wrap(f"not applied: {label}: {why}", " " * 6, width)
    for problem in fix.botocore_problems:
        lines += _wrap(f"botocore (already in the input): {problem}", " " * 6, width)
    if report.findings:
        lines.append(Styled.whole(f"  needs a human ({len(report.findings)}):", _ATTENTION))
    return lines


def render_text(
    reports: Sequence[JobReport], stream: TextIO, *, colour: bool, noun: str = "input", now: datetime | None = None
) -> None:
    """Write the report of every input and a one-line summary; `now` (default: the clock) dates the prices."""
    width = _width(colour)
    now = now or datetime.now(UTC)
    lines: list[Line] = []
    for report in reports:
        if report.status is Status.EVALUATED:
            lines += [*_evaluated(report, width, now), ""]
        elif report.status is Status.SKIPPED:
            lines += [Styled(((report.path, _PATH), f": skipped: {report.reason}")), ""]
        # Errors go to stderr (cli_output.report_problems), where they show even when stdout is redirected.
    lines.append(summary(reports, noun))
    if not colour:
        # The plain text of the coloured document below, without building it: Styled.plain strips what rich
        # strips from a Text's pieces, and terminal_text leaves nothing for it to strip from a str.
        plain = (terminal_line(line if isinstance(line, str) else line.plain) for line in lines)
        stream.write("\n".join(plain) + "\n")
        return
    from rich.console import Console  # imported here: only a coloured report needs rich
    from rich.text import Text

    document = Text("\n").join(_terminal_safe(line) for line in lines)
    # The lines are wrapped already: rich only adds the colours, and --color always means colours even
    # where NO_COLOR is set.
    console = Console(file=stream, force_terminal=True, color_system="standard", no_color=False, soft_wrap=True)
    console.print(document)


def terminal_line(line: str) -> str:
    """terminal_text(line), without its per-character mapping when the line is printable (it then changes nothing:
    everything terminal_text replaces is a control, format or separator character, none of them printable)."""
    return line if line.isprintable() else terminal_text(line)


def _terminal_safe(line: Line) -> Text:
    """One line with its control characters shown as pictures; the same length, so its colours stay put."""
    from rich.text import Text

    if isinstance(line, str):
        return Text(terminal_text(line))
    safe = line.rich()
    safe.plain = terminal_text(line.plain)
    return safe


def summary(reports: Sequence[JobReport], noun: str = "input") -> str:
    """e.g. '3 inputs: 2 evaluated, 4 findings (1 high, 3 low), 1 skipped, 0 errors'."""
    statuses = Counter(r.status for r in reports)
    severities = Counter(f.severity for r in reports for f in r.findings)
    counted = ", ".join(f"{severities[s]} {s.value}" for s in reversed(Severity) if severities[s])
    findings, errors = sum(severities.values()), statuses[Status.ERROR]
    return (
        f"{len(reports)} {noun}{'s' if len(reports) != 1 else ''}: {statuses[Status.EVALUATED]} evaluated, "
        f"{findings} finding{'s' if findings != 1 else ''}{f' ({counted})' if counted else ''}, "
        f"{statuses[Status.SKIPPED]} skipped, {errors} error{'s' if errors != 1 else ''}"
    )
