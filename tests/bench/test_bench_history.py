"""Task-history cost: drain 20,000 no-op tasks through a real Redis-backed consumer with and
without recording, alternating, in the same run; print both rates and their ratio."""

import os
import signal
import statistics
import time
import uuid

import pytest
from huey.contrib.djhuey import HUEY

from apps.jobs.models import TaskRun
from apps.jobs.recorder import RECORDED, recorder
from apps.jobs.tasks import jobs_canary_task
from tests.conftest import Consumer, subprocess_env

TASKS = 20_000
WORKERS = "4"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]


def set_recording(on: bool) -> None:
    """Recording in this (enqueuing) process too: off means no history at all."""
    HUEY.disconnect_signal(recorder.on_signal)
    if on:
        HUEY.signal(*RECORDED)(recorder.on_signal)


def consumer_cpu(consumer) -> float:
    """CPU seconds (user + system) the consumer process has used so far."""
    with open(f"/proc/{consumer.process.pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def enqueue_all():
    for _ in range(TASKS):
        jobs_canary_task()
    sentinel = jobs_canary_task(token=uuid.uuid4().hex)  # FIFO: it runs last
    recorder.flush()  # the enqueue records are written before the clock starts
    return sentinel


def drain(tmp_path, record: bool, round_no: int) -> dict:
    HUEY.flush()
    TaskRun.objects.all().delete()
    set_recording(record)
    sentinel = enqueue_all()
    env = subprocess_env(JOBS_TASK_HISTORY="1" if record else "0")
    consumer = Consumer("--workers", WORKERS, env=env, log=tmp_path / f"c-{round_no}.log")
    while HUEY.pending_count() > TASKS:  # the first dequeue starts the clock
        time.sleep(0.0005)
    started = time.perf_counter()
    cpu_before = consumer_cpu(consumer)
    sentinel.get(blocking=True, timeout=600, backoff=1.0, max_delay=0.002)
    seconds = time.perf_counter() - started
    cpu = consumer_cpu(consumer) - cpu_before
    consumer.stop(signal.SIGINT)  # graceful: the recorder flushes what is left
    if record:
        canaries = TaskRun.objects.filter(name__endswith=".jobs_canary_task")
        done = canaries.filter(state="complete").count()
        assert done == TASKS + 1, f"{done} of {TASKS + 1} runs recorded as complete"
    else:
        assert not TaskRun.objects.exists(), list(
            TaskRun.objects.values_list("name", "state", "enqueued_by", "consumer")[:5]
        )
    return {"rate": TASKS / seconds, "seconds": seconds, "cpu_ms": 1000 * cpu / TASKS}


def test_recording_task_history_costs_little_throughput(tmp_path):
    rounds = {True: [], False: []}
    try:
        drain(tmp_path, False, 0)  # warm-up: caches, connections, page cache; not counted
        for round_no, record in enumerate([True, False] * ROUNDS, start=1):
            rounds[record].append(drain(tmp_path, record, round_no))
    finally:
        set_recording(True)
    without = statistics.median(r["rate"] for r in rounds[False])
    with_ = statistics.median(r["rate"] for r in rounds[True])
    print(
        f"\ntask history benchmark: {TASKS:,} no-op tasks per round, 1 consumer "
        f"({WORKERS} threads), Redis broker, PostgreSQL history; rounds alternate"
    )
    for record in (False, True):
        label = "with recording   " if record else "without recording"
        figures = ", ".join(
            f"{r['rate']:,.0f}/s ({r['seconds']:.2f} s, {r['cpu_ms']:.3f} ms CPU/task)"
            for r in rounds[record]
        )
        print(f"  {label}: {figures}")
    print(
        f"  median: without {without:,.0f} tasks/s, with {with_:,.0f} tasks/s, "
        f"ratio {with_ / without:.3f} (recording costs {100 * (1 - with_ / without):.1f} %)"
    )
