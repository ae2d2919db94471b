"""The replay's comparison on its own: recorded vs replayed judgements, findings matched, counts per scope."""

from __future__ import annotations

import pytest

from hpo_guardrail.replay.compare import (
    Counts,
    FindingRef,
    Judgement,
    NotReplayable,
    NotReplayableKind,
    ReplayedJob,
    compare,
    diff_findings,
    summarise,
)
from hpo_guardrail.replay.render import counts_phrase


def ref(rule: str, severity: str = "high", parameter: str | None = None, message: str = "") -> FindingRef:
    return FindingRef(rule=rule, severity=severity, parameter=parameter, message=message or f"{rule} message")


def judged(decision: str, *findings: FindingRef, scope: str = "defaults") -> Judgement:
    return Judgement(decision=decision, scope=scope, findings=findings)


def job(recorded: Judgement, replayed: Judgement, event_id: str = "e1", when: str = "2026-11-26T09:30:00Z"):
    return ReplayedJob(
        event_id=event_id, job_name=f"job-{event_id}", occurred_at=when, recorded=recorded, replayed=replayed
    )


@pytest.mark.parametrize(
    ("recorded", "replayed", "expected"),
    [
        ("none", "notify", {"new_alert"}),
        ("none", "stop", {"new_alert", "new_stop"}),
        ("notify", "stop", {"new_stop"}),  # it was alerted already: the stop is what is new
        ("stop", "notify", {"stop_gone"}),  # still alerted
        ("stop", "none", {"stop_gone", "alert_gone"}),
        ("notify", "none", {"alert_gone"}),
        ("notify", "notify", set()),
        ("stop", "stop", set()),
        ("none", "none", set()),
    ],
)
def test_decision_changes_are_named_by_what_reaches_people(recorded, replayed, expected):
    finding = ref("log-scale", parameter="lr")
    change = compare(job(judged(recorded, finding), judged(replayed, finding)))
    flags = {name for name in ("new_alert", "alert_gone", "new_stop", "stop_gone") if getattr(change, name)}
    assert flags == expected
    assert change.changed is (recorded != replayed)


def test_a_finding_whose_message_moves_with_the_cap_is_the_same_finding():
    before = ref("budget-cap", message="worst case $1,200.00 is above the cap $1,000.00")
    after = ref("budget-cap", message="worst case $1,200.00 is above the cap $500.00")
    assert diff_findings([before], [after]) == ((), (), ())
    assert not compare(job(judged("notify", before), judged("notify", after))).changed


def test_findings_new_gone_and_re_rated_are_told_apart():
    recorded = [ref("log-scale", "medium", "lr"), ref("spot", "info"), ref("positive-min", "high", "dropout")]
    replayed = [ref("log-scale", "high", "lr"), ref("budget-cap", "high"), ref("positive-min", "high", "dropout")]
    new, gone, rerated = diff_findings(recorded, replayed)
    assert [f.rule for f in new] == ["budget-cap"]
    assert [f.rule for f in gone] == ["spot"]
    assert [(s.rule, s.parameter, s.recorded, s.replayed) for s in rerated] == [("log-scale", "lr", "medium", "high")]


def test_repeated_findings_of_one_rule_and_parameter_are_paired_by_severity_then_counted():
    # `limits` reports several limits with no parameter: two recorded, three replayed, one of them re-rated.
    recorded = [ref("limits", "high"), ref("limits", "medium")]
    replayed = [ref("limits", "medium"), ref("limits", "low"), ref("limits", "low")]
    new, gone, rerated = diff_findings(recorded, replayed)
    assert [(s.recorded, s.replayed) for s in rerated] == [("high", "low")]
    assert [f.severity for f in new] == ["low"]
    assert gone == ()


def test_a_finding_on_another_parameter_is_a_new_finding_not_a_moved_one():
    new, gone, _ = diff_findings([ref("log-scale", parameter="lr")], [ref("log-scale", parameter="weight_decay")])
    assert [f.parameter for f in new] == ["weight_decay"]
    assert [f.parameter for f in gone] == ["lr"]


def test_summary_groups_by_the_candidates_scope_lists_only_changed_jobs_and_adds_up():
    lr = ref("log-scale", parameter="lr")
    jobs = [
        # nlp goes to enforce: one of its two jobs is now stopped
        job(judged("notify", lr), judged("stop", lr, scope="nlp"), "a", "2026-11-02T00:00:00Z"),
        job(judged("notify", lr), judged("notify", lr, scope="nlp"), "b", "2026-11-01T00:00:00Z"),
        # a lower cap: a clean job becomes an alert with a budget-cap finding
        job(judged("none"), judged("notify", ref("budget-cap")), "c"),
        # a disabled rule: its finding goes, and so does the only alert
        job(judged("notify", ref("spot", "info")), judged("none"), "d"),
        job(judged("none"), judged("none", scope="cv"), "e"),
    ]
    summary = summarise(jobs, [])
    assert [s.scope for s in summary.scopes] == ["cv", "nlp", "defaults"], "named scopes by name, defaults last"
    by_scope = {s.scope: s for s in summary.scopes}
    assert by_scope["nlp"].counts == Counts(jobs=2, changed=1, new_stops=1)
    assert [c.job.event_id for c in by_scope["nlp"].changes] == ["a"], "unchanged jobs are counted, not listed"
    assert by_scope["defaults"].counts == Counts(
        jobs=2, changed=2, new_alerts=1, alerts_gone=1, findings_new=1, findings_gone=1
    )
    assert by_scope["cv"].counts == Counts(jobs=1) and by_scope["cv"].changes == ()
    assert summary.totals == Counts(
        jobs=5, changed=3, new_alerts=1, alerts_gone=1, new_stops=1, findings_new=1, findings_gone=1
    )


def test_changed_jobs_are_listed_in_time_order():
    lr = ref("log-scale", parameter="lr")
    jobs = [
        job(judged("notify", lr), judged("stop", lr), "late", "2026-11-20T00:00:00Z"),
        job(judged("notify", lr), judged("stop", lr), "early", "2026-11-02T00:00:00Z"),
    ]
    (scope,) = summarise(jobs).scopes
    assert [c.job.event_id for c in scope.changes] == ["early", "late"]


def test_records_that_cannot_be_replayed_are_counted_by_kind():
    skipped = [
        NotReplayable(event_id="x", occurred_at="2026-11-01T00:00:00Z", kind=NotReplayableKind.NO_REQUEST, reason="r"),
        NotReplayable(event_id="y", occurred_at="2026-11-01T00:00:00Z", kind=NotReplayableKind.NO_REQUEST, reason="r"),
        NotReplayable(
            event_id="z", occurred_at="2026-11-01T00:00:00Z", kind=NotReplayableKind.NOT_EVALUATED, reason="r"
        ),
    ]
    summary = summarise([], skipped)
    assert summary.not_replayable_counts() == {"not-evaluated": 1, "no-stored-request": 2}
    assert summary.totals == Counts()


def test_the_counts_phrase_leaves_out_zeros_and_says_when_nothing_changed():
    assert counts_phrase(Counts(jobs=3)) == "3 jobs replayed, 0 changed: no change"
    assert (
        counts_phrase(Counts(jobs=2, changed=2, new_stops=1, alerts_gone=1, findings_new=2, severity_changed=1))
        == "2 jobs replayed, 2 changed: 1 new stop, 1 alert gone; findings: 2 new, 1 re-rated"
    )
    assert counts_phrase(Counts(jobs=1, changed=1, findings_gone=1)) == (
        "1 job replayed, 1 changed: no decision changes; findings: 1 gone"
    )


def test_findings_of_two_definitions_are_told_apart():
    from hpo_guardrail.replay.compare import FindingRef

    gpu = FindingRef(rule="runtime-too-short", severity="medium", definition="gpu")
    cpu = FindingRef(rule="runtime-too-short", severity="low", definition="cpu")
    assert gpu.key != cpu.key
    assert "in gpu" in gpu.label()
