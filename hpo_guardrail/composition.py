"""The composition root: which adapters each deployed function gets, wired to real boto3 clients.

Built once per execution environment. `FUNCTION_ADAPTERS` is the declaration the template is held to:
a test derives each function's IAM actions from the adapters named here and compares them with
template.yaml, so a new AWS call cannot ship without its permission (or keep one it no longer needs).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hpo_guardrail.adapters.clients import (
    CLI_CLIENT_CONFIG,
    FUNCTION_CLIENT_CONFIG,
    QUICK_CLIENT_CONFIG,
    FunctionClients,
)
from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery, DynamoDbAuditStore, DynamoDbPriceCache
from hpo_guardrail.adapters.member import MemberSessions
from hpo_guardrail.adapters.organizations import OrganizationAccounts
from hpo_guardrail.adapters.pricing import LOOKUP_CLIENT_CONFIG, PRICING_API_REGION, PriceListApi
from hpo_guardrail.adapters.s3 import S3ReportArchive
from hpo_guardrail.adapters.sagemaker import (
    SageMakerJobController,
    SageMakerJobControllers,
    TrainingJobReader,
    TuningJobDescriber,
    TuningJobReader,
)
from hpo_guardrail.adapters.securityhub import SecurityHubExporter
from hpo_guardrail.adapters.sns import SnsNotifier
from hpo_guardrail.adapters.ssm import SsmParameters
from hpo_guardrail.enforce.policy_source import PolicySource, is_ssm
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.enforce.state_change import StateChangeTrigger
from hpo_guardrail.environment import PriceSettings
from hpo_guardrail.observability import logger
from hpo_guardrail.pricing.lookup import LivePrices
from rules.prices import BundledPrices, PriceBook

if TYPE_CHECKING:
    from hpo_guardrail.enforce.reconcile import Reconciler
    from hpo_guardrail.pricing.refresh import PriceCacheRefresher
    from hpo_guardrail.reporting.weekly import WeeklyReporter

# The template's logical id of each function -> the adapters it is wired with (optional ones included:
# the template grants those behind the same condition that turns them on).
_GUARDRAIL_ADAPTERS: tuple[type, ...] = (
    SageMakerJobController,
    SnsNotifier,
    SsmParameters,
    DynamoDbAuditStore,
    SecurityHubExporter,
    DynamoDbPriceCache,
    PriceListApi,
    MemberSessions,
    # The state-change trigger (enforce/state_change.py): describe a job, read its training jobs for the review.
    TuningJobDescriber,
    TrainingJobReader,
)
# The reconciliation function (template.yaml ReconcileFunction, with ReconcileSchedule) runs as the guardrail
# function's own execution role, since the member roles trust exactly that role: it has the guardrail's adapters
# and, in addition, these, whose actions the template's ReconcilePolicy adds to that role (ListAccounts only with
# an organization).
RECONCILE_ADAPTERS: tuple[type, ...] = (TuningJobReader, OrganizationAccounts)
FUNCTION_ADAPTERS: Mapping[str, tuple[type, ...]] = {
    "GuardrailFunction": _GUARDRAIL_ADAPTERS,
    "ReconcileFunction": (*_GUARDRAIL_ADAPTERS, *RECONCILE_ADAPTERS),
    "ReporterFunction": (DynamoDbAuditQuery, S3ReportArchive, SnsNotifier),
    "PriceRefreshFunction": (PriceListApi, DynamoDbPriceCache),
}


# Functions that run as another function's execution role -> that function. The Stop button's function stops jobs
# exactly as the guardrail function does (the member roles trust that one role ARN, GuardrailFunctionRoleArn), so
# it is held to the guardrail's declaration rather than given a role of its own (template.yaml, a test checks it).
SHARED_EXECUTION_ROLES: Mapping[str, str] = {"StopButtonFunction": "GuardrailFunction"}

# The variable through which template.yaml tells the guardrail function the Stop button's function name, which
# every alert then carries for the chat channel's button (alerts.py, additionalContext.stopFunction).
STOP_BUTTON_FUNCTION_VARIABLE = "STOP_BUTTON_FUNCTION_NAME"


def required_permissions(function: str) -> frozenset[str]:
    """The IAM actions a function's adapters declare (for a function sharing a role, those of the role's owner)."""
    function = SHARED_EXECUTION_ROLES.get(function, function)
    return frozenset(action for adapter in FUNCTION_ADAPTERS[function] for action in adapter.PERMISSIONS)  # type: ignore[attr-defined]


def policy_source(spec: str | None, max_age_seconds: int) -> PolicySource:
    """The policy source for GUARDRAIL_POLICY (or --policy), with an SSM reader when the policy lives in SSM."""
    return PolicySource(spec, max_age_seconds, ssm=SsmParameters() if is_ssm(spec) else None)


def build_live_prices(settings: PriceSettings, clients: FunctionClients) -> PriceBook:
    """The deployed functions' prices: the shared cache and the Price List API in front of the bundled table."""
    if not (settings.live_prices or settings.price_cache_table_name):
        return BundledPrices()
    # Short timeouts and one cache write attempt: a slow price never holds a stop (the bundled table is behind it).
    cache = (
        DynamoDbPriceCache(
            clients.client("dynamodb", config=QUICK_CLIENT_CONFIG), settings.price_cache_table_name, write_attempts=1
        )
        if settings.price_cache_table_name
        else None
    )
    # Asked only for a type the shared cache lacks (a new type or region): its client is made then.
    price_list = (
        PriceListApi(clients.lazy("pricing", config=LOOKUP_CLIENT_CONFIG, region=PRICING_API_REGION))
        if settings.live_prices
        else None
    )
    return LivePrices(
        cache=cache,
        price_list=price_list,
        ttl_seconds=settings.price_cache_ttl_seconds,
        budget_seconds=settings.price_lookup_budget_seconds,
    )


def build_service(environ: Mapping[str, str] = os.environ, clients: FunctionClients | None = None) -> GuardrailService:
    """Read settings and create the boto3 clients the adapters use: at once those every evaluated event calls (the
    audit table, the topic, the price cache, Security Hub and SSM when configured), the others on first use
    (SageMaker, which only a stop or a state change calls, in the region it names; STS for member roles; the Price
    List API)."""
    settings = Settings.from_environ(environ)
    clients = clients or FunctionClients()
    members = build_member_sessions(settings, clients)
    jobs = build_job_controllers(settings, clients, members)
    notifier = SnsNotifier(clients.client("sns"), settings.notify_topic_arn) if settings.notify_topic_arn else None
    audit = (
        DynamoDbAuditStore(clients.client("dynamodb"), settings.audit_table_name) if settings.audit_table_name else None
    )
    exporter = SecurityHubExporter(clients.client("securityhub")) if settings.security_hub_export else None
    policies = policy_source(settings.policy, settings.policy_max_age_seconds)
    prices = build_live_prices(settings, clients)
    service = GuardrailService(
        settings,
        jobs=jobs,
        notifier=notifier,
        policies=policies,
        audit=audit,
        exporter=exporter,
        prices=prices,
    )
    # Every function that alerts (the guardrail, the reconciliation) names the Stop button's function in its
    # alerts, so an alert that only notified shows the button wherever it came from.
    service.offer_stop_button(environ.get(STOP_BUTTON_FUNCTION_VARIABLE))
    # SageMaker's state-change events (the second rule) go to the same service: one evaluator, one audit trail.
    trigger = StateChangeTrigger(
        service, readers=build_job_readers(settings, clients, members), audit=audit, notifier=notifier, prices=prices
    )
    service.take_state_changes(trigger.handle)
    return service


def build_lambda_service(environ: Mapping[str, str] = os.environ) -> GuardrailService:
    """The service of a Lambda entry point that judges or stops (the guardrail, the Stop button), with its warm-up
    registered as SnapStart's before-snapshot hook (hpo_guardrail/snapstart.py): with SnapStart=Enabled the
    published version's snapshot holds every client and a judged sample event; without it nothing more runs."""
    from hpo_guardrail.snapstart import prepare_snapshots

    clients = FunctionClients()
    service = build_service(environ, clients)
    prepare_snapshots(lambda: warm_up(service, clients))
    _freeze_start_up_objects()
    return service


def _freeze_start_up_objects() -> None:
    """Move every object made so far out of the garbage collector's reach (gc.freeze): the modules, models and clients
    live as long as the execution environment, and with them tracked a full collection scans about 100,000 objects
    (about 45 ms) in the middle of some event; frozen, it scans only what events make (bench/evaluation.py: the
    largest request's p99 about 30% lower). Nothing frozen is ever freed, which is true of them anyway. Only in Lambda
    (LAMBDA_TASK_ROOT): a process that builds many services (the emulator's functions, tests) would keep them all."""
    if os.environ.get("LAMBDA_TASK_ROOT"):
        gc.freeze()


def warm_up(service: GuardrailService, clients: FunctionClients) -> None:
    """Lambda SnapStart's before-snapshot hook (functions/*/app.py): judge a sample event in memory and make every
    client, including the ones made on first use, so that restored environments start warm (enforce/warm_up.py).
    SageMaker's client of the function's own region is made too: a stop needs it while the job's owner waits."""
    from pydantic import BaseModel

    from hpo_guardrail.adapters.pricing import PRICE_LIST_MODELS
    from hpo_guardrail.enforce.chat_stop import ChatStopReply, ChatStopRequest
    from hpo_guardrail.enforce.warm_up import judge_sample

    judge_sample(service)
    # The models left to their first use (defer_build): the Stop button's request and reply, which a person waits
    # on in the chat channel, and the Price List API's items.
    deferred: tuple[type[BaseModel], ...] = (ChatStopRequest, ChatStopReply, *PRICE_LIST_MODELS)
    for model in deferred:
        model.model_rebuild()
    clients.client("sagemaker", region=service.settings.region)
    made = clients.make_all()
    logger.info("Warmed up before the snapshot", extra={"clients": made})
    _freeze_start_up_objects()


@dataclass(frozen=True)
class _JobReader:
    """One account and region's tuning job and training jobs, over one SageMaker client."""

    jobs: TuningJobDescriber
    training: TrainingJobReader

    def describe(self, job_name: str) -> dict[str, Any]:
        return self.jobs.describe(job_name)

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        return self.training.training_jobs(tuning_job_name)


def build_job_readers(
    settings: Settings, clients: FunctionClients, members: MemberSessions | None
) -> Callable[[str, str, str], _JobReader]:
    """Who reads a tuning job for the state-change trigger: the function's own session in its own account (any
    region), the member role in the organization's other accounts (`members`, the sessions the job controllers
    use; each session named after the event)."""
    own: dict[str, _JobReader] = {}

    def readers(account: str, region: str, event_id: str) -> _JobReader:
        if members is None or account == settings.account_id:
            if region not in own:
                client = clients.client("sagemaker", region=region)
                own[region] = _JobReader(TuningJobDescriber(client), TrainingJobReader(client))
            return own[region]
        client = members.client("sagemaker", account, region, event_id=event_id)
        return _JobReader(TuningJobDescriber(client), TrainingJobReader(client))

    return readers


def build_member_sessions(settings: Settings, clients: FunctionClients) -> MemberSessions | None:
    """The member role sessions of an organization's accounts (None for a single account)."""
    if not settings.watches_organization:
        return None
    return member_sessions(settings, clients)


def member_sessions(settings: Settings, clients: FunctionClients) -> MemberSessions:
    """Sessions of the member role named by the settings, assumed through the function's own STS client (made when
    the first member account is called on)."""
    return MemberSessions(
        clients.lazy("sts"),
        settings.member_role_name,
        partition=None,
        client_config=FUNCTION_CLIENT_CONFIG,
    )


def build_job_controllers(
    settings: Settings, clients: FunctionClients, members: MemberSessions | None = None
) -> SageMakerJobControllers:
    """Who describes and stops a tuning job: the function's own session in its account (any region), and in
    an organization the member role of every other account (`members`; made here when not given). SNS, DynamoDB,
    SSM and prices always use the function's own session."""
    if members is None:
        members = build_member_sessions(settings, clients)
    return SageMakerJobControllers(
        lambda region: clients.client("sagemaker", region=region),
        home_account=settings.account_id,
        home_region=settings.region,
        members=members,
    )


def build_weekly_reporter(environ: Mapping[str, str] = os.environ) -> WeeklyReporter:
    """Read the reporter's settings and create its clients: the audit table, the report bucket, the topic."""
    # Imported here: the guardrail function imports this module too, and its cold start needs none of it.
    from hpo_guardrail.reporting.settings import ReporterSettings
    from hpo_guardrail.reporting.weekly import WeeklyReporter

    settings = ReporterSettings.from_environ(environ)
    clients = FunctionClients()
    audit = DynamoDbAuditQuery(clients.client("dynamodb"), settings.audit_table_name)
    archive = S3ReportArchive(clients.client("s3"), settings.report_bucket_name)
    notifier = SnsNotifier(clients.client("sns"), settings.notify_topic_arn) if settings.notify_topic_arn else None
    return WeeklyReporter(audit, archive, notifier, region=settings.region)


def build_price_refresher(environ: Mapping[str, str] = os.environ) -> PriceCacheRefresher:
    """The weekly price refresh: every training instance type of PRICED_REGIONS into the shared cache."""
    from hpo_guardrail.adapters.pricing import fetch_training_prices
    from hpo_guardrail.adapters.request_shapes import InstanceTypeList
    from hpo_guardrail.pricing.refresh import PriceCacheRefresher, PriceRefreshSettings

    settings = PriceRefreshSettings.from_environ(environ)
    # Whole regions, page by page: the patient client of batch work, not the lookup's quick one.
    clients = FunctionClients()
    client = clients.client("pricing", config=CLI_CLIENT_CONFIG, region=PRICING_API_REGION)
    return PriceCacheRefresher(
        lambda region: fetch_training_prices(client, region),
        DynamoDbPriceCache(clients.client("dynamodb"), settings.price_cache_table_name),
        regions=settings.regions,
        instance_types=InstanceTypeList.from_botocore().types,
        ttl_seconds=settings.price_cache_ttl_seconds,
    )


def build_reconciler(
    environ: Mapping[str, str] = os.environ, clock: Callable[[], datetime] | None = None
) -> Reconciler:
    """The scheduled reconciliation: the guardrail service, the accounts (the organization's ACTIVE ones, or the
    home account), and a reader per account and region: the function's own session at home, the member role (a
    session named after the run) everywhere else. `clock` (tests) moves the window."""
    # Imported here: the guardrail function imports this module too, and its cold start needs none of it.
    from hpo_guardrail.adapters.sts import caller_account
    from hpo_guardrail.enforce.reconcile import Reconciler, ReconcileSettings

    clients = FunctionClients()
    service = build_service(environ, clients)
    settings = service.settings
    reconcile = ReconcileSettings.from_environ(environ)
    home_account = settings.account_id or caller_account(clients.client("sts"))
    members = member_sessions(settings, clients)

    now = clock or (lambda: datetime.now(UTC))

    def accounts() -> list[str]:
        if not settings.watches_organization:
            return [home_account]
        return OrganizationAccounts(clients.client("organizations")).active()

    def lister(account: str, region: str) -> TuningJobReader:
        if account == home_account:
            return TuningJobReader(clients.client("sagemaker", region=region))
        run = f"reconciliation-{now().strftime('%Y%m%dT%H%M%SZ')}"
        return TuningJobReader(members.client("sagemaker", account, region, event_id=run))

    return Reconciler(
        service,
        accounts=accounts,
        lister=lister,
        regions=reconcile.regions(settings.region),
        interval=reconcile.interval,
        home_account=home_account,
        clock=now,
    )
