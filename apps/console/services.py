from typing import Any

from django.db import models

from apps.jobs.exceptions import TaskRunStateError
from apps.jobs.models import PeriodicJobState, TaskRun
from apps.jobs.selectors import redacted
from apps.jobs.services import (
    locks_clear,
    periodic_job_enqueue,
    periodic_job_pause,
    task_run_rerun,
    task_run_retry,
    task_run_revoke,
)

from .jobs.subjects import Subject, subject_kind, subjects_of
from .models import AuditEntry, StaffSettings


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEntry:
    """Record an operator action or a template change in the audit trail."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=getattr(actor, "email", "") or "",
        os_user=getattr(actor, "os_user", ""),
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        before=before,
        after=after,
        note=note,
    )


# --- operator actions on the jobs engine: each calls one jobs service and is audited --------


def _who(actor) -> str:
    return getattr(actor, "email", "") or str(actor)


def operator_task_retry(*, actor, run: TaskRun) -> TaskRun:
    """Run a finished task again with its exact arguments, recorded in the audit trail.

    A task whose work is a domain object (an email delivery) is refused: run again, it would
    do nothing; `operator_task_subjects_retry` retries its objects with their own action."""
    kind = subject_kind(run)
    if kind is not None:
        raise TaskRunStateError(
            f"Retrying {run.label.lower()} {run.task_id[:8]} would do nothing: {kind.why}. "
            f"Retry its {kind.plural} instead."
        )
    copy = task_run_retry(run=run, requested_by=_who(actor))
    audit_record(
        actor=actor,
        action="task.retry",
        target=run,
        before={"task_id": run.task_id, "state": run.state},
        after={"task_id": copy.task_id},
    )
    return copy


def operator_task_rerun(*, actor, run: TaskRun, args: list, kwargs: dict) -> TaskRun:
    """Run a finished task again with edited arguments (checked against its signature),
    recorded in the audit trail with both sets (sensitive values hidden)."""
    if subject_kind(run) is not None:
        kind = subject_kind(run)
        raise TaskRunStateError(
            f"{run.label} works on {kind.plural}: {kind.why}. Use each {kind.noun}'s own "
            "actions instead."
        )
    copy = task_run_rerun(run=run, args=args, kwargs=kwargs, requested_by=_who(actor))
    audit_record(
        actor=actor,
        action="task.rerun",
        target=run,
        before={"task_id": run.task_id, "args": redacted(run.args), "kwargs": redacted(run.kwargs)},
        after={
            "task_id": copy.task_id,
            "args": redacted(copy.args),
            "kwargs": redacted(copy.kwargs),
        },
    )
    return copy


def operator_task_subjects_retry(*, actor, run: TaskRun) -> list[Subject]:
    """Retry, with their own action, the objects of `run` that can be retried (its failed or
    interrupted emails); the ones queued again. Each is audited, and the task's entry names
    them."""
    retried = [
        subject
        for subject in subjects_of(run)
        if subject.retryable and subject_kind(run).retry(actor=actor, pk=subject.pk)
    ]
    if retried:
        audit_record(
            actor=actor,
            action="task.retry_subjects",
            target=run,
            before={"task_id": run.task_id, "state": run.state},
            after={subject_kind(run).plural: [subject.pk for subject in retried]},
        )
    return retried


def operator_task_revoke(*, actor, run: TaskRun) -> TaskRun:
    """Stop a queued or scheduled task from running, recorded in the audit trail."""
    before = run.state
    run = task_run_revoke(run=run, requested_by=_who(actor))
    audit_record(actor=actor, action="task.revoke", target=run, before={"state": before})
    return run


def operator_job_run_now(*, actor, name: str) -> str:
    """Hand a periodic job to the consumers now (its current period, forced); the task id."""
    result = periodic_job_enqueue(name=name, requested_by=_who(actor), force=True)
    task_id = getattr(result, "id", "") or ""
    audit_record(
        actor=actor, action="job.run_now", after={"job": name, "task_id": task_id}, note=name
    )
    return task_id


def operator_job_pause(*, actor, name: str, paused: bool) -> PeriodicJobState:
    """Pause or resume a periodic job, recorded with the state before and after."""
    was = PeriodicJobState.objects.filter(job=name, paused=True).exists()
    state = periodic_job_pause(name=name, paused=paused, changed_by=_who(actor))
    audit_record(
        actor=actor,
        action="job.pause" if paused else "job.resume",
        target=state,
        before={"paused": was},
        after={"paused": paused},
        note=name,
    )
    return state


def operator_locks_clear(*, actor, names: list[str]) -> list[str]:
    """Release the named periodic jobs' locks when no live run holds them; the ones cleared."""
    cleared = locks_clear(names=names, stale_only=True)
    audit_record(
        actor=actor,
        action="lock.clear",
        before={"requested": names},
        after={"cleared": cleared},
        note=", ".join(cleared) or "nothing was stale",
    )
    return cleared


def staff_time_zone_set(*, user, name: str, session=None) -> str:
    """Show this staff member's console in the zone `name` (an IANA name; "" for UTC); the
    zone kept. Raises ValueError for a name that is no zone."""
    from .timezones import SESSION_KEY, zone_of

    name = name.strip()
    if name and zone_of(name) is None:
        raise ValueError(f"{name[:64]!r} is not a time zone; pick one from the list.")
    StaffSettings.objects.update_or_create(user_id=user.pk, defaults={"time_zone": name})
    if session is not None:
        session[SESSION_KEY] = name
    return name
