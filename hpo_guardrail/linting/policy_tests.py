"""Declarative policy tests: `hpo-guardrail test` (docs/policy.md, "Testing your policy").

A test file (YAML, named `*.hpo-test.yaml`) names a policy and a list of cases. Each case gives an input (an
inline request, a file `lint` reads: a CreateHyperParameterTuningJob request, a CloudTrail record, an
EventBridge event, a Describe response, or SageMaker Python SDK code, one tuner of it), the call's context
(account, principal, team, region) and what the guardrail must make of it: the findings (at least these, or
exactly these), findings that must be absent, the
worst-case cost's bounds, the decision, the effective mode, budget cap and scope. Every case is evaluated as
`lint` evaluates: the same input reader (hpo_guardrail/linting/inputs.py), and the deployed function's evaluator
(Evaluator.from_settings): the same engine and policy as the function.

Tests are deterministic: the bundled price table only, the stack's mode and cap from the test file (never
from the caller's environment), and the day exemptions are judged on from the file (`today`, else the real
date, so that an exemption expiring shows in CI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from hpo_guardrail.enforce.evaluator import Evaluator, utc_now
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.inputs import SDK_SUFFIXES, is_json_input, lint_document, principal_context, read_input
from hpo_guardrail.linting.results import JobReport
from hpo_guardrail.linting.source_lines import UnreadableDocument, Yaml12Loader
from rules.checks import rules_by_id
from rules.findings import Finding, Severity
from rules.limits import FILE_MAX_CHARACTERS
from rules.policy import Mode
from rules.policy_file import PolicyError, line_of
from rules.prices import BundledPrices

TEST_FILE_SUFFIX = ".hpo-test.yaml"
DEFAULT_DIRECTORY = "policy-tests"
UNKNOWN_COST = "unknown"
PACKAGED = "packaged"  # `policy: packaged`: the default policy shipped with the package
# The tests of the packaged default policy, shipped in the package (pyproject.toml, package data).
PACKAGED_TESTS = Path(__file__).resolve().parents[1] / "default_policy_tests"
DECISIONS = ("none", "notify", "stop")
_DECISION_ALIASES = {"allow": "none"}  # what a platform team may call "no action"


class UnusableTestFile(ValueError):
    """A test file that cannot be read or used (exit code 2): the file, the line when known, the field, why."""

    def __init__(self, source: str, reason: str, path: str = "", line: int | None = None) -> None:
        self.source, self.reason, self.path, self.line = source, reason, path, line
        where = source + (f", line {line}" if line is not None else "") + (f", at {path}" if path else "")
        super().__init__(f"invalid test file {where}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _known_rule(rule: str) -> str:
    known = rules_by_id()
    if rule not in known:
        raise ValueError(f"unknown rule {rule!r} (known: {', '.join(sorted(known))})")
    return rule


class FindingPattern(_Strict):
    """A finding a case expects: its rule, and where given its parameter, definition and severity.

    Written as a rule id (`log-scale`) or as a mapping (`{rule: log-scale, parameter: learning_rate}`)."""

    rule: str
    parameter: str | None = None
    definition: str | None = None
    severity: Severity | None = None

    @field_validator("rule")
    @classmethod
    def _check_rule(cls, value: str) -> str:
        return _known_rule(value)

    def matches(self, finding: Finding) -> bool:
        return (
            finding.rule == self.rule
            and (self.parameter is None or finding.parameter == self.parameter)
            and (self.definition is None or finding.definition == self.definition)
            and (self.severity is None or finding.severity is self.severity)
        )

    def describe(self) -> str:
        extra = [
            f"{name} {value}"
            for name, value in (
                ("parameter", self.parameter),
                ("definition", self.definition),
                ("severity", self.severity.value if self.severity else None),
            )
            if value is not None
        ]
        return self.rule + (f" ({', '.join(extra)})" if extra else "")


def _pattern(value: Any) -> Any:
    return {"rule": value} if isinstance(value, str) else value


Pattern = Annotated[FindingPattern, BeforeValidator(_pattern)]


class SuppressedPattern(FindingPattern):
    """A finding an exemption must set aside, optionally naming the exemption."""

    exemption: str | None = None

    def describe(self) -> str:
        return super().describe() + (f" by exemption {self.exemption}" if self.exemption else "")


Suppressed = Annotated[SuppressedPattern, BeforeValidator(_pattern)]


class CostBounds(_Strict):
    """Bounds on the worst-case cost in USD (inclusive), or `unknown`: the estimate is a lower bound because an
    instance type has no price."""

    min_usd: float | None = Field(default=None, ge=0)
    max_usd: float | None = Field(default=None, ge=0)
    unknown: bool = False

    @model_validator(mode="before")
    @classmethod
    def _unknown_as_a_word(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip() != UNKNOWN_COST:
                raise ValueError(f"write `cost: {UNKNOWN_COST}` or bounds such as `cost: {{max_usd: 1000}}`")
            return {"unknown": True}
        return value

    @model_validator(mode="after")
    def _some_bound(self) -> CostBounds:
        bounded = self.min_usd is not None or self.max_usd is not None
        if self.unknown and bounded:
            raise ValueError(f"`{UNKNOWN_COST}` or bounds, not both")
        if not (self.unknown or bounded):
            raise ValueError(f"give min_usd, max_usd or both (or write `cost: {UNKNOWN_COST}`)")
        if self.min_usd is not None and self.max_usd is not None and self.min_usd > self.max_usd:
            raise ValueError(f"min_usd {self.min_usd:g} is above max_usd {self.max_usd:g}")
        return self

    def describe(self) -> str:
        if self.unknown:
            return "unknown (a price missing)"
        if self.min_usd is not None and self.max_usd is not None:
            return f"worst case ${self.min_usd:,.2f} to ${self.max_usd:,.2f}"
        if self.min_usd is not None:
            return f"worst case at least ${self.min_usd:,.2f}"
        return f"worst case at most ${self.max_usd:,.2f}"


def _decision(value: Any) -> Any:
    return _DECISION_ALIASES.get(value, value) if isinstance(value, str) else value


class Expectation(_Strict):
    """What the guardrail must make of a case's input. Every key is optional; each given one is checked."""

    findings: list[Pattern] | None = Field(default=None, description="at least these findings: others may be found too")
    findings_exactly: list[Pattern] | None = Field(
        default=None,
        description="exactly these: every finding matches a pattern and every pattern a finding; [] for none",
    )
    absent: list[Pattern] = Field(default_factory=list, description="findings that must not be found")
    suppressed: list[Suppressed] = Field(default_factory=list, description="findings an exemption must set aside")
    cost: CostBounds | None = None
    decision: Annotated[Literal["none", "notify", "stop"], BeforeValidator(_decision)] | None = None
    mode: Mode | None = None
    budget_cap_usd: float | None = Field(default=None, ge=0)
    scope: str | None = Field(default=None, description="the most specific scope applied; `defaults` for none")

    @model_validator(mode="after")
    def _one_kind_of_findings(self) -> Expectation:
        if self.findings is not None and self.findings_exactly is not None:
            raise ValueError("give findings (at least these) or findings_exactly (exactly these), not both")
        return self


class CallContextSpec(_Strict):
    """Where and by whom the job is created, as `lint`'s --account, --principal, --team and --region say."""

    account: str | None = Field(default=None, pattern=r"^\d{12}$")
    principal: str | None = None
    team: str | None = Field(default=None, min_length=1)
    region: str | None = Field(default=None, min_length=1)

    @field_validator("principal")
    @classmethod
    def _principal_arn(cls, value: str | None) -> str | None:
        if value is not None:
            principal_context(value)  # raises UsageError (a ValueError) naming the expected shape
        return value

    def over(self, base: CallContextSpec) -> CallContextSpec:
        """This context with `base`'s values where it gives none."""
        return CallContextSpec(**(base.model_dump() | self.model_dump(exclude_none=True)))


class CaseInput(_Strict):
    """The input of a case: exactly one kind.

    `request`: inline, any document `lint` reads (a CreateHyperParameterTuningJob request, usually).
    `file`: a file `lint` reads, relative to the test file (a request, a CloudTrail record, an EventBridge
    event, a Describe response; JSON, or YAML by its suffix).
    `sdk`: SageMaker Python SDK code, a `.py` script or an `.ipynb` notebook relative to the test file, read as
    `lint` reads it; a file with several tuners names the one the case tests with `tuner` (1-based, in the
    order `lint` reports them).
    """

    request: dict[str, Any] | None = None
    file: str | None = Field(default=None, min_length=1)
    sdk: str | None = Field(default=None, min_length=1)
    tuner: int | None = Field(default=None, ge=1, description="which tuner of an `sdk` input, 1-based")

    @model_validator(mode="after")
    def _exactly_one(self) -> CaseInput:
        given = [name for name in INPUT_KINDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(INPUT_KINDS)} (got {', '.join(given) or 'none'})")
        if self.tuner is not None and self.sdk is None:
            raise ValueError("`tuner` picks a tuner of an `sdk` input; this input is not SDK code")
        if self.sdk is not None and not self.sdk.lower().endswith(SDK_SUFFIXES):
            raise ValueError(f"`sdk` is a .py script or an .ipynb notebook, not {self.sdk!r}")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in INPUT_KINDS if getattr(self, name) is not None)


class StackSettings(_Strict):
    """The deployment's base layer, as the stack parameters Mode and BudgetCapUsd set it; unset: built-in."""

    mode: Mode | None = None
    budget_cap_usd: float | None = Field(default=None, ge=0)

    def over(self, base: StackSettings) -> StackSettings:
        """These settings with `base`'s values where they give none."""
        return StackSettings(**(base.model_dump() | self.model_dump(exclude_none=True)))


class Case(_Strict):
    name: str = Field(min_length=1)
    input: CaseInput
    context: CallContextSpec = Field(default_factory=CallContextSpec)
    stack: StackSettings = Field(default_factory=StackSettings, description="over the file's stack settings")
    expect: Expectation


class PolicyTestFile(_Strict):
    """A test file: the policy, the settings under it, the default context, and the cases."""

    policy: str = Field(min_length=1, description="a policy file relative to this file, or `packaged`")
    prices: Literal["bundled"] = Field(
        default="bundled", description="only the bundled table: a policy test gives the same result everywhere"
    )
    today: date | None = Field(default=None, description="the day exemptions are judged on; default: today")
    stack: StackSettings = Field(default_factory=StackSettings)
    context: CallContextSpec = Field(default_factory=CallContextSpec)
    cases: list[Case] = Field(min_length=1)

    @field_validator("policy")
    @classmethod
    def _no_ssm(cls, value: str) -> str:
        if value.strip().startswith("ssm:"):
            raise ValueError("a policy test reads a policy file (or `packaged`), not an SSM parameter: test the file")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> PolicyTestFile:
        names = [case.name for case in self.cases]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"case names must be unique: {', '.join(repeated)} repeated")
        return self


# --- running --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One expectation a case did not meet: what was expected, what was found."""

    what: str  # findings, absent, suppressed, cost, decision, mode, budget_cap_usd, scope
    expected: list[str]  # the diff's "-" lines
    actual: list[str]  # the diff's "+" lines

    def summary(self) -> str:
        return f"{self.what}: expected {'; '.join(self.expected) or 'none'}, got {'; '.join(self.actual) or 'none'}"

    def as_json(self) -> dict[str, Any]:
        return {"what": self.what, "expected": self.expected, "actual": self.actual}


@dataclass
class CaseResult:
    file: str
    case: str
    result: Literal["passed", "failed", "error"]
    differences: list[Difference] = field(default_factory=list)
    reason: str | None = None  # why the case could not run (result error)
    report: JobReport | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "case": self.case, "result": self.result}
        if self.reason is not None:
            out["reason"] = self.reason
        out["differences"] = [d.as_json() for d in self.differences]
        if self.report is not None and self.report.evaluation is not None:
            out["actual"] = _actual_json(self.report)
        return out


@dataclass
class FileResult:
    file: str
    error: str | None = None  # the file could not be read or used
    cases: list[CaseResult] = field(default_factory=list)


@dataclass
class RunResult:
    files: list[FileResult]

    @property
    def cases(self) -> list[CaseResult]:
        return [case for file in self.files for case in file.cases]

    def exit_code(self) -> int:
        """2 when a test file or a case's input could not be used, 1 when a case failed, else 0."""
        if not self.files or any(f.error for f in self.files) or any(c.result == "error" for c in self.cases):
            return 2
        return 1 if any(c.result == "failed" for c in self.cases) else 0


def _finding_words(finding: Finding) -> str:
    extra = [f"parameter {finding.parameter}"] if finding.parameter else []
    extra += [f"definition {finding.definition}"] if finding.definition else []
    extra.append(f"severity {finding.severity.value}")
    return f"{finding.rule} ({', '.join(extra)})"


def _actual_json(report: JobReport) -> dict[str, Any]:
    assert report.evaluation is not None and report.decision is not None
    evaluation, decision = report.evaluation, report.decision
    return {
        "findings": [
            {"rule": f.rule, "parameter": f.parameter, "definition": f.definition, "severity": f.severity.value}
            for f in evaluation.findings
        ],
        "suppressed": [{"rule": s.finding.rule, "exemption": s.exemption} for s in evaluation.suppressed],
        "cost": {"worst_case_usd": evaluation.cost.worst_case_usd, "complete": evaluation.cost.complete},
        "decision": decision.action.value,
        "mode": decision.mode.value,
        "budget_cap_usd": evaluation.budget_cap_usd,
        "scope": evaluation.policy.scope,
    }


def _unmatched(patterns: Sequence[FindingPattern], findings: Sequence[Finding]) -> list[FindingPattern]:
    return [p for p in patterns if not any(p.matches(f) for f in findings)]


def compare(expect: Expectation, report: JobReport) -> list[Difference]:
    """What the evaluation in `report` does not meet of `expect`, one Difference per expectation."""
    assert report.evaluation is not None and report.decision is not None
    evaluation, decision = report.evaluation, report.decision
    found = evaluation.findings
    differences: list[Difference] = []
    wanted = expect.findings if expect.findings is not None else expect.findings_exactly
    if wanted is not None:
        missing = _unmatched(wanted, found)
        exactly = expect.findings_exactly is not None
        unexpected = [f for f in found if not any(p.matches(f) for p in wanted)] if exactly else []
        if missing or unexpected:
            # Exactly: the findings no pattern matched. At least: everything found, to see what came instead.
            actual = (
                [f"{_finding_words(f)}: found, not expected" for f in unexpected]
                if exactly
                else [f"{_finding_words(f)}: found" for f in found] or ["no findings"]
            )
            differences.append(
                Difference(
                    "findings (exactly)" if exactly else "findings (at least)",
                    [f"{p.describe()}: expected, not found" for p in missing],
                    actual,
                )
            )
    present = [(p, f) for p in expect.absent for f in found if p.matches(f)]
    if present:
        differences.append(
            Difference(
                "absent findings",
                [f"{p.describe()}: expected absent" for p, _ in present],
                [f"{_finding_words(f)}: found" for _, f in present],
            )
        )
    set_aside = evaluation.suppressed
    not_suppressed = [
        p
        for p in expect.suppressed
        if not any(p.matches(s.finding) and p.exemption in (None, s.exemption) for s in set_aside)
    ]
    if not_suppressed:
        differences.append(
            Difference(
                "suppressed findings",
                [f"{p.describe()}: expected set aside" for p in not_suppressed],
                [f"{_finding_words(s.finding)} set aside by {s.exemption}" for s in set_aside] or ["nothing set aside"],
            )
        )
    cost = evaluation.cost
    actual_cost = f"${cost.worst_case_usd:,.2f}" + ("" if cost.complete else " (a lower bound: a price is unknown)")
    bounds = expect.cost
    if bounds is not None and bounds.unknown:
        if cost.complete:
            differences.append(Difference("cost", [bounds.describe()], [f"{actual_cost}, every price known"]))
    elif bounds is not None:
        low_ok = bounds.min_usd is None or cost.worst_case_usd >= bounds.min_usd
        high_ok = bounds.max_usd is None or cost.worst_case_usd <= bounds.max_usd
        if not (low_ok and high_ok):
            differences.append(Difference("cost", [bounds.describe()], [f"worst case {actual_cost}"]))
    if expect.decision is not None and decision.action.value != expect.decision:
        differences.append(Difference("decision", [expect.decision], [f"{decision.action.value}: {decision.reason}"]))
    if expect.mode is not None and decision.mode is not expect.mode:
        differences.append(Difference("mode", [expect.mode.value], [decision.mode_words]))
    policy = evaluation.policy
    if expect.budget_cap_usd is not None and policy.budget_cap_usd != expect.budget_cap_usd:
        differences.append(
            Difference("budget_cap_usd", [f"${expect.budget_cap_usd:,.2f}"], [policy.explain("budget_cap_usd")])
        )
    if expect.scope is not None and policy.scope != expect.scope:
        chain = " < ".join(("defaults", *policy.scopes))
        differences.append(Difference("scope", [expect.scope], [f"{policy.scope} (scopes applied: {chain})"]))
    return differences


# --- input kinds ----------------------------------------------------------------------------------------------
# Each kind reads a case's input into the reports `lint` would give for it, through lint's own reader
# (hpo_guardrail/linting/inputs.py). A new kind is one more field on CaseInput and one more reader here. SDK code
# (`sdk: train.py`) is read with the reader `lint` uses for .py and .ipynb inputs, which gives one report per
# tuner found; a case tests one, so a file with several names it (`tuner: N`), or is an error saying so.


@dataclass(frozen=True)
class InputSource:
    """What an input reader needs: the case's value, the test file's directory, the evaluator, the context."""

    value: Any
    directory: Path
    evaluator: Evaluator
    context: CallContextSpec
    label: str  # how reports name the input
    tuner: int | None = None  # which tuner of SDK code, 1-based


def _lint(source: InputSource, path: str, text: str, document: Any, *, json_text: bool) -> list[JobReport]:
    context = source.context
    return [
        lint_document(
            path,
            text,
            document,
            source.evaluator,
            region=context.region,
            account=context.account,
            principal=context.principal,
            team=context.team,
            json_text=json_text,
        )
    ]


def _read_inline(source: InputSource) -> list[JobReport]:
    return _lint(source, source.label, json.dumps(source.value, indent=2), source.value, json_text=True)


def _read_file(source: InputSource) -> list[JobReport]:
    path = str(source.directory / source.value)
    try:
        text, document = read_input(path, stdin=_NO_STDIN)
    except UnreadableDocument as error:
        return [JobReport(path=source.value, status=Status.ERROR, reason=f"{source.value}: {error}")]
    return _lint(source, source.value, text, document, json_text=is_json_input(path, text))


def _read_sdk(source: InputSource) -> list[JobReport]:
    from hpo_guardrail.linting.sdk_lint import SdkReadError, lint_sdk_text, read_sdk_file

    shown = str(source.value)
    try:
        text = read_sdk_file(str(source.directory / shown))
    except SdkReadError as error:
        return [JobReport(path=shown, status=Status.ERROR, reason=f"{shown}: {error}")]
    context = source.context
    reports = lint_sdk_text(
        shown,
        text,
        source.evaluator,
        region=context.region,
        account=context.account,
        principal=context.principal,
        team=context.team,
    )
    found = [r for r in reports if r.where is not None]
    if not found:
        return reports  # no tuner, or not Python: the one report says so
    if source.tuner is not None:
        if source.tuner > len(found):
            count = f"{len(found)} tuner{'s' if len(found) != 1 else ''}"
            reason = f"{shown} has {count}: there is no tuner {source.tuner}"
            return [JobReport(path=shown, status=Status.ERROR, reason=reason)]
        return [found[source.tuner - 1]]
    if len(found) > 1:
        places = ", ".join(f"{n} at {r.where}" for n, r in enumerate(found, 1))
        reason = f"{shown} has {len(found)} tuners ({places}): name the one this case tests with `tuner: N`"
        return [JobReport(path=shown, status=Status.ERROR, reason=reason)]
    return reports


class _NoStdin:
    def read(self, size: int = -1) -> str:  # a case never reads standard input: "-" is a file name here
        raise UnreadableDocument("a policy test reads files, not standard input")


_NO_STDIN: Any = _NoStdin()

InputReader = Callable[[InputSource], list[JobReport]]
# Field name on CaseInput -> reader, in the order error messages name them.
INPUT_KINDS: dict[str, InputReader] = {"request": _read_inline, "file": _read_file, "sdk": _read_sdk}


# --- loading --------------------------------------------------------------------------------------------------


def load_test_file(path: Path, shown: str) -> PolicyTestFile:
    """Read and validate a test file; raises UnusableTestFile naming the file, the line and the field."""
    try:
        if path.stat().st_size > 4 * FILE_MAX_CHARACTERS:
            raise UnusableTestFile(shown, f"too large: more than {FILE_MAX_CHARACTERS:,} characters")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnusableTestFile(shown, "no such file") from None
    except UnicodeDecodeError:
        raise UnusableTestFile(shown, "not UTF-8 text") from None
    except OSError as error:
        raise UnusableTestFile(shown, f"cannot read: {error.strerror or error}") from None
    try:
        # YAML 1.2 booleans, as lint reads YAML requests: `TrainingJobEarlyStoppingType: Off` stays "Off".
        root = yaml.compose(text, Loader=Yaml12Loader)
        data = yaml.load(text, Loader=Yaml12Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = str(getattr(error, "problem", None) or error)
        raise UnusableTestFile(shown, f"not valid YAML: {reason}", line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise UnusableTestFile(shown, "not valid YAML: nested too deeply") from None
    if data is None:
        raise UnusableTestFile(shown, "empty: a test file names a `policy` and its `cases`", line=1)
    if not isinstance(data, dict):
        raise UnusableTestFile(shown, f"expected a mapping at the top, got {type(data).__name__}", line=1)
    try:
        return PolicyTestFile.model_validate(data)
    except ValidationError as error:
        problems = error.errors()
        # An unknown key names the typo (`expected:`); the missing key it was meant to be says less.
        first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
        # Pydantic names the branch of a union (`cost.CostBounds`, `cases.0.expect.findings.0.function-before`):
        # keep the path as the file spells it.
        raw = tuple(first["loc"])
        extra = first["type"] == "extra_forbidden"
        location = tuple(
            part
            for part in (raw[:-1] if extra else raw)
            if isinstance(part, int) or (isinstance(part, str) and part in _FIELDS)
        ) + (raw[-1:] if extra else ())
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = f"unknown key {raw[-1]!r}"
        more = error.error_count() - 1
        reason = message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        raise UnusableTestFile(shown, reason, ".".join(str(p) for p in location), line_of(root, location)) from None


_FIELDS = frozenset(
    name
    for model in (
        PolicyTestFile,
        Case,
        CaseInput,
        CallContextSpec,
        Expectation,
        SuppressedPattern,
        CostBounds,
        StackSettings,
    )
    for name in model.model_fields
)


def _policy_spec(test: PolicyTestFile, directory: Path) -> str | None:
    return None if test.policy.strip() == PACKAGED else str(directory / test.policy)


def evaluator_for(
    test: PolicyTestFile, stack: StackSettings, directory: Path, now: Callable[[], datetime] = utc_now
) -> Evaluator:
    """The deployed function's evaluator for a test file: its policy, the stack settings, the bundled prices, its
    day (Evaluator.from_settings, as the function builds it; `lint` evaluates through the same class).

    The caller's environment plays no part: GUARDRAIL_POLICY, GUARDRAIL_MODE and BUDGET_CAP_USD in a
    developer's shell must not change a test's result. Raises SettingsError for a setting the function refuses.
    """
    environ: dict[str, str] = {}
    spec = _policy_spec(test, directory)
    if spec is not None:
        environ["GUARDRAIL_POLICY"] = spec
    if stack.mode is not None:
        environ["GUARDRAIL_MODE"] = stack.mode.value
    if stack.budget_cap_usd is not None:
        environ["BUDGET_CAP_USD"] = repr(stack.budget_cap_usd)
    today = test.today
    clock = (lambda: datetime.combine(today, time(12), tzinfo=UTC)) if today is not None else now
    return Evaluator.from_settings(Settings.from_environ(environ), prices=BundledPrices(), clock=clock)


def check_against_policy(test: PolicyTestFile, evaluator: Evaluator, shown: str) -> None:
    """Raise UnusableTestFile when the policy cannot be used, or a case names a scope or exemption it lacks (a
    typo there would fail the case forever, or pass it for the wrong reason)."""
    try:
        document = evaluator.document()  # an unusable policy fails the file here, not silently in the fallback
    except PolicyError as error:
        raise UnusableTestFile(shown, str(error), "policy") from None
    scopes = {scope.name for scope in document.scopes} | {"defaults"}
    exemptions = {exemption.name for exemption in document.exemptions}
    for index, case in enumerate(test.cases):
        if case.expect.scope is not None and case.expect.scope not in scopes:
            raise UnusableTestFile(
                shown,
                f"the policy has no scope {case.expect.scope!r} (its scopes: {', '.join(sorted(scopes))})",
                f"cases.{index}.expect.scope",
            )
        for pattern in case.expect.suppressed:
            if pattern.exemption is not None and pattern.exemption not in exemptions:
                raise UnusableTestFile(
                    shown,
                    f"the policy has no exemption {pattern.exemption!r} "
                    f"(its exemptions: {', '.join(sorted(exemptions)) or 'none'})",
                    f"cases.{index}.expect.suppressed",
                )


def run_case(case: Case, directory: Path, evaluator: Evaluator, context: CallContextSpec, shown: str) -> CaseResult:
    """One case through `lint`'s reader and the evaluator; `context` is the file's default context."""
    kind = case.input.kind
    source = InputSource(
        value=getattr(case.input, kind),
        directory=directory,
        evaluator=evaluator,
        context=case.context.over(context),
        label=f"{shown}#{case.name}",
        tuner=case.input.tuner,
    )
    reports = INPUT_KINDS[kind](source)
    if len(reports) != 1:
        return CaseResult(shown, case.name, "error", reason=f"the input holds {len(reports)} jobs; a case tests one")
    (report,) = reports
    if report.status is not Status.EVALUATED or report.evaluation is None:
        why = (
            f"the input was skipped, as the guardrail skips it: {report.reason}"
            if report.status is Status.SKIPPED
            else f"the input cannot be used: {report.reason}"
        )
        return CaseResult(shown, case.name, "error", reason=why, report=report)
    differences = compare(case.expect, report)
    return CaseResult(shown, case.name, "failed" if differences else "passed", differences, report=report)


def run_file(path: Path, shown: str, now: Callable[[], datetime] = utc_now) -> FileResult:
    """Every case of one test file; a file that cannot be read or used is one error, and no case runs."""
    directory = path.parent
    try:
        test = load_test_file(path, shown)
        evaluators = {
            stack: evaluator_for(test, stack, directory, now)
            for stack in dict.fromkeys(case.stack.over(test.stack) for case in test.cases)
        }
        check_against_policy(test, next(iter(evaluators.values())), shown)
    except (UnusableTestFile, ValueError) as error:  # SettingsError: a stack setting the function would refuse
        return FileResult(shown, error=str(error))
    cases = [
        run_case(case, directory, evaluators[case.stack.over(test.stack)], test.context, shown) for case in test.cases
    ]
    return FileResult(shown, cases=cases)


def discover(paths: Sequence[str], cwd: Path) -> tuple[list[Path], list[FileResult]]:
    """The test files to run: each directory's `*.hpo-test.yaml` (recursively), each file named.

    With no paths: `policy-tests/` when it exists, else the current directory's `*.hpo-test.yaml`. A path that
    does not exist, or a directory holding no test file, is an error (a CI job that tests nothing must fail).
    """
    found: list[Path] = []
    problems: list[FileResult] = []
    if not paths:
        default = cwd / DEFAULT_DIRECTORY
        found = sorted(default.rglob(f"*{TEST_FILE_SUFFIX}")) if default.is_dir() else []
        found = found or sorted(cwd.glob(f"*{TEST_FILE_SUFFIX}"))
        if not found:
            problems.append(
                FileResult(
                    str(cwd),
                    error=f"no test files: no {DEFAULT_DIRECTORY}/ directory with *{TEST_FILE_SUFFIX} files, and no "
                    f"*{TEST_FILE_SUFFIX} file here",
                )
            )
        return found, problems
    for given in paths:
        path = Path(given)
        if path.is_dir():
            matches = sorted(path.rglob(f"*{TEST_FILE_SUFFIX}"))
            if not matches:
                problems.append(FileResult(given, error=f"no *{TEST_FILE_SUFFIX} file in this directory"))
            found += matches
        elif path.exists():
            found.append(path)
        else:
            problems.append(FileResult(given, error="no such file or directory"))
    return list(dict.fromkeys(found)), problems


def run_tests(paths: Sequence[str], *, cwd: Path | None = None, now: Callable[[], datetime] = utc_now) -> RunResult:
    """Run every case of every test file `paths` name (see `discover`)."""
    base = cwd or Path(os.getcwd())
    found, problems = discover(paths, base)
    results = [run_file(path, _shown(path, base), now) for path in found]
    return RunResult(problems + results)


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


# --- reporting ------------------------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[str, str, str, str]]) -> list[str]:
    header = ("FILE", "CASE", "RESULT", "WHAT DIFFERED")
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]


def text_report(run: RunResult) -> str:
    """The table of every case, then a diff per failed case (- expected, + actual), then the totals."""
    rows: list[tuple[str, str, str, str]] = []
    for file in run.files:
        if file.error:
            rows.append((file.file, "-", "ERROR", file.error))
        for case in file.cases:
            what = case.reason or ", ".join(d.what for d in case.differences)
            rows.append((case.file, case.case, case.result.upper(), what))
    lines = [line.rstrip() for line in _table(rows)]
    for case in run.cases:
        if case.result != "failed":
            continue
        lines += ["", f"FAILED {case.file} :: {case.case}"]
        for difference in case.differences:
            lines.append(f"  {difference.what}")
            lines += [f"    - {line}" for line in difference.expected]
            lines += [f"    + {line}" for line in difference.actual]
    counts = {result: sum(1 for c in run.cases if c.result == result) for result in ("passed", "failed", "error")}
    broken = sum(1 for f in run.files if f.error)
    totals = f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} could not run"
    lines += ["", totals + (f", {broken} test file{'s' if broken != 1 else ''} unusable" if broken else "")]
    return "\n".join(lines) + "\n"


def json_report(run: RunResult) -> str:
    document = {
        "files": [{"file": f.file, "error": f.error, "cases": len(f.cases)} for f in run.files],
        "cases": [case.as_json() for case in run.cases],
        "summary": {result: sum(1 for c in run.cases if c.result == result) for result in ("passed", "failed", "error")}
        | {"unusable_files": sum(1 for f in run.files if f.error)},
        "exit_code": run.exit_code(),
    }
    return json.dumps(document, indent=2) + "\n"
