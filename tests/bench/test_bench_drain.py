"""Task drain and enqueue: 20,000 no-op tasks per round on one Redis, ours against the peers.

Contenders, each a real consumer subprocess with 4 workers, threads then processes:
- ours: `manage.py run_huey` as in production (task history and whatever reliable fetch main
  has), draining `jobs_canary_task`; the clock stops when the last history row is written;
- ours without history (JOBS_TASK_HISTORY=0): what the history costs (no target);
- bare djhuey: `run_huey` in a Django project holding only djhuey and a no-op `db_task`;
- bare huey: huey's own `huey_consumer` on a RedisHuey with a no-op task (no Django);
- Celery: `celery worker` with the threads pool, or prefork, no result backend (no Django).

Each round enqueues the tasks with no consumer running (that is the enqueue figure; ours
includes writing the enqueue history rows), then starts the consumer: the clock starts at the
first dequeue and stops when the last task has run (and, for ours, its history row is written).
Targets: ours >= 0.9x bare huey (issue 9; shown against both bare djhuey and huey_consumer)
and >= 2x Celery (issue 10), threads and processes.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from huey.contrib.djhuey import HUEY

from apps.jobs.models import TaskRun
from apps.jobs.recorder import RECORDED, recorder
from apps.jobs.tasks import jobs_canary_task
from tests.bench.harness import Series, alternate, note, rate, record, wait_for
from tests.conftest import ROOT, database_url, subprocess_env

TASKS = int(os.environ.get("BENCH_DRAIN_TASKS", "20000"))
WARMUP_TASKS = max(200, TASKS // 10)
WORKERS = 4
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]


def peer_env(**extra: str) -> dict[str, str]:
    """The peers run as their users run them outside Django: no settings module."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    for name in ("DJANGO_SETTINGS_MODULE", "COV_CORE_SOURCE"):
        env.pop(name, None)
    return {**env, **extra}


class Contender:
    """One way to drain the queue; called once per round, returns tasks/s drained."""

    name = ""

    def __init__(self, kind: str, tmp_path: Path):
        self.kind = kind  # "thread" or "process"
        self.tmp_path = tmp_path
        self.enqueue_rates: list[float] = []

    def __call__(self, round_no: int) -> float:
        count = TASKS if round_no else WARMUP_TASKS
        self.reset()
        started = time.perf_counter()
        marker = self.enqueue(count)
        enqueue_rate = rate(count + 1, time.perf_counter() - started)
        log = self.tmp_path / f"{self.name}-{self.kind}-{round_no}.log".replace(" ", "-")
        process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env(),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            started = wait_for(
                lambda: self.pending() <= count,
                timeout=120,
                interval=0.005,
                what=f"{self.name}: first dequeue",
            )
            finished = wait_for(
                lambda: self.done(marker),
                timeout=900,
                interval=0.01,
                what=f"{self.name}: last task",
            )
            finished = self.written(count, finished)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log.read_text()[-3000:]}") from None
        finally:
            stop(process, self.stop_signal)
        self.check(count)
        if round_no:
            self.enqueue_rates.append(enqueue_rate)
        return rate(count + 1, finished - started)

    # what each contender defines
    stop_signal = signal.SIGINT

    def reset(self) -> None: ...
    def enqueue(self, count: int): ...
    def command(self) -> list[str]: ...
    def env(self) -> dict[str, str]: ...
    def pending(self) -> int: ...
    def done(self, marker) -> bool: ...
    def check(self, count: int) -> None: ...

    def written(self, count: int, finished: float) -> float:
        """When the run's last record was written (ours: the history); peers keep none."""
        return finished


def stop(process: subprocess.Popen, signum: int) -> None:
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Ours(Contender):
    def __init__(self, kind: str, tmp_path: Path, *, history: bool = True):
        super().__init__(kind, tmp_path)
        self.history = history
        self.name = "ours" if history else "ours, no history"

    def reset(self) -> None:
        HUEY.flush()
        TaskRun.objects.all().delete()
        set_recording(self.history)

    def enqueue(self, count: int):
        try:
            for _ in range(count):
                jobs_canary_task()
            sentinel = jobs_canary_task(token=uuid.uuid4().hex)  # FIFO: dequeued last
            recorder.flush()  # the enqueue history rows are written: the enqueue is done
        finally:
            set_recording(True)
        return sentinel

    def command(self) -> list[str]:
        return [
            sys.executable,
            "manage.py",
            "run_huey",
            "--workers",
            str(WORKERS),
            "--worker-type",
            self.kind,
        ]

    def env(self) -> dict[str, str]:
        return subprocess_env(JOBS_TASK_HISTORY="1" if self.history else "0")

    def pending(self) -> int:
        return HUEY.pending_count()

    def done(self, sentinel) -> bool:
        return sentinel.get() is not None

    def written(self, count: int, finished: float) -> float:
        if not self.history:
            return finished
        return wait_for(
            lambda: canaries_complete() == count + 1,
            timeout=120,
            interval=0.01,
            what="every history row written as complete",
        )

    def check(self, count: int) -> None:
        assert HUEY.pending_count() == 0
        if self.history:
            assert canaries_complete() == count + 1
        else:
            assert not TaskRun.objects.filter(name__endswith=".jobs_canary_task").exists()


def canaries_complete() -> int:
    return TaskRun.objects.filter(name__endswith=".jobs_canary_task", state="complete").count()


def set_recording(on: bool) -> None:
    """History in this (enqueuing) process too: off means no history rows at all."""
    HUEY.disconnect_signal(recorder.on_signal)
    if on:
        HUEY.signal(*RECORDED)(recorder.on_signal)


class BareHuey(Contender):
    """huey's own `huey_consumer` on a RedisHuey with a no-op task: no Django at all."""

    name = "bare huey"

    def __init__(self, kind: str, tmp_path: Path):
        super().__init__(kind, tmp_path)
        self.huey_name = f"bench-bare-huey-{os.getpid()}"
        os.environ["BENCH_BARE_HUEY_NAME"] = self.huey_name
        from tests.bench.peers import bare_huey

        assert bare_huey.huey.name == self.huey_name
        self.huey, self.noop = bare_huey.huey, bare_huey.noop

    def reset(self) -> None:
        self.huey.flush()

    def enqueue(self, count: int):
        for _ in range(count):
            self.noop()
        return self.noop(token=uuid.uuid4().hex)

    def command(self) -> list[str]:
        return [
            str(BIN / "huey_consumer"),
            "tests.bench.peers.bare_huey.huey",
            "-w",
            str(WORKERS),
            "-k",
            self.kind,
        ]

    def env(self) -> dict[str, str]:
        return peer_env(BENCH_BARE_HUEY_NAME=self.huey_name)

    def pending(self) -> int:
        return self.huey.pending_count()

    def done(self, sentinel) -> bool:
        return sentinel.get() is not None

    def check(self, count: int) -> None:
        assert self.huey.pending_count() == 0


class BareDjhuey(BareHuey):
    """`run_huey` in a Django project holding only djhuey and a no-op `db_task`: huey as a
    Django user runs it, without our jobs app."""

    name = "bare djhuey"

    def __init__(self, kind: str, tmp_path: Path):
        Contender.__init__(self, kind, tmp_path)
        from tests.bench.peers.producers import djhuey_noop

        self.huey_name = f"bench-djhuey-{os.getpid()}"
        self.huey, self.noop = djhuey_noop(self.huey_name)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "django",
            "run_huey",
            "--workers",
            str(WORKERS),
            "--worker-type",
            self.kind,
        ]

    def env(self) -> dict[str, str]:
        return peer_env(
            DJANGO_SETTINGS_MODULE="tests.bench.peers.djhuey_settings",
            BENCH_DJHUEY_NAME=self.huey_name,
            DATABASE_URL=database_url(),
        )


class Celery(Contender):
    stop_signal = signal.SIGTERM

    def __init__(self, kind: str, tmp_path: Path):
        super().__init__(kind, tmp_path)
        self.pool = "threads" if kind == "thread" else "prefork"
        self.name = f"Celery {self.pool}"
        self.queue = f"bench-celery-{os.getpid()}"
        os.environ["BENCH_CELERY_QUEUE"] = self.queue
        from tests.bench.peers import celery_app

        self.module = celery_app
        assert self.queue == celery_app.QUEUE
        self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])

    def reset(self) -> None:
        self.redis.delete(self.queue)

    def enqueue(self, count: int):
        noop = self.module.noop
        for _ in range(count):
            noop.delay()
        token = uuid.uuid4().hex
        noop.delay(token)
        return token

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.bench.peers.celery_app",
            "worker",
            "-P",
            self.pool,
            "-c",
            str(WORKERS),
            "-Q",
            self.queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ]

    def env(self) -> dict[str, str]:
        return peer_env(BENCH_CELERY_QUEUE=self.queue)

    def pending(self) -> int:
        return self.redis.llen(self.queue)

    def done(self, token) -> bool:
        return bool(self.redis.exists(self.module.DONE_KEY + token))

    def check(self, count: int) -> None:
        assert self.redis.llen(self.queue) == 0


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_task_drain_against_bare_huey_and_celery(kind, tmp_path):
    contenders = [
        Ours(kind, tmp_path),
        Ours(kind, tmp_path, history=False),
        BareDjhuey(kind, tmp_path),
        BareHuey(kind, tmp_path),
        Celery(kind, tmp_path),
    ]
    ours, no_history, djhuey, bare, celery = contenders
    workers = f"{WORKERS} {'threads' if kind == 'thread' else 'processes'}"
    series = alternate({c.name: c for c in contenders}, label=f"drain, {workers}", unit="tasks/s")
    subject = f"task drain with history, {TASKS:,} no-op tasks, {workers}"
    record(
        subject,
        ours=series[ours.name],
        peer=series[djhuey.name],
        peer_name="bare djhuey (run_huey, db_task)",
        unit="tasks/s",
        target_ratio=0.9,
    )
    record(
        subject,
        ours=series[ours.name],
        peer=series[bare.name],
        peer_name="bare huey (huey_consumer)",
        unit="tasks/s",
        target_ratio=0.9,
    )
    record(
        subject,
        ours=series[ours.name],
        peer=series[celery.name],
        peer_name=celery.name,
        unit="tasks/s",
        target_ratio=2.0,
    )
    record(
        f"task drain, history on vs off, {workers}",
        ours=series[ours.name],
        peer=series[no_history.name],
        peer_name="ours, JOBS_TASK_HISTORY=0",
        unit="tasks/s",
        note="what recording the history costs (no target)",
    )
    enqueue = {c.name: Series(c.name, "tasks/s", c.enqueue_rates) for c in contenders}
    subject = f"enqueue {TASKS:,} tasks (rounds of the {kind} drain)"
    record(
        subject,
        ours=enqueue[ours.name],
        peer=enqueue[bare.name],
        peer_name="bare huey",
        unit="tasks/s",
        note="ours includes writing the enqueue history rows",
    )
    record(
        f"enqueue {TASKS:,} tasks, ours with JOBS_TASK_HISTORY=0 ({kind} rounds)",
        ours=enqueue[no_history.name],
        peer=enqueue[bare.name],
        peer_name="bare huey",
        unit="tasks/s",
    )
    record(
        subject,
        ours=enqueue[ours.name],
        peer=enqueue[celery.name],
        peer_name="Celery",
        unit="tasks/s",
    )
    if kind == "thread":
        note(
            "task drain: ours is manage.py run_huey with the production settings; bare djhuey "
            "is run_huey in a Django project with only djhuey (db_task no-op); bare huey "
            "(huey_consumer) and Celery run without Django, their fastest setup"
        )
