"""huey's worker cycle with an in-flight register: the Huey classes settings name."""

import os
import secrets
import socket
import threading
from collections.abc import Callable

import huey
from huey import signals as S
from huey.api import Task
from huey.consumer import Consumer, Scheduler
from huey.registry import Message

from .storage import MemoryInflightStorage, RedisInflightStorage, SqliteInflightStorage

_identity: tuple[int, str] = (0, "")


def consumer_name() -> str:
    """This process's name towards the broker and in the console: host:pid:nonce (a process
    that restarts with the same pid, as in a container, is still a new consumer)."""
    global _identity
    if _identity[0] != os.getpid():
        pid = os.getpid()
        _identity = (pid, f"{socket.gethostname()}:{pid}:{secrets.token_hex(2)}")
    return _identity[1]


def attempt_of(task) -> int:
    """Which attempt of its task this is (1 for the first), as stamped on the task."""
    return getattr(task, "attempt", 1)


def next_attempt(task: Task) -> Task:
    """The same task (same id and arguments) as its next attempt."""
    task.attempt = attempt_of(task) + 1
    return task


# -- the Huey classes named in settings ---------------------------------------------------------


class ReliableFetch:
    """Mixed into a Huey class: dequeue registers, the outcome releases, the attempt travels."""

    # Set by the jobs app when history is on: called with each finished task's receipt, it
    # releases the entry after the history holding the outcome is written.
    release_later: Callable[[object], None] | None = None
    # Set in tests only: the clock the scheduler reads (a simulated, faster one).
    clock: Callable | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._taken: dict[int, object] = {}  # id(task) -> receipt of its in-flight entry
        # Per worker: what its last finished task still asks of the register ("finish" or
        # "release", receipt); it rides on the worker's next dequeue, saving a round trip.
        self._local = threading.local()
        self.on_shutdown("jobs_inflight")(self._settle)

    def get_immediate_storage(self):
        return MemoryInflightStorage(self.name)

    def dequeue(self):
        pending, self._local.pending = getattr(self._local, "pending", None), None
        try:
            taken = self.storage.take(consumer_name(), **dict([pending] if pending else []))
        except Exception:
            self._local.pending = pending  # the broker is down: settle it next time
            raise
        if taken is None:
            return None
        data, receipt = taken
        task = self.deserialize_task(data)  # unreadable: stays registered, for the reaper
        self._taken[id(task)] = receipt
        return task

    def execute(self, task, timestamp=None):
        try:
            value = super().execute(task, timestamp)
        except BaseException:
            self._taken.pop(id(task), None)  # fate unknown: it stays registered
            raise
        receipt = self._taken.pop(id(task), None)
        if receipt is not None:  # it finished: the reaper must not run it again
            self._settle()
            if self.release_later is None:
                self._local.pending = ("release", receipt)
            else:  # ...and its outcome is written with the next history batch
                self._local.pending = ("finish", receipt)
                self.release_later(receipt)
        return value

    def _settle(self) -> None:
        """Do now what this worker's last finished task asks of the register (at shutdown)."""
        pending, self._local.pending = getattr(self._local, "pending", None), None
        if pending is None:
            return
        action, receipt = pending
        if action == "finish":
            self.storage.finish(consumer_name(), receipt)
        else:
            self.storage.release(consumer_name(), [receipt], finished=False)

    def release_now(self, *receipts) -> None:
        """Release finished tasks whose outcome is written."""
        self.storage.release(consumer_name(), list(receipts), finished=True)

    def _emit(self, signal, task, *args, **kwargs):
        if signal == S.SIGNAL_INTERRUPTED:
            self._taken.pop(id(task), None)  # unfinished: it stays registered, for the reaper
        super()._emit(signal, task, *args, **kwargs)

    def enqueue(self, task):
        result = super().enqueue(task)
        self._put_back(task)
        return result

    def add_schedule(self, task):
        super().add_schedule(task)
        self._put_back(task)

    def _put_back(self, task) -> None:
        receipt = self._taken.pop(id(task), None)
        if receipt is not None:  # a retry or a future eta: the task is durable again
            self.storage.release(consumer_name(), [receipt], finished=False)

    def _requeue_task(self, task, timestamp, retry_eta=None):
        next_attempt(task)
        super()._requeue_task(task, timestamp, retry_eta)

    def serialize_task(self, task):
        attempt = attempt_of(task)
        if attempt == 1:  # huey's own format: bare huey reads it too
            return super().serialize_task(task)
        return self.serializer.serialize((self._registry.create_message(task), attempt))

    def deserialize_task(self, data):
        message = self.serializer.deserialize(data)
        attempt = 1
        if not isinstance(message, Message):
            message, attempt = message
        task = self._registry.create_task(message)
        if attempt > 1:
            task.attempt = attempt
        return task

    def read_periodic(self, timestamp):
        timestamp = timestamp or self._get_timestamp()
        tasks = super().read_periodic(timestamp)
        for task in tasks:  # e.g. a periodic job pins the period it covers
            on_schedule = getattr(type(task), "on_schedule", None)
            if on_schedule is not None:
                on_schedule(task, timestamp)
        return tasks

    def _get_timestamp(self):
        if self.clock is None:
            return super()._get_timestamp()
        return self.clock().replace(tzinfo=None)

    def create_consumer(self, **options):
        if self.clock is None:
            return super().create_consumer(**options)
        return _FastPeriodicConsumer(self, **options)


class _FastPeriodicScheduler(Scheduler):
    periodic_task_seconds = 1  # tests with a simulated clock check periodic jobs every second


class _FastPeriodicConsumer(Consumer):
    scheduler_class = _FastPeriodicScheduler


class RedisHuey(ReliableFetch, huey.RedisHuey):
    storage_class = RedisInflightStorage


class SqliteHuey(ReliableFetch, huey.SqliteHuey):
    storage_class = SqliteInflightStorage
