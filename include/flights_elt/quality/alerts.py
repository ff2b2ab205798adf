"""Failure alerts and warning notices: Slack (incoming webhook) and email, via the providers' notifiers.

Configured by connections ``slack_alerts`` (type ``slackwebhook``) and ``smtp_alerts`` (type
``smtp``), recipients by the Airflow variable ``alert_email_to`` (comma separated; so
``AIRFLOW_VAR_ALERT_EMAIL_TO`` works). With neither configured the alert is written to the task
log — never a crash: a broken alert channel must not hide the original failure.

An alert names the DAG, task, partition, try number, each failed check with its observed value
and threshold (from ``GateFailed``), the error, and the log URL.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from flights_elt.config import ALERT_EMAIL_VARIABLE, SLACK_CONN_ID, SMTP_CONN_ID

log = logging.getLogger(__name__)


def _connection_configured(conn_id: str) -> bool:
    from airflow.sdk import BaseHook

    try:
        BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException, or no way to look it up here
        return False
    return True


def _recipients() -> list[str]:
    from airflow.sdk import Variable

    try:
        value = Variable.get(ALERT_EMAIL_VARIABLE, default="")
    except Exception:
        return []
    return [r.strip() for r in str(value or "").split(",") if r.strip()]


def _partition(context: Any) -> str | None:
    """The run's day, or ``first..last`` for a batch run."""
    dag_run = context.get("dag_run")
    key = getattr(dag_run, "partition_key", None) if dag_run is not None else None
    if not key:
        return None
    from flights_elt.pipeline.days import of_run

    try:
        return of_run(context).label
    except Exception:  # an alert must go out even when the run's days cannot be worked out
        return str(key)


def build_message(context: Any, kind: str, headline: str, details: list[str]) -> dict[str, str]:
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", None)
    fields = {
        "DAG": dag_id,
        "Task": task_id,
        "Partition": _partition(context),
        "Try": getattr(ti, "try_number", None),
        "Run": context.get("run_id"),
        "Log": getattr(ti, "log_url", None),
    }
    lines = [f"{k}: {v}" for k, v in fields.items() if v not in (None, "")]
    subject = (
        f"[flights-elt] {kind}: {dag_id}"
        + (f".{task_id}" if task_id else "")
        + (f" partition {fields['Partition']}" if fields["Partition"] else "")
    )
    text = "\n".join([f"*{subject}*", headline, *lines, *details])
    body = "<br>".join(html.escape(x) for x in [headline, *lines, *details])
    return {"subject": subject, "text": text, "html": f"<h3>{html.escape(subject)}</h3><p>{body}</p>"}


def send(message: dict[str, str], context: Any) -> list[str]:
    """Deliver through every configured channel; returns the channels used ('log' if none)."""
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    used: list[str] = []
    if _connection_configured(SLACK_CONN_ID):
        try:
            SlackWebhookNotifier(slack_webhook_conn_id=SLACK_CONN_ID, text=message["text"]).notify(context)
            used.append("slack")
        except Exception:
            log.exception("Slack alert could not be delivered")
    recipients = _recipients()
    if recipients and _connection_configured(SMTP_CONN_ID):
        try:
            SmtpNotifier(
                to=recipients,
                smtp_conn_id=SMTP_CONN_ID,
                from_email="flights-elt@localhost",
                subject=message["subject"],
                html_content=message["html"],
            ).notify(context)
            used.append("email")
        except Exception:
            log.exception("email alert could not be delivered")
    # Always in the log too, so an alert is never lost.
    log.error("ALERT %s\n%s", message["subject"], message["text"])
    return used or ["log"]


def _failure_details(context: Any) -> tuple[str, list[str]]:
    from flights_elt.quality.outcomes import GateFailed

    exc = context.get("exception")
    if isinstance(exc, GateFailed):
        return (
            f"Quality gate stopped the partition: {len(exc.failed)} failed check(s)",
            [f"FAILED {f.describe()}" for f in exc.failed],
        )
    return ("Task failed", [f"Error: {type(exc).__name__}: {exc}" if exc else "Error: unknown"])


def task_failure_alert(context: Any) -> None:
    """``on_failure_callback`` of every task (runs in the task's process)."""
    try:
        headline, details = _failure_details(context)
        send(build_message(context, "FAILED", headline, details), context)
    except Exception:
        log.exception("alerting failed")


def dag_failure_alert(context: Any) -> None:
    """DAG-level ``on_failure_callback`` (runs in the dag-processor)."""
    try:
        reason = context.get("reason") or "a task failed"
        send(build_message(context, "DAG RUN FAILED", f"DAG run failed: {reason}", []), context)
    except Exception:
        log.exception("alerting failed")


def send_warning_notice(gate: str, warnings: list[Any], context: Any) -> None:
    """Lighter notice for warn-level outcomes: data went through, a person should look."""
    try:
        details = [f"WARN {w.describe()}" for w in warnings]
        send(build_message(context, "warning", f"Gate {gate} passed with {len(warnings)} warning(s)", details), context)
    except Exception:
        log.exception("warning notice failed")
