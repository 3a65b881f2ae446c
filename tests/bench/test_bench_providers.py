"""Delivery through providers' HTTP APIs, to the local Postmark, Resend and SendGrid servers
(tests/providers) answering each call after PROVIDER_LATENCY (80 ms, a typical API call):

- ours: the outbox and a real `run_huey` consumer (HUEY_WORKERS threads), batched through the
  provider's batch endpoint where it has a batch module (apps.mail.providers); the clock runs
  from the first dequeue until every email is at the server and every outbox row is `sent`;
- anymail: its own backend, `send_messages` over one open session, one message per call (the
  bodies rendered before the clock);
- django-post-office with the anymail backend: `send_many`, then `send_queued_mail_until_done`.

The per-message peers send PEER_EMAILS (200 at 80 ms a call is already 16 s a round); their
rate is what is compared. Targets (issue 21): ours >= 20x anymail's per-message rate for
Postmark and SendGrid, >= 10x for Resend.
"""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.test import override_settings
from huey.contrib.djhuey import HUEY

from apps.jobs.models import TaskRun
from apps.jobs.recorder import recorder
from apps.mail.defaults import sync_email_templates
from apps.mail.models import DeliveryAttempt, OutboundEmail
from apps.mail.services import render_for, send_email_many, system_context
from apps.mail.services import template_active_version as active
from tests.bench.environment import production_env
from tests.bench.harness import alternate, rate, record, wait_for
from tests.conftest import ROOT
from tests.providers.servers import TOKENS, ProviderServer

EMAILS = int(os.environ.get("BENCH_PROVIDER_EMAILS", "2000"))
PEER_EMAILS = int(os.environ.get("BENCH_PROVIDER_PEER_EMAILS", "200"))
LATENCY = float(os.environ.get("PROVIDER_LATENCY", "0.08"))
TEMPLATE = "usage_report"
TARGETS = {"postmark": 20.0, "sendgrid": 20.0, "resend": 10.0}
BACKENDS = {
    "postmark": ("anymail.backends.postmark.EmailBackend", "POSTMARK_SERVER_TOKEN"),
    "resend": ("apps.mail.backends.ResendBackend", "RESEND_API_KEY"),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "SENDGRID_API_KEY"),
}
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]


def people(count: int, prefix: str) -> list[tuple[str, dict]]:
    sample = active(key=TEMPLATE).sample_context
    return [
        (f"{prefix}{i}@example.com", {**sample, "name": f"Recipient {i}"}) for i in range(count)
    ]


class Contender:
    def __init__(self, provider: str, server: ProviderServer, tmp_path):
        self.provider, self.server, self.tmp_path = provider, server, tmp_path
        backend, key = BACKENDS[provider]
        self.anymail = {key: TOKENS[provider], f"{provider.upper()}_API_URL": server.api_url}
        self.backend = backend

    def __call__(self, round_no: int) -> float:
        count = self.count if round_no else max(20, self.count // 10)
        with self.server.lock:
            self.server.delivered.clear()
        started, finished = self.run(people(count, f"r{round_no}-"))
        assert len(self.server.delivered) == count, (self.name, len(self.server.delivered))
        return rate(count, finished - started)


class Ours(Contender):
    name, count = "ours (outbox + consumer, batched)", EMAILS

    def run(self, recipients) -> tuple[float, float]:
        HUEY.flush()
        OutboundEmail.objects.all().delete()
        DeliveryAttempt.objects.all().delete()
        TaskRun.objects.all().delete()
        with transaction.atomic():
            send_email_many(
                template_key=TEMPLATE,
                recipients=[{"to": to, "context": context} for to, context in recipients],
            )
        recorder.flush()
        tasks = HUEY.pending_count()
        env = production_env(
            EMAIL_PROVIDER=self.provider,
            **{key: value for key, value in self.anymail.items()},
        )
        log = self.tmp_path / f"consumer-{self.provider}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        count = len(recipients)
        try:
            started = wait_for(lambda: HUEY.pending_count() < tasks, timeout=120, interval=0.005)
            wait_for(lambda: len(self.server.delivered) >= count, timeout=1800, interval=0.01)
            sent = OutboundEmail.objects.filter(status="sent")
            finished = wait_for(lambda: sent.count() == count, timeout=120, interval=0.01)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log.read_text()[-3000:]}") from None
        finally:
            process.terminate()
            process.wait(30)
        return started, finished


class AnymailPerMessage(Contender):
    name, count = "anymail, one message per call", PEER_EMAILS

    def run(self, recipients) -> tuple[float, float]:
        from django.utils.module_loading import import_string

        version = active(key=TEMPLATE)
        rendered = [
            (to, render_for(version=version, address=to, context=c)) for to, c in recipients
        ]
        with override_settings(ANYMAIL=self.anymail):
            connection = import_string(self.backend)()
            started = time.perf_counter()
            messages = []
            for to, r in rendered:
                message = EmailMultiAlternatives(
                    r.subject, r.text, settings.DEFAULT_FROM_EMAIL, [to]
                )
                message.attach_alternative(r.html, "text/html")
                messages.append(message)
            assert connection.send_messages(messages) == len(messages)
        return started, time.perf_counter()


class PostOfficeAnymail(Contender):
    name, count = "django-post-office + anymail", PEER_EMAILS

    def run(self, recipients) -> tuple[float, float]:
        from post_office import mail
        from post_office.models import Email, EmailTemplate

        version = active(key=TEMPLATE)
        template, _ = EmailTemplate.objects.update_or_create(
            name=f"bench-{TEMPLATE}",
            defaults={
                "subject": version.subject,
                "content": version.text_body,
                "html_content": version.compiled_html,
            },
        )
        Email.objects.all().delete()
        batch = [
            {
                "recipients": [to],
                "sender": settings.DEFAULT_FROM_EMAIL,
                "template": template,
                "context": {**system_context(address=to, category=version.category), **context},
                "render_on_delivery": True,
            }
            for to, context in recipients
        ]
        mailers = {"default": {"BACKEND": self.backend}}
        with override_settings(ANYMAIL=self.anymail, MAILERS=mailers):
            mail.send_many(batch)
            started = time.perf_counter()
            mail.send_queued_mail_until_done(lockfile=str(self.tmp_path / "post_office"))
        return started, time.perf_counter()


@pytest.mark.parametrize("provider", ["postmark", "resend", "sendgrid"])
def test_provider_delivery_against_anymail_per_message_and_post_office(provider, tmp_path):
    sync_email_templates()
    server = ProviderServer(provider, latency=LATENCY)
    try:
        contenders = [
            c(provider, server, tmp_path) for c in (Ours, AnymailPerMessage, PostOfficeAnymail)
        ]
        series = alternate({c.name: c for c in contenders}, label=provider, unit="emails/s")
    finally:
        server.stop()
    ours, anymail, post_office = (series[c.name] for c in contenders)
    subject = f"delivery via {provider} ({LATENCY * 1000:.0f} ms a call), {EMAILS:,} emails"
    record(
        subject,
        ours=ours,
        peer=anymail,
        peer_name="anymail, 1 message a call",
        unit="emails/s",
        target_ratio=TARGETS[provider],
    )
    record(subject, ours=ours, peer=post_office, peer_name="post-office + anymail", unit="emails/s")
