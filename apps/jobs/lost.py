"""Declaring a run lost when nothing in the broker holds it any more: the reaper's fallback
(a dead consumer's run that its register no longer lists) and the reconciliation (a waiting
run the broker lost) both come here; the reaper's main path rescues register entries itself.

Exactly once: the run turns `lost` by a conditional UPDATE (the state it was seen in), and only
the process whose UPDATE won announces it (`signals.run_lost`: an email delivery's rows turn
`unknown`) and, for a task declared `idempotent=True` lost fewer than JOBS_LOST_MAX_ATTEMPTS
times, enqueues it again as its next attempt, in the same transaction: if the broker refuses,
the run keeps its state and the next pass tries again.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from huey.contrib.djhuey import HUEY

from .adapter import task_class, task_rebuild
from .exceptions import UnknownTaskError
from .models import TaskRun
from .signals import run_lost


def may_requeue(name: str, attempt: int) -> bool:
    """Whether a lost attempt of task `name` is enqueued again."""
    return _idempotent(name) and attempt < settings.JOBS_LOST_MAX_ATTEMPTS


def what_next(name: str, attempt: int, requeue: bool) -> str:
    """What became of a lost attempt, in words for its note."""
    if requeue:
        return f"enqueued again as attempt {attempt + 1}"
    if _idempotent(name):
        return f"not enqueued again after {attempt} lost attempts"
    return f"not enqueued again: {name} is not declared idempotent"


def run_lose(*, run: TaskRun, seen: dict, why: str, now: dt.datetime) -> bool | None:
    """Mark `run` lost if it is still as `seen` (lookup -> value); note `why` and what next.
    Returns whether it was enqueued again, or None when someone else settled it first."""
    requeue = may_requeue(run.name, run.attempt)
    with transaction.atomic():
        won = TaskRun.objects.filter(pk=run.pk, **seen).update(
            state=TaskRun.State.LOST,
            attempt=run.attempt,
            rank=run.attempt * 10 + 2,
            finished_at=now,
            updated_at=now,
            note=f"{why}; {what_next(run.name, run.attempt, requeue)}",
        )
        if not won:
            return None
        run_lost.send(
            sender=TaskRun,
            task_name=run.name,
            task_id=run.task_id,
            attempt=run.attempt,
            args=run.args,
            kwargs=run.kwargs,
            consumer=run.consumer,
            requeued=requeue,
        )
        if requeue:
            HUEY.enqueue(_next_attempt(run))
    return requeue


def _next_attempt(run: TaskRun):
    return task_rebuild(
        name=run.name,
        args=run.args,
        kwargs=run.kwargs,
        task_id=run.task_id,
        attempt=run.attempt + 1,
    )


def _idempotent(name: str) -> bool:
    try:
        return bool(getattr(task_class(name), "idempotent", False))
    except UnknownTaskError:  # a django.tasks task, or one gone from the code: never blindly
        return False
