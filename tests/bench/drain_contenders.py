"""The task drain's contenders (tests/bench/test_bench_drain.py): ours, bare djhuey, bare huey and
Celery, each a real consumer subprocess; a round enqueues with no consumer running, then drains."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from huey.contrib.djhuey import HUEY

from apps.jobs.models import TaskRun
from apps.jobs.recorder import RECORDED, recorder
from apps.jobs.tasks import jobs_canary_task
from tests.bench.environment import production_env
from tests.bench.harness import rate, wait_for
from tests.conftest import ROOT

TASKS = int(os.environ.get("BENCH_DRAIN_TASKS", "20000"))
WARMUP_TASKS = max(200, TASKS // 10)
WORKERS = 4
BIN = Path(sys.executable).parent


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

    def run_huey(self, *launcher: str) -> list[str]:
        """djhuey's consumer command with this round's workers, started by `launcher`."""
        workers = ["--workers", str(WORKERS), "--worker-type", self.kind]
        return [sys.executable, *launcher, "run_huey", *workers]

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
        return self.run_huey("manage.py")

    def env(self) -> dict[str, str]:
        return production_env(JOBS_TASK_HISTORY="1" if self.history else "0")

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
        # No canary left; the consumer's scheduler queues the periodic jobs once a minute,
        # maybe just before it was stopped (they wait for the next consumer).
        pending = map(HUEY.deserialize_task, HUEY.storage.enqueued_items())
        assert not [task for task in pending if isinstance(task, jobs_canary_task.task_class)]
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
