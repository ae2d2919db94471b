"""Reading SageMaker Python SDK tuning code statically: `.py` scripts and the code cells of `.ipynb` notebooks.

The code is parsed with libcst and never imported or run. Calls to `HyperparameterTuner(...)` and
`HyperparameterTuner.create(...)` are found anywhere in the file; their arguments are followed through literals,
arithmetic on literals, lists, dicts and simple names assigned earlier in the module (or in earlier cells, in
cell order), into the parameter ranges, estimators (v2 `Estimator` and the framework estimators) or v3
`ModelTrainer`s, strategy configurations and tags they name. Whatever cannot be followed is an `Unknown` that
says what it is ("a function call's result (pick_instance())"); nothing is guessed.

`sdk_request` turns a tuner into the CreateHyperParameterTuningJob request the SDK would send, with the SDK's
own defaults applied as the SDK applies them (`SDK_DEFAULTS` names the source of each), and records for each
member of that request the argument it came from (`Anchor`), so findings get a line and `--fix` an argument.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

# --- where the SDK's defaults come from -------------------------------------------------------------------------
# Each default was read in the SDK's source (github.com/aws/sagemaker-python-sdk):
#   v2 = branch master-v2, src/sagemaker/...; v3 = branch master, sagemaker-train/src/sagemaker/train/... and
#   sagemaker-core/src/sagemaker/core/...
SDK_DEFAULTS: dict[str, tuple[Any, str]] = {
    "scaling_type": (
        "Auto",
        "v2 parameter.py ParameterRange.__init__(scaling_type='Auto'); v3 sagemaker/core/parameter.py the same; "
        "as_tuning_range always sends ScalingType",
    ),
    "strategy": ("Bayesian", "tuner.py HyperparameterTuner.__init__ and .create: strategy='Bayesian' (v2 and v3)"),
    "objective_type": ("Maximize", "tuner.py HyperparameterTuner.__init__: objective_type='Maximize' (v2 and v3)"),
    "max_jobs": (
        1,
        "tuner.py: max_jobs=None, then 1 unless strategy is 'Grid' (v2.115.0 and later, and v3; before v2.115.0 "
        "the signature default was max_jobs=1); with Grid the SDK leaves MaxNumberOfTrainingJobs out",
    ),
    "max_parallel_jobs": (1, "tuner.py HyperparameterTuner.__init__ and .create: max_parallel_jobs=1 (v2 and v3)"),
    "max_runtime_in_seconds": (
        None,
        "tuner.py: max_runtime_in_seconds=None; session.py _map_tuning_config sends ResourceLimits."
        "MaxRuntimeInSeconds only when it is set",
    ),
    "early_stopping_type": ("Off", "tuner.py HyperparameterTuner.__init__: early_stopping_type='Off' (v2 and v3)"),
    "max_run": (86_400, "v2 estimator.py EstimatorBase/Estimator.__init__: max_run=24 * 60 * 60"),
    "use_spot_instances": (False, "v2 estimator.py EstimatorBase.__init__: use_spot_instances=False"),
    "max_wait": (None, "v2 estimator.py EstimatorBase.__init__: max_wait=None (MaxWaitTimeInSeconds left out)"),
    "v3 instance_type": ("ml.m5.xlarge", "v3 sagemaker/train/defaults.py DEFAULT_INSTANCE_TYPE (Compute absent)"),
    "v3 instance_count": (1, "v3 sagemaker/train/defaults.py DEFAULT_INSTANCE_COUNT"),
    "v3 max_runtime_in_seconds": (
        3_600,
        "v3 sagemaker/train/defaults.py DEFAULT_MAX_RUNTIME_IN_SECONDS (StoppingCondition absent or without it)",
    ),
}

# Positional parameters, in the SDK's signature order (v2 tuner.py, estimator.py, parameter.py; v3 tuner.py:
# model_trainer stands where estimator stood and the rest keep their places). Only what the linter reads
# follows; keyword arguments are read by name whatever the class.
_TUNER_PARAMETERS = (
    "estimator",
    "objective_metric_name",
    "hyperparameter_ranges",
    "metric_definitions",
    "strategy",
    "objective_type",
    "max_jobs",
    "max_parallel_jobs",
    "max_runtime_in_seconds",
    "tags",
    "base_tuning_job_name",
    "warm_start_config",
    "strategy_config",
    "completion_criteria_config",
    "early_stopping_type",
    "estimator_name",
    "random_seed",
    "autotune",
    "hyperparameters_to_keep_static",
)
# v2 tuner.py HyperparameterTuner.create; v3 (sagemaker-train src/sagemaker/train/tuner.py) names the first
# parameter model_trainer_dict, read by _estimators_of whichever name the call uses.
_CREATE_PARAMETERS = (
    "estimator_dict",
    "objective_metric_name_dict",
    "hyperparameter_ranges_dict",
    "metric_definitions_dict",
    "base_tuning_job_name",
    "strategy",
    "strategy_config",
    "completion_criteria_config",
    "objective_type",
    "max_jobs",
    "max_parallel_jobs",
    "max_runtime_in_seconds",
    "tags",
    "warm_start_config",
    "early_stopping_type",
    "random_seed",
    "autotune",
    "hyperparameters_to_keep_static_dict",
)
_ESTIMATOR_PARAMETERS = (  # v2 estimator.py Estimator.__init__
    "image_uri",
    "role",
    "instance_count",
    "instance_type",
    "keep_alive_period_in_seconds",
    "volume_size",
    "volume_kms_key",
    "max_run",
    "input_mode",
    "output_path",
    "output_kms_key",
    "base_job_name",
    "sagemaker_session",
    "hyperparameters",
    "tags",
    "subnets",
    "security_group_ids",
    "model_uri",
    "model_channel_name",
    "metric_definitions",
    "encrypt_inter_container_traffic",
    "use_spot_instances",
    "max_wait",
)
# Framework estimators take entry_point first and the rest (instance_type, max_run, ...) by keyword (**kwargs).
FRAMEWORK_ESTIMATORS = frozenset(
    {"PyTorch", "TensorFlow", "HuggingFace", "XGBoost", "SKLearn", "MXNet", "Chainer", "RLEstimator", "Framework"}
)
ESTIMATORS = (
    frozenset({"Estimator", "EstimatorBase", "AlgorithmEstimator", "JumpStartEstimator"}) | FRAMEWORK_ESTIMATORS
)
RANGES = frozenset({"ContinuousParameter", "IntegerParameter", "CategoricalParameter"})
# v2 tuner.py: HyperbandStrategyConfig(max_resource, min_resource), StrategyConfig(hyperband_strategy_config);
# v3 (sagemaker.core.shapes, pydantic): keywords only, the strategy config is HyperParameterTuningJobStrategyConfig.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "HyperparameterTuner": _TUNER_PARAMETERS,
    "HyperparameterTuner.create": _CREATE_PARAMETERS,
    "Estimator": _ESTIMATOR_PARAMETERS,
    "EstimatorBase": _ESTIMATOR_PARAMETERS[1:],
    "ContinuousParameter": ("min_value", "max_value", "scaling_type"),
    "IntegerParameter": ("min_value", "max_value", "scaling_type"),
    "CategoricalParameter": ("values",),
    "HyperbandStrategyConfig": ("max_resource", "min_resource"),
    "StrategyConfig": ("hyperband_strategy_config",),
    **{name: ("entry_point",) for name in FRAMEWORK_ESTIMATORS},
}
# v3 classes (pydantic models: keyword arguments only).
V3_CLASSES = frozenset({"ModelTrainer", "Compute", "StoppingCondition", "HyperParameterTuningJobStrategyConfig", "Tag"})
KNOWN_CLASSES = ESTIMATORS | RANGES | V3_CLASSES | {"HyperbandStrategyConfig", "StrategyConfig"}
TUNER = "HyperparameterTuner"
TUNER_CREATE = "HyperparameterTuner.create"


class SdkReadError(ValueError):
    """A file that cannot be read as Python or as a notebook."""


# --- values -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Unit:
    """One piece of code: a script, or one code cell of a notebook (`cell`: 1-based, counting every cell)."""

    cell: int | None
    text: str  # as written
    masked: str  # the same length, with IPython magics and shell lines turned into comments
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    line_starts: tuple[int, ...]

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def where(self, node: cst.CSTNode) -> str:
        line = self.positions[node].start.line
        return f"cell {self.cell}, line {line}" if self.cell is not None else f"line {line}"


@dataclass(frozen=True)
class Unknown:
    """A value the linter cannot know without running the code; `reason` is a noun phrase."""

    reason: str


@dataclass
class SdkObject:
    """A recognised SDK constructor call and its arguments, by parameter name."""

    cls: str
    call: cst.Call
    unit: Unit
    args: dict[str, Value] = field(default_factory=dict)
    arg_nodes: dict[str, cst.Arg] = field(default_factory=dict)
    splat: bool = False  # *args or **kwargs: anything not named may come from there

    def get(self, name: str) -> Value | None:
        """The argument, or None when it is absent (and no splat may carry it)."""
        if name in self.args:
            return self.args[name]
        if self.splat:
            return Unknown(f"possibly set through *args or **kwargs ({self.unit.where(self.call)})")
        return None


@dataclass(frozen=True)
class Known:
    """A value the code gives; `node` is where it is written, `name` the variable it was reached through."""

    value: Any  # int, float, str, bool, None, list[Value], dict[str, Value], SdkObject
    node: cst.CSTNode | None = None
    unit: Unit | None = None
    name: str | None = None


type Value = Known | Unknown


@dataclass(frozen=True)
class _Binding:
    node: cst.BaseExpression
    unit: Unit
    env: Mapping[str, _Binding | Unknown]


# --- reading the files ------------------------------------------------------------------------------------------

_MAGIC = re.compile(r"^([ \t]*)([%!?])", re.MULTILINE)


def mask_magics(text: str) -> str:
    """The code with IPython lines (%magic, !shell, ?help), which are not Python, commented out, keeping every
    offset."""
    return _MAGIC.sub(lambda m: m.group(1) + "#", text)


def _unit(text: str, cell: int | None) -> Unit:
    masked = mask_magics(text)
    try:
        module = cst.parse_module(masked)
    except cst.ParserSyntaxError as error:
        where = f"cell {cell}" if cell is not None else "the file"
        at, column, message = error.raw_line, error.raw_column, error.message
        try:  # Python's own parser places the error exactly (libcst's line can be one past it)
            ast.parse(masked)
        except SyntaxError as exact:
            at, column, message = exact.lineno or at, (exact.offset or column + 1) - 1, exact.msg or message
        raise SdkReadError(f"{where} is not valid Python (line {at}, column {column}): {message}") from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    starts = [0]
    for line in masked.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return Unit(cell, text, masked, module, positions, tuple(starts))


def read_script(text: str) -> list[Unit]:
    """A `.py` file as one unit; raises SdkReadError when it is not Python."""
    return [_unit(text, None)]


def notebook_cells(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """The notebook (nbformat's NotebookNode) and its code cells' (1-based index, source); raises SdkReadError."""
    import nbformat  # imported here: only notebooks need it

    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    except Exception as error:  # nbformat raises JSON, validation and version errors of several types
        raise SdkReadError(f"not a readable notebook: {error}") from None
    if getattr(notebook, "nbformat", None) != 4:
        raise SdkReadError(f"notebook format {getattr(notebook, 'nbformat', '?')} is not supported (nbformat 4 is)")
    language = str(notebook.get("metadata", {}).get("kernelspec", {}).get("language", "python")).lower()
    if language != "python":
        raise SdkReadError(f"a {language} notebook: only Python notebooks are read")
    cells = []
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        cells.append((index, source if isinstance(source, str) else "".join(source)))
    return notebook, cells


def read_notebook(text: str) -> tuple[list[Unit], list[str]]:
    """The code cells of a notebook, in order, and a note for each cell that is not Python (a cell magic such as
    %%bash, or a syntax error): such a cell is left out."""
    _, cells = notebook_cells(text)
    units, notes = [], []
    for index, source in cells:
        if source.lstrip().startswith("%%"):
            notes.append(f"cell {index} is a cell magic ({source.lstrip().split()[0]}): not read")
            continue
        try:
            units.append(_unit(source, index))
        except SdkReadError as error:
            notes.append(f"{error}: not read")
    return units, notes


# --- following names ---------------------------------------------------------------------------------------------


@dataclass
class TunerCall:
    """A tuner found in the code: the call and what the names meant where it stands."""

    tuner: SdkObject
    create: bool


class _Walker:
    """Walks the statements in execution order, recording assignments and finding tuner calls."""

    def __init__(self) -> None:
        self.env: dict[str, _Binding | Unknown] = {}
        self.aliases: dict[str, str] = {}
        self.found: list[TunerCall] = []
        self._seen: set[int] = set()

    # statements
    def walk(self, body: Sequence[cst.CSTNode], unit: Unit, *, conditional: str | None = None) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._find_tuners(small, unit)
                    self._small(small, unit, conditional)
            elif isinstance(statement, cst.BaseCompoundStatement):
                self._compound(statement, unit, conditional)

    def _compound(self, statement: cst.BaseCompoundStatement, unit: Unit, conditional: str | None) -> None:
        line = unit.positions[statement].start.line
        where = f"cell {unit.cell}, line {line}" if unit.cell is not None else f"line {line}"
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            saved = dict(self.env)
            if isinstance(statement, cst.FunctionDef):
                for param in _parameters(statement.params):
                    self.env[param] = Unknown(f"a parameter of {statement.name.value}() ({where})")
            self._body(statement.body, unit, conditional)
            self.env = saved
            self.env[statement.name.value] = Unknown(
                f"a {'function' if isinstance(statement, cst.FunctionDef) else 'class'}"
            )
            return
        if isinstance(statement, cst.If) and _is_main_guard(statement.test):
            self._find_tuners(statement.test, unit)
            self._body(statement.body, unit, conditional)
            return
        if isinstance(statement, cst.With):
            for item in statement.items:
                self._find_tuners(item, unit)
                if item.asname is not None:
                    self._assign_target(item.asname.name, Unknown("bound by a with statement"), unit)
            self._body(statement.body, unit, conditional)
            return
        # if/elif/else, loops, try: a name assigned inside may or may not be, or more than once.
        kind = type(statement).__name__.lower()
        block = conditional or f"assigned inside {'an' if kind[0] in 'aeiou' else 'a'} {kind} block ({where})"
        for child in statement.children:
            if isinstance(child, cst.BaseSuite):
                self._body(child, unit, block)
            elif isinstance(child, cst.If | cst.Else | cst.ExceptHandler | cst.Finally):
                self._compound_part(child, unit, block)
            elif isinstance(child, cst.BaseExpression | cst.AssignTarget):
                self._find_tuners(child, unit)
        if isinstance(statement, cst.For):
            self._assign_target(statement.target, Unknown(block), unit)

    def _compound_part(self, node: cst.CSTNode, unit: Unit, block: str) -> None:
        for child in node.children:
            if isinstance(child, cst.BaseSuite):
                self._body(child, unit, block)
            elif isinstance(child, cst.If | cst.Else | cst.ExceptHandler | cst.Finally):
                self._compound_part(child, unit, block)
            elif isinstance(child, cst.BaseExpression):
                self._find_tuners(child, unit)

    def _body(self, suite: cst.BaseSuite, unit: Unit, conditional: str | None) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.walk(suite.body, unit, conditional=conditional)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self._find_tuners(small, unit)
                self._small(small, unit, conditional)

    def _small(self, small: cst.BaseSmallStatement, unit: Unit, conditional: str | None) -> None:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                value: _Binding | Unknown = _Binding(small.value, unit, dict(self.env))
                if conditional:
                    value = Unknown(conditional)
                elif not isinstance(target.target, cst.Name):
                    value = Unknown("assigned by unpacking")
                self._assign_target(target.target, value, unit)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            binding = Unknown(conditional) if conditional else _Binding(small.value, unit, dict(self.env))
            self._assign_target(small.target, binding, unit)
        elif isinstance(small, cst.AugAssign):
            self._assign_target(small.target, Unknown(f"changed in place ({unit.where(small)})"), unit)
        elif isinstance(small, cst.Import | cst.ImportFrom):
            self._imports(small)
        elif isinstance(small, cst.Expr):
            # estimator.set_hyperparameters(...), ranges.update(...): the object changes after it was made.
            call = small.value
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
                owner = call.func.value
                method = call.func.attr.value
                if isinstance(owner, cst.Name) and method in _MUTATORS:
                    self.env[owner.value] = Unknown(
                        f"changed by .{method}() after it was assigned ({unit.where(small)})"
                    )

    def _assign_target(self, target: cst.BaseExpression, value: _Binding | Unknown, unit: Unit) -> None:
        if isinstance(target, cst.Name):
            self.env[target.value] = value
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._assign_target(element.value, Unknown("assigned by unpacking"), unit)
        elif isinstance(target, cst.Subscript | cst.Attribute):
            owner = target.value
            while isinstance(owner, cst.Subscript | cst.Attribute):
                owner = owner.value
            if isinstance(owner, cst.Name):
                self.env[owner.value] = Unknown(f"changed after it was assigned ({unit.where(target)})")

    def _imports(self, statement: cst.Import | cst.ImportFrom) -> None:
        if isinstance(statement.names, cst.ImportStar):
            return
        for alias in statement.names:
            real = _dotted(alias.name)
            bound = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
            last = real[-1] if real else None
            if bound and last in KNOWN_CLASSES | {TUNER}:
                self.aliases[bound] = last
            name = bound or (real[0] if real else None)
            if name and name not in KNOWN_CLASSES | {TUNER}:
                self.env[name] = Unknown(f"the module or name {name!r} imported")

    # tuners
    def _find_tuners(self, node: cst.CSTNode, unit: Unit) -> None:
        walker = self

        class Finder(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:  # noqa: N802 - libcst's visitor naming
                name = walker.callee(call)
                if name in (TUNER, TUNER_CREATE) and id(call) not in walker._seen:
                    walker._seen.add(id(call))
                    tuner = walker.sdk_object(name, call, unit, dict(walker.env))
                    walker.found.append(TunerCall(tuner, create=name == TUNER_CREATE))

        node.visit(Finder())

    def callee(self, call: cst.Call) -> str | None:
        """The recognised SDK name a call makes: 'HyperparameterTuner', 'HyperparameterTuner.create', a class."""
        parts = _dotted(call.func)
        if not parts:
            return None
        parts = [*parts[:-1], self.aliases.get(parts[-1], parts[-1])] if len(parts) == 1 else parts
        if len(parts) >= 2 and parts[-1] == "create":
            owner = self.aliases.get(parts[-2], parts[-2])
            return TUNER_CREATE if owner == TUNER else None
        last = self.aliases.get(parts[-1], parts[-1])
        return last if last in KNOWN_CLASSES | {TUNER} else None

    # values
    def sdk_object(self, cls: str, call: cst.Call, unit: Unit, env: Mapping[str, _Binding | Unknown]) -> SdkObject:
        obj = SdkObject(cls=cls, call=call, unit=unit)
        signature = _SIGNATURES.get(cls, ())
        position = 0
        for arg in call.args:
            if arg.star:
                obj.splat = True
                continue
            if arg.keyword is not None:
                name = arg.keyword.value
            elif position < len(signature):
                name = signature[position]
                position += 1
            else:
                position += 1
                continue  # a positional argument the linter does not read
            obj.args[name] = self.resolve(arg.value, unit, env)
            obj.arg_nodes[name] = arg
        return obj

    def resolve(
        self, node: cst.BaseExpression, unit: Unit, env: Mapping[str, _Binding | Unknown], depth: int = 0
    ) -> Value:
        """What an expression evaluates to, or why that is unknown."""
        if depth > 50:
            return Unknown("a chain of names too long to follow")
        code = _code(node)
        if isinstance(node, cst.Integer | cst.Float | cst.Imaginary):
            value = node.evaluated_value
            return Known(value, node, unit) if not isinstance(value, complex) else Unknown("a complex number")
        if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
            text = node.evaluated_value
            return Known(text, node, unit) if isinstance(text, str) else Unknown(f"not text ({code})")
        if isinstance(node, cst.FormattedString):
            return Unknown(f"an f-string ({code})")
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return Known({"True": True, "False": False, "None": None}[node.value], node, unit)
            binding = env.get(node.value)
            if binding is None:
                return Unknown(f"the name {node.value!r}, not assigned before this point")
            if isinstance(binding, Unknown):
                return Unknown(f"the name {node.value!r}, {binding.reason}")
            found = self.resolve(binding.node, binding.unit, binding.env, depth + 1)
            if isinstance(found, Unknown):
                return found
            return Known(found.value, found.node, found.unit, name=found.name or node.value)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus | cst.Plus):
            inner = self.resolve(node.expression, unit, env, depth + 1)
            if isinstance(inner, Known) and _is_number(inner.value):
                value = -inner.value if isinstance(node.operator, cst.Minus) else inner.value
                return Known(value, node, unit, name=inner.name)
            return (
                inner if isinstance(inner, Unknown) else Unknown(f"an expression the linter does not evaluate ({code})")
            )
        if isinstance(node, cst.BinaryOperation):
            return self._arithmetic(node, unit, env, depth)
        if isinstance(node, cst.List | cst.Tuple):
            items: list[Value] = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    return Unknown(f"a list built with * ({code})")
                items.append(self.resolve(element.value, unit, env, depth + 1))
            return Known(items, node, unit)
        if isinstance(node, cst.Dict):
            members: dict[str, Value] = {}
            for entry in node.elements:
                if not isinstance(entry, cst.DictElement):
                    return Unknown(f"a dict built with ** ({code})")
                key = self.resolve(entry.key, unit, env, depth + 1)
                if not isinstance(key, Known) or not isinstance(key.value, str):
                    return Unknown(f"a dict whose keys are not all known text ({code})")
                members[key.value] = self.resolve(entry.value, unit, env, depth + 1)
            return Known(members, node, unit)
        if isinstance(node, cst.Call):
            name = self.callee(node)
            if name is not None and name not in (TUNER, TUNER_CREATE):
                return Known(self.sdk_object(name, node, unit, env), node, unit)
            if (_dotted(node.func) == ["dict"] and not node.args[:1]) or (
                _dotted(node.func) == ["dict"] and all(a.keyword is not None for a in node.args)
            ):
                return Known(
                    {a.keyword.value: self.resolve(a.value, unit, env, depth + 1) for a in node.args if a.keyword},
                    node,
                    unit,
                )
            return Unknown(f"a function call's result ({_shorten(code)})")
        if isinstance(node, cst.Attribute):
            return Unknown(f"an attribute ({_shorten(code)})")
        if isinstance(node, cst.Subscript):
            return Unknown(f"a subscript ({_shorten(code)})")
        return Unknown(f"an expression the linter does not evaluate ({_shorten(code)})")

    def _arithmetic(
        self, node: cst.BinaryOperation, unit: Unit, env: Mapping[str, _Binding | Unknown], depth: int
    ) -> Value:
        left = self.resolve(node.left, unit, env, depth + 1)
        right = self.resolve(node.right, unit, env, depth + 1)
        for side in (left, right):
            if isinstance(side, Unknown):
                return side
        assert isinstance(left, Known) and isinstance(right, Known)
        a, b = left.value, right.value
        if not (_is_number(a) and _is_number(b)):
            return Unknown(f"an expression the linter does not evaluate ({_shorten(_code(node))})")
        operator = node.operator
        try:
            if isinstance(operator, cst.Add):
                value = a + b
            elif isinstance(operator, cst.Subtract):
                value = a - b
            elif isinstance(operator, cst.Multiply):
                value = a * b
            elif isinstance(operator, cst.Divide):
                value = a / b
            elif isinstance(operator, cst.FloorDivide):
                value = a // b
            elif isinstance(operator, cst.Power) and abs(b) <= 64:
                value = a**b
            else:
                return Unknown(f"an expression the linter does not evaluate ({_shorten(_code(node))})")
        except (ZeroDivisionError, OverflowError):
            return Unknown(f"an expression that fails ({_shorten(_code(node))})")
        return Known(value, node, unit)


_MUTATORS = frozenset({"update", "pop", "clear", "setdefault", "append", "extend", "remove"})


def _parameters(params: cst.Parameters) -> list[str]:
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names


def _is_main_guard(test: cst.BaseExpression) -> bool:
    return _code(test).replace("'", '"').replace(" ", "") in ('__name__=="__main__"', '"__main__"==__name__')


def _dotted(node: cst.CSTNode) -> list[str] | None:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        owner = _dotted(node.value)
        return [*owner, node.attr.value] if owner else None
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_EMPTY = cst.Module(body=[])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _shorten(code: str, limit: int = 60) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"


def find_tuners(units: Sequence[Unit]) -> list[TunerCall]:
    """Every HyperparameterTuner(...) and HyperparameterTuner.create(...) call, in execution order."""
    walker = _Walker()
    for unit in units:
        walker.walk(unit.module.body, unit)
    return walker.found


# --- the request the SDK would send ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """Where a member of the request comes from: the argument `parameter` of the SDK call `owner`."""

    owner: SdkObject
    parameter: str | None = None  # None: the call itself (a range, an estimator)


@dataclass
class SdkRequest:
    """A tuner as the CreateHyperParameterTuningJob request the SDK would send."""

    tuner: SdkObject
    document: dict[str, Any]
    anchors: dict[str, Anchor]  # JSON pointer in `document` -> where it comes from
    unknowns: list[str]  # values the request needs that the code does not give: the request is not evaluated
    notes: list[str]  # defaults applied and values that do not matter to the guardrail
    version: str  # "v2" or "v3"

    def anchor_of(self, pointer: str) -> Anchor | None:
        """The anchor of a pointer, or of the nearest member that contains it."""
        while pointer:
            if pointer in self.anchors:
                return self.anchors[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return None


class _Builder:
    def __init__(self, tuner: SdkObject) -> None:
        self.tuner = tuner
        self.anchors: dict[str, Anchor] = {}
        self.unknowns: list[str] = []
        self.notes: list[str] = []

    def value(
        self, owner: SdkObject, name: str, label: str, default: Any = ..., *, kind: type | tuple[type, ...] = object
    ) -> Any:
        """The argument's value, the SDK's default when absent, or `...` (recorded as unknown)."""
        found = owner.get(name)
        if found is None:
            if default is ...:
                self.unknowns.append(f"{label} is not given: unknown")
            return default
        if isinstance(found, Unknown):
            self.unknowns.append(f"{label} is {found.reason}: unknown")
            return ...
        value = found.value
        if kind is not object and (
            not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float)))
        ):
            if value is None and default is not ...:
                return default
            self.unknowns.append(
                f"{label} is {_kind_words(value)} ({_shorten(repr(value))}), which the SDK does not take: unknown"
            )
            return ...
        return value

    def obj(
        self, owner: SdkObject, name: str, label: str, classes: frozenset[str] | set[str]
    ) -> SdkObject | Any | None:
        found = owner.get(name)
        if found is None:
            return None
        if isinstance(found, Unknown):
            self.unknowns.append(f"{label} is {found.reason}: unknown")
            return ...
        if isinstance(found.value, SdkObject) and found.value.cls in classes:
            return found.value
        if found.value is None:
            return None
        self.unknowns.append(f"{label} is not a {' or '.join(sorted(classes))} the linter recognises: unknown")
        return ...


def _kind_words(value: Any) -> str:
    if isinstance(value, SdkObject):
        return f"a {value.cls}"
    return {
        bool: "a boolean",
        str: "text",
        int: "a whole number",
        float: "a number",
        list: "a list",
        dict: "a dict",
    }.get(type(value), type(value).__name__)


def _number_text(value: Any) -> str:
    """As the SDK sends a range bound: parameter.py to_string, str() of the value."""
    return str(value)


def sdk_request(found: TunerCall, job_name: str) -> SdkRequest:
    """The request `found` would make, with the SDK's defaults; `unknowns` names what the code does not give."""
    b = _Builder(found.tuner)
    tuner = found.tuner
    config: dict[str, Any] = {}
    document: dict[str, Any] = {"HyperParameterTuningJobName": job_name, "HyperParameterTuningJobConfig": config}
    base = "/HyperParameterTuningJobConfig"
    strategy = b.value(tuner, "strategy", "strategy", "Bayesian", kind=str)
    config["Strategy"] = strategy
    b.anchors[f"{base}/Strategy"] = Anchor(tuner, "strategy")
    limits: dict[str, Any] = {}
    config["ResourceLimits"] = limits
    grid = strategy == "Grid"
    max_jobs = b.value(tuner, "max_jobs", "max_jobs", None, kind=int)
    if max_jobs is None and not grid:
        max_jobs = 1  # SDK_DEFAULTS["max_jobs"]
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    limits["MaxParallelTrainingJobs"] = b.value(tuner, "max_parallel_jobs", "max_parallel_jobs", 1, kind=int)
    runtime = b.value(tuner, "max_runtime_in_seconds", "max_runtime_in_seconds", None, kind=int)
    if runtime is not None:
        limits["MaxRuntimeInSeconds"] = runtime
    for member, parameter in (
        ("MaxNumberOfTrainingJobs", "max_jobs"),
        ("MaxParallelTrainingJobs", "max_parallel_jobs"),
        ("MaxRuntimeInSeconds", "max_runtime_in_seconds"),
    ):
        b.anchors[f"{base}/ResourceLimits/{member}"] = Anchor(tuner, parameter)
    config["TrainingJobEarlyStoppingType"] = b.value(
        tuner, "early_stopping_type", "early_stopping_type", "Off", kind=str
    )
    b.anchors[f"{base}/TrainingJobEarlyStoppingType"] = Anchor(tuner, "early_stopping_type")
    _strategy_config(b, tuner, config, base)
    objective_type = b.value(tuner, "objective_type", "objective_type", "Maximize", kind=str)
    version = "v2"
    if found.create:
        definitions = _create_definitions(b, tuner, objective_type)
        document["TrainingJobDefinitions"] = definitions
    else:
        trainer = tuner.get("estimator") or tuner.get("model_trainer")
        name = "model_trainer" if "model_trainer" in tuner.args else "estimator"
        if isinstance(trainer, Known) and isinstance(trainer.value, SdkObject) and trainer.value.cls == "ModelTrainer":
            version = "v3"
        definition, ranges = _definition(
            b,
            trainer,
            name,
            tuner.get("hyperparameter_ranges"),
            "hyperparameter_ranges",
            "/TrainingJobDefinition",
            base,
        )
        if ranges is not None:
            config["ParameterRanges"] = ranges
        metric = b.value(tuner, "objective_metric_name", "objective_metric_name", None)
        if isinstance(metric, str):
            config["HyperParameterTuningJobObjective"] = {"Type": objective_type, "MetricName": metric}
        document["TrainingJobDefinition"] = definition
    tags = _tags(b, tuner, found)
    if tags:
        document["Tags"] = tags
    b.anchors["/Tags"] = Anchor(tuner, "tags")
    return SdkRequest(tuner, document, b.anchors, list(dict.fromkeys(b.unknowns)), b.notes, version)


def _strategy_config(b: _Builder, tuner: SdkObject, config: dict[str, Any], base: str) -> None:
    outer = b.obj(
        tuner, "strategy_config", "strategy_config", {"StrategyConfig", "HyperParameterTuningJobStrategyConfig"}
    )
    b.anchors[f"{base}/StrategyConfig"] = Anchor(tuner, "strategy_config")
    if outer is None or outer is ...:
        return
    hyperband = b.obj(
        outer, "hyperband_strategy_config", "strategy_config's hyperband_strategy_config", {"HyperbandStrategyConfig"}
    )
    if hyperband is ...:
        return
    config["StrategyConfig"] = {}
    if hyperband is None:
        return
    members: dict[str, Any] = {}
    for member, parameter in (("MinResource", "min_resource"), ("MaxResource", "max_resource")):
        value = b.value(hyperband, parameter, f"HyperbandStrategyConfig {parameter}", None, kind=int)
        if value is not None and value is not ...:
            members[member] = value
        b.anchors[f"{base}/StrategyConfig/HyperbandStrategyConfig/{member}"] = Anchor(hyperband, parameter)
    config["StrategyConfig"]["HyperbandStrategyConfig"] = members


def _ranges(b: _Builder, given: Value | None, label: str, pointer: str) -> dict[str, Any] | None:
    if given is None:
        b.unknowns.append(f"{label} is not given: unknown")
        return None
    if isinstance(given, Unknown):
        b.unknowns.append(f"{label} is {given.reason}: unknown")
        return None
    if not isinstance(given.value, dict):
        b.unknowns.append(f"{label} is {_kind_words(given.value)}, not a dict of parameter ranges: unknown")
        return None
    lists: dict[str, list[dict[str, Any]]] = {
        "IntegerParameterRanges": [],
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
    }
    for name, value in given.value.items():
        if isinstance(value, Unknown):
            b.unknowns.append(f"the range {name!r} is {value.reason}: unknown")
            continue
        obj = value.value
        if not isinstance(obj, SdkObject) or obj.cls not in RANGES:
            b.unknowns.append(f"the range {name!r} is {_kind_words(obj)}, not a parameter range: unknown")
            continue
        if obj.cls == "CategoricalParameter":
            values = b.value(obj, "values", f"{name} values", kind=(list, str, int, float))
            if values is ...:
                continue
            items = values if isinstance(values, list) else [Known(values)]
            texts = []
            for item in items:
                if isinstance(item, Unknown):
                    b.unknowns.append(f"a value of {name} is {item.reason}: unknown")
                    break
                texts.append(str(item.value))
            else:
                key = "CategoricalParameterRanges"
                b.anchors[f"{pointer}/{key}/{len(lists[key])}"] = Anchor(obj)
                lists[key].append({"Name": name, "Values": texts})
            continue
        key = "ContinuousParameterRanges" if obj.cls == "ContinuousParameter" else "IntegerParameterRanges"
        low = b.value(obj, "min_value", f"{name} min_value", kind=(int, float))
        high = b.value(obj, "max_value", f"{name} max_value", kind=(int, float))
        scaling = b.value(obj, "scaling_type", f"{name} scaling_type", "Auto", kind=str)
        if ... in (low, high, scaling):
            continue
        at = f"{pointer}/{key}/{len(lists[key])}"
        b.anchors[at] = Anchor(obj)
        b.anchors[f"{at}/MinValue"] = Anchor(obj, "min_value")
        b.anchors[f"{at}/MaxValue"] = Anchor(obj, "max_value")
        b.anchors[f"{at}/ScalingType"] = Anchor(obj, "scaling_type")
        lists[key].append(
            {"Name": name, "MinValue": _number_text(low), "MaxValue": _number_text(high), "ScalingType": scaling}
        )
    return lists


def _definition(
    b: _Builder,
    trainer: Value | None,
    label: str,
    ranges: Value | None,
    ranges_label: str,
    pointer: str,
    ranges_pointer: str,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    definition: dict[str, Any] = {}
    if (
        trainer is None
        or isinstance(trainer, Unknown)
        or not isinstance(trainer.value, SdkObject)
        or trainer.value.cls not in ESTIMATORS | {"ModelTrainer"}
    ):
        if isinstance(trainer, Unknown):
            b.unknowns.append(f"{label} is {trainer.reason}: unknown")
        elif trainer is None:
            b.unknowns.append(f"{label} is not given: unknown")
        else:
            b.unknowns.append(
                f"{label} is {_kind_words(trainer.value)}, not an estimator the linter recognises: unknown"
            )
        return definition, _ranges(b, ranges, ranges_label, _ranges_pointer(ranges_pointer))
    estimator = trainer.value
    b.anchors[pointer] = Anchor(estimator)
    if estimator.cls == "ModelTrainer":
        _v3_trainer(b, estimator, label, definition, pointer)
    else:
        instance_type = b.value(estimator, "instance_type", f"{label} instance_type", kind=str)
        instance_count = b.value(estimator, "instance_count", f"{label} instance_count", kind=int)
        definition["ResourceConfig"] = {"InstanceType": instance_type, "InstanceCount": instance_count}
        b.anchors[f"{pointer}/ResourceConfig/InstanceType"] = Anchor(estimator, "instance_type")
        b.anchors[f"{pointer}/ResourceConfig/InstanceCount"] = Anchor(estimator, "instance_count")
        stopping: dict[str, Any] = {
            "MaxRuntimeInSeconds": b.value(estimator, "max_run", f"{label} max_run", 86_400, kind=int)
        }
        b.anchors[f"{pointer}/StoppingCondition/MaxRuntimeInSeconds"] = Anchor(estimator, "max_run")
        spot = b.value(estimator, "use_spot_instances", f"{label} use_spot_instances", False, kind=bool)
        wait = b.value(estimator, "max_wait", f"{label} max_wait", None, kind=int)
        if wait is not None:
            stopping["MaxWaitTimeInSeconds"] = wait
        b.anchors[f"{pointer}/StoppingCondition/MaxWaitTimeInSeconds"] = Anchor(estimator, "max_wait")
        definition["StoppingCondition"] = stopping
        definition["EnableManagedSpotTraining"] = spot
        b.anchors[f"{pointer}/EnableManagedSpotTraining"] = Anchor(estimator, "use_spot_instances")
        hyperparameters = estimator.get("hyperparameters")
        if isinstance(hyperparameters, Known) and isinstance(hyperparameters.value, dict):
            definition["StaticHyperParameters"] = {
                key: json.dumps(v.value)
                if isinstance(v, Known) and not isinstance(v.value, str)
                else (v.value if isinstance(v, Known) else "?")
                for key, v in hyperparameters.value.items()
            }
        elif isinstance(hyperparameters, Unknown):
            b.notes.append(f"{label} hyperparameters are {hyperparameters.reason}: not counted")
    parsed = _ranges(b, ranges, ranges_label, _ranges_pointer(ranges_pointer))
    if parsed is not None and "StaticHyperParameters" in definition:
        tuned = {r["Name"] for group in parsed.values() for r in group}
        definition["StaticHyperParameters"] = {
            k: v for k, v in definition["StaticHyperParameters"].items() if k not in tuned
        }
    return definition, parsed


def _ranges_pointer(parent: str) -> str:
    """Ranges sit in the tuning job config (one estimator) or in each definition (create)."""
    return f"{parent}/ParameterRanges" if parent.endswith("Config") else f"{parent}/HyperParameterRanges"


def _v3_trainer(b: _Builder, trainer: SdkObject, label: str, definition: dict[str, Any], pointer: str) -> None:
    compute = b.obj(trainer, "compute", f"{label} compute", {"Compute"})
    instance_type: Any = SDK_DEFAULTS["v3 instance_type"][0]
    instance_count: Any = SDK_DEFAULTS["v3 instance_count"][0]
    spot: Any = False
    if compute is ...:
        instance_type = instance_count = ...
    elif compute is not None:
        instance_type = b.value(compute, "instance_type", f"{label} compute instance_type", instance_type, kind=str)
        instance_count = b.value(compute, "instance_count", f"{label} compute instance_count", instance_count, kind=int)
        spot = b.value(
            compute, "enable_managed_spot_training", f"{label} compute enable_managed_spot_training", False, kind=bool
        )
        b.anchors[f"{pointer}/ResourceConfig/InstanceType"] = Anchor(compute, "instance_type")
        b.anchors[f"{pointer}/ResourceConfig/InstanceCount"] = Anchor(compute, "instance_count")
        b.anchors[f"{pointer}/EnableManagedSpotTraining"] = Anchor(compute, "enable_managed_spot_training")
    definition["ResourceConfig"] = {"InstanceType": instance_type, "InstanceCount": instance_count}
    stopping_condition = b.obj(trainer, "stopping_condition", f"{label} stopping_condition", {"StoppingCondition"})
    runtime: Any = SDK_DEFAULTS["v3 max_runtime_in_seconds"][0]
    stopping: dict[str, Any] = {}
    if stopping_condition is ...:
        runtime = ...
    elif stopping_condition is not None:
        runtime = b.value(
            stopping_condition, "max_runtime_in_seconds", f"{label} max_runtime_in_seconds", runtime, kind=int
        )
        wait = b.value(
            stopping_condition, "max_wait_time_in_seconds", f"{label} max_wait_time_in_seconds", None, kind=int
        )
        if wait is not None:
            stopping["MaxWaitTimeInSeconds"] = wait
        b.anchors[f"{pointer}/StoppingCondition/MaxRuntimeInSeconds"] = Anchor(
            stopping_condition, "max_runtime_in_seconds"
        )
        b.anchors[f"{pointer}/StoppingCondition/MaxWaitTimeInSeconds"] = Anchor(
            stopping_condition, "max_wait_time_in_seconds"
        )
    definition["StoppingCondition"] = {"MaxRuntimeInSeconds": runtime, **stopping}
    definition["EnableManagedSpotTraining"] = spot


def _estimators_of(tuner: SdkObject) -> tuple[str, Value | None]:
    """`HyperparameterTuner.create`'s estimators and the name they were given by: estimator_dict (v2, and the
    positional first argument) or model_trainer_dict (v3)."""
    if "model_trainer_dict" in tuner.args and "estimator_dict" not in tuner.args:
        return "model_trainer_dict", tuner.args["model_trainer_dict"]
    return "estimator_dict", tuner.get("estimator_dict")


def _create_definitions(b: _Builder, tuner: SdkObject, objective_type: Any) -> list[dict[str, Any]]:
    name_given, estimators = _estimators_of(tuner)
    if not isinstance(estimators, Known) or not isinstance(estimators.value, dict):
        what = (
            estimators.reason
            if isinstance(estimators, Unknown)
            else "not given"
            if estimators is None
            else "not a dict"
        )
        b.unknowns.append(f"{name_given} is {what}: unknown")
        return []
    metric_names = b.value(tuner, "objective_metric_name_dict", "objective_metric_name_dict", {}, kind=dict)
    ranges_given = tuner.get("hyperparameter_ranges_dict")
    if isinstance(ranges_given, Unknown) or ranges_given is None:
        b.unknowns.append(
            f"hyperparameter_ranges_dict is {ranges_given.reason if ranges_given else 'not given'}: unknown"
        )
        ranges_by_name: dict[str, Value] = {}
    elif isinstance(ranges_given.value, dict):
        ranges_by_name = ranges_given.value
    else:
        b.unknowns.append("hyperparameter_ranges_dict is not a dict: unknown")
        ranges_by_name = {}
    definitions: list[dict[str, Any]] = []
    # The SDK sends one definition per estimator, in sorted name order (tuner.py _get_tuner_args: sorted keys).
    for index, name in enumerate(sorted(estimators.value)):
        pointer = f"/TrainingJobDefinitions/{index}"
        definition, ranges = _definition(
            b,
            estimators.value[name],
            f"estimator {name!r}",
            ranges_by_name.get(name),
            f"hyperparameter_ranges_dict[{name!r}]",
            pointer,
            pointer,
        )
        definition = {"DefinitionName": name, **definition}
        if ranges is not None:
            definition["HyperParameterRanges"] = ranges
        metric = metric_names.get(name) if isinstance(metric_names, dict) else None
        if isinstance(metric, Known) and isinstance(metric.value, str):
            definition["TuningObjective"] = {"Type": objective_type, "MetricName": metric.value}
        definitions.append(definition)
    return definitions


def _tags(b: _Builder, tuner: SdkObject, found: TunerCall) -> list[dict[str, str]]:
    """The tuner's tags, then the (first) estimator's it lacks (v2 tuner.py _prepare_tags_for_tuning)."""
    tags = _tag_list(b, tuner.get("tags"), "tags")
    estimator: Value | None
    if found.create:
        _, estimators = _estimators_of(tuner)
        estimator = None
        if isinstance(estimators, Known) and isinstance(estimators.value, dict) and estimators.value:
            estimator = estimators.value[sorted(estimators.value)[0]]
    else:
        estimator = tuner.get("estimator") or tuner.get("model_trainer")
    if isinstance(estimator, Known) and isinstance(estimator.value, SdkObject):
        for tag in _tag_list(b, estimator.value.get("tags"), "the estimator's tags"):
            if tag not in tags:
                tags.append(tag)
    return tags


def _tag_list(b: _Builder, given: Value | None, label: str) -> list[dict[str, str]]:
    if given is None:
        return []
    if isinstance(given, Unknown):
        b.unknowns.append(f"{label} is {given.reason}: unknown")
        return []
    value = given.value
    if value is None:
        return []
    items: list[Value]
    if isinstance(value, dict):  # format_tags takes a dict of key: value too
        items = [Known({"Key": Known(k), "Value": v}) for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        b.unknowns.append(f"{label} is {_kind_words(value)}: unknown")
        return []
    tags = []
    for item in items:
        if isinstance(item, Unknown):
            b.unknowns.append(f"a tag in {label} is {item.reason}: unknown")
            continue
        pair = item.value
        if isinstance(pair, SdkObject) and pair.cls == "Tag":
            key_value, value_value = pair.get("key"), pair.get("value")
        elif isinstance(pair, dict):
            key_value = pair.get("Key") or pair.get("key")
            value_value = pair.get("Value") or pair.get("value")
        else:
            b.unknowns.append(f"a tag in {label} is {_kind_words(pair)}: unknown")
            continue
        texts = []
        for part in (key_value, value_value):
            if isinstance(part, Known) and isinstance(part.value, str):
                texts.append(part.value)
            else:
                b.unknowns.append(
                    f"a tag in {label} is {part.reason if isinstance(part, Unknown) else 'not text'}: unknown"
                )
                break
        else:
            tags.append({"Key": texts[0], "Value": texts[1]})
    return tags
