"""The guardrail deployed across an organization in the embedded AWS, as docs/deploy-org.md says.

The central stack (template.yaml with OrganizationId, a policy in SSM) goes into the tooling account's home
region; from the management account, the StackSet inputs shipped in org/stacksets/ (their REPLACE values
filled in) create service-managed StackSets with automatic deployment: the member role in the home region
and the forwarder in every watched region of the target OUs. An OU can get the member role without the stop
permission (AllowStop=false), an account's hard opt-out. The end-to-end tests and `hpo-guardrail demo --org`
both build their organization with `deploy_guardrail_organization`.

Events are put on a member account's default bus as CloudTrail puts them there (`put_in`): they reach the
central function only through the forwarder, the central bus's policy and the central rule.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.embedded.deployment import REPO_ROOT, TEMPLATE_PATH, DeployedStack, StackParameters, deploy_template
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.event_bus import put_event
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS
from hpo_guardrail.embedded.organization import EmulatedOrganization
from hpo_guardrail.embedded.tuning_jobs import EmulatedTuningJobs
from hpo_guardrail.enforce.audit import AuditRecord

HOME = "us-east-1"  # the central stack's region, and the member role's
SECOND = "eu-west-1"  # a second region with the forwarder
MEMBER_ROLE = "HpoGuardrailMember"  # org/member-roles.yaml's fixed role name
FORWARDER_RULE = "HpoGuardrailForwarder"  # org/member-forwarder.yaml's fixed rule name
TOOLING = "tooling"  # the account that holds the central stack

STACK_SETS_DIR = REPO_ROOT / "org" / "stacksets"
ROLES_STACK_SET = "hpo-guardrail-member-roles"
OPTED_OUT_ROLES_STACK_SET = "hpo-guardrail-member-roles-opted-out"
FORWARDER_STACK_SET = "hpo-guardrail-member-forwarder"


@dataclass(frozen=True)
class GuardrailOrganization:
    """An organization with the guardrail deployed: the central stack in the tooling account, the member
    StackSets from the management account; views of any account and region, and its jobs and audit."""

    aws: EmbeddedAws
    org: EmulatedOrganization
    central: DeployedStack
    home: str = HOME
    regions: tuple[str, ...] = (HOME, SECOND)
    stack_sets: tuple[str, ...] = field(default=())

    def account(self, name: str) -> str:
        """The id of the account created under `name`."""
        return self.org.account_id(name)

    def view(self, name: str, region: str) -> EmbeddedAws:
        """The emulator as the account `name` in `region`."""
        return self.aws.in_account(self.account(name), region=region)

    @property
    def tooling(self) -> EmbeddedAws:
        """The tooling account in the home region, where everything stateful is."""
        return self.view(TOOLING, self.home)

    @property
    def central_bus_arn(self) -> str:
        return self.central.outputs["CentralEventBusArn"]

    @property
    def function_role_arn(self) -> str:
        """The central function's execution role: the only principal the member roles trust."""
        return self.central.outputs["GuardrailFunctionRoleArn"]

    @property
    def audit_table(self) -> str:
        return self.central.outputs["AuditTableName"]

    def member_role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.account(name)}:role/{MEMBER_ROLE}"

    def audit_records(self, account_name: str) -> list[dict[str, Any]]:
        """The central audit table's records of one account (its by-account attribute)."""
        items = self.tooling.client("dynamodb").scan(TableName=self.audit_table, ConsistentRead=True)["Items"]
        return [
            json.loads(item["record"]["S"]) | {"actions": item.get("actions", {}).get("M", {})}
            for item in items
            if item.get("account", {}).get("S") == self.account(account_name)
        ]

    def audit_record(self, event_id: str) -> AuditRecord | None:
        """The central audit table's record of one event id (as the guardrail reads it); None when there is none."""
        return DynamoDbAuditStore(self.tooling.client("dynamodb"), self.audit_table).get(event_id)

    def created_in(self, name: str, region: str, event: dict[str, Any]) -> str:
        """The tuning job of a create call, created in the member account and region (as the call did)."""
        job = EmulatedTuningJobs(self.view(name, region)).create_for_event(event)
        if job is None:
            raise ValueError("the event is not a successful CreateHyperParameterTuningJob call: no job to create")
        return job

    def job_status(self, name: str, region: str, job: str) -> str:
        """The job's status in its account and region (DescribeHyperParameterTuningJob)."""
        return EmulatedTuningJobs(self.view(name, region)).status(job)

    def put_in(self, name: str, region: str, event: dict[str, Any], runner: FunctionRunner) -> list[Invocation]:
        """Put the event on the member account's default bus in `region`, as CloudTrail does; run the central
        function (`runner`) for every invocation it caused there (none: it never reached the central rule)."""
        event_id = put_event(self.view(name, region), event)
        queued = ASYNC_INVOCATIONS.take_event(event_id)
        return [runner.invoke_async(q.event) for q in queued if q.function_arn == runner.function_arn]


def call_in(event: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """A copy of a CreateHyperParameterTuningJob call's event as CloudTrail and EventBridge give it for a call
    made in `account` and `region`: the envelope, the record (recipientAccountId, awsRegion), the caller (same
    role and session name, in that account) and the job's ARN."""
    moved = copy.deepcopy(event)
    detail = moved["detail"]
    detail["recipientAccountId"] = account
    detail["awsRegion"] = region
    identity = detail.setdefault("userIdentity", {})
    identity["accountId"] = account
    role, session = _role_and_session(identity.get("arn"))
    identity["arn"] = f"arn:aws:sts::{account}:assumed-role/{role}/{session}"
    issuer = identity.setdefault("sessionContext", {}).setdefault("sessionIssuer", {})
    issuer["arn"] = f"arn:aws:iam::{account}:role/{role}"
    name = str(detail["requestParameters"]["hyperParameterTuningJobName"]).lower()
    detail["responseElements"] = {
        "hyperParameterTuningJobArn": f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name}"
    }
    moved["account"], moved["region"] = account, region
    return moved


def _role_and_session(assumed_role_arn: object) -> tuple[str, str]:
    # arn:aws:sts::<account>:assumed-role/<role>/<session>
    parts = str(assumed_role_arn or "").split(":", 5)[-1].split("/")
    if len(parts) == 3 and parts[0] == "assumed-role":
        return parts[1], parts[2]
    return "DataScientist", "alice"


def monitor_scopes(accounts: Mapping[str, str]) -> str:
    """A policy (YAML) whose scopes set each named account to monitor: scope `<name>-monitor` matches its id."""
    lines = ["scopes:"]
    for name, account_id in accounts.items():
        lines += [f"  - name: {name}-monitor", f"    match: {{accounts: ['{account_id}']}}", "    mode: monitor"]
    return "\n".join(lines) + "\n"


def deploy_guardrail_organization(
    aws: EmbeddedAws,
    org: EmulatedOrganization,
    *,
    enforced_ous: Sequence[str],
    opted_out_ous: Sequence[str] = (),
    monitored: Sequence[str] = (),
    home: str = HOME,
    regions: Sequence[str] = (HOME, SECOND),
    stack_name: str | None = None,
    budget_cap_usd: float = 1000,
    notification_email: str = "",
    template_path: Path | None = None,
) -> GuardrailOrganization:
    """Deploy the guardrail over `org`, as docs/deploy-org.md says.

    The central stack in the TOOLING account's `home` region: enforce mode, `budget_cap_usd`, a policy in SSM
    whose scopes set the `monitored` accounts (by name) to monitor. Then, from the management account, the
    member role StackSet to `enforced_ous` (and, with AllowStop=false, to `opted_out_ous`) in `home`, and the
    forwarder StackSet to all of them in every one of `regions`; all service-managed, automatic deployment on.
    `template_path`: another central template than the repository's template.yaml (its defaults changed).
    """
    if not enforced_ous:
        raise ValueError("name at least one OU whose accounts the guardrail covers")
    if home not in regions:
        raise ValueError(f"the home region {home} must be one of the forwarder's regions {list(regions)}")
    tooling = aws.in_account(org.account_id(TOOLING), region=home)
    policy_name = ""  # none: the packaged policy
    if monitored:
        policy_name = f"/{stack_name or 'hpo-guardrail-' + uuid.uuid4().hex[:8]}/policy"
        policy = monitor_scopes({name: org.account_id(name) for name in monitored})
        tooling.client("ssm").put_parameter(Name=policy_name, Value=policy, Type="String")
    central = deploy_template(
        tooling,
        StackParameters(
            mode="enforce",
            budget_cap_usd=budget_cap_usd,
            notification_email=notification_email,
            policy_parameter_name=policy_name,
            organization_id=org.organization_id,
        ),
        stack_name=stack_name,
        template_path=template_path or TEMPLATE_PATH,
    )
    management = aws.in_account(org.management_account_id, region=home)
    role_arn = central.outputs["GuardrailFunctionRoleArn"]
    roles = {"CentralFunctionRoleArn": role_arn, "OrganizationId": org.organization_id}
    forwarder = {"CentralEventBusArn": central.outputs["CentralEventBusArn"]}
    created = [ROLES_STACK_SET]
    _create_stack_set(management, "member-roles", {**roles, "AllowStop": "true"})
    _create_stack_instances(management, "member-roles", [org.ou_id(ou) for ou in enforced_ous], [home])
    if opted_out_ous:
        created.append(OPTED_OUT_ROLES_STACK_SET)
        _create_stack_set(management, "member-roles", {**roles, "AllowStop": "false"}, name=OPTED_OUT_ROLES_STACK_SET)
        _create_stack_instances(
            management, "member-roles", [org.ou_id(ou) for ou in opted_out_ous], [home], name=OPTED_OUT_ROLES_STACK_SET
        )
    created.append(FORWARDER_STACK_SET)
    _create_stack_set(management, "member-forwarder", forwarder)
    targets = [org.ou_id(ou) for ou in (*enforced_ous, *opted_out_ous)]
    _create_stack_instances(management, "member-forwarder", targets, list(regions))
    return GuardrailOrganization(aws, org, central, home, tuple(regions), tuple(created))


def _stack_set_input(template: str, kind: str) -> dict[str, Any]:
    """One of org/stacksets/<template>.<kind>.json, without CallAs: the emulator's StackSets are administered
    by the management account (it has no delegated administrator)."""
    document = json.loads((STACK_SETS_DIR / f"{template}.{kind}.json").read_text(encoding="utf-8"))
    document.pop("CallAs", None)
    return dict(document)


def _create_stack_set(
    management: EmbeddedAws, template: str, parameters: dict[str, str], *, name: str | None = None
) -> None:
    request = _stack_set_input(template, "stack-set")
    known = {p["ParameterKey"] for p in request["Parameters"]}
    if set(parameters) - known:
        raise ValueError(f"org/stacksets/{template}.stack-set.json has no parameters {sorted(set(parameters) - known)}")
    request["Parameters"] = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    request["StackSetName"] = name or request["StackSetName"]
    request["TemplateBody"] = json.dumps(yaml_parse((REPO_ROOT / "org" / f"{template}.yaml").read_text("utf-8")))
    management.client("cloudformation").create_stack_set(**request)


def _create_stack_instances(
    management: EmbeddedAws, template: str, ou_ids: list[str], regions: list[str], *, name: str | None = None
) -> None:
    request = _stack_set_input(template, "instances")
    request["StackSetName"] = name or request["StackSetName"]
    request["DeploymentTargets"] = {"OrganizationalUnitIds": ou_ids}
    request["Regions"] = regions
    management.client("cloudformation").create_stack_instances(**request)
