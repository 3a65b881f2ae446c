"""A run's attempt timeline: the chain of retries and re-runs it belongs to."""

from dataclasses import dataclass

from django.db.models import Count

from apps.jobs.adapter import task_class
from apps.jobs.exceptions import UnknownTaskError
from apps.jobs.models import TaskAttempt, TaskRun
from apps.jobs.services import RERUN_NOTE

MAX_STEPS = 25


@dataclass
class Step:
    run: TaskRun
    label: str  # how this run came to be: first run, or a retry by someone
    # (a re-run after a lost consumer is the next attempt of the same run: see its attempts)
    attempts: str  # huey's attempts inside this run, e.g. "3 of 3"


def attempt_timeline(*, run: TaskRun) -> list[Step]:
    """Every run linked to this one by retry_of (operator retries), oldest first (bounded)."""
    first = run
    for _ in range(MAX_STEPS):  # walk back to the original run
        parent_id = first.retry_of
        parent = TaskRun.objects.filter(task_id=parent_id).first() if parent_id else None
        if parent is None:
            break
        first = parent
    chain, level = [first], [first.task_id]
    while level and len(chain) < MAX_STEPS:  # then forward through its retries and re-runs
        children = list(TaskRun.objects.filter(retry_of__in=level)[:MAX_STEPS])
        chain.extend(children)
        level = [child.task_id for child in children]
    chain.sort(key=lambda r: r.created_at)
    chain = chain[:MAX_STEPS]
    lost = dict(
        TaskAttempt.objects.filter(task_id__in=[r.task_id for r in chain], state="lost")
        .values("task_id")
        .annotate(n=Count("number"))
        .values_list("task_id", "n")
        .order_by()
    )
    return [Step(r, _label(r), _attempts(r, lost.get(r.task_id, 0))) for r in chain]


def _label(run: TaskRun) -> str:
    if not run.retry_of:
        return "first run"
    if run.note.startswith(RERUN_NOTE):
        return f"re-run with edited arguments by {run.requested_by or 'someone'}"
    return f"retry by {run.requested_by or 'someone'}"


def _attempts(run: TaskRun, lost: int) -> str:
    """'2 of 4' (huey's tries: the first and its retries); an attempt lost with its consumer
    and run again is not one of them ('1 of 1, plus 1 lost with its consumer')."""
    try:
        allowed = task_class(run.name).default_retries + 1
    except UnknownTaskError:  # a task this code base no longer defines
        allowed = None
    tries = run.attempt - lost
    if tries <= 0:
        return f"{lost} lost with its consumer"
    text = f"{tries} of {allowed}" if allowed else str(tries)
    return text + (f", plus {lost} lost with its consumer" if lost else "")
