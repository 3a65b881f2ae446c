"""Fixtures shared by every app's tests."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from huey.contrib.djhuey import HUEY

from tests.servers import PROFILE, free_port, redis_server, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Passwords hashed at test speed (tests/hashers.py says why it changes nothing else)."""
    with override_settings(PASSWORD_HASHERS=["tests.hashers.FastPBKDF2PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def huey_immediate(request):
    """Tasks run inline unless a test asks for a real consumer (then the queue is real).

    With a real queue, the task history of what this process enqueues is buffered: the
    writer thread writes it only in a transactional test (its rows are wiped with the test's);
    elsewhere only an explicit `recorder.flush()` writes it, inside the test's transaction, and
    what is left is dropped, so no row outlives the test that made it."""
    from apps.jobs.recorder import recorder

    real = "huey_consumer" in request.fixturenames or request.node.get_closest_marker("real_queue")
    HUEY.immediate = not real
    transactional = _transactional(request)
    recorder.held = not transactional
    yield
    if transactional:
        with contextlib.suppress(Exception):  # what the test left: wiped with its rows
            recorder.flush()
    recorder.discard()
    recorder.held = False
    HUEY.immediate = False


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    wanted = {"transactional_db", "live_server", "huey_consumer"} & set(request.fixturenames)
    return bool(wanted) or bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def _clear_redis_cache():
    if settings.REDIS_URL:
        cache.clear()


@pytest.fixture(autouse=True)
def _drop_unwritten_api_calls():
    """API calls a test left in the interaction-log buffer belong to its rolled-back data."""
    yield
    from apps.analytics.buffer import interaction_buffer

    interaction_buffer.discard()


@pytest.fixture
def templates(db):
    """The shipped layout and templates, loaded as `make run` loads them."""
    load_shipped_templates()


_SHIPPED: dict[str, list] = {}  # test database name -> the shipped template rows, serialized


def load_shipped_templates() -> None:
    """Put the shipped layout and templates in the test database. Syncing them renders and
    checks every template (0.7 s on an idle machine, 11 s on a loaded one), so each worker
    syncs once and then copies the rows it made back from memory into a database emptied by
    a rollback or a flush; a database that already holds templates is synced as before."""
    from django.core import serializers

    from apps.mail.defaults import sync_email_templates
    from apps.mail.models import (
        EmailLayout,
        EmailTemplate,
        EmailTemplateTranslation,
        EmailTemplateVersion,
    )

    models = [EmailLayout, EmailTemplate, EmailTemplateTranslation, EmailTemplateVersion]
    name = connection.settings_dict["NAME"]
    if name not in _SHIPPED or any(model.objects.exists() for model in models):
        empty = not any(model.objects.exists() for model in models)
        sync_email_templates()
        if empty:
            _SHIPPED[name] = [serializers.serialize("python", m.objects.all()) for m in models]
        return
    with transaction.atomic():  # the foreign keys between them are checked at commit
        for model, rows in zip(models, _SHIPPED[name], strict=True):
            objects = [row.object for row in serializers.deserialize("python", rows)]
            model.objects.bulk_create(objects)


@pytest.fixture
def profile() -> str:
    return PROFILE


def database_url() -> str:
    """A URL for the database the current test uses, for processes we start."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("COV_CORE_SOURCE", None)
    return env


class Consumer:
    """A `manage.py run_huey` subprocess against the test database and broker."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", *args],
            cwd=ROOT,
            env=env or subprocess_env(),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for_log(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"consumer log never showed {text!r}:\n{self.output()}")

    def stop(self, signum: int = 15) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def huey_consumer(transactional_db, tmp_path):
    """Start real consumers: `start()` returns a running one; all are stopped afterwards."""
    HUEY.flush()
    consumers: list[Consumer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Consumer:
        consumer = Consumer(*args, env=env, log=tmp_path / f"consumer-{len(consumers)}.log")
        consumers.append(consumer)
        # Django and run_huey start in a few seconds, in a minute on a loaded shared machine.
        consumer.wait_for_log("The following commands are available", timeout=60)
        return consumer

    yield start
    for consumer in consumers:
        consumer.stop()
    HUEY.flush()


def wait_until(predicate, timeout: float = 20, interval: float = 0.1, message=""):
    """Poll until `predicate()` is truthy; return its value or fail saying what never happened
    (`message`, or a callable giving it: the state at the deadline, not at the start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    message = message() if callable(message) else message
    raise AssertionError(message or f"condition not met within {timeout} s")


class PrivateRedis:
    """A redis-server of the test's own, which it may stop and start again on the same port."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        workdir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--pidfile",
                str(self.workdir / "redis.pid"),
                "--dir",
                str(self.workdir),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        pidfile = self.workdir / "redis.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)  # as a crash would: no goodbye to the clients
            wait_until(lambda: not _listening(self.port), timeout=10, message="redis still up")
            pidfile.unlink(missing_ok=True)


def restart_redis_empty(url: str) -> None:
    """SIGKILL the redis-server at `url` and start it again on the same port, as a crash and a
    restart without persistence do: it comes back empty (the test servers keep no files)."""
    import redis

    client = redis.Redis.from_url(url)
    config = client.config_get("*")
    port, pid = int(config["port"]), client.info("server")["process_id"]
    client.close()
    os.kill(pid, 9)
    wait_until(lambda: not _listening(port), timeout=10, message="redis still up")
    redis_server(port, pidfile=config["pidfile"], folder=config["dir"], logfile=config["logfile"])


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def private_redis(tmp_path):
    """A running redis-server only this test uses (the session's one stays up)."""
    server = PrivateRedis(tmp_path / "private-redis")
    server.start()
    yield server
    server.stop()
