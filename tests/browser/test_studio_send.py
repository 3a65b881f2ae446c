"""The studio's test send, in headless Chromium: the message reaches a real SMTP server."""

import email
import email.policy
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from apps.mail.models import OutboundEmail
from tests.browser.support import shoot_studio
from tests.servers import free_port

pytestmark = pytest.mark.browser


class Sink:
    """An SMTP server handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"the SMTP sink got {len(self.messages)} message(s), not {count}")


@pytest.fixture
def smtp_sink(settings):
    handler, port = Sink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    yield handler
    controller.stop()


def test_a_test_send_reaches_the_smtp_sink(studio, smtp_sink, settings):
    settings.MAIL_TEST_RECIPIENTS = ["qa@summasaas.example"]
    page, template = studio
    page.click("a:has-text('Send test')")
    dialog = page.locator("#dialog")
    dialog.locator("select[name=to]").select_option("qa@summasaas.example")
    shoot_studio(page, "studio-test-send.png")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=Test email queued to qa@summasaas.example")
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "qa@summasaas.example"
    assert message["Subject"] == "Welcome to SummaSaaS, Ada"
    assert "Welcome aboard, Ada" in message.get_body(("html",)).get_content()
    sent = OutboundEmail.objects.get()
    assert sent.is_test and sent.status == "sent" and sent.version == template.active_version
