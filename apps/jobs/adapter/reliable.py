"""huey's worker cycle with an in-flight register: the Huey classes settings name.

What ReliableFetch overrides of huey's Huey, and why (HUEY_OVERRIDES in contracts.py lists
them; a test checks huey still has each with the same parameters):

| method                          | why                                                       |
| ------------------------------- | --------------------------------------------------------- |
| dequeue                         | take into the register; settle the last task on the way   |
| is_revoked                      | trust the take's revoke index instead of asking Redis     |
| execute                         | a finished task leaves the register (now or after history)|
| _execute, delete                | defer huey's post-run revoke-flag delete to the next take |
| _emit                           | an interrupted task stays registered, for the reaper      |
| enqueue, add_schedule           | a retry or future eta is durable again: release its entry |
| _requeue_task                   | settle first; the retry is the task's next attempt        |
| serialize_task, deserialize_task| the attempt number travels with the task                  |
| read_periodic                   | call the periodic task's ScheduleHook                     |
| _get_timestamp, create_consumer | tests: a simulated clock, periodic checks every second    |
| get_immediate_storage           | immediate mode keeps a register too                       |
"""

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

from .contracts import SCHEDULE_HOOK
from .storage_local import MemoryInflightStorage, SqliteInflightStorage
from .storage_redis import RedisInflightStorage

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
        # Per worker: what its last task still asks of the broker, as keyword arguments of
        # the storage's `take` ("finish" or "release": the task's in-flight entry; "unflag":
        # the revoke flag huey clears after a run). It rides on the worker's next dequeue,
        # saving a round trip or two per task.
        self._local = threading.local()
        self.on_shutdown("jobs_inflight")(self._settle)

    def get_immediate_storage(self):
        return MemoryInflightStorage(self.name)

    def dequeue(self):
        pending, self._local.pending = self._pending(), {}
        try:
            taken = self.storage.take(consumer_name(), **pending)
        except Exception:
            self._local.pending = pending  # the broker is down: settle it next time
            raise
        if taken is None:
            return None
        data, receipt, flagged = taken
        task = self.deserialize_task(data)  # unreadable: stays registered, for the reaper
        self._taken[id(task)] = receipt
        self._local.flagged = (task, flagged)
        return task

    def is_revoked(self, task, timestamp=None, peek=True):
        taken, flagged = getattr(self._local, "flagged", None) or (None, None)
        if taken is task:  # huey's check before running the task this worker just took
            self._local.flagged = None
            if flagged is not None and flagged.isdisjoint(self._revoke_keys(task)):
                return False  # no flag of this task was set when it was taken
        return super().is_revoked(task, timestamp, peek)

    def execute(self, task, timestamp=None):
        try:
            value = super().execute(task, timestamp)
        except BaseException:
            self._taken.pop(id(task), None)  # fate unknown: it stays registered
            raise
        receipt = self._taken.pop(id(task), None)
        if receipt is None:
            return value
        if self.release_later is None:  # it finished: the reaper must not run it again
            self._defer("release", receipt)
        else:  # ...and its outcome is written with the next history batch
            self._defer("finish", receipt)
            self.release_later(receipt)
        return value

    def _execute(self, task, timestamp):
        self._local.running = task.revoke_id
        try:
            return super()._execute(task, timestamp)
        finally:
            self._local.running = None

    def delete(self, key):
        if key == getattr(self._local, "running", None) and not self.immediate:
            # huey clears the running task's revoke flag once it has run (a revoke that came
            # during the run): done with this worker's next dequeue, or before a retry is
            # enqueued (`_requeue_task`), so no worker can see the flag on a later run.
            self._local.running = None
            self._defer("unflag", key)
            return False
        return super().delete(key)

    def _pending(self) -> dict:
        pending = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = {}
        return pending

    def _defer(self, name: str, value) -> None:
        """Leave `name` (a keyword of the storage's take) for this worker's next dequeue."""
        clashes = ("unflag",) if name == "unflag" else ("finish", "release")
        if any(other in self._pending() for other in clashes):
            self._settle()
        self._pending()[name] = value

    def _settle(self) -> None:
        """Do now what this worker's last task left for its next dequeue (at shutdown, and
        before a retry is enqueued)."""
        pending, self._local.pending = self._pending(), {}
        if "finish" in pending:
            self.storage.finish(consumer_name(), pending["finish"])
        if "release" in pending:
            self.storage.release(consumer_name(), [pending["release"]], finished=False)
        if "unflag" in pending:
            self.storage.delete_data(pending["unflag"])

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
        self._settle()  # the revoke flag of the run that failed goes before its retry comes
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
        for task in tasks:  # the ScheduleHook `periodic_task` attached (contracts.py)
            on_schedule = getattr(type(task), SCHEDULE_HOOK, None)
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
