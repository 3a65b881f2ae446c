"""Delivery through a real huey consumer against a real SMTP server that refuses twice."""

import email
import email.policy

import pytest

from apps.mail.models import OutboundEmail
from apps.mail.services import send_email
from apps.mail.tasks import email_deliver_task
from tests.conftest import subprocess_env, wait_until
from tests.mail.outbox_cases import ALERT_CONTEXT


@pytest.mark.real_queue
def test_transient_smtp_errors_retry_with_backoff_and_send_exactly_once(
    templates, smtp_sink, huey_consumer, settings, monkeypatch
):
    # The enqueuing process puts the retry policy in the task message; shorten it here too.
    monkeypatch.setattr(email_deliver_task.task_class, "default_retry_delay", 0.5)
    settings.MAIL_RETRY_DELAY = 0.5
    sink, port = smtp_sink(fail_first=2)
    env = subprocess_env(
        EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), MAIL_RETRY_DELAY="0.5"
    )
    consumer = huey_consumer("--workers", "2", env=env)
    row = send_email(template_key="quota_alert_80", to="ada@example.com", context=ALERT_CONTEXT)
    done = wait_until(
        lambda: OutboundEmail.objects.filter(pk=row.pk, status="sent").first(),
        timeout=30,
        message=f"not sent: {OutboundEmail.objects.get(pk=row.pk).__dict__}\n{consumer.output()}",
    )
    assert sink.refused == 2 and len(sink.messages) == 1 and done.attempts == 3
    attempts = list(done.attempt_log.order_by("number"))
    assert [a.outcome for a in attempts] == ["retry", "retry", "sent"]
    first_gap = (attempts[1].started_at - attempts[0].finished_at).total_seconds()
    second_gap = (attempts[2].started_at - attempts[1].finished_at).total_seconds()
    assert first_gap > 0.4 and second_gap > first_gap  # 0.5 s, then 1 s
    message = email.message_from_bytes(sink.messages[0], policy=email.policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
