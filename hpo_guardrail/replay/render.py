"""The replay's two formats: text for a person, JSON for a pipeline. Both say what the comparison is against."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict

from hpo_guardrail.enforce.escaping import terminal_text
from hpo_guardrail.replay.compare import Counts, JobChange, Judgement, NotReplayableKind, ReplaySummary

FORMATS = ("text", "json")

COMPARED_WITH = (
    "what the guardrail decided and recorded at the time (each record's decision and findings), "
    "not a new evaluation under the policy in force today"
)
RECORDED_PRICES = "recorded"
_KIND_WORDS = {
    NotReplayableKind.NOT_EVALUATED: "skipped or rejected (nothing was evaluated)",
    NotReplayableKind.NO_REQUEST: "not replayable (no stored request)",
    NotReplayableKind.REQUEST_OMITTED: "not replayable (request too large to store)",
    NotReplayableKind.UNREADABLE: "not replayable (stored record unreadable)",
}


class ReplayBasis(BaseModel):
    """What was replayed against what: the candidate, the records read, and where prices and mode came from."""

    model_config = ConfigDict(frozen=True)

    policy: str
    policy_version: str
    table: str
    since: str
    until: str
    records: int
    prices: str  # "recorded", or the CLI's price choice (live, bundled)
    prices_note: str
    mode: str | None = None  # --mode: every job decided in this mode

    @property
    def mode_note(self) -> str:
        if self.mode:
            return f"every job decided in {self.mode} mode (--mode {self.mode}), whatever the policy says"
        return "as the candidate policy resolves it over each record's deployment settings (Mode, BudgetCapUsd)"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def counts_phrase(counts: Counts) -> str:
    """'3 jobs replayed, 2 changed: 1 new stop, 1 new alert; findings: 2 new, 1 gone' (zeros left out)."""
    head = f"{_plural(counts.jobs, 'job')} replayed, {counts.changed} changed"
    if not counts.changed:
        return f"{head}: no change"
    decisions = [
        _plural(counts.new_stops, "new stop"),
        _plural(counts.stops_gone, "stop gone", "stops gone"),
        _plural(counts.new_alerts, "new alert"),
        _plural(counts.alerts_gone, "alert gone", "alerts gone"),
    ]
    findings = [f"{counts.findings_new} new", f"{counts.findings_gone} gone", f"{counts.severity_changed} re-rated"]
    shown = [part for part in decisions if not part.startswith("0 ")]
    found = [part for part in findings if not part.startswith("0 ")]
    text = f"{head}: {', '.join(shown) or 'no decision changes'}"
    return f"{text}; findings: {', '.join(found)}" if found else text


def _usd(judgement: Judgement) -> str:
    if judgement.worst_case_usd is None:
        return "no cost"
    at_least = "" if judgement.cost_complete is not False else "at least "
    return f"worst case {at_least}${judgement.worst_case_usd:,.2f}"


def _judgement_line(label: str, judgement: Judgement) -> str:
    return (
        f"{label}: {judgement.decision} (mode {judgement.mode or '?'}, scope {judgement.scope}, "
        f"{_usd(judgement)}): {judgement.reason or 'no reason recorded'}"
    )


def _change_lines(change: JobChange) -> list[str]:
    job, recorded, replayed = change.job, change.job.recorded, change.job.replayed
    who = [f"event {job.event_id}", job.occurred_at]
    who += [f"account {job.account}"] if job.account else []
    who += [f"team {job.team}"] if job.team else []
    lines = [f"  {job.job_name or '(no job name)'}  ({', '.join(who)})"]
    what = [
        name
        for name, flag in (
            ("new stop", change.new_stop),
            ("stop gone", change.stop_gone),
            ("new alert", change.new_alert),
            ("alert gone", change.alert_gone),
        )
        if flag
    ]
    if change.decision_changed:
        lines.append(f"    {', '.join(what) or 'decision changed'}: {recorded.decision} -> {replayed.decision}")
    else:
        lines.append(f"    decision unchanged: {recorded.decision}")
    lines.append("      " + _judgement_line("recorded", recorded))
    if change.stop_gone and job.stop_outcome:
        lines.append(f"        the recorded stop: {job.stop_outcome}")
    lines.append("      " + _judgement_line("replayed", replayed))
    for finding in change.findings_new:
        lines.append(f"    + {finding.label()}: {finding.message}")
    exempted = {f.key: f.exemption for f in replayed.suppressed}
    for finding in change.findings_gone:
        why = f" (set aside by exemption {exempted[finding.key]})" if finding.key in exempted else ""
        lines.append(f"    - {finding.label()}{why}")
    for rerated in change.severity_changed:
        where = f" on {rerated.parameter}" if rerated.parameter else ""
        lines.append(f"    ~ {rerated.rule}{where}: {rerated.recorded} -> {rerated.replayed}")
    return lines


def render_text(basis: ReplayBasis, summary: ReplaySummary) -> str:
    """The report for a terminal: what was compared, each scope's changed jobs, what was not replayed, totals."""
    lines = [
        f"Replay of the candidate policy {basis.policy} ({basis.policy_version}) over "
        f"{_plural(basis.records, 'record')} of the audit table {basis.table}, {basis.since} .. {basis.until}",
        f"Compared with: {COMPARED_WITH}.",
        f"Prices: {basis.prices_note}.",
        f"Mode: {basis.mode_note}.",
        "",
    ]
    if not summary.scopes:
        lines.append("No evaluated job with a stored request in this period.")
    for scope in summary.scopes:
        lines.append(f"scope {scope.scope}: {counts_phrase(scope.counts)}")
        for change in scope.changes:
            lines.extend(_change_lines(change))
    counts = summary.not_replayable_counts()
    if counts:
        lines.append("")
        lines.append(
            "Not replayed: " + "; ".join(f"{n} {_KIND_WORDS[NotReplayableKind(k)]}" for k, n in counts.items())
        )
        for record in summary.not_replayable:
            if record.kind is not NotReplayableKind.NOT_EVALUATED:
                name = record.job_name or "(no job name)"
                lines.append(f"  {name}  (event {record.event_id}, {record.occurred_at}): {record.reason}")
    lines.append("")
    lines.append(f"Totals: {counts_phrase(summary.totals)}")
    return "".join(terminal_text(line) + "\n" for line in lines)


def _change_json(change: JobChange) -> dict[str, object]:
    job = change.job
    return {
        "event_id": job.event_id,
        "job_name": job.job_name,
        "occurred_at": job.occurred_at,
        "account": job.account,
        "team": job.team,
        "principal_arn": job.principal_arn,
        "new_alert": change.new_alert,
        "alert_gone": change.alert_gone,
        "new_stop": change.new_stop,
        "stop_gone": change.stop_gone,
        "recorded": job.recorded.model_dump(mode="json", exclude={"findings", "suppressed"}),
        "replayed": job.replayed.model_dump(mode="json", exclude={"findings", "suppressed"}),
        "recorded_stop": job.stop_outcome,
        "findings_new": [f.model_dump(mode="json", exclude={"exemption"}) for f in change.findings_new],
        "findings_gone": [f.model_dump(mode="json", exclude={"exemption"}) for f in change.findings_gone],
        "severity_changed": [s.model_dump(mode="json") for s in change.severity_changed],
    }


def render_json(basis: ReplayBasis, summary: ReplaySummary) -> str:
    """The report as one JSON document (docs/cli.md describes its fields)."""
    document = {
        "policy": {"source": basis.policy, "version": basis.policy_version},
        "table": basis.table,
        "period": {"since": basis.since, "until": basis.until},
        "records": basis.records,
        "compared_with": "recorded",
        "compared_with_note": COMPARED_WITH,
        "prices": basis.prices,
        "prices_note": basis.prices_note,
        "mode": basis.mode,
        "mode_note": basis.mode_note,
        "totals": summary.totals.model_dump(mode="json"),
        "scopes": [
            {
                "scope": scope.scope,
                "counts": scope.counts.model_dump(mode="json"),
                "changes": [_change_json(change) for change in scope.changes],
            }
            for scope in summary.scopes
        ],
        "not_replayable": {
            "counts": summary.not_replayable_counts(),
            "records": [r.model_dump(mode="json") for r in summary.not_replayable],
        },
    }
    return json.dumps(document, indent=2) + "\n"


def render(output_format: str, basis: ReplayBasis, summary: ReplaySummary) -> str:
    if output_format == "json":
        return render_json(basis, summary)
    if output_format == "text":
        return render_text(basis, summary)
    raise ValueError(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
