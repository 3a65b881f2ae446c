"""The one place that knows huey's internals: its task registry, its message format, its
worker's dequeue/execute cycle and its scheduler's timing. Settings name the Huey classes below
(`HUEY["huey_class"]`); nothing is patched at import. contracts.py declares, typed, all that
the rest of the app may rely on from here.

Reliable fetch, after Sidekiq's super_fetch: a consumer takes a task off the queue and, in the
same atomic step, registers it under its own name in an in-flight register the broker keeps
(Redis: LMOVE in a script, or BLMOVE on an empty queue, into a list per consumer; SqliteHuey: a
row written in the dequeue's transaction). The entry leaves the register once the task's fate is
durable: at once when huey puts the task back (a retry, a future eta), after the task history
holding its outcome is written when history is on (recorder.py releases in batches after each
flush), at once when it is off. Whatever dies, each task is in the queue, in the schedule,
registered to a consumer, or has its outcome written. The reaper (services.reaper) empties the
registers of consumers whose heartbeat stopped, after Oban's Lifeline: mark the runs lost,
re-run only what is safe.

The attempt number travels with the task (`task.attempt`, 1 for the first): a retry or a
re-run after loss is the next attempt of the same task id.

An in-flight entry's life (one per task a consumer holds):

    queue ──take (one atomic step)──> registered to consumer C
      registered ──huey retries it, or its eta is later──> back in the queue or schedule;
                   the entry is released at once (the task is durable there)
      registered ──the task ends──> outcome buffered ──history batch written──> released
                   (history off: released at once)
      registered ──C's heartbeat stops (SIGKILL, or stalled past the dead-after time)──>
                   the reaper: the run is marked lost and the entry removed, atomically with
                   the next attempt put at the head of the queue when the task is idempotent
                   and not lost JOBS_LOST_MAX_ATTEMPTS times already
      registered ──outcome written, release missing (killed between the two)──> the reaper
                   releases it, no re-run
    A consumer that resumes after being reaped registers again with its next take; the
    reconciliation (reconcile.py) finds what a broker restart took from queue or registers.
"""

import datetime as dt
import functools
import logging
from collections.abc import Callable

from huey.api import Task, TaskWrapper
from huey.exceptions import HueyException

from ..exceptions import UnknownTaskError
from .contracts import SCHEDULE_HOOK, BrokerHealth, ScheduleHook, Taken
from .locks import JobLock, job_lock
from .reliable import RedisHuey, SqliteHuey, attempt_of, consumer_name, next_attempt

__all__ = [
    "BrokerHealth",
    "JobLock",
    "RedisHuey",
    "SqliteHuey",
    "Taken",
    "attempt_of",
    "broker_health",
    "broker_task_ids",
    "consumer_name",
    "counter_add",
    "describe",
    "django_task",
    "django_task_result",
    "inflight_consumers",
    "inflight_forget",
    "inflight_rescue",
    "inflight_tasks",
    "job_lock",
    "next_attempt",
    "periodic_task",
    "task_class",
    "task_name",
    "task_names",
    "task_rebuild",
]
logger = logging.getLogger("apps.jobs")


def _huey():
    from huey.contrib.djhuey import HUEY  # not at import: djhuey imports this module first

    return HUEY


# -- the task registry ------------------------------------------------------------------------


def task_name(task) -> str:
    """The dotted name huey registers a task under, from a task, its class or its wrapper."""
    if isinstance(task, TaskWrapper):
        task = task.task_class
    elif isinstance(task, Task):
        task = type(task)
    return _huey()._registry.task_to_string(task)


def task_class(name: str) -> type[Task]:
    """The task class registered under `name`; UnknownTaskError when this code has none."""
    try:
        return _huey()._registry.string_to_task(name)
    except HueyException as exc:
        raise UnknownTaskError(f"{name} is not a task this code base defines.") from exc


def task_names() -> list[str]:
    """Every task this code base registers with huey, sorted."""
    return sorted(_huey()._registry._registry)


# huey's django.tasks backend runs every `@task` through this one huey task, whose arguments
# are the Django task's import path, its args and its kwargs (tasks_backend._execute_django_task).
DJANGO_TASKS = "huey.contrib.djhuey.tasks_backend.djtasks.run"


@functools.cache
def _name_of_class(cls: type) -> str:
    return _huey()._registry.task_to_string(cls)


def django_task(name: str):
    """The django.tasks `Task` a history name stands for, or None (a huey task, or gone)."""
    from django.tasks import Task as DjangoTask
    from django.utils.module_loading import import_string

    if name in _huey()._registry._registry or "." not in name:
        return None
    try:
        found = import_string(name)
    except ImportError:
        return None
    return found if isinstance(found, DjangoTask) else None


def django_task_result(task_id: str):
    """What a django.tasks task returned, read back through django.tasks (None if nothing)."""
    from django.tasks import TaskResultStatus, default_task_backend
    from django.tasks.exceptions import TaskResultDoesNotExist

    try:
        result = default_task_backend.get_result(task_id)
    except (TaskResultDoesNotExist, ImportError, AttributeError):
        return None
    return result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None


def describe(task: Task) -> tuple[str, list, dict]:
    """A task as the history shows it: its name, args and kwargs; a django.tasks task under
    its own import path and arguments, not huey's wrapper."""
    name = _name_of_class(type(task))
    if name == DJANGO_TASKS and len(task.args) == 3:
        path, args, kwargs = task.args
        return str(path), list(args), dict(kwargs)
    return name, list(task.args), {k: v for k, v in task.kwargs.items() if k != "task"}


def periodic_task(
    validate_datetime: Callable, *, on_schedule: ScheduleHook, **options
) -> TaskWrapper:
    """djhuey's `db_periodic_task`, with `on_schedule` called by our scheduler on each task it
    enqueues (huey has no such hook: ReliableFetch.read_periodic calls it)."""
    from huey.contrib.djhuey import db_periodic_task

    hook = {SCHEDULE_HOOK: staticmethod(on_schedule)}  # huey makes options class attributes
    return db_periodic_task(validate_datetime, **hook, **options)


def counter_add(key: str, by: int = 1) -> int:
    """Add `by` (0 reads it) to a counter in the broker, atomic across consumers."""
    return _huey().storage.incr(key, by)


# -- the in-flight register, read by the reaper ------------------------------------------------


def inflight_consumers() -> dict[str, float]:
    """Consumers holding an in-flight register, with when each registered (epoch seconds)."""
    return _huey().storage.registered()


def inflight_tasks(consumer: str) -> list[Taken]:
    """What `consumer` has taken and not released, unfinished first."""
    huey_ = _huey()
    taken = []
    for data, receipt, finished in huey_.storage.taken_by(consumer):
        try:
            task = huey_.deserialize_task(data)
        except Exception:  # a task class this code no longer has: reported, never re-run
            logger.exception("in-flight task of %s cannot be read", consumer)
            task = None
        taken.append(Taken(task, receipt, finished))
    return taken


def inflight_rescue(consumer: str, taken: Taken, *, requeue: Task | None = None) -> bool:
    """Remove one entry from a dead consumer's register and, atomically with it, enqueue
    `requeue` at the head of the queue; False when someone else removed it first."""
    huey_ = _huey()
    data = huey_.serialize_task(requeue) if requeue is not None else None
    return huey_.storage.rescue(consumer, taken.receipt, data, finished=taken.finished)


def inflight_forget(consumer: str) -> None:
    """Drop a dead consumer's registration once its register is empty."""
    _huey().storage.forget(consumer)


# -- what the broker holds, read by the reconciliation ----------------------------------------


def broker_task_ids() -> set[str]:
    """The id of every task the broker holds: scheduled, queued, or taken by a consumer."""
    huey_ = _huey()
    ids = set()
    for data in huey_.storage.waiting():
        try:
            message = huey_.serializer.deserialize(data)
        except Exception:  # not ours to judge here: the reaper reports unreadable entries
            continue
        message = message[0] if isinstance(message, tuple) and len(message) == 2 else message
        ids.add(message.id)
    return ids


def broker_health() -> BrokerHealth:
    """Ask the broker about itself (raises when it does not answer)."""
    found = _huey().storage.health()
    started = found["started"]
    if started is not None:
        started = dt.datetime.fromtimestamp(started, tz=dt.UTC).replace(microsecond=0)
    return BrokerHealth(found["persistent"], started, found["run_id"])


def task_rebuild(*, name: str, args: list, kwargs: dict, task_id: str, attempt: int) -> Task:
    """The task a history row describes (its name, arguments and id), as attempt `attempt`:
    for enqueueing again a task the broker lost. UnknownTaskError when this code has none."""
    if django_task(name) is not None:  # through huey's django.tasks wrapper, as enqueued
        cls, args, kwargs = task_class(DJANGO_TASKS), [name, list(args), dict(kwargs)], {}
    else:
        cls = task_class(name)
    task = cls(args=tuple(args), kwargs=dict(kwargs), id=task_id)
    if attempt > 1:
        task.attempt = attempt
    return task
