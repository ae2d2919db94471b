"""The member role: assumed only to act, named after the event, kept per account until shortly before expiry,
and the controller chosen per account and region (the function's own session at home)."""

from __future__ import annotations

import re

import pytest

from hpo_guardrail.adapters.member import (
    REFRESH_BEFORE_SECONDS,
    SESSION_NAME_LIMIT,
    MemberSessions,
    role_session_name,
)
from hpo_guardrail.adapters.sagemaker import SageMakerJobControllers
from hpo_guardrail.enforce.ports import AccountAccessFailed, JobNotStoppable
from tests.unit.org_fakes import (
    HOME,
    HOME_REGION,
    MEMBER_B,
    MEMBER_C,
    Accounts,
    FakeStsClient,
    SessionFactory,
)

STS_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", flags=re.ASCII)


def members(accounts: Accounts, sts: FakeStsClient | None = None, role: str = "HpoGuardrailMember"):
    sts = sts or FakeStsClient(accounts)
    factory = SessionFactory(accounts)
    sessions = MemberSessions(sts, role, partition="aws", session_factory=factory, clock=accounts.clock)
    return sessions, sts, factory


def controllers(accounts: Accounts, sessions: MemberSessions | None) -> tuple[SageMakerJobControllers, list[str]]:
    own_regions: list[str] = []

    def own_client(region: str):
        own_regions.append(region)
        return accounts.sagemaker(HOME, region)

    choice = SageMakerJobControllers(own_client, home_account=HOME, home_region=HOME_REGION, members=sessions)
    return choice, own_regions


# --- the session name -------------------------------------------------------------------------------------


def test_the_session_name_carries_the_event_id():
    event_id = "6f2a0b1c-9d8e-4f70-a1b2-c3d4e5f60718"
    assert role_session_name(event_id) == f"hpo-guardrail-{event_id}"


@pytest.mark.parametrize(
    "event_id",
    ["evt/with:colons and spaces", "é-unicode-évènement", "x" * 200, "fallback#sha256:" + "ab" * 32, ""],
)
def test_the_session_name_is_always_one_sts_accepts(event_id):
    name = role_session_name(event_id)
    assert STS_SESSION_NAME.fullmatch(name), name
    assert len(name) <= SESSION_NAME_LIMIT


def test_characters_sts_refuses_become_dashes_and_the_rest_is_kept():
    assert role_session_name("a/b c:d") == "hpo-guardrail-a-b-c-d"
    assert role_session_name("a+b=c,d.e@f_g") == "hpo-guardrail-a+b=c,d.e@f_g"


# --- assuming and caching ---------------------------------------------------------------------------------


def test_the_member_role_of_the_account_is_assumed_with_the_events_session_name():
    accounts = Accounts()
    sessions, sts, _ = members(accounts, role="GuardrailMember")
    client = sessions.client("sagemaker", MEMBER_B, "eu-west-1", event_id="evt-1")
    (call,) = sts.calls
    assert call["RoleArn"] == f"arn:aws:iam::{MEMBER_B}:role/GuardrailMember"
    assert call["RoleSessionName"] == "hpo-guardrail-evt-1"
    assert (client.account, client.region) == (MEMBER_B, "eu-west-1")


def test_credentials_are_reused_per_account_until_shortly_before_they_expire():
    accounts = Accounts()
    sessions, sts, factory = members(accounts)
    sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-1")
    sessions.client("sagemaker", MEMBER_B, "eu-west-1", event_id="evt-2")
    assert len(sts.calls) == 1, "one account, one session, whatever the region"

    sessions.client("sagemaker", MEMBER_C, "us-east-1", event_id="evt-3")
    assert [c["RoleArn"].split(":")[4] for c in sts.calls] == [MEMBER_B, MEMBER_C]

    # 900 s sessions: still handed out until REFRESH_BEFORE_SECONDS before the end, then assumed again.
    accounts.now += sts.session_seconds - REFRESH_BEFORE_SECONDS - 1
    sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-4")
    assert len(sts.calls) == 2
    accounts.now += 1
    sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-5")
    assert len(sts.calls) == 3 and sts.calls[-1]["RoleSessionName"] == "hpo-guardrail-evt-5"
    assert len(factory.sessions) == 3


def test_a_session_keeps_one_client_per_region():
    accounts = Accounts()
    sessions, _, factory = members(accounts)
    first = sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-1")
    again = sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-2")
    assert first is again and factory.sessions[0].made == [("sagemaker", "us-east-1")]


def test_a_refused_assume_role_says_which_account_and_why():
    accounts = Accounts()
    sessions, _, _ = members(accounts, FakeStsClient(accounts, refusing={MEMBER_B}))
    with pytest.raises(AccountAccessFailed) as refused:
        sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-1")
    message = str(refused.value)
    assert f"cannot act in account {MEMBER_B}" in message
    assert f"arn:aws:iam::{MEMBER_B}:role/HpoGuardrailMember" in message
    assert "AccessDenied" in message and "opted out" in message


def test_a_refusal_is_not_cached():
    accounts = Accounts()
    sts = FakeStsClient(accounts, refusing={MEMBER_B})
    sessions, _, _ = members(accounts, sts)
    with pytest.raises(AccountAccessFailed):
        sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-1")
    sts.refusing.clear()  # the member role was deployed meanwhile
    assert sessions.client("sagemaker", MEMBER_B, "us-east-1", event_id="evt-1").account == MEMBER_B
    assert len(sts.calls) == 2


# --- which controller acts ---------------------------------------------------------------------------------


def test_the_home_account_uses_the_functions_own_session_in_the_events_region():
    accounts = Accounts()
    sessions, sts, _ = members(accounts)
    choice, own_regions = controllers(accounts, sessions)
    accounts.sagemaker(HOME, "eu-west-1").statuses["job"] = "InProgress"
    choice.controller(HOME, "eu-west-1", event_id="evt-1").stop("job")
    choice.controller(HOME, "eu-west-1", event_id="evt-2").status("job")
    assert accounts.sagemaker(HOME, "eu-west-1").stopped == ["job"]
    assert sts.calls == [] and own_regions == ["eu-west-1"], "no role at home; one client per region"


def test_another_account_is_acted_on_through_its_member_role_in_the_events_region():
    accounts = Accounts()
    sessions, sts, _ = members(accounts)
    choice, own_regions = controllers(accounts, sessions)
    accounts.sagemaker(MEMBER_B, "ap-southeast-2").statuses["job"] = "InProgress"
    jobs = choice.controller(MEMBER_B, "ap-southeast-2", event_id="evt-b")
    assert jobs.status("job") == "InProgress"
    jobs.stop("job")
    assert accounts.sagemaker(MEMBER_B, "ap-southeast-2").stopped == ["job"]
    assert accounts.sagemaker(HOME, "ap-southeast-2").stopped == [] and own_regions == []
    assert [c["RoleSessionName"] for c in sts.calls] == ["hpo-guardrail-evt-b"]


def test_a_missing_account_or_region_means_the_functions_own():
    accounts = Accounts()
    sessions, sts, _ = members(accounts)
    choice, own_regions = controllers(accounts, sessions)
    accounts.sagemaker(HOME, HOME_REGION).statuses["job"] = "Completed"
    assert choice.controller(None, None, event_id="evt").status("job") == "Completed"
    assert own_regions == [HOME_REGION] and sts.calls == []


def test_a_single_account_never_assumes_a_role():
    accounts = Accounts()
    choice, own_regions = controllers(accounts, None)
    accounts.sagemaker(HOME, HOME_REGION).statuses["job"] = "InProgress"
    choice.controller(MEMBER_B, HOME_REGION, event_id="evt").stop("job")
    assert accounts.sagemaker(HOME, HOME_REGION).stopped == ["job"] and own_regions == [HOME_REGION]


def test_a_member_role_without_the_stop_permission_is_a_refused_stop():
    """An account's hard opt-out: the role may describe but not stop; SageMaker refuses, the stop fails."""
    accounts = Accounts()
    sessions, _, _ = members(accounts)
    choice, _ = controllers(accounts, sessions)
    member = accounts.sagemaker(MEMBER_B, HOME_REGION)
    member.statuses["job"], member.refuse_stop = "InProgress", "AccessDeniedException"
    jobs = choice.controller(MEMBER_B, HOME_REGION, event_id="evt")
    with pytest.raises(Exception, match="AccessDeniedException") as refused:
        jobs.stop("job")
    assert not isinstance(refused.value, JobNotStoppable), "a refusal is not a job that already ended"
