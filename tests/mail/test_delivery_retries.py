"""Provider errors and retries: huey owns the retry policy; a transient error is retried and the
email sent exactly once, a permanent one fails at once."""

import json

import pytest
import requests
from anymail.exceptions import AnymailAPIError
from django.core import mail

from apps.mail import services
from apps.mail.exceptions import TransientDeliveryError
from apps.mail.services import compose, email_deliver
from tests.mail.outbox_cases import Status, queue


def api_error(status: int, text: str) -> AnymailAPIError:
    """An error as anymail raises it for an HTTP answer from the provider."""
    response = requests.Response()
    response.status_code, response.reason = status, text
    response._content = json.dumps({"ErrorCode": status, "Message": text}).encode()
    return AnymailAPIError(text, status_code=status, response=response, esp_name="Test")


class FlakyBackend:
    """anymail's test backend, answering 503 to the first `failures` sends."""

    failures = 2

    def __new__(cls, *args, **kwargs):
        from anymail.backends.test import EmailBackend

        backend = EmailBackend(*args, **kwargs)
        original = backend.send_messages

        def send_messages(messages):
            if FlakyBackend.failures:
                FlakyBackend.failures -= 1
                for message in messages:
                    message.anymail_test_response = api_error(503, "Service Unavailable")
            return original(messages)

        backend.send_messages = send_messages
        return backend


@pytest.mark.django_db
@pytest.mark.embedded
def test_a_provider_that_fails_twice_then_succeeds_sends_exactly_once(templates, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.mail.test_delivery_retries.FlakyBackend"}}
    mail.outbox = []
    FlakyBackend.failures = 2
    row = queue()
    for _ in range(2):
        with pytest.raises(TransientDeliveryError, match="503"):
            email_deliver(email_id=row.pk)
        row.refresh_from_db()
        assert row.status == Status.QUEUED and row.next_attempt_at > row.created_at
    row = email_deliver(email_id=row.pk)
    delivered = [m for m in mail.outbox if not hasattr(m, "anymail_test_response")]
    assert row.status == Status.SENT and row.attempts == 3 and len(delivered) == 1
    outcomes = list(row.attempt_log.values_list("outcome", flat=True))
    assert outcomes == ["retry", "retry", "sent"]


def test_huey_owns_the_retry_policy_attempts_and_doubling_delay(settings):
    from apps.mail.tasks import email_deliver_task

    task = email_deliver_task.s([1])
    assert task.retries == settings.MAIL_MAX_ATTEMPTS - 1
    assert (task.retry_delay, task.retry_backoff) == (settings.MAIL_RETRY_DELAY, 2)


@pytest.mark.django_db
def test_a_permanent_error_fails_at_once(templates, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.mail.test_delivery_retries.FlakyBackend"}}
    FlakyBackend.failures = 0
    row = queue()
    original = api_error(422, "Invalid sender signature")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compose, "build_message", _with_response(compose.build_message, original))
        row = email_deliver(email_id=row.pk)
    assert row.status == Status.FAILED and row.attempts == 1 and "422" in row.last_error


def _with_response(build, response):
    def message(*args, **kwargs):
        built = build(*args, **kwargs)
        built.anymail_test_response = response
        return built

    return message


@pytest.mark.django_db
def test_transient_and_permanent_errors_are_told_apart():
    import smtplib

    assert services.is_transient(AnymailAPIError("x", status_code=503))
    assert services.is_transient(AnymailAPIError("x", status_code=429))
    assert not services.is_transient(AnymailAPIError("x", status_code=400))
    assert services.is_transient(smtplib.SMTPDataError(451, b"try later"))
    assert not services.is_transient(smtplib.SMTPDataError(550, b"no such user"))
    assert services.is_transient(smtplib.SMTPServerDisconnected())
    assert services.is_transient(ConnectionRefusedError())
