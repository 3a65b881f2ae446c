"""A deployment as fly.io runs one, on this machine: the smoke suite's only way into the product.

The release step (`migrate`, `createcachetable`, `sync_email_templates`, as fly.toml's release
command, then `collectstatic` as the Dockerfile and `ensure_admin`) on a fresh database of its
own on the test run's PostgreSQL, then gunicorn with `DEBUG=0` and every variable production
requires, a real `manage.py run_huey` consumer on the test run's Redis (a database index of its
own, so the test process's cache flushes never touch it), and an SMTP sink in the test process
(EMAIL_PROVIDER=smtp). Tests reach it over HTTP only (tests/smoke/browser.py) and read what it
stored with SQL on its database.
"""

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from aiosmtpd.controller import Controller

from tests.billing.stripe_payloads import SECRET as STRIPE_SECRET
from tests.conftest import ROOT, Consumer
from tests.mail import webhook_payloads
from tests.servers import free_port, wait_for_port

from .browser import Browser

HOST = "smoke.summasaas.test"
SITE_URL = f"https://{HOST}"
ADMIN_EMAIL, ADMIN_PASSWORD = "ops@summasaas.test", "smoke-admin-password-long-and-random-42"
REDIS_DB = 7  # the test process flushes index 0 (its cache) between tests
BOOT_TIMEOUT = 90  # seconds; a loaded 2-core machine starts Django slowly
# fly.toml's release command, then the login an operator makes.
RELEASE = ["migrate --noinput", "createcachetable", "sync_email_templates", "ensure_admin"]
# fly.toml's web process, with two workers (this machine has two cores).
GUNICORN = ["--workers", "2", "--timeout", "60", "--access-logfile", "-"]


@dataclass
class Mail:
    """One message the SMTP sink accepted: its envelope recipients and its raw bytes."""

    to: list[str]
    raw: bytes

    @property
    def message(self):
        return message_from_bytes(self.raw, policy=policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


class Sink:
    """The SMTP server the deployment sends through: keeps every message, raw; refuses (550)
    any recipient whose address starts with "refused"."""

    def __init__(self):
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):  # a mailbox that does not exist: a permanent error
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.mails.append(Mail(list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [mail for mail in self.mails if address in mail.to]

    def wait_for(self, address: str, subject: str = "", timeout: float = 60) -> Mail:
        """The first message to `address` whose subject holds `subject`, as it arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if subject.lower() in m.subject.lower()]
            if found:
                return found[0]
            time.sleep(0.2)
        subjects = [(m.to, m.subject) for m in self.mails]
        raise AssertionError(f"no email to {address} about {subject!r}; the sink has {subjects}")


@dataclass
class Deployment:
    """The running deployment: its processes, its database, its mail."""

    workdir: Path
    database_url: str
    redis_url: str
    sink: Sink
    port: int = field(default_factory=free_port)
    processes: list = field(default_factory=list)
    consumer: Consumer | None = None
    boot_seconds: float = 0.0

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process: production's required variables, all set."""
        keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR"}
        base = {k: v for k, v in os.environ.items() if k in keep or k.startswith("COV")}
        return {
            **base,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "0",
            "SECRET_KEY": "smoke-" + "k" * 60 + "-secret-key-long-and-random-enough-42",
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": SITE_URL,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "HUEY_NAME": f"smoke-{self.port}",
            "VAR_DIR": str(self.workdir / "var"),
            "STATIC_ROOT": str(self.workdir / "static"),
            "EMAIL_PROVIDER": "smtp",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "DEFAULT_FROM_EMAIL": "SummaSaaS <hello@summasaas.test>",
            "WEBHOOK_SECRET": webhook_payloads.WEBHOOK_SECRET,
            "RESEND_SIGNING_SECRET": webhook_payloads.RESEND_SECRET,
            "MAILGUN_WEBHOOK_SIGNING_KEY": webhook_payloads.MAILGUN_KEY,
            "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "OPS_ALERT_RECIPIENTS": "alerts@summasaas.test",
            "MAIL_TEST_RECIPIENTS": "studio@summasaas.test,refused@summasaas.test",
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ANALYTICS_FLUSH_SECONDS": "0.2",
            # Texts over 2,000 characters run on the consumer (the default 20,000 would cost
            # the small Free plan's quota for each queued case).
            "SUMMARY_SYNC_MAX_CHARS": "2000",
            **extra,
        }

    def manage(self, *args: str, timeout: float = 180) -> str:
        """Run a management command as an operator would on a machine of the deployment."""
        command = [sys.executable, "manage.py", *args]
        result = subprocess.run(
            command, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result.stdout

    def sql(self, query: str, *params) -> list[tuple]:
        """Rows of a query on the deployment's database (what it stored, as it stored it)."""
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, query: str, *params):
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

    def browser(self) -> Browser:
        """A person's browser (cookies, CSRF tokens from forms, Origin on posts)."""
        return Browser(f"http://127.0.0.1:{self.port}", HOST)

    def machine(self) -> Browser:
        """A program calling in (provider, Stripe, API client): no cookie is ever asked for."""
        return Browser(f"http://127.0.0.1:{self.port}", HOST, machine=True)

    def log(self) -> str:
        return (self.workdir / "gunicorn.log").read_text(errors="replace")


def create(workdir: Path) -> Deployment:
    """A fresh database of its own and the SMTP sink: nothing runs yet."""
    workdir.mkdir(parents=True, exist_ok=True)
    sink = Sink()
    sink.controller.start()
    return Deployment(workdir, _create_database(), _redis_url(), sink)


def start(deployment: Deployment) -> None:
    """The release step, then gunicorn and a consumer, as a rollout does."""
    started, env, workdir = time.monotonic(), deployment.env(), deployment.workdir
    # collectstatic needs no database: it runs beside the release step, as in the image build.
    collect = _start(
        workdir / "collectstatic.log", "manage.py", "collectstatic", "--noinput", env=env
    )
    deployment.processes.append(collect)
    for command in RELEASE:
        deployment.manage(*command.split())
    assert collect.wait(120) == 0, (workdir / "collectstatic.log").read_text()[-2000:]
    bind = f"127.0.0.1:{deployment.port}"
    gunicorn = ["-m", "gunicorn", "project.wsgi:application", "--bind", bind, *GUNICORN]
    deployment.processes.append(_start(workdir / "gunicorn.log", *gunicorn, env=env))
    deployment.consumer = Consumer(env=env, log=workdir / "consumer.log")
    deployment.processes.append(deployment.consumer.process)
    wait_for_port(deployment.port, timeout=BOOT_TIMEOUT)
    deployment.consumer.wait_for_log("The following commands are available", timeout=BOOT_TIMEOUT)
    deployment.boot_seconds = time.monotonic() - started


def stop(deployment: Deployment) -> None:
    """Stop what runs, then drop the database and empty the Redis index it used."""
    for process in deployment.processes:
        if process.poll() is None:
            process.terminate()
    for process in deployment.processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        if process.poll() is None:
            process.kill()
            process.wait()
    deployment.sink.controller.stop()
    name = urlsplit(deployment.database_url).path.lstrip("/")
    with psycopg.connect(_server_url("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(deployment.redis_url).flushdb()


def _start(log: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    with log.open("w") as output:  # the child keeps its own copy
        command = [sys.executable, *args]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def _server_url(database: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])  # the test run's PostgreSQL (tests/servers.py)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _create_database() -> str:
    name = f"smoke_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return _server_url(name)


def _redis_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])  # the test run's Redis (tests/servers.py)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))
