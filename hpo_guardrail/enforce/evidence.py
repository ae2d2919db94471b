"""A finding's evidence in words, for people: "worst case $1,013,472 against a $1,000 cap; 750 training jobs
(default quota; MaxNumberOfTrainingJobs not set)" instead of `worst_case_usd=1013472.0, cap_usd=1000.0, ...`.

The evidence stays as numbers in the audit record, lint's JSON and SARIF; only the alert reads it out. Phrases
are looked up by evidence key, so they serve every rule that uses a key. A key without a phrase (a new rule's)
still reads as words: its name with the underscores gone and its unit taken from its suffix (`_usd`, `_hours`,
`_seconds`, `_share`), e.g. `possible_saving_usd` -> "possible saving $709,430".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rules.findings import Evidence

Value = str | int | float | bool


def usd(value: Value) -> str:
    """Dollars: cents below $100, whole dollars above."""
    amount = float(value)
    return f"${amount:,.2f}" if abs(amount) < 100 else f"${amount:,.0f}"


def number(value: Value) -> str:
    """An integer with thousands separators; a float in its shortest form."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def percent(value: Value) -> str:
    """A share (0..1) as a percentage: 0.9001 -> 90%, 0.0009 -> 0.09%, 0.9999 -> >99.9%."""
    share = float(value) * 100
    if 99.9 < share < 100:
        return ">99.9%"
    if 0 < share < 0.1:
        return f"{share:.2g}%"
    return f"{share:.3g}%"


def hours(value: Value) -> str:
    amount = float(value)
    days = f" ({amount / 24:,.1f} days)" if amount >= 48 else ""
    return f"{amount:,.2f}".rstrip("0").rstrip(".") + f" h{days}"


def seconds(value: Value) -> str:
    amount = float(value)
    return f"{number(value)} s" + (f" = {hours(amount / 3600)}" if amount >= 3600 else "")


@dataclass(frozen=True)
class Phrase:
    """Words for one or more evidence keys: `keys[0]` must be present; the others are read when present."""

    keys: tuple[str, ...]
    words: Callable[[Mapping[str, Value]], str | None]


def _cost(e: Mapping[str, Value]) -> str:
    at_least = "at least " if e.get("complete") is False else ""
    cap = f" against a {usd(e['cap_usd'])} cap" if "cap_usd" in e else ""
    return f"worst case {at_least}{usd(e['worst_case_usd'])}{cap}"


def _jobs(key: str) -> Callable[[Mapping[str, Value]], str]:
    def words(e: Mapping[str, Value]) -> str:
        basis = f" ({e['job_count_basis']})" if "job_count_basis" in e else ""
        flagged = f", flagged from {number(e['threshold_training_jobs'])}" if "threshold_training_jobs" in e else ""
        return f"{number(e[key])} training jobs{basis}{flagged}"

    return words


def _bounds(e: Mapping[str, Value]) -> str:
    wall = e.get("wall_clock_bound_usd")
    wall_words = f"wall-clock bound {usd(wall)}" if wall is not None else "no wall-clock bound"
    binding = f"; the {e['binding_bound']} bound applies" if "binding_bound" in e else ""
    return f"job-count bound {usd(e['jobs_bound_usd'])}, {wall_words}{binding}"


def _range(e: Mapping[str, Value]) -> str:
    kind = f"{e['range_kind']} " if "range_kind" in e else ""
    scale = f", ScalingType {e['scaling_type']}" if "scaling_type" in e else ""
    return f"{kind}range {number(e['min_value'])} .. {number(e.get('max_value', '?'))}{scale}"


def _spread(e: Mapping[str, Value]) -> str:
    decades = f"{number(e['decades'])} orders of magnitude (ratio {number(e['ratio'])})" if "decades" in e else ""
    decades = decades or f"ratio {number(e['ratio'])}"
    threshold = f", flagged from a ratio of {number(e['threshold_ratio'])}" if "threshold_ratio" in e else ""
    return f"spans {decades}{threshold}"


def _linear_shares(e: Mapping[str, Value]) -> str:
    words = f"on a linear scale {percent(e['top_decade_share_linear'])} of trials land in the top decade"
    if "bottom_decade_share_linear" in e and "bottom_decade_share_log" in e:
        words += (
            f" and {percent(e['bottom_decade_share_linear'])} in the bottom one "
            f"({percent(e['bottom_decade_share_log'])} on a log scale)"
        )
    return words


def _chance(linear: str, other: str, other_scale: str, part: str) -> Callable[[Mapping[str, Value]], str]:
    def words(e: Mapping[str, Value]) -> str:
        trials = f"with {number(e['trials'])} trials, " if "trials" in e else ""
        versus = f" ({percent(e[other])} on a {other_scale} scale)" if other in e else ""
        return f"{trials}a {percent(e[linear])} chance that any trial lands in the {part} on a linear scale{versus}"

    return words


def _closeness(e: Mapping[str, Value]) -> str:
    decades = f" ({number(e['distance_decades'])} decades)" if "distance_decades" in e else ""
    threshold = f", flagged from {number(e['threshold_ratio'])}" if "threshold_ratio" in e else ""
    return f"distance to 1 spans a ratio of {number(e['distance_ratio'])}{decades}{threshold}"


def _closest_part(e: Mapping[str, Value]) -> str:
    share = (
        f": {percent(e['closest_part_share_linear'])} of trials on a linear scale"
        if "closest_part_share_linear" in e
        else ""
    )
    reverse = (
        f", {percent(e['closest_part_share_reverse_log'])} on a reverse-log scale"
        if "closest_part_share_reverse_log" in e
        else ""
    )
    return f"the part closest to 1 starts at {number(e['closest_part_low'])}{share}{reverse}"


def _parallel(e: Mapping[str, Value]) -> str:
    share = f" ({percent(e['parallel_share'])} of the jobs" if "parallel_share" in e else ""
    if share and "threshold_share" in e:
        share += f", flagged from {percent(e['threshold_share'])}"
    share += ")" if share else ""
    rounds = f" in {number(e['rounds'])} rounds" if "rounds" in e else ""
    return f"{number(e['max_parallel_jobs'])} training jobs in parallel{share}{rounds}"


def _suggested_parallel(e: Mapping[str, Value]) -> str:
    rounds = f" ({number(e['suggested_rounds'])} rounds)" if "suggested_rounds" in e else ""
    return f"suggested {number(e['suggested_max_parallel_jobs'])} in parallel{rounds}"


def _job_runtime(e: Mapping[str, Value]) -> str:
    threshold = (
        f", flagged from {hours(e['threshold_job_runtime_hours'])}" if "threshold_job_runtime_hours" in e else ""
    )
    return f"each training job may run {hours(e['job_runtime_hours'])}{threshold}"


def _wall_clock(e: Mapping[str, Value]) -> str:
    beyond = ", beyond the 30-day quota of a tuning job" if e.get("beyond_30_day_quota") else ""
    return f"the tuning job's wall clock may reach {hours(e['wall_clock_bound_hours'])}{beyond}"


def _spot(e: Mapping[str, Value]) -> str:
    discount = f" at an assumed {percent(e['assumed_discount'])} discount" if "assumed_discount" in e else ""
    return f"managed spot could save up to {usd(e['possible_saving_usd'])}{discount}"


def _definitions_on_demand(e: Mapping[str, Value]) -> str:
    spot = f", {number(e['spot_definitions'])} on spot" if "spot_definitions" in e else ""
    return f"{number(e['on_demand_definitions'])} training job definition(s) on demand{spot}"


def _strategy(e: Mapping[str, Value]) -> str:
    early = f", early stopping {e['early_stopping']}" if "early_stopping" in e else ""
    return f"{e['strategy']} strategy{early}"


def _tags(e: Mapping[str, Value]) -> str:
    required = f" (required: {e['required']})" if "required" in e else ""
    present = f"; tags present: {e['present'] or 'none'}" if "present" in e else ""
    return f"missing tag(s): {e['missing']}{required}{present}"


def _price(e: Mapping[str, Value]) -> str:
    where = f" in {e['region']}" if "region" in e else ""
    source = f", estimated from {e['estimated_from']}" if e.get("estimated_from") else ""
    treated = f"; treated as {e['treated_as']}" if "treated_as" in e else ""
    as_of = f" (bundled prices as of {e['prices_as_of']})" if "prices_as_of" in e else ""
    return f"{e['instance_type']}{where}{source}{treated}{as_of}"


def _grid(e: Mapping[str, Value]) -> str:
    searched = (
        f" over {number(e['definitions_searched'])} definition(s) searched" if "definitions_searched" in e else ""
    )
    return f"{number(e['combinations'])} distinct combinations{searched}"


def _hyperband(e: Mapping[str, Value]) -> str:
    limit = f" (at most {number(e['max_resource_limit'])})" if "max_resource_limit" in e else ""
    return f"Hyperband MinResource {number(e['min_resource'])}, MaxResource {number(e.get('max_resource', '?'))}{limit}"


# Ordered as the words should read; a key is spoken once, by the first phrase that names it.
PHRASES: tuple[Phrase, ...] = (
    Phrase(("worst_case_usd", "cap_usd", "complete"), _cost),
    Phrase(("job_count", "job_count_basis", "threshold_training_jobs"), _jobs("job_count")),
    Phrase(("training_jobs", "job_count_basis", "threshold_training_jobs"), _jobs("training_jobs")),
    Phrase(("jobs_bound_usd", "wall_clock_bound_usd", "binding_bound"), _bounds),
    Phrase(("strategy", "early_stopping"), _strategy),
    Phrase(("min_value", "max_value", "range_kind", "scaling_type"), _range),
    Phrase(("ratio", "decades", "threshold_ratio"), _spread),
    Phrase(("name_suggests_log",), lambda e: "the name suggests a log scale" if e["name_suggests_log"] else None),
    Phrase(("top_decade_share_linear", "bottom_decade_share_linear", "bottom_decade_share_log"), _linear_shares),
    Phrase(
        ("p_any_trial_in_bottom_decade_linear", "trials", "p_any_trial_in_bottom_decade_log"),
        _chance("p_any_trial_in_bottom_decade_linear", "p_any_trial_in_bottom_decade_log", "log", "bottom decade"),
    ),
    Phrase(("distance_ratio", "distance_decades", "threshold_ratio"), _closeness),
    Phrase(("closest_part_low", "closest_part_share_linear", "closest_part_share_reverse_log"), _closest_part),
    Phrase(
        ("p_any_trial_in_closest_part_linear", "trials", "p_any_trial_in_closest_part_reverse_log"),
        _chance(
            "p_any_trial_in_closest_part_linear",
            "p_any_trial_in_closest_part_reverse_log",
            "reverse-log",
            "part closest to 1",
        ),
    ),
    Phrase(("proposed_min_value",), lambda e: f"proposed MinValue {number(e['proposed_min_value'])}"),
    Phrase(("max_parallel_jobs", "parallel_share", "threshold_share", "rounds"), _parallel),
    Phrase(("suggested_max_parallel_jobs", "suggested_rounds"), _suggested_parallel),
    Phrase(("job_runtime_hours", "threshold_job_runtime_hours"), _job_runtime),
    Phrase(("wall_clock_bound_hours", "beyond_30_day_quota"), _wall_clock),
    Phrase(
        ("proposed_max_runtime_seconds",),
        lambda e: f"proposed tuning MaxRuntimeInSeconds {seconds(e['proposed_max_runtime_seconds'])}",
    ),
    Phrase(("possible_saving_usd", "assumed_discount"), _spot),
    Phrase(("on_demand_definitions", "spot_definitions"), _definitions_on_demand),
    Phrase(("missing", "missing_count", "required", "present"), _tags),
    Phrase(("instance_type", "region", "estimated_from", "treated_as", "prices_as_of"), _price),
    Phrase(("combinations", "definitions_searched"), _grid),
    Phrase(("max_training_jobs",), lambda e: f"MaxNumberOfTrainingJobs {number(e['max_training_jobs'])}"),
    Phrase(("integer_values",), lambda e: f"{number(e['integer_values'])} integer values"),
    Phrase(("min_resource", "max_resource", "max_resource_limit"), _hyperband),
    Phrase(("has_hyperband_config",), lambda e: None if e["has_hyperband_config"] else "no Hyperband config"),
    Phrase(("inferred_from",), lambda e: f"inferred from {e['inferred_from']}"),
    Phrase(("threshold_cap_share",), lambda e: f"flagged from {percent(e['threshold_cap_share'])} of the cap"),
)

# Units read from a key's suffix, for keys without a phrase: (suffix, formatter); the name drops the suffix.
_UNITS: tuple[tuple[str, Callable[[Value], str]], ...] = (
    ("_usd", usd),
    ("_hours", hours),
    ("_seconds", seconds),
    ("_share", percent),
    ("_discount", percent),
)


def key_in_words(key: str, value: Value) -> str:
    """Any evidence key and value as words: `threshold_job_runtime_hours`, 12 -> "threshold job runtime 12 h"."""
    name, formatted = key, None
    for suffix, formatter in _UNITS:
        if key.endswith(suffix):
            name = key.removesuffix(suffix)
            if not isinstance(value, bool) and isinstance(value, int | float):
                formatted = formatter(value)
            break
    words = " ".join(part for part in name.split("_") if part)
    if formatted is None:
        formatted = number(value) if isinstance(value, bool | int | float) else str(value)
    return f"{words} {formatted}" if words else formatted


def evidence_in_words(evidence: Evidence) -> str:
    """The evidence as phrases joined by '; ' (empty when there is none). Every key is spoken once."""
    present: dict[str, Value] = {key: value for key, value in evidence.items() if value is not None}
    spoken: set[str] = set()
    phrases: list[str] = []
    for phrase in PHRASES:
        if phrase.keys[0] not in present or phrase.keys[0] in spoken:
            continue
        read = {key: present[key] for key in phrase.keys if key in present and key not in spoken}
        if phrase.keys[0] not in read:
            continue
        try:
            words = phrase.words(read)
        except (KeyError, TypeError, ValueError):  # a value of an unexpected type: read it out plainly below
            continue
        spoken.update(read)
        if words:
            phrases.append(words)
    phrases += [key_in_words(key, value) for key, value in present.items() if key not in spoken]
    return "; ".join(phrases)
