"""Whether a task's work may still be on its way, asked by apps that keep their own truth in rows.

An app whose rows say what is left to do (a summary request) queues its task again when no run
that may still run holds a row. This is the question it asks the task history, in its own
terms: its task and its values, never the task's dotted name or the history's rows. With
`periodic` (declaring jobs) and `signals` (what the machinery announces), it is what jobs offers
the apps above it.
"""

from collections.abc import Iterable

from .adapter import task_name
from .models import TaskRun

# Waiting in the broker or executing; a run the broker lost turns `lost` when the
# reconciliation or the reaper finds it, and stops counting.
LIVE = [
    TaskRun.State.ENQUEUED,
    TaskRun.State.SCHEDULED,
    TaskRun.State.RETRYING,
    TaskRun.State.EXECUTING,
]


def _runs_live(task):
    return TaskRun.objects.filter(name=task_name(task), state__in=LIVE)


def live_first_arguments(*, task, among: Iterable) -> set:
    """The values of `among` that a live run of `task` has as its first argument."""
    runs = _runs_live(task).filter(args__0__in=list(among))
    return set(runs.values_list("args__0", flat=True))


def live_task_ids(*, task, among: Iterable[str]) -> set[str]:
    """The task ids of `among` that name a live run of `task`."""
    runs = _runs_live(task).filter(task_id__in=list(among))
    return set(runs.values_list("task_id", flat=True))
