"""A whole embedded stack (warehouse emulator, embedded PostgreSQL, Airflow processes) on free
ports and its own ELT_HOME, started with `elt up` and stopped with `elt down`
(``flights_elt.embedded.testing``), and the alert receivers it sends to."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flights_elt.embedded.testing import Stack, running_stack, stack_env, stack_home

from tests.receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


def alert_env(webhook: WebhookReceiver, smtp: SmtpReceiver) -> dict[str, str]:
    """Alert channels as a user would configure them: connections and a variable, by environment."""
    return {
        "AIRFLOW_CONN_SLACK_ALERTS": json.dumps(
            {"conn_type": "slackwebhook", "host": f"http://127.0.0.1:{webhook.port}", "password": "/services/T0/B0/x"}
        ),
        "AIRFLOW_CONN_SMTP_ALERTS": json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp.port,
                "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "alerts@flights.test"},
            }
        ),
        "AIRFLOW_VAR_ALERT_EMAIL_TO": "oncall@flights.test",
    }


@pytest.fixture(scope="session")
def embedded_stack(webhook: WebhookReceiver, smtp: SmtpReceiver) -> Iterator[Stack]:
    home = stack_home("elt-e2e-")
    (home / "failpoints").mkdir()
    env = stack_env(
        home, **alert_env(webhook, smtp), ELT_FAILPOINT_DIR=str(home / "failpoints"), ELT_WAREHOUSE_TIMEOUT_S="20"
    )
    with running_stack(home, env) as stack:
        yield stack
