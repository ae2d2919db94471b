"""Property tests: requests generated from botocore's own shape of CreateHyperParameterTuningJob, in both key
casings, wrapped in EventBridge envelopes, with hostile values mixed in. Whatever comes, no exception leaves
the Lambda's handler or lint, and every JSON either writes is strict JSON.
"""

from __future__ import annotations

import io
import json
import re
from functools import cache
from typing import Any

import botocore.session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpo_guardrail.cli.lint import run_lint
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.inputs import LintOptions
from rules.policy import Mode
from tests.builders import cloudtrail_casing, cloudtrail_event
from tests.unit.fakes import FakeJobs, FakeNotifier

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
MAX_DEPTH = 9  # structures nest deeper than a request needs; the parser reads about 6 levels
LIST_MAX = 2
STRING_MAX = 24
# Optional in the API, but without them there is nothing to evaluate: present in every example, so the
# examples reach the checks, the decision and the alert rather than stopping at the parser.
USUALLY_PRESENT = frozenset({"TrainingJobDefinition", "ResourceConfig", "InstanceType", "ParameterRanges"})

HOSTILE_TEXT = [
    "",
    "`<!channel>` <@U123> <http://evil.example|click> *b* _i_ ~s~ @here &amp;",
    "line\nAction:      forged\r\n",
    "\x1b]0;title\x07\x1b[2J\x1b[8m",
    "\x00\x01\x7f\x85\u2028\u202ereversed\u2066",
    "x" * 5_000,
    "\U0001f600" * 100,
    "a" * 26 + "!",
]
HOSTILE_NUMBERS: list[Any] = [
    "1e400",
    "-1e400",
    "1e-400",
    "1_000",
    "\u0661\u0660",
    "\uff11\uff10",
    "NaN",
    "Infinity",
    "0x10",
    " ",
    "9" * 400,
    10**400,
    2**63,
    -1,
    0,
    True,
    None,
    [],
    {},
    1.5,
]
NUMERIC_TEXT = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(repr),
    st.sampled_from(["0", "1", "0.0001", "1e-05", "1.0", "10", "1000", "0.5"]),
)


@cache
def _model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def _python_pattern(pattern: str) -> str | None:
    """A botocore pattern hypothesis can generate from, or None (Java classes such as \\p{L} are not Python's)."""
    if "\\p{" in pattern or "\\P{" in pattern:
        return None
    try:
        re.compile(pattern)
    except re.error:
        return None
    return pattern


def _string(shape: Any) -> st.SearchStrategy[Any]:
    if shape.enum:
        return st.sampled_from(shape.enum)
    if shape.name == "ParameterValue":
        return NUMERIC_TEXT
    low = shape.metadata.get("min", 0)
    high = min(shape.metadata.get("max", STRING_MAX), STRING_MAX)
    pattern = _python_pattern(shape.metadata.get("pattern", ""))
    if pattern and pattern not in (".*", ".+"):
        try:
            return st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) <= max(high, 64))
        except Exception:  # pragma: no cover - a pattern hypothesis cannot use
            pass
    return st.text(min_size=min(low, high), max_size=max(high, min(low, high)))


def _shape(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        if depth >= MAX_DEPTH:
            return st.just({})
        members = shape.members
        required = set(shape.required_members) | (USUALLY_PRESENT & set(members))
        return st.fixed_dictionaries(
            {name: _shape(members[name], depth + 1) for name in members if name in required},
            optional={name: _shape(members[name], depth + 1) for name in members if name not in required},
        )
    if kind == "list":
        if depth >= MAX_DEPTH:
            return st.just([])
        low = min(shape.metadata.get("min", 0), LIST_MAX)
        return st.lists(_shape(shape.member, depth + 1), min_size=low, max_size=max(low, LIST_MAX))
    if kind == "map":
        return st.dictionaries(_shape(shape.key, depth + 1), _shape(shape.value, depth + 1), max_size=LIST_MAX)
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return st.integers(shape.metadata.get("min", -(2**31)), shape.metadata.get("max", 2**31 - 1))
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes().map(lambda d: d.isoformat())
    return st.none()  # blobs and documents: nothing the guardrail reads


@cache
def valid_requests() -> st.SearchStrategy[dict[str, Any]]:
    """Requests of the operation's input shape, as botocore describes it (random but well-formed)."""
    return _shape(_model().operation_model("CreateHyperParameterTuningJob").input_shape)  # type: ignore[return-value]


def _hostile_leaf(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, str):
        return st.one_of(st.just(value), st.sampled_from(HOSTILE_TEXT), st.sampled_from(HOSTILE_NUMBERS))
    if isinstance(value, bool | int | float):
        return st.one_of(st.just(value), st.sampled_from(HOSTILE_NUMBERS))
    return st.just(value)


def _mutate(value: Any, draw: Any, rate: float) -> Any:
    """The same document with some leaves replaced by hostile values (hypothesis chooses which)."""
    if isinstance(value, dict):
        return {k: _mutate(v, draw, rate) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate(v, draw, rate) for v in value]
    if draw(st.floats(0, 1)) < rate:
        return draw(_hostile_leaf(value))
    return value


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    """A request from the API's shape; often with hostile values; in PascalCase or CloudTrail's casing."""
    request = draw(valid_requests())
    rate = draw(st.sampled_from([0.0, 0.0, 0.01, 0.05, 0.2]))
    if rate:
        request = _mutate(request, draw, rate)
    return request


def _event(request: dict[str, Any], camel: bool = True) -> dict[str, Any]:
    """An EventBridge event with the CloudTrail record of the call (the request as generated, in either casing)."""
    event = cloudtrail_event({"HyperParameterTuningJobName": "generated"})
    event["detail"]["requestParameters"] = cloudtrail_casing(request) if camel else request
    return event


def _strict_loads(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _service() -> tuple[GuardrailService, FakeNotifier]:
    notifier = FakeNotifier()
    jobs = FakeJobs(broken=None)
    return GuardrailService(Settings(mode=Mode.ENFORCE, budget_cap_usd=100), jobs, notifier), notifier


@PROPERTY_SETTINGS
@given(request=requests(), camel=st.booleans())
def test_no_exception_leaves_the_handler(request, camel):
    service, notifier = _service()
    outcome = service.handle(_event(request, camel))
    assert outcome.status in ("evaluated", "rejected", "skipped")
    for alert in notifier.sent:
        _strict_loads(json.dumps(alert.chatbot, allow_nan=False))
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", alert.subject)
        assert len(alert.chatbot["content"]["description"]) <= 3_000  # type: ignore[index]


@PROPERTY_SETTINGS
@given(
    request=requests(),
    form=st.sampled_from(["request", "camel-request", "event"]),
    fmt=st.sampled_from(["json", "sarif"]),
)
def test_no_exception_leaves_lint_and_its_json_is_strict(request, form, fmt):
    if form == "event":
        document: Any = _event(request)
    elif form == "camel-request":
        document = cloudtrail_casing(request)
    else:
        document = request
    stdin = io.StringIO(json.dumps(document))  # Python writes inf as Infinity, as a careless tool might
    stdout, stderr = io.StringIO(), io.StringIO()
    options = LintOptions(paths=["-"], output_format=fmt, prices="bundled")
    status = run_lint(options, stdin=stdin, stdout=stdout, stderr=stderr, environ={"HOME": "/nonexistent"})
    assert status in (0, 1, 2)
    _strict_loads(stdout.getvalue())
    assert "\x1b" not in stderr.getvalue()


@PROPERTY_SETTINGS
@given(request=requests())
def test_lint_text_output_sends_no_control_characters(request):
    stdout, stderr = io.StringIO(), io.StringIO()
    options = LintOptions(paths=["-"], output_format="text", prices="bundled", color="never")
    status = run_lint(
        options, stdin=io.StringIO(json.dumps(request)), stdout=stdout, stderr=stderr, environ={"HOME": "/nonexistent"}
    )
    assert status in (0, 1, 2)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", stdout.getvalue() + stderr.getvalue())
