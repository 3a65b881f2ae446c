"""An email whose consumer is SIGKILLed mid-send becomes `unknown`: never re-sent silently."""

import datetime as dt
import signal
import threading

import pytest
from django.db import transaction
from django.utils import timezone

from apps.console.models import AuditEntry
from apps.console.roles import OPERATOR
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.mail.backends import ResendBackend
from apps.mail.models import DeliveryAttempt, OutboundEmail
from apps.mail.selectors import emails_unknown
from apps.mail.services import (
    emails_deliver,
    emails_interrupted,
    emails_stale_sending_settle,
    outbox_sweep,
    send_email,
    send_email_many,
)
from apps.mail.services.ledger import ClaimLost
from apps.mail.services.transport import Transport
from tests.conftest import subprocess_env, wait_until
from tests.console.studio_support import role_client
from tests.mail.outbox_cases import ALERT_CONTEXT

Status = OutboundEmail.Status


def an_hour_later() -> dt.datetime:
    """When the reaper's pass runs after time has passed: a consumer killed before its first
    heartbeat (registered moments ago, not beating yet) is dead by then too."""
    return timezone.now() + dt.timedelta(hours=1)


CONTEXT = ALERT_CONTEXT


def queue_one(to: str = "ada@example.com") -> OutboundEmail:
    with transaction.atomic():
        return send_email(template_key="quota_alert_80", to=to, context=ALERT_CONTEXT)


@pytest.mark.real_queue
@pytest.mark.django_db(transaction=True)
def test_a_consumer_killed_mid_send_leaves_the_email_unknown_for_an_operator(
    templates, smtp_sink, huey_consumer, settings, django_capture_on_commit_callbacks
):
    _slow, port = smtp_sink(delay=5)  # holds each message before answering 250
    env = subprocess_env(EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    consumer = huey_consumer("--workers", "1", env=env)
    row = queue_one()
    wait_until(
        lambda: (
            OutboundEmail.objects.filter(pk=row.pk, status=Status.SENDING).exists()
            and TaskRun.objects.filter(
                name__endswith="email_deliver_task", state="executing"
            ).exists()
        ),
        message=f"never mid-send:\n{consumer.output()}",
    )
    consumer.stop(signal.SIGKILL)
    # Time passes: the dead consumer's heartbeat goes stale and the reaper runs.
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(hours=1))
    assert task_runs_reap(now=an_hour_later()).lost == 1
    row.refresh_from_db()
    assert row.status == Status.UNKNOWN and "may or may not have it" in row.last_error
    assert row.attempt_log.last().outcome == "unknown"
    assert list(emails_unknown().values_list("pk", flat=True)) == [row.pk]  # for the alert
    assert emails_interrupted(claim_id=row.claim_id) == 0  # announced twice: settled once

    fast, _ = smtp_sink()  # a healthy server now: nothing goes out by itself
    assert outbox_sweep(older_than_seconds=0) == 0
    emails_deliver(email_ids=[row.pk])
    assert fast.messages == [] and OutboundEmail.objects.get(pk=row.pk).status == Status.UNKNOWN

    operator = role_client(OPERATOR)
    url = f"/admin/mail/outboundemail/{row.pk}/"
    page = operator.get(url + "change/").content.decode()
    assert "Mark sent" in page and "Retry" in page
    assert operator.get("/admin/mail/outboundemail/?status__exact=unknown").status_code == 200
    assert operator.post(url + "mark_sent/", {"_form_submitted": "on"}).status_code == 200
    row.refresh_from_db()
    assert row.status == Status.SENT and fast.messages == []
    assert AuditEntry.objects.get(action="email.mark_sent").before["status"] == "unknown"

    other = OutboundEmail.objects.create(
        template_key="quota_alert_80",
        to="bob@example.com",
        context=ALERT_CONTEXT,
        status=Status.UNKNOWN,
    )
    with django_capture_on_commit_callbacks(execute=True):
        operator.post(f"/admin/mail/outboundemail/{other.pk}/retry/", {"_form_submitted": "on"})
    assert OutboundEmail.objects.get(pk=other.pk).status == Status.QUEUED  # task in Redis
    emails_deliver(email_ids=[other.pk])
    assert len(fast.messages) == 1 and OutboundEmail.objects.get(pk=other.pk).status == "sent"


@pytest.mark.django_db
def test_with_an_idempotent_provider_the_interrupted_email_is_queued_again(templates, settings):
    settings.EMAIL_PROVIDER = "resend"
    row = OutboundEmail.objects.create(
        template_key="quota_alert_80",
        to="ada@example.com",
        context=ALERT_CONTEXT,
        status=Status.SENDING,
        claim_id="task-1",
        attempts=1,
        handed_at=timezone.now(),
    )
    assert emails_interrupted(claim_id="task-1") == 1
    row.refresh_from_db()
    assert row.status == Status.QUEUED and "idempotency key" in row.last_error
    assert DeliveryAttempt.objects.get(email=row).outcome == "retry"


def test_resend_gets_the_outbox_idempotency_key_as_its_header():
    from django.core.mail import EmailMultiAlternatives

    backend = ResendBackend(api_key="re_test")
    message = EmailMultiAlternatives("s", "b", "a@summasaas.local", ["b@example.com"])
    message.idempotency_key = "summasaas-outbox-42"
    payload = backend.build_message_payload(message, backend.send_defaults)
    assert payload.headers["Idempotency-Key"] == "summasaas-outbox-42"


@pytest.mark.real_queue
@pytest.mark.django_db(transaction=True)
def test_each_kill_mid_batch_leaves_at_most_the_email_in_flight_unknown(
    templates, smtp_sink, huey_consumer, settings
):
    sink, port = smtp_sink(delay=0.01)
    env = subprocess_env(EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    addresses = [f"kill-{i}@example.com" for i in range(200)]
    send_email_many(
        template_key="quota_alert_80",
        recipients=[{"to": a, "context": ALERT_CONTEXT, "dedupe_key": a} for a in addresses],
    )
    emails, kills = OutboundEmail.objects.filter(to__in=addresses), 3
    for kill in range(kills):
        consumer = huey_consumer("--workers", "1", env=env)
        outbox_sweep(older_than_seconds=0)  # what the interrupted ones wait for: the sweeper
        target = len(sink.messages) + 20
        wait_until(lambda t=target: len(sink.messages) >= t, timeout=60, message=consumer.output)
        consumer.stop(signal.SIGKILL)
        WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(hours=1))
        task_runs_reap(now=an_hour_later())
        assert not emails.filter(status="sending").exists()
        assert emails.filter(status="unknown").count() <= kill + 1  # one per kill at most
    huey_consumer("--workers", "1", env=env)
    outbox_sweep(older_than_seconds=0)
    wait_until(lambda: not emails.exclude(status__in=["sent", "unknown"]).exists(), timeout=120)
    for email in emails:
        copies = sum(f"<{email.to}>".encode() in m or email.to.encode() in m for m in sink.messages)
        assert copies <= 1, (email.to, copies)
        assert copies == 1 or email.status == "unknown", (email.to, email.status)
    unknown = emails.filter(status="unknown").count()
    print(f"{kills} kills mid-batch: {unknown} unknown of {len(addresses)}")


@pytest.mark.django_db
def test_a_retry_of_a_delivery_that_raised_mid_chunk_settles_what_it_left(templates, provider):
    rows = [queue_one(f"left-{i}@example.com") for i in range(3)]
    OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=Status.SENDING, claim_id="task-7", attempts=1
    )  # attempt 1 raised (its database went away) after handing the first to the transport
    OutboundEmail.objects.filter(pk=rows[0].pk).update(handed_at=timezone.now())
    emails_deliver(email_ids=[r.pk for r in rows], claim_id="task-7")
    statuses = [OutboundEmail.objects.get(pk=r.pk).status for r in rows]
    assert statuses == [Status.UNKNOWN, Status.SENT, Status.SENT]
    assert [m.to for m in provider] == [["left-1@example.com"], ["left-2@example.com"]]
    assert OutboundEmail.objects.get(pk=rows[1].pk).attempts == 1  # the claim's try given back


@pytest.mark.django_db
def test_rows_left_sending_for_longer_than_any_delivery_are_settled_by_the_sweep(templates):
    stale, fresh = queue_one("stale@example.com"), queue_one("fresh@example.com")
    OutboundEmail.objects.filter(pk=stale.pk).update(
        status=Status.SENDING, claim_id="gone", handed_at=timezone.now()
    )
    OutboundEmail.objects.filter(pk=fresh.pk).update(status=Status.SENDING, claim_id="busy")
    OutboundEmail.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert emails_stale_sending_settle(older_than_seconds=3600) == 1
    assert OutboundEmail.objects.get(pk=stale.pk).status == Status.UNKNOWN
    assert OutboundEmail.objects.get(pk=fresh.pk).status == Status.SENDING


@pytest.mark.embedded
@pytest.mark.real_queue  # queued, not delivered at commit: the test runs the deliveries
@pytest.mark.django_db(transaction=True)
def test_a_delivery_declared_dead_while_it_stalled_sends_nothing_more_when_it_resumes(
    templates, smtp_sink, monkeypatch
):
    """A paused consumer is reaped (its rows settled: handed ones `unknown`, the rest queued
    again for another delivery), then resumes mid-chunk: it must not hand over one more email."""
    handler, _port = smtp_sink()
    with transaction.atomic():
        rows = [
            send_email(template_key="quota_alert_80", to=f"stall-{i}@example.com", context=CONTEXT)
            for i in range(5)
        ]
    send = Transport.send

    def send_then_stall(transport, message):
        answer = send(transport, message)
        if len(handler.messages) == 1:  # paused here; meanwhile the reaper settles its claim
            claim = OutboundEmail.objects.get(pk=rows[0].pk).claim_id
            reaper = threading.Thread(target=emails_interrupted, kwargs={"claim_id": claim})
            reaper.start()
            reaper.join()
        return answer

    monkeypatch.setattr(Transport, "send", send_then_stall)
    with pytest.raises(ClaimLost):
        emails_deliver(email_ids=[r.pk for r in rows])
    assert len(handler.messages) == 1
    rest = OutboundEmail.objects.filter(pk__in=[r.pk for r in rows[1:]])
    assert set(rest.values_list("status", flat=True)) == {Status.QUEUED}
    monkeypatch.setattr(Transport, "send", send)
    emails_deliver(email_ids=[r.pk for r in rows[1:]])  # the delivery that took them over
    received = list(handler.messages)
    assert len(received) == 5
    assert all(sum(f"stall-{i}@".encode() in m for m in received) == 1 for i in range(5))
