"""Batched delivery: one connection per batch, urgent emails first, consumers sharing batches."""

import email
import email.policy

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.mail.models import DeliveryAttempt, OutboundEmail
from apps.mail.services import emails_deliver, send_email, send_email_many
from apps.mail.services.delivery import CHUNK
from tests.conftest import subprocess_env, wait_until
from tests.mail.outbox_cases import ALERT_CONTEXT

Status = OutboundEmail.Status


def people(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "to": f"user{n}@example.com",
            "context": {**ALERT_CONTEXT, "name": f"User {n}"},
            "dedupe_key": f"alert:{n}",
        }
        for n in range(start, start + count)
    ]


def outbox_ids(raw_messages) -> list[int]:
    parsed = (email.message_from_bytes(m, policy=email.policy.default) for m in raw_messages)
    return [int(m["X-Outbox-Id"]) for m in parsed]


@pytest.mark.django_db
def test_send_email_many_inserts_one_chunk_at_a_time_and_keeps_dedupe_keys(templates):
    with CaptureQueriesContext(connection) as captured:
        queued = send_email_many(
            template_key="quota_alert_80", recipients=people(120), chunk_size=50
        )
    inserts = [q for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert queued == 120 and len(inserts) == 3  # 50 + 50 + 20 rows
    again = people(2, start=119) + people(1, start=300) * 2  # 1 old, 1 new twice
    assert send_email_many(template_key="quota_alert_80", recipients=again) == 2
    assert OutboundEmail.objects.count() == 122
    assert set(OutboundEmail.objects.values_list("bulk", flat=True)) == {True}


@pytest.mark.django_db
def test_a_batch_goes_over_one_smtp_session_and_an_urgent_email_goes_first(templates, smtp_sink):
    sink, _ = smtp_sink()
    send_email_many(template_key="quota_alert_80", recipients=people(3 * CHUNK))
    bulk = list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))
    reset = send_email(
        template_key="welcome",
        to="urgent@example.com",
        context={"name": "Ada", "dashboard_url": "https://a.example/"},
    )
    report = emails_deliver(email_ids=bulk)
    assert report.outcomes == {"sent": 3 * CHUNK + 1} and report.retry == []
    assert sink.sessions == 1 and len(sink.messages) == 3 * CHUNK + 1
    order = outbox_ids(sink.messages)
    assert order.index(reset.pk) <= CHUNK  # with the first chunk, not after the batch
    assert DeliveryAttempt.objects.count() == 3 * CHUNK + 1
    assert not OutboundEmail.objects.exclude(status=Status.SENT).exists()


@pytest.mark.django_db
def test_a_transient_error_puts_only_that_email_back_and_the_batch_goes_on(templates, smtp_sink):
    sink, _ = smtp_sink(fail_first=1)
    send_email_many(template_key="quota_alert_80", recipients=people(4))
    ids = list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))
    report = emails_deliver(email_ids=ids, retry_in=30, last_try=False)
    assert report.outcomes == {"retry": 1, "sent": 3} and len(report.retry) == 1
    first = OutboundEmail.objects.get(pk=ids[0])
    assert first.status == Status.QUEUED and first.next_attempt_at > first.updated_at
    again = emails_deliver(email_ids=ids)  # what huey's retry of the same task does
    assert again.outcomes == {"sent": 1} and len(sink.messages) == 4


@pytest.mark.real_queue
@pytest.mark.django_db(transaction=True)
def test_three_consumers_on_one_redis_send_every_email_exactly_once(
    templates, smtp_sink, huey_consumer, settings, profile
):
    assert profile == "production", "this test shares one Redis between consumers"
    settings.MAIL_BATCH_SIZE = 20
    sink, port = smtp_sink()
    env = subprocess_env(
        EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), MAIL_BATCH_SIZE="20"
    )
    consumers = [huey_consumer("--workers", "2", env=env) for _ in range(3)]
    with transaction.atomic():
        send_email_many(template_key="quota_alert_80", recipients=people(300))
    wait_until(
        lambda: OutboundEmail.objects.filter(status=Status.SENT).count() == 300,
        timeout=120,
        message="not all 300 emails were sent",
    )
    ids = outbox_ids(sink.messages)
    assert len(ids) == len(set(ids)) == 300  # none twice, none missing
    assert DeliveryAttempt.objects.count() == 300
    working = [c for c in consumers if "email batch" in c.output()]
    assert len(working) >= 2, "the batches were not shared between consumers"


@pytest.mark.django_db
@pytest.mark.embedded
def test_send_email_many_keeps_secrets_apart_on_every_database(templates, provider):
    from apps.mail.secrets import MASK, dedupe_digest, unseal

    queued = send_email_many(
        template_key="password_reset",
        recipients=[
            {
                "to": "Ada@Example.com",
                "context": {"name": "Ada", "expires_in_days": "3"},
                "secrets": {"reset_url": "https://x.example/r/1/"},
                "dedupe_key": "reset:1",
            },
            {
                "to": "bob@example.com",
                "context": {"name": "Bob", "expires_in_days": "3"},
                "secrets": {"reset_url": "https://x.example/r/2/"},
                "user_id": None,
            },
        ],
    )
    assert queued == 2
    ada = OutboundEmail.objects.get(to="ada@example.com")
    assert ada.context == {"name": "Ada", "expires_in_days": "3", "reset_url": MASK}
    assert unseal(ada.sealed_secrets) == {"reset_url": "https://x.example/r/1/"}
    assert ada.dedupe_key == dedupe_digest("reset:1") and ada.bulk and ada.status == "queued"
    emails_deliver(email_ids=[ada.pk])
    assert "https://x.example/r/1/" in provider[0].body


@pytest.mark.django_db
def test_the_active_version_is_read_once_per_batch_not_per_email(templates, provider):
    send_email_many(template_key="quota_alert_80", recipients=people(3 * CHUNK))
    ids = list(OutboundEmail.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured:
        emails_deliver(email_ids=ids)
    version_reads = [
        q for q in captured.captured_queries if 'FROM "mail_emailtemplateversion"' in q["sql"]
    ]
    assert len(version_reads) == 1 and len(provider) == 3 * CHUNK
