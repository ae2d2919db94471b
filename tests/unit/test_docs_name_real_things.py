"""README.md and docs/*.md name only commands, flags, environment variables and template parameters that
exist.

What exists is read from the code, not listed here: the argparse parser of `hpo-guardrail`, the
variables the settings models and the code read (string literals in the shipped code, the template's
function environments, the Makefile), and template.yaml's Parameters. Names the docs take from other
tools (the AWS CLI's flags, boto3's variables) are listed once below, each with its owner.
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
COMMAND = "hpo-guardrail"

# Flags of other tools that the docs name on their own (outside an `hpo-guardrail ...` command line).
FOREIGN_FLAGS = {
    "--cli-input-json": "aws cli",
    "--guided": "sam deploy",
    "--build-in-source": "sam build",
    "--parameter-overrides": "sam deploy",
    "--use-container": "sam build",
    "--lint": "sam validate",
    "--role-arn": "sam deploy",
    "--resolve-s3": "sam deploy",
    "--hyper-parameter-tuning-job-name": "aws sagemaker",
    "--no-deps": "pip",
    "--no-build-isolation": "pip",
    "--write": "bench/reliability.py",  # also hpo-guardrail docs --write
    "--no-build": "bench/run.py (make bench)",
    "--only": "bench/run.py (make bench)",
    "--goals-only": "bench/run.py (make bench)",
    "--invalidation-mode": "python -m compileall",
}
# Variables that other software reads (boto3 and the AWS CLI, Lambda, CI systems, terminals, the
# emulator), which the docs name to explain behaviour.
FOREIGN_VARIABLES = {
    "AWS_PROFILE": "boto3",
    "AWS_REGION": "Lambda, boto3",
    "AWS_DEFAULT_REGION": "boto3",
    "AWS_ACCESS_KEY_ID": "boto3",
    "AWS_SECRET_ACCESS_KEY": "boto3",
    "AWS_SESSION_TOKEN": "boto3",
    "AWS_CONFIG_FILE": "boto3",
    "AWS_SHARED_CREDENTIALS_FILE": "boto3",
    "AWS_ENDPOINT_URL": "boto3",
    "AWS_LAMBDA_FUNCTION_NAME": "Lambda",
    "NO_COLOR": "terminals (no-color.org)",
    "XDG_CACHE_HOME": "XDG base directories",
    "GITHUB_SERVER_URL": "GitHub Actions",
    "GITHUB_REPOSITORY": "GitHub Actions",
    "GITHUB_OUTPUT": "GitHub Actions",
    "MOTO_ACCOUNT_ID": "moto",
    "INITIAL_NO_AUTH_ACTION_COUNT": "moto",
    "SAM_CLI_TELEMETRY": "SAM CLI",
    "ARTIFACTS_DIR": "SAM CLI (makefile builds)",
    "POWERTOOLS_LOG_LEVEL": "Lambda Powertools",
    "POWERTOOLS_SERVICE_NAME": "Lambda Powertools",
    "POWERTOOLS_METRICS_NAMESPACE": "Lambda Powertools",
    "POWERTOOLS_DEV": "Lambda Powertools",
}
# Names in the docs that look like variables and are not: checkov's check ids.
NOT_VARIABLES = re.compile(r"CKV2?_[A-Z0-9_]+")
CODE_FENCES = {"sh", "bash", "shell", "console", "yaml", "yml", "json", "toml", "ini", "dockerfile", "make"}
CODE_FOLDERS = ("rules", "hpo_guardrail", "functions", "scripts", "bench")
SHELL_ENDS = {"|", "||", "&&", ";", ">", ">>", "2>", "<", "&", "\\"}


# --- reading the docs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """A piece of code in a page: a fenced block's line or an inline span, with where it is."""

    page: str
    line: int
    text: str
    fenced: bool


def _display(page: Path) -> str:
    return page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name


def code_in(page: Path) -> Iterator[Code]:
    """Every fenced code line and every inline code span of a Markdown page."""
    name = _display(page)
    fence: str | None = None  # the open fence's info string ("" for none)
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence is not None else stripped[3:].strip()
            continue
        if fence is not None:
            # Unlabelled fences hold diagrams and trees (the layout, the data flow), not commands.
            if fence in CODE_FENCES:
                yield Code(name, number, line, fenced=True)
            continue
        for span in re.findall(r"(?<!`)`([^`]+)`(?!`)", line):
            yield Code(name, number, span, fenced=False)


def all_code(pages: tuple[Path, ...]) -> Iterator[Code]:
    for page in pages:
        yield from code_in(page)


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:  # an unbalanced quote in a fragment: fall back to whitespace
        return text.split()


def command_lines(code: Code) -> Iterator[list[str]]:
    """The words after each `hpo-guardrail` in a piece of code, up to the end of its shell command."""
    for match in re.finditer(rf"(?:^|(?<=[\s/`(]))({re.escape(COMMAND)})(?=\s|$)", code.text):
        before = code.text[: match.start()].split()
        if before and before[-1].startswith("--") and "=" not in before[-1]:
            continue  # a flag's value (`--stack hpo-guardrail`), not the command
        words: list[str] = []
        for word in _words(code.text[match.end() :]):
            if word in SHELL_ENDS or word.startswith((">", "2>")):
                break
            words.append(word)
        yield words


# --- what exists -------------------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings if option.startswith("--")}


@cache
def parser() -> argparse.ArgumentParser:
    return build_parser()


@cache
def every_flag() -> frozenset[str]:
    found: set[str] = set()
    pending = [parser()]
    while pending:
        current = pending.pop()
        found |= _flags(current)
        pending += _subparsers(current).values()
    return frozenset(found)


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


@cache
def template() -> dict:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


@cache
def variables_the_code_reads() -> frozenset[str]:
    """Environment variable names the project's code, template and Makefile can read."""
    names: set[str] = set()
    for path in [ROOT / "setup.py", *(p for folder in CODE_FOLDERS for p in (ROOT / folder).rglob("*.py"))]:
        names |= {value for value in _string_literals(path) if re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", value)}
    for resource in template()["Resources"].values():
        environment = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        names |= set(environment)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    names |= set(re.findall(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)\s*[:?+]?=", makefile, flags=re.MULTILINE))
    return frozenset(names)


@cache
def template_parameters() -> frozenset[str]:
    return frozenset(template()["Parameters"])


# --- the checks ---------------------------------------------------------------------------------------------


def unknown_command_words(pages: tuple[Path, ...] = PAGES) -> list[str]:
    """`hpo-guardrail` command lines naming a command, sub-command or flag the parser lacks."""
    problems: list[str] = []
    commands = _subparsers(parser())
    for code in all_code(pages):
        for words in command_lines(code):
            where = f"{code.page}:{code.line}: {COMMAND} {' '.join(words)}"
            positional = [w for w in words if not w.startswith("-")]
            if not positional or positional[0].startswith(("<", "[")) or positional[0].isupper():
                # "hpo-guardrail <command>", "hpo-guardrail COMMAND --help": a pattern, not a command.
                flags = {w.split("=", 1)[0] for w in words if w.startswith("--")}
                problems += [f"{where}: no flag {flag}" for flag in sorted(flags - _flags(parser()))]
                continue
            name = positional[0]
            if name not in commands:
                problems.append(f"{where}: no command {name!r}")
                continue
            current = commands[name]
            allowed = _flags(parser()) | _flags(current)
            nested = _subparsers(current)
            if nested:
                sub = positional[1] if len(positional) > 1 else None
                if sub is not None and sub in nested:
                    allowed |= _flags(nested[sub])
                elif sub is not None and not sub.startswith("<"):
                    problems.append(f"{where}: no sub-command {name} {sub!r}")
                    continue
            for word in words:
                flag = word.split("=", 1)[0]
                if flag.startswith("--") and flag != "--" and flag not in allowed:
                    problems.append(f"{where}: no flag {flag} for {name}")
    return problems


def unknown_flags_on_their_own(pages: tuple[Path, ...] = PAGES) -> list[str]:
    """Flags named in inline code outside an `hpo-guardrail` line that no command and no listed tool has."""
    problems = []
    for code in all_code(pages):
        if code.fenced or re.search(rf"(?:^|[\s/]){re.escape(COMMAND)}(?=\s|$)", code.text):
            continue
        if re.search(r"^\s*(sam|aws|pip|python|make|git|pre-commit|\.venv/bin/python)\b", code.text):
            continue  # another tool's command line
        for flag in re.findall(r"(?:^|\s)(--[a-z][a-z0-9-]*)", code.text):
            if flag not in every_flag() and flag not in FOREIGN_FLAGS:
                problems.append(f"{code.page}:{code.line}: {flag} ({code.text!r}) is no hpo-guardrail flag")
    return problems


def named_variables(pages: tuple[Path, ...]) -> Iterator[tuple[Code, str]]:
    """Environment-variable-like names in the docs' code: FOO_BAR, $FOO_BAR, FOO_BAR=value."""
    for code in all_code(pages):
        for name in re.findall(r"(?<![\w./:-])\$?\{?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b(?![.(\w-])", code.text):
            yield code, name


def shell_variables(pages: tuple[Path, ...]) -> set[str]:
    """Variables the docs' own shell lines set from a command's output (`QUEUE_URL=$(aws ...)`): the reader's,
    not the product's. `export NAME=value` and `NAME=value command` stay checked: a program reads those."""
    return {
        name
        for code in all_code(pages)
        if code.fenced
        for name in re.findall(r"(?:^|[\s;(])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)=\$\(", code.text)
    }


def unknown_variables(pages: tuple[Path, ...] = PAGES) -> list[str]:
    known = variables_the_code_reads() | set(FOREIGN_VARIABLES) | shell_variables(pages)
    return sorted(
        {
            f"{code.page}:{code.line}: {name}"
            for code, name in named_variables(pages)
            if name not in known and not NOT_VARIABLES.fullmatch(name)
        },
    )


_PARAMETER_NAME = r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*"


def named_parameters(pages: tuple[Path, ...] = PAGES) -> Iterator[tuple[str, int, str]]:
    """Template parameters the docs name: rows of a `parameter` table, `Name=value` overrides, and
    `Name` next to the word parameter."""
    for page in pages:
        name = _display(page)
        in_parameter_table = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
            if cells and cells[0].lower() in ("parameter", "template parameter"):
                in_parameter_table = True
                continue
            if not cells:
                in_parameter_table = False
            elif in_parameter_table and not set(cells[0]) <= set("-: "):
                for found in re.findall(rf"`({_PARAMETER_NAME})`", cells[0]):
                    yield name, number, found
            # Overrides: on a `--parameter-overrides` line, or a code span of Name=value pairs about deploying.
            overrides = "--parameter-overrides" in line or re.search(r"\b(deploy|parameters?)\b", line, re.I)
            if overrides:
                for span in re.findall(r"`([^`]+)`", line) if "`" in line else [line]:
                    for found in re.findall(rf"(?:^|\s)({_PARAMETER_NAME})=(?!=)", span):
                        yield name, number, found
            for found in re.findall(
                rf"\bparameters?\s+`({_PARAMETER_NAME})`|`({_PARAMETER_NAME})`\s+parameter\b", line
            ):
                yield name, number, next(part for part in found if part)


def unknown_parameters(pages: tuple[Path, ...] = PAGES) -> list[str]:
    return sorted(
        f"{page}:{line}: {found}" for page, line, found in named_parameters(pages) if found not in template_parameters()
    )


# --- the tests ----------------------------------------------------------------------------------------------


def test_every_command_sub_command_and_flag_in_the_docs_exists():
    assert unknown_command_words() == []


def test_every_flag_named_on_its_own_exists():
    assert unknown_flags_on_their_own() == []


def test_every_environment_variable_in_the_docs_is_read_by_the_code_or_a_named_tool():
    assert unknown_variables() == []


def test_every_template_parameter_in_the_docs_exists():
    assert unknown_parameters() == []


def test_every_template_parameter_is_in_the_readme_parameter_table():
    documented = {found for page, _, found in named_parameters() if page == "README.md"}
    assert sorted(template_parameters() - documented) == []


# The checks see what they claim to see: fed made-up names, they report them.


@pytest.fixture
def probe(tmp_path):
    """A Markdown page with the given text, as the checks' only page."""

    def write(text: str) -> tuple[Path, ...]:
        page = tmp_path / "probe.md"
        page.write_text(text, encoding="utf-8")
        return (page,)

    return write


def test_a_made_up_command_sub_command_or_flag_is_reported(probe):
    pages = probe(
        "```sh\n"
        "hpo-guardrail lint tuning.json --fail-on high --no-such-flag | jq .\n"
        "hpo-guardrail frobnicate --since 30d\n"
        "hpo-guardrail prices forecast ml.m5.large\n"
        "```\n"
        "Run `hpo-guardrail scan --region eu-west-1 --fix`; `.venv/bin/hpo-guardrail docs --write` is fine.\n"
    )
    problems = unknown_command_words(pages)
    assert len(problems) == 4, problems
    assert "no flag --no-such-flag for lint" in problems[0]
    assert "no command 'frobnicate'" in problems[1]
    assert "no sub-command prices 'forecast'" in problems[2]
    assert "no flag --fix for scan" in problems[3]


def test_a_made_up_flag_on_its_own_is_reported_and_other_tools_flags_are_not(probe):
    pages = probe("Use `--fail-on` or `--fail-fast`, as `--cli-input-json` takes them; `sam deploy --no-such`.\n")
    assert unknown_flags_on_their_own(pages) == ["probe.md:1: --fail-fast ('--fail-fast') is no hpo-guardrail flag"]


def test_a_made_up_variable_is_reported(probe):
    pages = probe(
        "Set `GUARDRAIL_MODE` and `GUARDRAIL_SPEED`.\n\n```sh\nexport AUDIT_TABLE_NAME=x HPO_GUARDRAIL_NOPE=1\n```\n"
    )
    assert unknown_variables(pages) == ["probe.md:1: GUARDRAIL_SPEED", "probe.md:4: HPO_GUARDRAIL_NOPE"]


def test_a_made_up_template_parameter_is_reported(probe):
    pages = probe(
        "| parameter | default |\n| --- | --- |\n| `Mode` | monitor |\n| `TurboMode` | off |\n\n"
        "Deploy with `BudgetCapUsd=500 AlarmEmail=x`, or set the `FooBar` parameter.\n"
    )
    assert unknown_parameters(pages) == ["probe.md:4: TurboMode", "probe.md:6: AlarmEmail", "probe.md:6: FooBar"]


def test_a_variable_the_reader_sets_from_a_commands_output_is_theirs(probe):
    pages = probe('```sh\nQUEUE_URL=$(aws sqs create-queue --queue-name q)\necho "$QUEUE_URL" $QUEUE_ARN\n```\n')
    assert unknown_variables(pages) == ["probe.md:3: QUEUE_ARN"]
