"""lint on SageMaker Python SDK code and notebooks: parity with the equivalent requests, --fix, the resolver."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.evaluation import cli_evaluator
from hpo_guardrail.linting.inputs import lint_document, read_input
from hpo_guardrail.linting.sarif import sarif_log
from hpo_guardrail.linting.sdk_lint import fix_sdk_file, lint_sdk_text
from hpo_guardrail.linting.sdk_reader import SDK_DEFAULTS, Known, SdkObject, Unknown, find_tuners, read_script

DATA = Path(__file__).parent.parent / "data" / "sdk"
SDK_FILES = sorted(p for p in DATA.iterdir() if p.suffix in (".py", ".ipynb"))
PAIRED = [p for p in SDK_FILES if p.with_name(f"{p.stem}.request.json").exists()]


@pytest.fixture(scope="module")
def evaluator():
    return cli_evaluator(policy=None, environ={})


def _summary(report):
    findings = sorted((f.rule, f.definition or "", f.parameter or "") for f in report.findings)
    return findings, round(report.evaluation.cost.worst_case_usd, 6), report.decision.action


def test_the_directory_holds_a_dozen_inputs():
    assert len(SDK_FILES) >= 11 and any(p.suffix == ".ipynb" for p in SDK_FILES)


@pytest.mark.parametrize("path", PAIRED, ids=lambda p: p.name)
def test_sdk_file_and_its_request_give_the_same_findings_and_cost(path, evaluator):
    (report,) = lint_sdk_text(str(path), path.read_text(), evaluator)
    assert report.status is Status.EVALUATED, report.reason
    request_path = path.with_name(f"{path.stem}.request.json")
    text, document = read_input(str(request_path), None)
    expected = lint_document(str(request_path), text, document, evaluator)
    assert _summary(report) == _summary(expected)
    assert all(line is not None for line in report.finding_lines)


def _calls(path: Path):
    """The (start, end) offsets of every recognised SDK call in a script, from libcst's positions."""
    units = read_script(path.read_text())
    spans = []

    def walk(obj):
        unit = obj.unit
        where = unit.positions[obj.call]
        spans.append((unit.offset(where.start.line, where.start.column), unit.offset(where.end.line, where.end.column)))
        for value in obj.args.values():
            for inner in _objects(value):
                walk(inner)

    for found in find_tuners(units):
        walk(found.tuner)
    return spans


def _objects(value):
    if isinstance(value, Known):
        if isinstance(value.value, SdkObject):
            yield value.value
        elif isinstance(value.value, list):
            for item in value.value:
                yield from _objects(item)
        elif isinstance(value.value, dict):
            for item in value.value.values():
                yield from _objects(item)


@pytest.mark.parametrize("path", PAIRED, ids=lambda p: p.name)
def test_fix_leaves_every_file_passing_and_edits_only_arguments(path, evaluator, tmp_path):
    target = tmp_path / path.name
    shutil.copy(path, target)
    before = target.read_text()
    reports = fix_sdk_file(str(target), before, evaluator)
    after = target.read_text()
    (report,) = lint_sdk_text(str(target), after, evaluator)
    assert report.status is Status.EVALUATED
    assert not [fix for fix in report.evaluation.fixes if fix.automatic], reports[0].fix
    if path.suffix == ".ipynb":
        old, new = json.loads(before), json.loads(after)
        for cell_old, cell_new in zip(old["cells"], new["cells"], strict=True):
            assert {k: v for k, v in cell_old.items() if k != "source"} == {
                k: v for k, v in cell_new.items() if k != "source"
            }
        assert old["metadata"] == new["metadata"]
        changed = [
            line
            for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert all(line.lstrip("+-").lstrip().startswith('"') for line in changed)  # only source strings
        return
    spans = _calls(path)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, start, end, _, _ in matcher.get_opcodes():
        if op != "equal":
            assert any(s <= start and end <= e for s, e in spans), (op, before[start - 20 : end + 20])


def test_fix_writes_the_scaling_type_and_a_positive_minimum(evaluator, tmp_path):
    target = tmp_path / "xgboost_builtin.py"
    shutil.copy(DATA / "xgboost_builtin.py", target)
    fix_sdk_file(str(target), target.read_text(), evaluator)
    text = target.read_text()
    assert '"eta": ContinuousParameter(0.0001, 1, scaling_type="Logarithmic"),' in text
    assert '"alpha": ContinuousParameter(0.0001, 2, scaling_type="Logarithmic"),' in text
    assert "max_runtime_in_seconds=604800" in text


def test_an_unresolvable_value_is_named_never_guessed(evaluator):
    path = DATA / "unresolvable.py"
    (report,) = lint_sdk_text(str(path), path.read_text(), evaluator)
    assert report.status is Status.SKIPPED
    assert "estimator instance_type is a function call's result (pick_instance_type()): unknown" in report.unknowns
    assert "max_jobs is an attribute (args.max_jobs): unknown" in report.unknowns


def test_a_value_through_a_name_needs_a_human(evaluator, tmp_path):
    target = tmp_path / "t.py"
    target.write_text(
        "from sagemaker.estimator import Estimator\n"
        "from sagemaker.tuner import HyperparameterTuner, ContinuousParameter\n"
        "low = 0\nest = Estimator('img', 'role', 1, 'ml.m5.xlarge')\n"
        "HyperparameterTuner(est, 'm', {'eta': ContinuousParameter(low, 1)}, max_jobs=4,\n"
        "                    max_runtime_in_seconds=3600 * 24)\n"
    )
    (report,) = fix_sdk_file(str(target), target.read_text(), evaluator)
    assert any("comes from the name 'low'" in why for why in report.fix.not_applied.values())
    assert "ContinuousParameter(low, 1" in target.read_text()


def _resolve(code: str, parameter: str):
    units = read_script(code)
    (found,) = find_tuners(units)
    return found.tuner.args.get(parameter)


def test_resolver_follows_literals_arithmetic_and_names():
    code = "from sagemaker.tuner import HyperparameterTuner\nA = 3\nB = A * 4\n"
    code += "HyperparameterTuner(e, 'm', {}, max_jobs=B - 2)\n"
    value = _resolve(code, "max_jobs")
    assert isinstance(value, Known) and value.value == 10


def test_resolver_maps_positional_arguments_in_signature_order():
    code = "HyperparameterTuner(e, 'metric', {}, None, 'Random', 'Minimize', 7, 2)\n"
    units = read_script(code)
    (found,) = find_tuners(units)
    args = {name: v.value for name, v in found.tuner.args.items() if isinstance(v, Known)}
    assert (args["strategy"], args["objective_type"], args["max_jobs"], args["max_parallel_jobs"]) == (
        "Random",
        "Minimize",
        7,
        2,
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("HyperparameterTuner(e, 'm', {}, max_jobs=n)\n", "the name 'n', not assigned before this point"),
        ("if x:\n    n = 3\nHyperparameterTuner(e, 'm', {}, max_jobs=n)\n", "assigned inside an if block"),
        ("n = f()\nHyperparameterTuner(e, 'm', {}, max_jobs=n)\n", "a function call's result (f())"),
        ("HyperparameterTuner(e, 'm', {}, max_jobs=cfg['jobs'])\n", "a subscript (cfg['jobs'])"),
    ],
)
def test_resolver_names_what_it_cannot_know(code, reason):
    value = _resolve(code, "max_jobs")
    assert isinstance(value, Unknown) and reason in value.reason


def test_defaults_are_those_of_the_sdk_source(evaluator):
    code = (
        "from sagemaker.estimator import Estimator\n"
        "from sagemaker.tuner import HyperparameterTuner, ContinuousParameter\n"
        "est = Estimator('img', 'role', instance_count=1, instance_type='ml.m5.xlarge')\n"
        "HyperparameterTuner(est, 'm', {'x': ContinuousParameter(1, 2)})\n"
    )
    (report,) = lint_sdk_text("t.py", code, evaluator)
    document = report.request
    config = document["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == SDK_DEFAULTS["strategy"][0] == "Bayesian"
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1}
    assert config["TrainingJobEarlyStoppingType"] == "Off"
    assert config["ParameterRanges"]["ContinuousParameterRanges"][0]["ScalingType"] == "Auto"
    assert config["HyperParameterTuningJobObjective"]["Type"] == "Maximize"
    assert document["TrainingJobDefinition"]["StoppingCondition"] == {"MaxRuntimeInSeconds": 86_400}
    assert all(source for _, source in SDK_DEFAULTS.values())


def test_v3_model_trainer_defaults():
    from hpo_guardrail.linting.sdk_reader import sdk_request

    (found,) = find_tuners(
        read_script(
            "HyperparameterTuner(model_trainer=ModelTrainer(), objective_metric_name='m', hyperparameter_ranges={})\n"
        )
    )
    request = sdk_request(found, "job")
    assert request.version == "v3"
    assert request.document["TrainingJobDefinition"]["ResourceConfig"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 1,
    }
    assert request.document["TrainingJobDefinition"]["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}


def test_notebook_findings_name_the_cell_and_line(evaluator):
    path = DATA / "notebook_earlier_cells.ipynb"
    (report,) = lint_sdk_text(str(path), path.read_text(), evaluator)
    positive = report.findings.index(next(f for f in report.findings if f.rule == "positive-min"))
    assert (report.cell_of(positive), report.line_of(positive)) == (5, 2)  # "eta": ContinuousParameter(0, 1)
    assert report.where == "cell 5, line 6"
    file_line = report.file_line_of(positive)
    assert "ContinuousParameter(0, 1)" in path.read_text().splitlines()[file_line - 1]
    result = next(
        r for r in sarif_log([report], "https://example.com")["runs"][0]["results"] if r["ruleId"] == "positive-min"
    )
    assert result["properties"]["cell"] == 5 and result["properties"]["cellLine"] == 2
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == file_line
    assert report.as_json()["findings"][positive]["cell"] == 5


_SHARED_RANGE = """from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

est = Estimator("img", "role", instance_count=1, instance_type="ml.m5.xlarge", max_run=3600)
ranges = {"learning_rate": ContinuousParameter(0.0001, 1.0)}
t1 = HyperparameterTuner(est, "validation:loss", ranges, max_jobs=20, max_parallel_jobs=2, max_runtime_in_seconds=86400)
t2 = HyperparameterTuner(est, "validation:loss", ranges, max_jobs=10, max_parallel_jobs=2, max_runtime_in_seconds=86400)
"""


def test_two_tuners_sharing_a_range_object_get_one_edit_and_code_that_runs(evaluator, tmp_path):
    path = tmp_path / "shared.py"
    path.write_text(_SHARED_RANGE)
    reports = fix_sdk_file(str(path), _SHARED_RANGE, evaluator)
    after = path.read_text()
    compile(after, str(path), "exec")  # a repeated keyword argument is a SyntaxError
    assert 'ContinuousParameter(0.0001, 1.0, scaling_type="Logarithmic")}' in after
    assert [[a.findings[0].rule for a in r.fix.applied] for r in reports] == [["log-scale"], ["log-scale"]]
    assert [list(r.findings) for r in reports] == [[], []]


def test_a_fix_that_would_not_compile_is_neither_written_nor_listed_as_applied(evaluator, tmp_path, monkeypatch):
    import hpo_guardrail.linting.sdk_lint as sdk_lint

    monkeypatch.setattr(sdk_lint, "_python_literal", lambda value, parameter: "(")
    path = tmp_path / "shared.py"
    path.write_text(_SHARED_RANGE)
    (report, _) = fix_sdk_file(str(path), _SHARED_RANGE, evaluator)
    assert path.read_text() == _SHARED_RANGE
    assert report.fix.applied == [] and report.fix.output is None
    assert "the fixed code would not compile (line 5)" in report.fix.not_applied["log-scale learning_rate"]


def test_apply_edits_refuses_a_repeated_keyword_and_makes_a_repeated_edit_once():
    from hpo_guardrail.linting.sdk_lint import NeedsHuman, SourceEdit, apply_edits

    (unit,) = read_script("f(a=1)\n")
    at = len("f(a=1")
    twice = [SourceEdit(unit, at, at, ", b=2"), SourceEdit(unit, at, at, ", b=2")]
    assert apply_edits(twice) == {unit: "f(a=1, b=2)\n"}
    with pytest.raises(NeedsHuman, match=r"would not compile \(line 1\)"):
        apply_edits([SourceEdit(unit, at, at, ", b=2"), SourceEdit(unit, at, at, ", b=3")])


_REMOVAL = """from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, StrategyConfig, HyperbandStrategyConfig

est = Estimator("img", "role", instance_count=1, instance_type="ml.m5.xlarge", max_run=3600)
tuner = HyperparameterTuner(
    est,
    "validation:loss",
    {"learning_rate": ContinuousParameter(0.0001, 1.0, scaling_type="Logarithmic")},
    strategy="Bayesian",
    strategy_config=StrategyConfig(HyperbandStrategyConfig(max_resource=10, min_resource=1)),  # team default
    # budget agreed with finance: do not change
    max_jobs=20,
    max_parallel_jobs=2,
    max_runtime_in_seconds=86400,
)
"""


def test_removing_an_argument_takes_its_own_comment_and_keeps_the_next_ones(evaluator, tmp_path):
    path = tmp_path / "rm.py"
    path.write_text(_REMOVAL)
    (report,) = fix_sdk_file(str(path), _REMOVAL, evaluator)
    assert report.fix.applied, report.fix
    removed = next(line for line in _REMOVAL.splitlines(keepends=True) if "# team default" in line)
    assert path.read_text() == _REMOVAL.replace(removed, "")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("f(a=1, b=2, c=3)\n", "f(a=1, c=3)\n"),
        ("f(a=1, b=2)\n", "f(a=1)\n"),
        ("f(\n    a=1,\n    b=2,  # why\n    # about c\n    c=3,\n)\n", "f(\n    a=1,\n    # about c\n    c=3,\n)\n"),
        ("f(\n    a=1,  # about a\n    b=2\n)\n", "f(\n    a=1,  # about a\n)\n"),
        ("f(\n    a=1, b=2,\n    c=3,\n)\n", "f(\n    a=1,\n    c=3,\n)\n"),
        ("f(\r\n    a=1,\r\n    b=2,\r\n)\r\n", "f(\r\n    a=1,\r\n)\r\n"),
    ],
)
def test_removal_cuts_the_argument_with_its_comma_and_same_line_comment(code, expected):
    from hpo_guardrail.linting.sdk_lint import _removal, apply_edits

    (unit,) = read_script(code)
    call = unit.module.body[0].body[0].value
    arg = next(a for a in call.args if a.keyword.value == "b")
    assert apply_edits([_removal(unit, call, arg)]) == {unit: expected}


_V3_CREATE = """from sagemaker.train import ModelTrainer
from sagemaker.train.configs import Compute
from sagemaker.train.tuner import HyperparameterTuner
from sagemaker.core.parameter import ContinuousParameter

a = ModelTrainer(training_image="img", compute=Compute(instance_type="ml.g5.xlarge", instance_count=1))
b = ModelTrainer(training_image="img", compute=Compute(instance_type="ml.g5.2xlarge", instance_count=1))
tuner = HyperparameterTuner.create(
    model_trainer_dict={"b": b, "a": a},
    objective_metric_name_dict={"a": "loss", "b": "loss"},
    hyperparameter_ranges_dict={"a": {"lr": ContinuousParameter(0.0001, 1.0)}, "b": {"x": ContinuousParameter(1, 2)}},
    objective_type="Minimize", max_jobs=10, max_parallel_jobs=2,
)
"""


def test_v3_create_reads_model_trainer_dict(evaluator):
    (report,) = lint_sdk_text("v3c.py", _V3_CREATE, evaluator)
    assert report.status is Status.EVALUATED, report.reason
    definitions = report.request["TrainingJobDefinitions"]
    assert [d["DefinitionName"] for d in definitions] == ["a", "b"]
    assert [d["ResourceConfig"]["InstanceType"] for d in definitions] == ["ml.g5.xlarge", "ml.g5.2xlarge"]
    unknown = _V3_CREATE.replace('{"b": b, "a": a}', "trainers()")
    (skipped,) = lint_sdk_text("v3c.py", unknown, evaluator)
    assert skipped.status is Status.SKIPPED and "model_trainer_dict is " in skipped.reason


def test_a_file_with_a_byte_order_mark_is_still_fixed(evaluator, tmp_path):
    path = tmp_path / "bom.py"
    code = "\ufeff" + _SHARED_RANGE
    path.write_text(code, encoding="utf-8")
    reports = fix_sdk_file(str(path), code, evaluator)
    assert all(r.fix.applied for r in reports), [r.fix.not_applied for r in reports]
    assert path.read_text(encoding="utf-8").startswith("\ufefffrom sagemaker")
