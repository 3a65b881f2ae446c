"""Fixtures for the mail tests: shipped templates, a provider, an SMTP sink."""

import threading

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from tests.servers import free_port

ANYMAIL_TEST = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}


@pytest.fixture
def provider(settings):
    """anymail's test backend: sent messages land in `django.core.mail.outbox`."""
    settings.MAILERS = ANYMAIL_TEST
    mail.outbox = []
    return mail.outbox


class SinkHandler:
    """Keeps every accepted message; answers 451 (try later) to the first `fail_first`."""

    def __init__(self, fail_first: int = 0, delay: float = 0.0):
        self.messages: list[bytes] = []
        self.sessions = 0  # SMTP sessions opened (EHLO), to see connections reused
        self.refused = 0
        self.fail_first = fail_first
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            if self.refused < self.fail_first:
                self.refused += 1
                return "451 4.3.0 Temporary local problem, try again later"
            self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on loopback; the default mailer points at it."""
    sinks = []

    def start(fail_first: int = 0, delay: float = 0.0) -> tuple[SinkHandler, int]:
        handler = SinkHandler(fail_first, delay)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        sinks.append(controller)
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        return handler, port

    yield start
    for controller in sinks:
        controller.stop()


@pytest.fixture
def webhook_anymail(settings):
    """anymail's webhook settings as production has them (secrets, Resend's signing key)."""
    from tests.mail import webhook_payloads

    settings.ANYMAIL = dict(webhook_payloads.ANYMAIL_SETTINGS)


@pytest.fixture
def sent_email(db):
    """An email the provider accepted, which its webhooks' events name."""
    from apps.mail.models import OutboundEmail

    return OutboundEmail.objects.create(
        template_key="welcome",
        to="john@example.com",
        status="sent",
        provider="Postmark",
        message_id="883953f4-6105-42a2-a16a-77a8eac79483",
    )
