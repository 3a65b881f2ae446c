"""Every contract between the huey adapter and the rest of the app, typed in one place.

The adapter overrides huey where reliable fetch needs it (reliable.py, storage_*.py); nothing
outside this package may rely on more than what is declared here:

- `JobsAdapter`: the package's functions (task registry, attempts, in-flight register, broker
  contents, the counter the canary task increments, periodic tasks with a schedule hook),
  called across apps.jobs, the console and the tests;
- `ReliableHuey`: what the Huey classes add (apps.py sets `release_later` and, in tests,
  `clock`; recorder.py calls `release_now` once the history holding an outcome is written);
- `InflightStorage`: the broker's in-flight register, behind the functions (tests simulate a
  consumer with `take`);
- `ScheduleHook`: what periodic.py gives `periodic_task` to pin the period a run covers.

tests/jobs/test_adapter_contracts.py checks that the package, both Huey classes and the three
storages match these declarations, so a change to one side fails there, not in production.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from huey.api import Task, TaskWrapper

# The task-class attribute holding a periodic task's ScheduleHook (set by `periodic_task`).
SCHEDULE_HOOK = "on_schedule"

# huey's own Huey methods ReliableFetch overrides (reliable.py says why for each): the
# adapter's contract with huey, private ones included, checked against the installed huey.
HUEY_OVERRIDES = (
    "dequeue",
    "is_revoked",
    "execute",
    "_execute",
    "delete",
    "_emit",
    "enqueue",
    "add_schedule",
    "_requeue_task",
    "serialize_task",
    "deserialize_task",
    "read_periodic",
    "_get_timestamp",
    "create_consumer",
    "get_immediate_storage",
)

# What a storage hands back to identify an in-flight entry (Redis: the task's data; SQLite:
# a row id; memory: a counter). Opaque to everyone but the storage that made it.
Receipt = Any


class ScheduleHook(Protocol):
    """Called by the scheduler on each periodic task it is about to enqueue, with the naive
    UTC minute whose crontab matched (not the time it is enqueued: a backlog must not move
    the period a run covers). It may set the task's kwargs; what it returns is ignored."""

    def __call__(self, task: Task, timestamp: dt.datetime) -> None: ...


@runtime_checkable
class InflightStorage(Protocol):
    """huey's storage plus the in-flight register: what each consumer has taken and not
    released. An entry is unfinished (taken, running or dead mid-run) or finished (it ran;
    its outcome may not be written yet); `release` drops it once its fate is durable."""

    def take(
        self,
        consumer: str,
        *,
        finish: Receipt | None = None,
        release: Receipt | None = None,
        unflag: str | None = None,
    ) -> tuple[bytes, Receipt, frozenset[str] | None] | None:
        """Dequeue the next task into `consumer`'s register (and register the consumer), in
        one atomic step; None when the queue is empty. First, in the same step, settle what
        the worker's previous task left: mark `finish` finished or drop `release`, and delete
        the revoke flag `unflag` huey clears after a run. Returns (data, receipt, flagged):
        `flagged` is the set of revoke keys set when the task was taken, or None when this
        storage keeps no index of them (then huey's own check applies)."""

    def finish(self, consumer: str, receipt: Receipt) -> None:
        """Mark an entry finished: the reaper must not run it again."""

    def release(self, consumer: str, receipts: list[Receipt], *, finished: bool) -> None:
        """Drop entries (`finished`: entries already marked finished, or still in flight)."""

    def registered(self) -> dict[str, float]:
        """Consumers holding a register, with when each registered (epoch seconds; 0 when
        its registration was lost while it held entries)."""

    def taken_by(self, consumer: str) -> list[tuple[bytes, Receipt, bool]]:
        """`consumer`'s entries as (data, receipt, finished), unfinished first."""

    def rescue(
        self, consumer: str, receipt: Receipt, data: bytes | None, *, finished: bool
    ) -> bool:
        """Drop one entry of a dead consumer and, atomically, enqueue `data` first in line;
        False when the entry was gone (another reaper got it)."""

    def forget(self, consumer: str) -> None:
        """Drop a consumer's registration if its register is empty."""

    def waiting(self, page: int = 1000) -> Iterator[bytes]:
        """Every task the broker holds (schedule, queue, registers), as serialized data; a
        task moving between them meanwhile is seen at least once."""

    def health(self) -> dict:
        """{"persistent": bool | None, "started": epoch seconds | None, "run_id": str}."""

    def incr(self, key: str, amount: int = 1) -> int:
        """huey's own atomic counter (backs `counter_add`)."""

    def delete_if_equal(self, key: str, value: bytes) -> bool:
        """Delete huey's key/value entry `key` if it holds `value`, atomically; whether it
        did (backs `JobLock.release`: only the lock's holder frees it)."""


@runtime_checkable
class ReliableHuey(Protocol):
    """What the adapter's Huey classes add to huey's, for the jobs app to set and call."""

    storage: InflightStorage
    # Set by the jobs app when task history is on: called with each finished task's receipt,
    # it must call `release_now` once the history holding the outcome is written.
    release_later: Callable[[Receipt], None] | None
    # Set in tests only: the clock the scheduler reads, and checks periodic tasks every second.
    clock: Callable[[], dt.datetime] | None

    def release_now(self, *receipts: Receipt) -> None:
        """Release finished tasks whose outcome is written (this consumer's register)."""


@dataclass(frozen=True)
class Taken:
    """An entry of a consumer's in-flight register."""

    task: Task | None  # None when unreadable (its task class is gone from the code)
    receipt: Receipt
    finished: bool  # it finished; its outcome may not be written yet


@dataclass(frozen=True)
class BrokerHealth:
    """Whether the broker keeps what it holds across a restart, and since when it runs."""

    persistent: bool | None  # None: not applicable (tasks run inline)
    started: dt.datetime | None
    run_id: str


@runtime_checkable
class JobsAdapter(Protocol):
    """The functions of `apps.jobs.adapter` (the package satisfies this protocol)."""

    # -- huey's task registry and message format
    def task_name(self, task: Task | TaskWrapper | type[Task]) -> str: ...
    def task_class(self, name: str) -> type[Task]: ...
    def task_names(self) -> list[str]: ...
    def describe(self, task: Task) -> tuple[str, list, dict]: ...
    def django_task(self, name: str) -> Any: ...
    def django_task_result(self, task_id: str) -> Any: ...
    def task_rebuild(
        self, *, name: str, args: list, kwargs: dict, task_id: str, attempt: int
    ) -> Task: ...

    # -- who runs what, and which attempt it is
    def consumer_name(self) -> str: ...
    def attempt_of(self, task: Task) -> int: ...
    def next_attempt(self, task: Task) -> Task: ...

    # -- the in-flight register (reaper) and what the broker holds (reconciliation)
    def inflight_consumers(self) -> dict[str, float]: ...
    def inflight_tasks(self, consumer: str) -> list[Taken]: ...
    def inflight_rescue(
        self, consumer: str, taken: Taken, *, requeue: Task | None = None
    ) -> bool: ...
    def inflight_forget(self, consumer: str) -> None: ...
    def broker_task_ids(self) -> set[str]: ...
    def broker_health(self) -> BrokerHealth: ...

    # -- periodic jobs' locks, freed only by their holder (locks.py)
    def job_lock(self, name: str) -> Any: ...

    # -- declared contracts that used to leak
    def counter_add(self, key: str, by: int = 1) -> int:
        """Add `by` (0 reads it) to a counter in the broker, atomic across consumers."""

    def periodic_task(
        self, validate_datetime: Callable, *, on_schedule: ScheduleHook, **options: Any
    ) -> TaskWrapper:
        """djhuey's `db_periodic_task`, with `on_schedule` called by the adapter's scheduler
        on each task it enqueues (huey itself has no such hook)."""
