"""The policy: defaults, scopes that refine them, exemptions, and the effective policy for one job.

A `PolicyDocument` is what the platform team writes (YAML, see rules/policy_file.py). Resolving it
for one job (its account, team tag, name and creator) gives the effective `Policy` the checks and
the decision use. Layering, least to most specific: the built-in defaults (`DEFAULT_*` below), the
base layer the deployment gives (`BaseLayer`: the stack parameters Mode and BudgetCapUsd, which reach
the function as GUARDRAIL_MODE and BUDGET_CAP_USD; the same variables for the CLI), the document's
`defaults`, then every matching scope by specificity (account, then team, then job-name pattern or
principal); the most specific scope wins. The policy is the one source of truth the platform team
edits; the stack's parameters are the fallback where it says nothing. The effective policy records
where each setting came from (`Policy.origin`), so every alert, lint and report line can say it.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

import re2  # google-re2: linear-time matching, so no policy pattern can stall the function
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from rules.checks import rules_by_id
from rules.findings import Severity
from rules.prices import is_accelerated
from rules.rule import RuleSettings

# Hyperparameters whose good values usually span orders of magnitude (matched case-insensitively
# against the parameter name): learning rates, regularisation strengths and tolerances, and integer
# sizes usually searched in powers of two or tens (batch size, number of estimators, hidden units).
DEFAULT_LOG_NATURED_NAMES = (
    r"learning[_-]?rate",
    r"(^|[_-])lr($|[_-])",
    r"^eta$",
    r"alpha",
    r"lambda",
    r"weight[_-]?decay",
    r"regulari[sz]",
    r"(^|[_-])l[12]($|[_-])",
    r"epsilon",
    r"(^|[_-])eps($|[_-])",
    r"^c$",
    r"batch[_-]?size",
    r"(^|[_-])n[_-]?estimators$",
    r"num[_-]?(round|rounds|trees|estimators|leaves)$",
    r"hidden[_-]?(units|size|dim)",
)
SELF_EXEMPTION = "self-exemption"
# A name pattern longer than this is a mistake, not a hyperparameter name family.
PATTERN_MAX_LENGTH = 1_000
# Names no hyperparameter has. A pattern that matches one of them (or the empty name) matches names that
# have nothing in common, as `.`, `...`, `\w+` or `.*` do: it would call every parameter log-natured. Short
# and long probes, so a run of wildcards (`...`, `.{20}`) is caught whatever its length up to 31.
ARBITRARY_NAME_PROBES = ("", "qqq", "zqxjkv", "zqxjkvwzqxjkvwzqxjkvwzqxjkvwzqx")


def _re2_options() -> Any:
    options = re2.Options()
    options.case_sensitive = False  # names match case-insensitively, as they always have
    options.log_errors = False  # RE2 would print every rejected pattern to stderr; the error names it instead
    return options


_RE2_OPTIONS = _re2_options()


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    """The RE2 program of a pattern; raises re2.error for what RE2 cannot run (backreferences, lookaround)."""
    return re2.compile(pattern, _RE2_OPTIONS)


@functools.lru_cache(maxsize=512)
def _arbitrary_match(pattern: str) -> str | None:
    # Cached: every effective policy (one per evaluated request) validates its name patterns again.
    return next((name for name in ARBITRARY_NAME_PROBES if _compiled(pattern).search(name) is not None), None)


def _linear_pattern(pattern: str) -> str:
    """A pattern RE2 runs in time linear in the name; anything else fails when the policy is loaded."""
    if len(pattern) > PATTERN_MAX_LENGTH:
        raise ValueError(f"a pattern of {len(pattern)} characters (at most {PATTERN_MAX_LENGTH})")
    try:
        _compiled(pattern)
    except re2.error as error:
        detail = error.args[0] if error.args else error
        detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        raise ValueError(
            f"{pattern!r} is not a regular expression RE2 can run ({detail}); RE2 matches in linear time, so it "
            "has no backreferences or lookaround"
        ) from None
    probe = _arbitrary_match(pattern)
    if probe is not None:
        shown = "the empty name" if probe == "" else f"the made-up name {probe!r}"
        raise ValueError(
            f"{pattern!r} matches {shown}, so it would call any parameter log-natured; a name pattern must name a "
            "family of hyperparameters, such as 'learning[_-]?rate' (a YAML list is written [a, b], not [...])"
        )
    return pattern


# A regular expression matched case-insensitively against parameter names, with RE2 (Python's re syntax
# without backreferences and lookaround), that does not match arbitrary names (ARBITRARY_NAME_PROBES).
NamePattern = Annotated[str, AfterValidator(_linear_pattern)]


class Mode(StrEnum):
    MONITOR = "monitor"
    ENFORCE = "enforce"


class UnknownPrice(StrEnum):
    """What the decision makes of an instance type nobody has a price for (not live, cached, bundled or
    estimated from another region)."""

    ASSUME_COSTLY = "assume-costly"  # the job counts as costly: a guardrail that cannot price it stays careful
    LOWER_BOUND = "lower-bound"  # the worst case counts that type as $0 and says it is a lower bound
    BY_FAMILY = "by-family"  # assume-costly for accelerated types (p, g, trn, inf, dl), lower-bound otherwise


# The one set of built-in defaults: what applies when neither the deployment nor the policy says.
DEFAULT_MODE = Mode.MONITOR
DEFAULT_BUDGET_CAP_USD = 1000.0
DEFAULT_UNKNOWN_PRICE = UnknownPrice.BY_FAMILY
DEFAULT_NOTIFY_MIN_SEVERITY = Severity.LOW

# The settings whose origin the effective policy records, and how each reads in a sentence.
SETTINGS = ("mode", "budget_cap_usd", "unknown_price", "notify_min_severity")
_SETTING_WORDS = {
    "mode": "mode {}",
    "budget_cap_usd": "budget cap ${:,.2f}",
    "unknown_price": "unknown prices {}",
    "notify_min_severity": "notify threshold {}",
}
# Where a setting came from, as alerts, lint and reports say it ("mode enforce, from the policy scope `nlp`").
BUILT_IN_ORIGIN = "built-in default"
POLICY_DEFAULTS_ORIGIN = "policy defaults"
# A Policy built directly (tests, tools) rather than resolved from a document.
DIRECT_ORIGIN = "policy"


def scope_origin(scope: str) -> str:
    """The origin of a setting a policy scope gave."""
    return f"policy scope `{scope}`"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def typed_rule_settings(value: dict[str, dict[str, Any]]) -> dict[str, RuleSettings]:
    """Each rule's settings as its own typed model; an unknown rule or a bad value names rule and field."""
    known = rules_by_id()
    typed: dict[str, RuleSettings] = {}
    for rule_id, settings in value.items():
        if rule_id not in known:
            raise ValueError(f"unknown rule {rule_id!r} (known: {', '.join(sorted(known))})")
        try:
            typed[rule_id] = known[rule_id].settings.model_validate(settings)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"{rule_id}.{where}: {first['msg']}") from None
    return typed


def _validate_rule_settings(value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every rule id must exist and its settings must fit that rule, so a typo fails at load time."""
    typed_rule_settings(value)
    return value


class Overrides(_Strict):
    """What the defaults and a scope may set."""

    mode: Mode | None = None
    budget_cap_usd: float | None = Field(default=None, ge=0)
    unknown_price: UnknownPrice | None = Field(
        default=None,
        description="when an instance type has no price: assume-costly, lower-bound, or by-family (assume-costly "
        "for accelerated types p, g, trn, inf, dl; lower-bound otherwise)",
    )
    notify_min_severity: Severity | None = Field(
        default=None,
        description="the least severe finding that sends an alert (info, low, medium, high, critical; default "
        "low); findings below it are recorded and reported, not sent. A stop always alerts",
    )
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per rule id: enabled, severity and the rule's thresholds"
    )

    _check_rules = field_validator("rules")(_validate_rule_settings)


class BaseLayer(_Strict):
    """The layer under the policy document: what the deployment sets for every job, and where each value came
    from ("stack parameter Mode (GUARDRAIL_MODE)"). Only `mode` and `budget_cap_usd` come from here."""

    overrides: Overrides = Field(default_factory=Overrides)
    origins: dict[str, str] = Field(default_factory=dict, description="setting -> where its value came from")

    @model_validator(mode="after")
    def _every_value_has_an_origin(self) -> BaseLayer:
        missing = [name for name in SETTINGS if getattr(self.overrides, name) is not None and name not in self.origins]
        if missing:
            raise ValueError(f"the base layer sets {', '.join(missing)} without saying where from")
        return self


class Subject(_Strict):
    """The job a policy is resolved for."""

    job_name: str
    account: str | None = None
    principal_arn: str | None = None
    role_arn: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class Match(_Strict):
    """Which jobs a scope or an exemption covers: every criterion given must match."""

    accounts: list[str] = Field(default_factory=list, description="AWS account ids")
    teams: list[str] = Field(default_factory=list, description="values of the team tag (team_tag_key)")
    job_names: list[str] = Field(default_factory=list, description="glob patterns, case-insensitive")
    principals: list[str] = Field(default_factory=list, description="glob patterns on the creator's ARN or role")

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not (self.accounts or self.teams or self.job_names or self.principals):
            raise ValueError("give at least one of accounts, teams, job_names, principals")
        return self

    def matches(self, subject: Subject, team: str | None) -> bool:
        """True when every given criterion matches the subject."""
        checks = []
        if self.accounts:
            checks.append(subject.account in self.accounts)
        if self.teams:
            checks.append(team in self.teams)
        if self.job_names:
            name = subject.job_name.lower()
            checks.append(any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in self.job_names))
        if self.principals:
            arns = [arn for arn in (subject.principal_arn, subject.role_arn) if arn]
            checks.append(any(fnmatch.fnmatchcase(a, p) for a in arns for p in self.principals))
        return all(checks)

    @property
    def specificity(self) -> tuple[int, int]:
        """(most specific criterion, number of criteria): job name or principal > team > account."""
        levels = [
            level
            for level, given in ((3, self.job_names), (3, self.principals), (2, self.teams), (1, self.accounts))
            if given
        ]
        return max(levels), len(levels)


class Scope(Overrides):
    name: str = Field(min_length=1)
    match: Match


class Exemption(_Strict):
    """A declared exception: who, which rules, why, who owns it, until when."""

    name: str = Field(min_length=1)
    match: Match
    rules: list[str] = Field(default_factory=list, description="rule ids exempted; empty means every rule")
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        _validate_rule_settings({rule_id: {} for rule_id in value})
        return value


class SelfExemption(_Strict):
    """Exemption by tag on the job. Off by default: anyone who can create a job can tag it."""

    enabled: bool = False
    tag_key: str = "hpo-guardrail-exempt"
    allowed_values: list[str] = Field(default_factory=list, description="only these tag values count")

    @model_validator(mode="after")
    def _values_when_enabled(self) -> SelfExemption:
        if self.enabled and not self.allowed_values:
            raise ValueError("enabled self-exemption needs allowed_values (tag values the policy accepts)")
        return self


class ExemptionStatus(_Strict):
    """An exemption that matched a job, and whether it still applies."""

    name: str
    rules: tuple[str, ...]
    reason: str
    owner: str
    expires: date | None
    active: bool

    def covers(self, rule_id: str) -> bool:
        return self.active and (not self.rules or rule_id in self.rules)

    def describe(self) -> str:
        until = f"until {self.expires.isoformat()}" if self.expires else "no expiry"
        state = until if self.active else f"EXPIRED {self.expires.isoformat() if self.expires else ''}".strip()
        what = ", ".join(self.rules) if self.rules else "all rules"
        return f"{self.name} ({what}; {state}; owner {self.owner}: {self.reason})"


class Policy(_Strict):
    """The effective policy for one evaluation. Its rule settings are validated once, here, into each
    rule's typed model (`settings_of`); the checks read those and validate nothing again."""

    mode: Mode = DEFAULT_MODE
    budget_cap_usd: float = Field(default=DEFAULT_BUDGET_CAP_USD, ge=0)
    unknown_price: UnknownPrice = DEFAULT_UNKNOWN_PRICE
    notify_min_severity: Severity = DEFAULT_NOTIFY_MIN_SEVERITY
    origins: dict[str, str] = Field(default_factory=dict, description="where each of SETTINGS came from (see `origin`)")
    default_max_training_jobs: int = Field(
        default=750, ge=1, description="Training jobs assumed when MaxNumberOfTrainingJobs is absent (quota)"
    )
    log_natured_names: tuple[NamePattern, ...] = DEFAULT_LOG_NATURED_NAMES
    rule_settings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    scopes: tuple[str, ...] = Field(default=(), description="scopes applied, least to most specific")
    exemptions: tuple[ExemptionStatus, ...] = ()
    contact: str | None = Field(default=None, description="who owns the policy and grants exemptions")
    document_hash: str | None = None
    # A default, not a default_factory: pydantic inspects a factory's signature each time it builds a Policy (one
    # per evaluated request), and a default it copies (an empty dict is copied cheaply). The validator sets it.
    _typed_settings: dict[str, RuleSettings] = PrivateAttr(default={})

    @model_validator(mode="after")
    def _type_rule_settings(self) -> Policy:
        self._typed_settings = typed_rule_settings(self.rule_settings)
        return self

    @model_validator(mode="after")
    def _known_origins(self) -> Policy:
        unknown = sorted(set(self.origins) - set(SETTINGS))
        if unknown:
            raise ValueError(f"origins of unknown settings: {', '.join(unknown)} (known: {', '.join(SETTINGS)})")
        return self

    def origin(self, setting: str) -> str:
        """Where a setting's value came from: "policy scope `nlp`", "policy defaults", "stack parameter Mode
        (GUARDRAIL_MODE)", "environment BUDGET_CAP_USD" or "built-in default"."""
        if setting not in SETTINGS:
            raise KeyError(f"{setting!r} is not one of {', '.join(SETTINGS)}")
        if setting in self.origins:
            return self.origins[setting]
        return DIRECT_ORIGIN if setting in self.model_fields_set else BUILT_IN_ORIGIN

    def explain(self, setting: str) -> str:
        """A setting, its value and where it came from: "mode enforce, from the policy scope `nlp`"."""
        value = getattr(self, setting)
        shown = _SETTING_WORDS[setting].format(value.value if isinstance(value, StrEnum) else value)
        return f"{shown}, from the {self.origin(setting)}"

    def setting_origins(self) -> dict[str, str]:
        """Every setting's origin, for a record or a JSON report."""
        return {name: self.origin(name) for name in SETTINGS}

    def settings_of(self, rule_id: str) -> RuleSettings | None:
        """The typed settings the policy gives a rule, or None when it gives none (the rule's defaults)."""
        # Read where pydantic keeps private attributes: `self._typed_settings` goes through BaseModel.__getattr__,
        # which costs microseconds, and every rule asks once per evaluated request.
        typed: dict[str, RuleSettings] = (self.__pydantic_private__ or {})["_typed_settings"]
        return typed.get(rule_id)

    def assumes_costly(self, instance_type: str) -> bool:
        """Whether a job with no price for `instance_type` counts as costly (the policy's unknown_price)."""
        if self.unknown_price is UnknownPrice.BY_FAMILY:
            return is_accelerated(instance_type)
        return self.unknown_price is UnknownPrice.ASSUME_COSTLY

    def is_log_natured_name(self, name: str) -> bool:
        """True when the parameter name suggests values spanning orders of magnitude."""
        return _matches_any(self.log_natured_names, name)

    @property
    def scope(self) -> str:
        """The most specific scope that applied ("defaults" when none did)."""
        return self.scopes[-1] if self.scopes else "defaults"

    @property
    def version(self) -> str:
        """The content hash of the policy document this came from, carried by every decision."""
        return self.document_hash or _content_hash(self.model_dump(mode="json"))

    def exemption_for(self, rule_id: str) -> ExemptionStatus | None:
        """The active exemption covering a rule, if any."""
        return next((e for e in self.exemptions if e.covers(rule_id)), None)


@functools.lru_cache(maxsize=4096)
def _matches_any(patterns: tuple[str, ...], name: str) -> bool:
    # Cached: several rules ask about every parameter of every request, and a re2 search costs microseconds
    # per pattern through its Python binding; the answer depends on nothing but the patterns and the name.
    return any(_compiled(pattern).search(name) is not None for pattern in patterns)


# Effective policies already built, by their fields: most requests resolve to one of a handful (the defaults, a
# team's scope), and building one validates every name pattern and rule setting again. A Policy is frozen, so
# evaluations can share one. Bounded: emptied when full, which only costs rebuilding.
_EFFECTIVE_POLICIES: dict[tuple[Any, ...], Policy] = {}
_EFFECTIVE_POLICIES_MAX = 256


def _effective_policy(fields: dict[str, Any]) -> Policy:
    # repr() stands in for the values that do not hash (the settings dicts): equal reprs of what YAML, JSON and the
    # settings' own types give (text, numbers, booleans, null, lists, maps, enums) mean equal values of equal types,
    # and different reprs only cost a second entry.
    key = tuple(
        (name, value if isinstance(value, str | int | float | tuple) else repr(value)) for name, value in fields.items()
    )
    policy = _EFFECTIVE_POLICIES.get(key)
    if policy is None:
        policy = Policy(**fields)
        if len(_EFFECTIVE_POLICIES) >= _EFFECTIVE_POLICIES_MAX:
            _EFFECTIVE_POLICIES.clear()
        _EFFECTIVE_POLICIES[key] = policy
    return policy


def _content_hash(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


class PolicyDocument(_Strict):
    """A policy file: defaults, scopes, exemptions. Validated on load; see docs/policy.md."""

    version: Literal[1] = 1
    team_tag_key: str = Field(default="team", description="the tag whose value names a job's team")
    contact: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="who owns the policy and grants exemptions (a team email or chat channel); shown in every alert",
    )

    @field_validator("contact")
    @classmethod
    def _contact_says_something(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("contact is blank: name who grants exemptions (a team email or channel), or leave it out")
        return value.strip() if value is not None else None

    default_max_training_jobs: int = Field(default=750, ge=1)
    log_natured_names: list[NamePattern] = Field(default_factory=lambda: list(DEFAULT_LOG_NATURED_NAMES))
    defaults: Overrides = Field(default_factory=Overrides)
    scopes: list[Scope] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)
    self_exemption: SelfExemption = Field(default_factory=SelfExemption)

    @functools.cached_property
    def content_hash(self) -> str:
        # Cached: every request's effective policy carries it, and the document is frozen (no model_copy of a
        # PolicyDocument with changes is ever made, which would carry the cached value along).
        return _content_hash(self.model_dump(mode="json"))

    def resolve(self, subject: Subject, today: date, base: BaseLayer | Overrides | None = None) -> Policy:
        """The effective policy for one job: built-in defaults, the base layer, the document's defaults,
        then the matching scopes, least to most specific; each setting remembers the layer it came from.

        A bare `Overrides` as the base (tests) is labelled "deployment setting"."""
        team = subject.tags.get(self.team_tag_key)
        if isinstance(base, Overrides):
            given = [name for name in SETTINGS if getattr(base, name) is not None]
            base = BaseLayer(overrides=base, origins=dict.fromkeys(given, "deployment setting"))
        base = base or BaseLayer()
        values: dict[str, Any] = {
            "mode": DEFAULT_MODE,
            "budget_cap_usd": DEFAULT_BUDGET_CAP_USD,
            "unknown_price": DEFAULT_UNKNOWN_PRICE,
            "notify_min_severity": DEFAULT_NOTIFY_MIN_SEVERITY,
        }
        origins = dict.fromkeys(SETTINGS, BUILT_IN_ORIGIN)
        rule_settings: dict[str, dict[str, Any]] = {}
        ordered = sorted(
            (s for s in self.scopes if s.match.matches(subject, team)),
            key=lambda s: s.match.specificity,  # sorted() is stable: file order breaks ties
        )
        layers: list[tuple[Overrides, Mapping[str, str] | str]] = [
            (base.overrides, base.origins),
            (self.defaults, POLICY_DEFAULTS_ORIGIN),
            *((scope, scope_origin(scope.name)) for scope in ordered),
        ]
        for layer, origin in layers:
            for name in SETTINGS:
                value = getattr(layer, name)
                if value is not None:
                    values[name] = value
                    origins[name] = origin if isinstance(origin, str) else origin[name]
            for rule_id, settings in layer.rules.items():
                rule_settings[rule_id] = {**rule_settings.get(rule_id, {}), **settings}
        fields: dict[str, Any] = {
            **values,
            "origins": origins,
            "default_max_training_jobs": self.default_max_training_jobs,
            "log_natured_names": tuple(self.log_natured_names),
            "rule_settings": rule_settings,
            "scopes": tuple(s.name for s in ordered),
            "exemptions": self._exemptions(subject, team, today),
            "contact": self.contact,
            "document_hash": self.content_hash,
        }
        return _effective_policy(fields)

    def _exemptions(self, subject: Subject, team: str | None, today: date) -> tuple[ExemptionStatus, ...]:
        found = [
            ExemptionStatus(
                name=e.name,
                rules=tuple(e.rules),
                reason=e.reason,
                owner=e.owner,
                expires=e.expires,
                active=today <= e.expires,
            )
            for e in self.exemptions
            if e.match.matches(subject, team)
        ]
        tagged = subject.tags.get(self.self_exemption.tag_key)
        if self.self_exemption.enabled and tagged is not None and tagged in self.self_exemption.allowed_values:
            found.append(
                ExemptionStatus(
                    name=SELF_EXEMPTION,
                    rules=(),
                    reason=f"tag {self.self_exemption.tag_key}={tagged} is on the policy's list",
                    owner="policy self_exemption",
                    expires=None,
                    active=True,
                )
            )
        return tuple(found)
