"""Which task action a run may take, checked on the server for every button and URL.

Retry is offered only where it can work: on runs that ended without success, never on a
completed or a waiting one. A task whose work is a domain object (an email delivery) is not
run again blindly, which would do nothing: its own objects are retried with their own action
(the email's Retry), or the page says there is nothing to retry. Revoke is offered on runs not
started yet. Each needs `console.operate_tasks`.
"""

from django.db.models import Exists, OuterRef

from apps.jobs.arguments import task_function
from apps.jobs.exceptions import JobsError
from apps.jobs.models import TaskRun
from apps.jobs.services import FINISHED

from .subjects import subject_kind, subjects_of

# What the console offers: a retry for runs that ended without success (a completed run is run
# again deliberately, with "Run again", issue 19.10), a revoke for runs that have not started.
RETRYABLE = frozenset(s for s in FINISHED if s != TaskRun.State.COMPLETE)
REVOCABLE = frozenset({TaskRun.State.ENQUEUED, TaskRun.State.SCHEDULED, TaskRun.State.RETRYING})


def not_retried(queryset):
    """Runs nobody has retried yet (a retry names its original in `retry_of`)."""
    return queryset.filter(~Exists(TaskRun.objects.filter(retry_of=OuterRef("task_id"))))


def reruns(run: TaskRun) -> bool:
    """Whether `run`'s task can be run again with other arguments from here."""
    if subject_kind(run) is not None:
        return False
    try:
        task_function(run.name)
    except JobsError:  # a task this code no longer defines
        return False
    return True


class TaskRunRules:
    """The task history admin's permission checks, one rule a run action (on an OperatorMixin)."""

    def has_retry_permission(self, request, object_id=None) -> bool:
        """Retry with the same arguments: a failed run of an ordinary task."""
        return self.may_operate(
            request,
            object_id,
            lambda run: run.state in RETRYABLE and subject_kind(run) is None,
        )

    def has_retry_subjects_permission(self, request, object_id=None) -> bool:
        """Retry its emails: a delivery task with a failed or interrupted email."""
        return self.may_operate(
            request, object_id, lambda run: any(s.retryable for s in subjects_of(run))
        )

    def has_rerun_permission(self, request, object_id=None) -> bool:
        """Run again with edited arguments: a finished run of a task this code defines (not a
        delivery task, whose emails have their own actions)."""
        return self.may_operate(
            request, object_id, lambda run: run.state in FINISHED and reruns(run)
        )

    def has_revoke_permission(self, request, object_id=None) -> bool:
        return self.may_operate(request, object_id, lambda run: run.state in REVOCABLE)
