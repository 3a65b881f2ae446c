"""Benchmarks: collected only when asked for (`make bench` runs `pytest tests/bench`)."""

import os
import threading
import time
from contextlib import contextmanager

import pytest
from django.template.base import PartialTemplate, Template
from django.test.utils import _TestState


def pytest_ignore_collect(collection_path, config):
    asked = any("bench" in str(arg) for arg in config.args)
    return None if asked else True


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
