"""Benchmarks: collected only when asked for (`make bench` runs `pytest tests/bench`).

The session ends with one table of every figure recorded through `tests.bench.harness.record`
(ours, the peer, the ratio, the target and pass/miss, the load average); it is also written to
var/bench/latest.txt (and .json).
"""

import contextlib
import os
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from django.template.base import PartialTemplate, Template
from django.test.utils import _TestState

from tests.bench import harness, report

LOAD_AT_START = os.getloadavg()


def pytest_ignore_collect(collection_path, config):
    asked = any("bench" in str(arg) for arg in config.args)
    return None if asked else True


@pytest.fixture(scope="session", autouse=True)
def bench_environment():
    """Say in the table what the figures ran on, and warn when PostgreSQL is not durable."""
    harness.ENVIRONMENT["python"] = sys.version.split()[0]
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        harness.ENVIRONMENT["database"] = "SQLite (embedded profile)"
        return
    import psycopg

    with contextlib.closing(psycopg.connect(url, connect_timeout=5)) as db:
        settings = {
            name: db.execute(f"SHOW {name}").fetchone()[0]
            for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes")
        }
    harness.ENVIRONMENT["postgres"] = ", ".join(f"{k}={v}" for k, v in settings.items())
    harness.ENVIRONMENT["redis"] = os.environ.get("REDIS_URL", "-")
    durable = all(settings[k] == "on" for k in ("fsync", "synchronous_commit", "full_page_writes"))
    if not durable:
        harness.note(
            "WARNING: PostgreSQL ran without production durability (fsync/synchronous_commit/"
            "full_page_writes off): run `make bench` (it sets SUMMASAAS_PG_DURABLE=1)."
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not harness.RESULTS and not harness.NOTES:
        return
    text = report.table(LOAD_AT_START)
    path = report.save(text)
    terminalreporter.write_line("")
    for line in text.splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(saved to {path})")


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Measure:
    """Wall time and peak resident memory (sampled every 20 ms) of a block."""

    seconds: float = 0.0
    baseline_mb: float = 0.0
    peak_mb: float = 0.0

    def rate(self, rows: int) -> float:
        return rows / self.seconds if self.seconds else 0.0


@contextmanager
def measure():
    result = Measure()
    result.baseline_mb = result.peak_mb = rss_mb()
    stop = threading.Event()

    def sample():
        while not stop.wait(0.02):
            result.peak_mb = max(result.peak_mb, rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        result.peak_mb = max(result.peak_mb, rss_mb())


@pytest.fixture
def production_rendering(monkeypatch):
    """Time templates as production renders them: without the per-template signal that the
    test environment wraps around every render (it copies the context each time)."""
    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)
    monkeypatch.setattr(PartialTemplate, "_render", _TestState.saved_data.partial_template_render)


@pytest.fixture
def sink(tmp_path, settings):
    """A local SMTP sink for the delivery benchmarks, the mailer settings pointing at it."""
    from tests.bench.delivery_contenders import Sink

    server = Sink(tmp_path)
    settings.MAILERS = server.mailers()
    yield server
    server.stop()
