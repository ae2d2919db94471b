"""The alerts' "Stop tuning job" button on the embedded AWS, which has no AWS Chatbot: what Chatbot does when a
person presses it, derived from the stack's deployed template and an alert as the topic published it.

Chatbot reads the custom action (template.yaml StopTuningJobAction, an AWS::Chatbot::CustomAction): it takes each
of the attachment's variables from the notification (a path such as event.metadata.additionalContext.eventId),
shows the button only when every criterion holds (HAS_VALUE, EQUALS), substitutes the variables ($name) into
the command text and runs the command as the channel's role, which may invoke the Stop button's function and
nothing else. `button_press` derives that command and the payload it sends; `press_stop_button` runs it against
the stack: the named function, invoked with that payload as Lambda would.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded.lambda_runtime import FunctionRunner

if TYPE_CHECKING:
    from hpo_guardrail.embedded.deployment import DeployedStack
    from hpo_guardrail.embedded.emulator import EmbeddedAws

CUSTOM_ACTION_TYPE = "AWS::Chatbot::CustomAction"
# A variable in a custom action's command text: a dollar sign and the variable's name (the Chatbot API
# reference, CustomActionDefinition: "may include variables by prefixing with a dollar sign ($)"; variable
# names match [A-Za-z0-9-_]+, CustomActionAttachment).
_VARIABLE = re.compile(r"\$([A-Za-z0-9_-]+)")
# The only command the button runs: Lambda's invoke with the function, its region and the payload, in this order.
_LAMBDA_INVOKE = re.compile(
    r"^lambda invoke --function-name (?P<function>\S+) --region (?P<region>\S+) --payload (?P<payload>.+)$"
)
# The stack output naming the only function the chat channel's role may invoke.
STOP_BUTTON_OUTPUT = "StopButtonFunctionName"


class ButtonNotShown(ValueError):
    """Chatbot shows no button on this alert: a criterion of the custom action does not hold."""


class InvokeDenied(PermissionError):
    """The command names a function the chat channel's role may not invoke (IAM answers AccessDenied)."""


@dataclass(frozen=True)
class ButtonPress:
    """What pressing the button on one alert does: the command Chatbot runs and the invocation it makes."""

    command: str
    function_name: str
    region: str
    payload: dict[str, Any]


def deployed_template(aws: EmbeddedAws, stack_name: str) -> dict[str, Any]:
    """The template the stack was created from, as CloudFormation keeps it (GetTemplate)."""
    body = aws.client("cloudformation").get_template(StackName=stack_name)["TemplateBody"]
    if isinstance(body, str):
        parsed: dict[str, Any] = yaml_parse(body)  # JSON is YAML too
        return parsed
    return dict(body)


def stop_button_action(template: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of the template's one custom action (the Stop button)."""
    actions = [r for r in template.get("Resources", {}).values() if r.get("Type") == CUSTOM_ACTION_TYPE]
    if len(actions) != 1:
        raise ValueError(f"expected one {CUSTOM_ACTION_TYPE} in the template, found {len(actions)}")
    properties: dict[str, Any] = actions[0]["Properties"]
    return properties


def button_press(template: Mapping[str, Any], alert: Mapping[str, Any] | str) -> ButtonPress:
    """The command Chatbot runs when the button is pressed on this alert (the topic's message, the chat JSON),
    and the invocation it makes. Raises ButtonNotShown when the custom action's criteria hide the button."""
    action = stop_button_action(template)
    (attachment,) = action["Attachments"]
    notification = {"event": json.loads(alert) if isinstance(alert, str) else alert}
    values = {name: _value_at(notification, str(path)) for name, path in attachment.get("Variables", {}).items()}
    for criterion in attachment.get("Criteria", []):
        name, operator = criterion["VariableName"], criterion["Operator"]
        value = values.get(name)
        if operator not in ("HAS_VALUE", "EQUALS"):
            raise ValueError(f"criterion operator {operator!r} is not one Chatbot knows (HAS_VALUE, EQUALS)")
        if operator == "HAS_VALUE" and not value:
            raise ButtonNotShown(f"no button: variable {name} has no value in the alert")
        if operator == "EQUALS" and value != criterion.get("Value"):
            raise ButtonNotShown(f"no button: variable {name} is {value!r}, not {criterion.get('Value')!r}")

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if not value:
            raise ButtonNotShown(f"no button: the command's variable ${match.group(1)} has no value in the alert")
        return value

    command = _VARIABLE.sub(substitute, str(action["Definition"]["CommandText"]))
    parsed = _LAMBDA_INVOKE.match(command)
    if parsed is None:
        raise ValueError(f"the button's command is not a lambda invoke with a payload: {command}")
    payload = json.loads(parsed["payload"])
    if not isinstance(payload, dict):
        raise ValueError(f"the button's payload is not a JSON object: {parsed['payload']}")
    return ButtonPress(command, parsed["function"], parsed["region"], payload)


def press_stop_button(
    aws: EmbeddedAws,
    stack: DeployedStack,
    alert: Mapping[str, Any] | str,
    *,
    runner: FunctionRunner | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Press the alert's "Stop tuning job" button, as AWS Chatbot would: derive the command from the stack's
    deployed custom action and the alert, and invoke the function it names with exactly its payload.

    `aws` is the view of the stack's account and region; `alert` the message the topic published (the chat JSON,
    a dict or its text). Returns the function's reply (a ChatStopReply as JSON). Raises ButtonNotShown when the
    alert carries no button, InvokeDenied when the command names another function than the stack's Stop button
    (the channel's role may invoke that one only). Pass a `runner` of the button function to keep it warm across
    presses; else one is made in `workdir` (a temporary directory when none is given).
    """
    press = button_press(deployed_template(aws, stack.stack_name), alert)
    allowed = stack.outputs[STOP_BUTTON_OUTPUT]
    if press.function_name != allowed or press.region != aws.region:
        raise InvokeDenied(
            f"the chat channel's role may invoke {allowed} in {aws.region} only, "
            f"not {press.function_name} in {press.region}"
        )
    if runner is not None:
        if runner.function_name != press.function_name:
            raise ValueError(f"the runner runs {runner.function_name}, the button invokes {press.function_name}")
        return _reply(runner.invoke(press.payload))
    if workdir is not None:
        return _reply(_runner(aws, stack, workdir, press).invoke(press.payload))
    with tempfile.TemporaryDirectory(prefix="hpo-guardrail-button-") as scratch:
        return _reply(_runner(aws, stack, Path(scratch), press).invoke(press.payload))


def _runner(aws: EmbeddedAws, stack: DeployedStack, workdir: Path, press: ButtonPress) -> FunctionRunner:
    return FunctionRunner.for_stack(aws, stack, workdir, function_name=press.function_name)


def _reply(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise ValueError(f"the Stop button's function answered {result!r}, not a reply")
    return result


def _value_at(notification: Mapping[str, Any], path: str) -> str | None:
    """The notification's value at a dotted path (event.metadata.additionalContext.eventId), as text; None when
    the path leads nowhere or to nothing."""
    node: Any = notification
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    if node is None or isinstance(node, (dict, list)):
        return None
    return str(node)
