"""The outbox: real SMTP and anymail delivery, dedupe, suppressions, concurrency, the sweeper.
Retries and provider errors: test_delivery_retries.py."""

import re
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from apps.mail.exceptions import ContextError
from apps.mail.models import DeliveryAttempt, EmailPreference, OutboundEmail, Suppression
from apps.mail.services import compose, email_deliver, outbox_sweep
from tests.conftest import wait_until
from tests.mail.outbox_cases import ALERT_CONTEXT, Status, parse, queue


@pytest.mark.django_db
def test_delivery_through_a_real_smtp_server_is_multipart_with_headers(
    templates, smtp_sink, django_capture_on_commit_callbacks
):
    sink, _ = smtp_sink()
    with django_capture_on_commit_callbacks(execute=True):
        row = queue()
    row.refresh_from_db()
    assert row.status == Status.SENT and row.provider == "smtp" and row.message_id
    message = parse(sink.messages[0])
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in message.iter_parts())
    assert "Acme has used 8,000 of its 10,000 characters" in text
    assert "https://x.example/" in text  # links survive in the text alternative
    assert "<strong>8,000</strong>" in html and "prefers-color-scheme: dark" in html
    assert message["Subject"] == "Acme has used 80 % of this month's characters"
    assert message["Message-ID"] == row.message_id
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/email/unsubscribe/")
    assert "<mailto:unsubscribe@summasaas.local?subject=unsubscribe%20" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert DeliveryAttempt.objects.get(email=row).outcome == "sent"


@pytest.mark.django_db
def test_list_unsubscribe_is_two_uris_folded_at_the_comma_in_the_raw_bytes(
    templates, smtp_sink, django_capture_on_commit_callbacks
):
    # Parsers decode RFC 2047 encoded-words and would hide them: this reads the raw bytes.
    sink, _ = smtp_sink()
    with django_capture_on_commit_callbacks(execute=True):
        queue(to="a.rather.long.address.for.folding@example.com")
    head = sink.messages[0].split(b"\r\n\r\n", 1)[0] + b"\r\n"
    match = re.search(
        rb"\r\nList-Unsubscribe: (<https?://[^\s<>]+>),\r\n (<mailto:[^\s<>]+>)\r\n", head
    )
    assert match, head
    https, mailto = (uri.decode() for uri in match.groups())
    assert len(https) > 78 and "/email/unsubscribe/" in https  # long enough to be folded
    assert mailto.startswith("<mailto:unsubscribe@summasaas.local?subject=unsubscribe%20")
    assert b"=?" not in head  # no encoded-word anywhere in the headers
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in head


@pytest.mark.django_db
@pytest.mark.embedded
def test_transactional_email_has_no_unsubscribe_header_and_anymail_gets_metadata_and_tags(
    templates, provider, django_capture_on_commit_callbacks
):
    context = {"name": "Ada", "dashboard_url": "https://app.example/"}
    with django_capture_on_commit_callbacks(execute=True):
        row = queue("welcome", context=context)
    row.refresh_from_db()
    sent = provider[0]
    assert row.status == Status.SENT and row.message_id == "0"
    assert sent.anymail_test_params["metadata"] == {"outbox_id": str(row.pk)}
    assert sent.anymail_test_params["tags"] == ["welcome"]
    assert "List-Unsubscribe" not in sent.extra_headers
    assert sent.subject == "Welcome to SummaSaaS, Ada"


@pytest.mark.django_db
@pytest.mark.embedded
def test_the_same_dedupe_key_never_sends_twice(
    templates, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(dedupe_key="quota:1:2026-11:80")
        second = queue(dedupe_key="quota:1:2026-11:80")
    assert first.pk == second.pk and len(provider) == 1
    email_deliver(email_id=first.pk)  # delivering a sent row again does nothing
    assert len(provider) == 1 and OutboundEmail.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.embedded
def test_a_suppressed_address_is_skipped_with_the_reason(templates, provider):
    Suppression.objects.create(address="ada@example.com", reason="bounce")
    row = email_deliver(email_id=queue().pk)
    assert row.status == Status.SUPPRESSED and "suppression list" in row.last_error
    assert provider == []


@pytest.mark.django_db
def test_an_unsubscribed_category_is_skipped_but_transactional_still_sends(templates, provider):
    EmailPreference.objects.create(address="ada@example.com", category="alerts", subscribed=False)
    alert = email_deliver(email_id=queue().pk)
    welcome = email_deliver(
        email_id=queue("welcome", context={"name": "A", "dashboard_url": "https://a/"}).pk
    )
    assert alert.status == Status.SKIPPED
    assert alert.last_error == "ada@example.com unsubscribed from alerts emails"
    assert welcome.status == Status.SENT and len(provider) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_row_send_once(templates, smtp_sink, profile):
    assert profile == "production", "this test proves the claim on PostgreSQL"
    sink, _ = smtp_sink(delay=0.3)
    # A queued row written directly: send_email would deliver it on commit already.
    row = OutboundEmail.objects.create(
        template_key="quota_alert_80", to="ada@example.com", context=ALERT_CONTEXT
    )
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        try:
            OutboundEmail.objects.count()  # connect first, so both claims really race
            barrier.wait()
            results.append(email_deliver(email_id=row.pk).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sink.messages) == 1
    # The loser skipped the row locked by the winner's claim: it saw it queued or sending.
    assert sorted(results)[1] == "sent" and sorted(results)[0] in ("queued", "sending")
    assert OutboundEmail.objects.get(pk=row.pk).attempts == 1


@pytest.mark.django_db
@pytest.mark.embedded
def test_the_sweeper_re_enqueues_rows_stuck_in_queued(templates, provider):
    row = queue()  # never committed in this test transaction: nothing was enqueued
    assert outbox_sweep(older_than_seconds=3600) == 0
    OutboundEmail.objects.filter(pk=row.pk).update(
        next_attempt_at=row.created_at.replace(year=2020)
    )
    assert outbox_sweep(older_than_seconds=60) == 1  # huey runs inline in tests
    row.refresh_from_db()
    assert row.status == Status.SENT and len(provider) == 1


@pytest.mark.django_db
def test_contexts_must_be_plain_data(templates):
    from decimal import Decimal

    with pytest.raises(ContextError, match=r"context.amount is a Decimal"):
        queue(context={**ALERT_CONTEXT, "amount": Decimal("1.00")})
    with pytest.raises(ContextError, match="not an email address"):
        queue(to="not-an-address")


@pytest.mark.django_db
def test_a_missing_template_fails_the_row_without_breaking_the_caller(provider):
    row = queue("no_such_template")
    assert row.status == Status.FAILED and "sync_email_templates" in row.last_error


@pytest.mark.django_db
def test_context_is_autoescaped_in_html_but_not_in_text(templates, provider):
    context = {"name": "<script>x</script>", "dashboard_url": "https://a.example/?a=1&b=2"}
    email_deliver(email_id=queue("welcome", context=context).pk)
    sent = provider[0]
    html = sent.alternatives[0].content
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert 'href="https://a.example/?a=1&amp;b=2"' in html
    assert "<script>x</script>" in sent.body


@pytest.mark.django_db(transaction=True)
def test_send_test_email_command_sends_sample_data_marked_as_test(templates, provider, capsys):
    call_command("send_test_email", "invoice", "--to", "qa@example.com")
    row = wait_until(lambda: OutboundEmail.objects.filter(to="qa@example.com").first())
    assert row.is_test and row.status == Status.SENT
    assert "INV-202611-8F3A21C0" in provider[0].body
    assert "sent" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_row_instead_of_leaving_it_sending(templates, provider):
    row = queue()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compose, "render_for", lambda **kwargs: 1 / 0)
        row = email_deliver(email_id=row.pk)
    assert row.status == Status.FAILED and row.last_error == "ZeroDivisionError: division by zero"
    assert provider == []


def test_the_outbox_message_is_byte_for_byte_what_django_builds(settings):
    # The outbox reuses one header class per header name (apps/mail/message.py); the wire
    # bytes must stay Django's own: encoded non-ASCII subject and names, folded lists.
    from email.policy import SMTP

    from django.core.mail import EmailMultiAlternatives

    from apps.mail.message import OutboxMessage

    fields = dict(
        subject="Résumé de votre mois : 742 310 caractères résumés, « très » bien " * 2,
        body="Bonjour Zoë,\nvoici le résumé.\n",
        from_email="Équipe SummaSaaS <hello@summasaas.local>",
        to=[f"Person {i} <p{i}@example.com>" for i in range(8)],
        reply_to=["Support Müller <support@summasaas.local>"],
        headers={
            "Message-ID": "<fixed@summasaas.local>",
            "Date": "Tue, 01 Dec 2026 17:00 +0000",
            "X-Outbox-Id": "42",
        },
    )
    built = []
    for cls in (EmailMultiAlternatives, OutboxMessage, OutboxMessage):
        message = cls(**fields)
        message.attach_alternative("<p>Bonjour Zoë, voici le résumé.</p>", "text/html")
        mime = message.message(policy=SMTP)
        mime.set_boundary("boundary")
        built.append(mime.as_bytes())
    assert built[0] == built[1] == built[2]
    assert b"Subject: =?utf-8?" in built[0] and b"\r\n " in built[0]
