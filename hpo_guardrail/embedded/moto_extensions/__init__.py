"""The one place where the embedded AWS (moto) is extended: a package with one module per service.

moto lacks a few things the guardrail's flow needs, and gets a few others wrong. Each patch below says
what real AWS does and why the flow needs it. Product code never knows about any of this: it talks to
the emulator through plain boto3 clients, exactly as it talks to AWS.

Everything happens in this process: `install()` patches moto's classes before the threaded server
starts, and the helpers below (`set_tuning_job_status`, `run_tuning_job`, `emit_state_change`, `MAILBOX`,
`ASYNC_INVOCATIONS`, `PRICE_LIST_CALLS`) read or change the same in-memory backends the server serves.

Several accounts: moto serves every account from one server and picks the account per request (the
credentials' account, or the `x-moto-account-id` header that `EmbeddedAws.in_account` adds). What
crosses accounts is governed here as in AWS: a role's trust policy (sts.py), an event bus's policy
(bus_policy.py, evaluated by principals.py), forwarding from bus to bus (bus_forwarding.py) and
StackSets' automatic deployment to the organization's OUs (stacksets.py), and a delegated administrator's
view of the organization's accounts (organizations.py).
"""

from __future__ import annotations

import threading

from hpo_guardrail.embedded.moto_extensions.awslambda import extend_lambda
from hpo_guardrail.embedded.moto_extensions.bus_forwarding import FORWARDING, Forwarding, ForwardingLog
from hpo_guardrail.embedded.moto_extensions.bus_policy import extend_bus_policy
from hpo_guardrail.embedded.moto_extensions.cloudformation import creates_resource_type, extend_cloudformation
from hpo_guardrail.embedded.moto_extensions.dynamodb import extend_dynamodb
from hpo_guardrail.embedded.moto_extensions.eventbridge import (
    ASYNC_INVOCATIONS,
    REPLAYED_EVENT_IDS_HEADER,
    UNDELIVERABLE_HEADER,
    AsyncInvocation,
    extend_eventbridge,
)
from hpo_guardrail.embedded.moto_extensions.faults import CALLS, clear_faults, extend_faults, inject_faults
from hpo_guardrail.embedded.moto_extensions.lambda_versions import extend_lambda_versions
from hpo_guardrail.embedded.moto_extensions.organizations import extend_organizations
from hpo_guardrail.embedded.moto_extensions.pricing import (
    PRICE_LIST_CALLS,
    PriceListCall,
    PriceListCalls,
    extend_pricing,
    short_pages,
)
from hpo_guardrail.embedded.moto_extensions.s3 import extend_s3
from hpo_guardrail.embedded.moto_extensions.sagemaker import (
    TUNING_JOB_STATUSES,
    extend_sagemaker,
    set_tuning_job_status,
)
from hpo_guardrail.embedded.moto_extensions.sns import MAILBOX, DeliveredEmail, Mailbox, extend_sns
from hpo_guardrail.embedded.moto_extensions.stacksets import extend_stacksets
from hpo_guardrail.embedded.moto_extensions.sts import (
    ASSUME_ROLE_CALLS,
    SERVICE_PRINCIPAL_HEADER,
    AssumeRoleCall,
    AssumeRoleLog,
    extend_sts,
)
from hpo_guardrail.embedded.moto_extensions.training_jobs import (
    STATE_CHANGE_DETAIL_TYPE,
    TrainingJobRun,
    emit_state_change,
    extend_training_jobs,
    run_tuning_job,
)

__all__ = [
    "ASSUME_ROLE_CALLS",
    "ASYNC_INVOCATIONS",
    "CALLS",
    "FORWARDING",
    "MAILBOX",
    "PRICE_LIST_CALLS",
    "REPLAYED_EVENT_IDS_HEADER",
    "SERVICE_PRINCIPAL_HEADER",
    "STATE_CHANGE_DETAIL_TYPE",
    "TUNING_JOB_STATUSES",
    "UNDELIVERABLE_HEADER",
    "AssumeRoleCall",
    "AssumeRoleLog",
    "AsyncInvocation",
    "DeliveredEmail",
    "Forwarding",
    "ForwardingLog",
    "Mailbox",
    "PriceListCall",
    "PriceListCalls",
    "TrainingJobRun",
    "clear_faults",
    "creates_resource_type",
    "emit_state_change",
    "inject_faults",
    "install",
    "run_tuning_job",
    "set_tuning_job_status",
    "short_pages",
]

_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Patch moto in this process; calling it again does nothing."""
    global _installed
    with _install_lock:
        if _installed:
            return
        extend_sagemaker()
        extend_training_jobs()
        extend_dynamodb()
        extend_faults()
        extend_sns()
        extend_eventbridge()
        extend_lambda()
        extend_lambda_versions()
        extend_s3()
        extend_cloudformation()
        extend_pricing()
        extend_sts()
        extend_bus_policy()
        extend_stacksets()
        extend_organizations()
        _installed = True
