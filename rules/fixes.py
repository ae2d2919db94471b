"""One reconciled set of fixes per evaluation: fixes that never contradict each other.

Each rule suggests its own fix, in words and (when it is mechanical) as JSON Patch operations. Two rules
may name the same member: `budget-cap` and `runtime-unbounded` both set the tuning job's
ResourceLimits.MaxRuntimeInSeconds, `budget-cap` and `grid-misuse` both set MaxNumberOfTrainingJobs.
`reconcile` turns the findings into `Fix`es such that:

- every finding is answered by exactly one fix (a fix with no patch needs a human);
- no two fixes touch the same member, or a member inside another's (their pointers are disjoint), so
  applying all of them in any order gives one request;
- operations on the same limit (`UPPER_LIMITS`: the job count, the parallel jobs, the tuning job's
  runtime) are merged into the tightest one: each rule asked for "this value or less", so the lowest value
  answers them all. The tuning job's runtime is never set below the longest training job's
  StoppingCondition.MaxRuntimeInSeconds: a tuning job that ends before one training job can finish
  spends its budget on nothing. A suggestion below that is not applied, and its finding says why;
- otherwise, when two suggestions disagree, the more severe finding's fix wins and the other finding
  says which fix it conflicts with.

The alert, `lint` and `lint --fix` read the result from `Evaluation.fixes` (rules/engine.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rules.findings import Finding, PatchOperation
from rules.models import TuningRequest

RESOURCE_LIMITS = "/HyperParameterTuningJobConfig/ResourceLimits"
TUNING_RUNTIME = f"{RESOURCE_LIMITS}/MaxRuntimeInSeconds"
TRAINING_JOBS = f"{RESOURCE_LIMITS}/MaxNumberOfTrainingJobs"
PARALLEL_JOBS = f"{RESOURCE_LIMITS}/MaxParallelTrainingJobs"
# SageMaker's lower limit for the tuning job's MaxRuntimeInSeconds (botocore: HyperParameterTuningMaxRuntimeInSeconds).
MIN_TUNING_RUNTIME_SECONDS = 120
# Members whose value is an upper limit: a rule that proposes a value for one accepts any lower value.
UPPER_LIMITS = (TUNING_RUNTIME, TRAINING_JOBS, PARALLEL_JOBS)


class Fix(BaseModel):
    """What to change in the request to answer one or more findings.

    `patch` holds the JSON Patch operations (RFC 6902, on the PascalCase request) when the change is
    mechanical; an empty patch means a person has to choose. `findings` are the positions, in the
    evaluation's findings, of the findings this fix answers, and `rules` their rule ids. `superseded`
    says, in words, which suggestions this fix replaced (another rule's value, or a suggestion that could
    not be applied and why).
    """

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="What to change, in words")
    rules: tuple[str, ...] = Field(description="The rules whose findings this fix answers")
    findings: tuple[int, ...] = Field(description="Positions of the answered findings in the evaluation's findings")
    patch: tuple[PatchOperation, ...] = Field(default=(), description="The change as JSON Patch; empty: needs a human")
    superseded: tuple[str, ...] = Field(default=(), description="Suggestions this fix replaced, and why")

    @property
    def automatic(self) -> bool:
        """Whether `lint --fix` can apply this fix."""
        return bool(self.patch)


def longest_training_runtime(request: TuningRequest) -> int:
    """The longest StoppingCondition.MaxRuntimeInSeconds of the request's training job definitions (seconds)."""
    return max(definition.max_runtime_seconds for definition in request.definitions)


def lowest_allowed(pointer: str, request: TuningRequest) -> int:
    """The lowest value a fix may give an upper limit and still leave a job that can complete a training job."""
    if pointer == TUNING_RUNTIME:
        return max(MIN_TUNING_RUNTIME_SECONDS, longest_training_runtime(request))
    return 1


def _overlaps(path: str, other: str) -> bool:
    """Whether two JSON pointers name the same member, or one lies inside the other."""
    return path == other or path.startswith(other + "/") or other.startswith(path + "/")


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def member_name(pointer: str) -> str:
    """A pointer as a reader names the member: 'ResourceLimits.MaxRuntimeInSeconds'."""
    parts = pointer.strip("/").split("/")
    if parts and parts[0] == "HyperParameterTuningJobConfig":
        parts = parts[1:]
    words: list[str] = []
    for part in parts:
        part = part.replace("~1", "/").replace("~0", "~")
        if part.isdigit() and words:
            words[-1] += f"[{part}]"
        else:
            words.append(part)
    return ".".join(words)


def _label(finding: Finding) -> str:
    return " ".join(part for part in (finding.rule, finding.definition, finding.parameter) if part)


def _shown(value: Any) -> str:
    if _is_count(value):
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


@dataclass
class _Merged:
    """One member as the accepted suggestions set it, and who asked for what."""

    operation: PatchOperation
    asked: list[tuple[int, Any]] = field(default_factory=list)  # (finding position, value it proposed)


def reconcile(findings: Sequence[Finding], request: TuningRequest) -> tuple[Fix, ...]:
    """The reconciled fixes for `findings` (most severe first, as an Evaluation holds them) of `request`."""
    merged: dict[str, _Merged] = {}
    owners: dict[int, set[str]] = {}  # accepted finding position -> pointers it set
    refused: dict[int, str] = {}  # finding position -> why its patch is not applied
    for position, finding in enumerate(findings):
        if not finding.patch:
            continue
        reason = _refusal(finding, findings, merged, request)
        if reason is not None:
            refused[position] = reason
            continue
        owners[position] = set()
        for op in finding.patch:
            owners[position].add(op.path)
            if op.path in merged:
                entry = merged[op.path]
                lower = op.op != "remove" and op.path in UPPER_LIMITS and op.value < entry.operation.value
                if lower:
                    entry.operation = op
                entry.asked.append((position, op.value))
            else:
                merged[op.path] = _Merged(op, [(position, op.value)])
    fixes = _mechanical_fixes(findings, merged, owners)
    for position, finding in enumerate(findings):
        if position in owners:
            continue
        why = refused.get(position)
        text = finding.fix if why is None else f"{finding.fix} Not applied automatically: {why}."
        fixes.append(
            Fix(
                text=text,
                rules=(finding.rule,),
                findings=(position,),
                superseded=(f"{_label(finding)}: {why}",) if why else (),
            )
        )
    return tuple(sorted(fixes, key=lambda fix: min(fix.findings)))


def _refusal(
    finding: Finding, findings: Sequence[Finding], merged: dict[str, _Merged], request: TuningRequest
) -> str | None:
    """Why the finding's patch cannot join the fixes accepted so far, or None when it can."""
    for op in finding.patch:
        if op.path in UPPER_LIMITS and op.op != "remove":
            if not _is_count(op.value):
                return f"its patch sets {member_name(op.path)} to {op.value!r}, which is not a number"
            lowest = lowest_allowed(op.path, request)
            if op.value < lowest:
                if op.path == TUNING_RUNTIME:
                    return (
                        f"setting {member_name(op.path)} to {_shown(op.value)} s would end the tuning job before one "
                        f"training job (up to {lowest:,} s, its StoppingCondition.MaxRuntimeInSeconds) can finish"
                    )
                return f"{member_name(op.path)} must be at least {lowest}"
        for path, entry in merged.items():
            if not _overlaps(op.path, path):
                continue
            if op.path == path and _compatible(op, entry.operation):
                continue
            winner = findings[entry.asked[0][0]]
            setting = "removes it" if entry.operation.op == "remove" else f"sets it to {_shown(entry.operation.value)}"
            return (
                f"it conflicts with the fix for {_label(winner)}, which touches {member_name(path)} "
                f"({setting}); apply that one first and lint again"
            )
    return None


def _compatible(op: PatchOperation, accepted: PatchOperation) -> bool:
    """Two operations on one member that one operation can satisfy."""
    if op.op == "remove" or accepted.op == "remove":
        return op.op == accepted.op
    if op.path in UPPER_LIMITS:
        return _is_count(op.value) and _is_count(accepted.value)
    return bool(op.value == accepted.value)


def _mechanical_fixes(
    findings: Sequence[Finding], merged: dict[str, _Merged], owners: dict[int, set[str]]
) -> list[Fix]:
    """One fix per group of accepted findings that share a member (their pointers are disjoint otherwise)."""
    groups: list[tuple[set[int], set[str]]] = []
    for position, paths in owners.items():
        joined = [g for g in groups if g[1] & paths]
        group = ({position}, set(paths))
        for other in joined:
            groups.remove(other)
            group[0].update(other[0])
            group[1].update(other[1])
        groups.append(group)
    fixes: list[Fix] = []
    for positions, paths in groups:
        ordered = sorted(positions)
        patch = tuple(merged[path].operation for path in sorted(paths, key=lambda p: _first_use(p, ordered, findings)))
        lone = findings[ordered[0]]
        if len(ordered) == 1 and patch == lone.patch:
            fixes.append(Fix(text=lone.fix, rules=(lone.rule,), findings=tuple(ordered), patch=patch))
            continue
        superseded = [
            f"{_label(findings[position])} proposed {member_name(path)} {_shown(value)}; "
            f"{_shown(merged[path].operation.value)} answers "
            f"{' and '.join(dict.fromkeys(findings[p].rule for p, _ in merged[path].asked))}"
            for path in paths
            for position, value in merged[path].asked
            if merged[path].operation.op != "remove" and value != merged[path].operation.value
        ]
        fixes.append(
            Fix(
                text=_describe(patch, [findings[p] for p in ordered]),
                rules=tuple(dict.fromkeys(findings[p].rule for p in ordered)),
                findings=tuple(ordered),
                patch=patch,
                superseded=tuple(superseded),
            )
        )
    return fixes


def _first_use(path: str, positions: list[int], findings: Sequence[Finding]) -> tuple[int, int]:
    for position in positions:
        for index, op in enumerate(findings[position].patch):
            if op.path == path:
                return position, index
    return len(findings), 0


def _describe(patch: Sequence[PatchOperation], answered: Sequence[Finding]) -> str:
    """A merged fix in words: each change, then the findings it answers."""
    changes = [
        f"remove {member_name(op.path)}" if op.op == "remove" else f"set {member_name(op.path)} to {_shown(op.value)}"
        for op in patch
    ]
    limits = [op for op in patch if op.path in UPPER_LIMITS]
    why = " (the lowest value proposed, so it answers every rule that asked for a limit)" if limits else ""
    text = "; ".join(changes)
    return f"{text[:1].upper()}{text[1:]}{why}. Answers {', '.join(dict.fromkeys(_label(f) for f in answered))}."
