from __future__ import annotations

import pytest

from hpo_guardrail.enforce.settings import Settings, SettingsError
from rules.policy import Mode


def test_defaults_are_monitor_and_a_thousand_dollars():
    settings = Settings.from_environ({})
    assert settings.mode is Mode.MONITOR and settings.budget_cap_usd == 1000 and settings.notify_topic_arn is None


def test_environment_names_are_the_documented_ones():
    settings = Settings.from_environ(
        {"GUARDRAIL_MODE": "Enforce", "BUDGET_CAP_USD": "250.5", "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}
    )
    assert settings.mode is Mode.ENFORCE and settings.budget_cap_usd == 250.5
    assert settings.notify_topic_arn == "arn:aws:sns:us-east-1:1:t"


@pytest.mark.parametrize(
    "env, name", [({"GUARDRAIL_MODE": "block"}, "GUARDRAIL_MODE"), ({"BUDGET_CAP_USD": "-1"}, "BUDGET_CAP_USD")]
)
def test_bad_settings_fail_loudly_naming_the_variable(env, name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ(env)
