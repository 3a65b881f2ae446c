"""The delivery benchmark's sink and contenders (tests/bench/test_bench_delivery.py and
test_bench_render_engine.py): ours through a real consumer, bare `send_messages`, post-office."""

import os
import subprocess
import sys
import time

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from huey.contrib.djhuey import HUEY

from apps.jobs.models import TaskRun
from apps.jobs.recorder import recorder
from apps.mail import services
from apps.mail.models import DeliveryAttempt, OutboundEmail
from apps.mail.services import render_for, system_context, template_active_version
from tests.bench.environment import production_env
from tests.bench.harness import rate, wait_for
from tests.conftest import ROOT
from tests.servers import free_port, wait_for_port

EMAILS = int(os.environ.get("BENCH_EMAILS", "2000"))
WARMUP_EMAILS = max(50, EMAILS // 10)
POLL = 0.04  # seconds between looks at a running contender: under 1 % of a round
TEMPLATE = "usage_report"  # ~12.7 KB of HTML + text: ~15 KB on the wire
BOOTED = "The following commands are available"  # huey logs it as it starts its workers


class Sink:
    """The SMTP sink subprocess (tests/bench/smtp_sink.py) and its counts, read over HTTP."""

    def __init__(self, tmp_path):
        self.port, self.stats_port = free_port(), free_port()
        self.stats = f"http://127.0.0.1:{self.stats_port}/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.smtp_sink", str(self.port), str(self.stats_port)],
            cwd=ROOT,
            stdout=(tmp_path / "sink.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)
        wait_for_port(self.stats_port)

    def reset(self) -> None:
        requests.post(self.stats, timeout=5)

    def _counts(self) -> tuple[int, int]:
        count, size = requests.get(self.stats, timeout=5).text.split()
        return int(count), int(size)

    def count(self) -> int:
        return self._counts()[0]

    def wait_for_count(self, count: int, *, timeout: float) -> float:
        """Block until the sink has `count` emails (the sink answers then: no polling, so no
        CPU taken from a contender still sending); the perf_counter() at that moment."""
        answer = requests.get(
            self.stats, params={"wait": count, "timeout": timeout}, timeout=timeout + 10
        )
        arrived = time.perf_counter()
        got = int(answer.text.split()[0])
        assert got >= count, f"{got} of {count} emails at the sink after {timeout} s"
        return arrived

    def kb_per_email(self) -> float:
        count, size = self._counts()
        return size / max(1, count) / 1024

    def mailers(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 30},
            }
        }

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def people(count: int) -> list[tuple[str, dict]]:
    sample = template_active_version(key=TEMPLATE).sample_context
    return [(f"user{i}@example.com", {**sample, "name": f"Recipient {i}"}) for i in range(count)]


class Contender:
    name = ""

    def __init__(self, sink: Sink, tmp_path):
        self.sink, self.tmp_path = sink, tmp_path
        self.enqueue_rates: list[float] = []
        self.uncounted = 0  # emails the round sent before its clock started
        self.kb: list[float] = []

    def __call__(self, round_no: int) -> float:
        count = EMAILS if round_no else WARMUP_EMAILS
        recipients = people(count)
        self.reset()
        self.sink.reset()
        self.uncounted = 0
        started, finished = self.run(recipients, round_no)
        assert self.sink.count() == count, (self.name, self.sink.count(), count)
        self.kb.append(self.sink.kb_per_email())
        return rate(count - self.uncounted, finished - started)

    def reset(self) -> None: ...

    def run(self, recipients, round_no: int) -> tuple[float, float]: ...

    def enqueued(self, round_no: int, count: int, seconds: float) -> None:
        if round_no:
            self.enqueue_rates.append(rate(count, seconds))


class Ours(Contender):
    name = "ours (outbox + consumer)"

    def __init__(self, sink, tmp_path, processes: int = 1):
        super().__init__(sink, tmp_path)
        self.processes = processes
        if processes > 1:
            self.name = f"ours ({processes} consumer processes)"

    def reset(self) -> None:
        HUEY.flush()
        OutboundEmail.objects.all().delete()
        TaskRun.objects.all().delete()

    def enqueue(self, recipients) -> None:
        many = getattr(services, "send_email_many", None)
        with transaction.atomic():
            if many is not None:
                many(
                    template_key=TEMPLATE,
                    recipients=[{"to": to, "context": context} for to, context in recipients],
                )
            else:
                for to, context in recipients:
                    services.send_email(template_key=TEMPLATE, to=to, context=context)
        recorder.flush()  # the enqueue history rows are written: the enqueue is done

    def run(self, recipients, round_no: int) -> tuple[float, float]:
        count = len(recipients)
        started = time.perf_counter()
        self.enqueue(recipients)
        self.enqueued(round_no, count, time.perf_counter() - started)
        assert HUEY.pending_count() > 0, "sending enqueued no task"
        env = production_env(
            EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(self.sink.port)
        )
        logs = [self.tmp_path / f"consumer-{round_no}-{n}.log" for n in range(self.processes)]
        processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "run_huey"],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        try:
            # Consumers run for months: the clock starts once every one of them has booted
            # (Django and the project imported, its workers starting), and what one sent while
            # another was still booting is left out of the rate. Timed from the first dequeue,
            # two processes paid for a boot of the second one inside the window.
            started = wait_for(
                lambda: all(BOOTED in log.read_text() for log in logs),
                timeout=120,
                interval=0.005,
                what="every consumer booted",
            )
            self.uncounted = self.sink.count()
            self.sink.wait_for_count(count, timeout=1800)
            # The last rows are written moments after the last email: polled every POLL
            # seconds (three queries a look, CPU taken from the consumers still writing).
            finished = wait_for(
                lambda: self.all_written(count),
                timeout=120,
                interval=POLL,
                what="every outbox, attempt and history row written",
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{logs[0].read_text()[-3000:]}") from None
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
        return started, finished

    @staticmethod
    def all_written(count: int) -> bool:
        return (
            OutboundEmail.objects.filter(status="sent").count() == count
            and DeliveryAttempt.objects.count() == count
            and not TaskRun.objects.filter(
                state__in=("enqueued", "executing"), periodic_job=""
            ).exists()
        )


class BareSendMessages(Contender):
    name = "bare send_messages"

    def run(self, recipients, round_no: int) -> tuple[float, float]:
        version = template_active_version(key=TEMPLATE)
        rendered = [
            (to, render_for(version=version, address=to, context=context))
            for to, context in recipients
        ]
        started = time.perf_counter()
        messages = []
        for to, r in rendered:
            message = EmailMultiAlternatives(r.subject, r.text, settings.DEFAULT_FROM_EMAIL, [to])
            message.attach_alternative(r.html, "text/html")
            messages.append(message)
        sent = mailers["default"].send_messages(messages)  # one connection for all
        finished = self.sink.wait_for_count(len(recipients), timeout=60)
        assert sent == len(recipients)
        return started, finished


class PostOffice(Contender):
    name = "django-post-office"

    def __init__(self, sink: Sink, tmp_path):
        super().__init__(sink, tmp_path)
        from post_office import mail
        from post_office.models import STATUS, Email, EmailTemplate, Log

        self.mail, self.Email, self.Log, self.sent = mail, Email, Log, STATUS.sent
        version = template_active_version(key=TEMPLATE)
        self.version = version
        # The same Django templates ours renders (subject, compiled HTML, text).
        self.template, _ = EmailTemplate.objects.update_or_create(
            name=f"bench-{TEMPLATE}",
            defaults={
                "subject": version.subject,
                "content": version.text_body,
                "html_content": version.compiled_html,
            },
        )

    def reset(self) -> None:
        self.Log.objects.all().delete()
        self.Email.objects.all().delete()

    def run(self, recipients, round_no: int) -> tuple[float, float]:
        count = len(recipients)
        # The caller gives post-office the whole context (ours computes the per-recipient links
        # at delivery): computed before the clock, in the peer's favour.
        batch = [
            {
                "recipients": [to],
                "sender": settings.DEFAULT_FROM_EMAIL,
                "template": self.template,
                "context": {
                    **system_context(address=to, category=self.version.category),
                    **context,
                    "preheader": "",
                },
                "render_on_delivery": True,
            }
            for to, context in recipients
        ]
        started = time.perf_counter()
        self.mail.send_many(batch)
        self.enqueued(round_no, count, time.perf_counter() - started)
        started = time.perf_counter()
        self.mail.send_queued_mail_until_done(lockfile=str(self.tmp_path / "post_office"))
        finished = self.sink.wait_for_count(count, timeout=60)
        assert self.Email.objects.filter(status=self.sent).count() == count
        assert self.Log.objects.count() == count
        return started, finished
