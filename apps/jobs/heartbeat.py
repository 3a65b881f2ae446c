"""A consumer's heartbeat: one thread per consumer process writes its row every few seconds."""

import atexit
import contextlib
import functools
import logging
import os
import socket
import threading
from importlib import metadata

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from .adapter import consumer_name
from .models import WorkerHeartbeat
from .recorder import recorder
from .services import periodic_jobs_seen

logger = logging.getLogger("apps.jobs")
_started: dict[int, threading.Thread] = {}
_stop = threading.Event()
_guard = threading.Lock()


@functools.cache
def version() -> str:
    def of(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "?"

    return f"summasaas-ops {of('summasaas-ops')}, huey {of('huey')}"


def worker_count() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("Worker-") and t.is_alive())


def heartbeat_beat(*, stopped: bool = False) -> WorkerHeartbeat:
    """Write this process's heartbeat row now."""
    now = timezone.now()
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        consumer=consumer_name(),
        defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "workers": worker_count(),
            "version": version(),
            "last_seen": now,
            "stopped_at": now if stopped else None,
        },
        create_defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "workers": worker_count(),
            "version": version(),
            "started_at": now,
            "last_seen": now,
        },
    )
    return beat


def heartbeat_start() -> None:
    """Start the heartbeat thread once per process (huey calls startup hooks once per worker)."""
    with _guard:
        if os.getpid() in _started:
            return
        thread = threading.Thread(target=_loop, name="jobs-heartbeat", daemon=True)
        _started[os.getpid()] = thread
        thread.start()
        atexit.register(_at_exit)


@contextlib.contextmanager
def heartbeat_during():
    """Beat while this process runs a job inline (`manage.py jobs_run`), as a consumer does.

    The period's row names this process as the run's consumer; killed mid-run, it would read
    `running` for ever (nothing else would take it over, not even a forced run). A process
    that beats and stops beating is dead to the reaper, which marks that period lost."""
    stop = threading.Event()
    beats = WorkerHeartbeat.objects.filter(consumer=consumer_name())

    def beat() -> None:
        # Only the row the first beat made, moved on: never a row of its own (inside a
        # caller's open transaction the row is not visible from here, and nothing is written).
        try:
            while not stop.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    beats.update(last_seen=timezone.now())
                except Exception:
                    logger.exception("heartbeat write failed")
        finally:
            connection.close()  # this thread's own

    heartbeat_beat()
    thread = threading.Thread(target=beat, name="jobs-heartbeat-inline", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=settings.JOBS_HEARTBEAT_SECONDS)
        try:
            heartbeat_beat(stopped=True)
        except Exception:  # the run's own outcome (or error) is what the caller must see
            logger.exception("heartbeat write failed")


def _loop() -> None:
    seen = False
    while not _stop.is_set():
        try:
            close_old_connections()
            if not seen:  # this consumer's scheduler runs the periodic jobs from now on
                periodic_jobs_seen()
                seen = True
            heartbeat_beat()
        except Exception:
            logger.exception("heartbeat write failed")
        _stop.wait(settings.JOBS_HEARTBEAT_SECONDS)


def _at_exit() -> None:
    """Clean shutdown: write the last history events, then say this consumer stopped."""
    _stop.set()
    try:
        recorder.flush()
        heartbeat_beat(stopped=True)
        logger.info("task history flushed; consumer %s stopped", consumer_name())
    except Exception:
        logger.exception("final history flush failed")
