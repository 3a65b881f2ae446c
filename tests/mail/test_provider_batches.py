"""Batched provider sends against local servers that answer as Postmark and Resend document:
each email keeps its own row and attempt, and ends in the right state whatever the call meets
(a refused address, 429, 5xx, an answer lost), none delivered twice."""

import datetime as dt
import re
import signal

import pytest
from django.core.mail import mailers
from django.utils import timezone

from apps.jobs.models import WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.mail.models import OutboundEmail
from apps.mail.services import emails_deliver, outbox_sweep, send_email_many
from tests.conftest import subprocess_env, wait_until
from tests.mail.outbox_cases import ALERT_CONTEXT
from tests.providers.servers import TOKENS, ProviderServer

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]
Status = OutboundEmail.Status

# A tag left where a personalization's own value goes (skeleton's "-sg<salt>c<n>s<k>-");
# "-sg" alone turns up by chance inside a signed link's base64.
SUBSTITUTION_TAG = re.compile(r"-sg[0-9a-f]{8}c\d+s\d+-")


def an_hour_later() -> dt.datetime:
    """When the reaper's pass runs after time has passed: a consumer killed before its first
    heartbeat (registered moments ago, not beating yet) is dead by then too."""
    return timezone.now() + dt.timedelta(hours=1)


BACKENDS = {
    "postmark": ("anymail.backends.postmark.EmailBackend", "POSTMARK_SERVER_TOKEN"),
    "resend": ("apps.mail.backends.ResendBackend", "RESEND_API_KEY"),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "SENDGRID_API_KEY"),
}


@pytest.fixture
def provider(request, settings, templates):
    """A local provider server and the default mailer pointed at it."""
    servers = []

    def start(name: str) -> ProviderServer:
        server = ProviderServer(name)
        servers.append(server)
        backend, key = BACKENDS[name]
        settings.EMAIL_PROVIDER = name
        settings.MAILERS = {"default": {"BACKEND": backend}}
        settings.ANYMAIL = {key: TOKENS[name], f"{name.upper()}_API_URL": server.api_url}
        mailers.__dict__.pop("default", None)  # the mailer is read again with these settings
        return server

    yield start
    for server in servers:
        server.stop()


def queue(count: int, prefix: str = "batch") -> list[OutboundEmail]:
    addresses = [f"{prefix}-{i}@example.com" for i in range(count)]
    send_email_many(
        template_key="quota_alert_80",
        recipients=[{"to": a, "context": ALERT_CONTEXT, "dedupe_key": a} for a in addresses],
    )
    return list(OutboundEmail.objects.filter(to__in=addresses).order_by("pk"))


def statuses(rows) -> dict[str, str]:
    return dict(
        OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).values_list("to", "status")
    )


def test_a_postmark_batch_is_one_call_and_one_refused_address_fails_alone(provider):
    server = provider("postmark")
    rows = queue(30)
    server.faults.refuse = {"batch-7@example.com"}
    report = emails_deliver(email_ids=[r.pk for r in rows])
    assert server.requests == [("/email/batch", 30)]
    assert report.outcomes == {"sent": 29, "failed": 1}
    refused = OutboundEmail.objects.get(to="batch-7@example.com")
    assert refused.status == Status.FAILED and "406" in refused.last_error
    sent = OutboundEmail.objects.get(to="batch-8@example.com")
    assert sent.status == Status.SENT and sent.message_id == server.to(sent.to)[0]["message_id"]
    assert sent.attempt_log.get().outcome == "sent" and sent.provider == "Postmark"
    assert all(len(server.to(r.to)) == (0 if r.to == refused.to else 1) for r in rows)


@pytest.mark.parametrize("fault", ["rate_limit", "fail"])
def test_a_429_or_5xx_leaves_the_batch_queued_for_the_retry_then_it_goes_once(provider, fault):
    server = provider("postmark")
    rows = queue(12)
    setattr(server.faults, fault, 1)
    first = emails_deliver(email_ids=[r.pk for r in rows], retry_in=30, last_try=False)
    assert len(first.retry) == 12 and set(statuses(rows).values()) == {Status.QUEUED}
    assert server.delivered == []
    second = emails_deliver(email_ids=[r.pk for r in rows], last_try=False)  # huey's retry
    assert second.outcomes == {"sent": 12} and len(server.delivered) == 12
    assert OutboundEmail.objects.get(pk=rows[0].pk).attempts == 2


def test_a_lost_postmark_answer_leaves_its_emails_unknown_and_never_sends_them_again(provider):
    server = provider("postmark")
    rows = queue(10)
    server.faults.drop = 1  # accepted, then the connection closes before any answer
    report = emails_deliver(email_ids=[r.pk for r in rows])
    assert report.outcomes == {"unknown": 10}
    assert set(statuses(rows).values()) == {Status.UNKNOWN}
    emails_deliver(email_ids=[r.pk for r in rows])  # a later delivery leaves them alone
    assert len(server.delivered) == 10 and all(len(server.to(r.to)) == 1 for r in rows)
    unknown = OutboundEmail.objects.get(pk=rows[0].pk)
    assert "answer was lost" in unknown.last_error and unknown.handed_at is None


def test_a_lost_resend_answer_is_asked_again_with_the_same_key_and_delivered_once(provider):
    server = provider("resend")
    rows = queue(10)
    server.faults.drop = 1
    report = emails_deliver(email_ids=[r.pk for r in rows])
    assert report.outcomes == {"sent": 10}
    assert [path for path, _ in server.requests] == ["/emails/batch"]  # the repeat was answered
    assert len(server.delivered) == 10 and all(len(server.to(r.to)) == 1 for r in rows)


def test_resends_all_or_nothing_validation_sends_the_rest_alone(provider):
    server = provider("resend")
    rows = queue(5)
    server.faults.refuse = {"batch-2@example.com"}
    report = emails_deliver(email_ids=[r.pk for r in rows])
    assert report.outcomes == {"sent": 4, "failed": 1}
    assert [path for path, _ in server.requests] == ["/emails"] * 5  # each alone
    keys = {m["idempotency_key"] for m in server.delivered}
    assert len(keys) == 4 and all(k.startswith("summasaas-outbox-") for k in keys)


def test_sendgrid_sends_personalized_emails_as_one_call_of_personalizations(provider):
    server = provider("sendgrid")
    rows = queue(12)
    assert emails_deliver(email_ids=[r.pk for r in rows]).outcomes == {"sent": 12}
    assert server.requests == [("/v3/mail/send", 12)]
    for row in OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]):
        (got,) = server.to(row.to)  # the server applied this personalization's substitutions
        assert not SUBSTITUTION_TAG.search(got["body"]) and "email/unsubscribe/" in got["body"]
        assert row.to in got["body"] or row.message_id  # its own links and id
        others = [r.to for r in rows if r.to != row.to]
        assert not any(other in got["body"] for other in others)
    ids = set(
        OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).values_list(
            "message_id", flat=True
        )
    )
    assert len(ids) == 12 and "" not in ids  # anymail's per-recipient id, for the events


@pytest.mark.real_queue
@pytest.mark.django_db(transaction=True)
def test_a_consumer_killed_mid_call_leaves_that_calls_emails_unknown_and_sends_none_twice(
    provider, huey_consumer, settings
):
    server = provider("postmark")
    server.faults.latency = 3.0  # the call is in flight when the consumer dies
    env = subprocess_env(
        EMAIL_PROVIDER="postmark",
        POSTMARK_SERVER_TOKEN=TOKENS["postmark"],
        POSTMARK_API_URL=server.api_url,
        MAIL_BATCH_SIZE="40",
    )
    consumer = huey_consumer("--workers", "1", env=env)
    settings.MAIL_BATCH_SIZE = 40
    rows = queue(60, prefix="killed")  # two delivery tasks of 40 and 20
    assert server.received.wait(60), consumer.output()
    consumer.stop(signal.SIGKILL)
    # The provider took that call (a consumer on a loaded machine may take a while to make it).
    wait_until(lambda: len(server.delivered) == 40, timeout=30)
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(hours=1))
    task_runs_reap(now=an_hour_later())
    unknown = set(OutboundEmail.objects.filter(status=Status.UNKNOWN).values_list("to", flat=True))
    assert unknown == {m["to"] for m in server.delivered}  # exactly the call in flight
    assert not OutboundEmail.objects.filter(status=Status.SENDING).exists()

    server.faults.latency = 0
    huey_consumer("--workers", "1", env=env)
    outbox_sweep(older_than_seconds=0)
    rest = OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).exclude(to__in=unknown)
    wait_until(lambda: set(rest.values_list("status", flat=True)) == {Status.SENT}, timeout=60)
    assert all(len(server.to(r.to)) == 1 for r in rows)  # none delivered twice
