"""Fixtures shared by every app's tests."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from huey.contrib.djhuey import HUEY

from tests.servers import PROFILE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def huey_immediate(request):
    """Tasks run inline unless a test asks for a real consumer (then the queue is real)."""
    real = "huey_consumer" in request.fixturenames or request.node.get_closest_marker("real_queue")
    HUEY.immediate = not real
    yield
    HUEY.immediate = False


@pytest.fixture(autouse=True)
def _clear_redis_cache():
    if settings.REDIS_URL:
        cache.clear()


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
        consumer.wait_for_log("The following commands are available")
        return consumer

    yield start
    for consumer in consumers:
        consumer.stop()
    HUEY.flush()


def wait_until(predicate, timeout: float = 20, interval: float = 0.1, message: str = ""):
    """Poll until `predicate()` is truthy; return its value or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout} s")
